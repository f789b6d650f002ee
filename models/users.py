from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.ids import new_id


class Role(StrEnum):
    USER = "USER"
    ADMIN = "ADMIN"


class User(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    # Stored normalised (trimmed, lower case), so the unique index is case-insensitive.
    email = fields.CharField(max_length=320, unique=True)
    display_name = fields.CharField(max_length=100)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=16, default=Role.USER)
    is_active = fields.BooleanField(default=True)
    # Bumped whenever every token the user holds must die (password, role, deactivation).
    token_epoch = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "users"
        indexes = (("created_at", "id"),)
