"""Server-side token state: refresh tokens, revoked access tokens, failed logins."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.ids import new_id


class RefreshToken(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    user = fields.ForeignKeyField("models.User", related_name=False, on_delete=fields.CASCADE)
    # All tokens descending from one login share a family; reuse of a spent one kills it.
    family_id = fields.UUIDField(db_index=True)
    # SHA-256 of the opaque token: a database leak does not hand out sessions.
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "refresh_tokens"


class RevokedAccessToken(Model):
    jti = fields.UUIDField(primary_key=True)
    # Kept until the token would have expired anyway; older rows can be purged.
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "revoked_access_tokens"


class LoginFailure(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    # Whose failures these are: an email address or a client address, with a prefix.
    subject = fields.CharField(max_length=400)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "login_failures"
        indexes = (("subject", "created_at"),)
