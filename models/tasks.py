from __future__ import annotations

from enum import IntEnum, StrEnum

from tortoise import fields
from tortoise.models import Model

from models.ids import new_id


class Status(StrEnum):
    TODO = "TODO"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


class Priority(IntEnum):
    # Stored as integers so ORDER BY priority sorts by urgency, not alphabetically.
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


class Task(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    owner = fields.ForeignKeyField("models.User", related_name="tasks", on_delete=fields.CASCADE)
    title = fields.CharField(max_length=200)
    description = fields.TextField(null=True)
    status = fields.CharEnumField(Status, max_length=16, default=Status.TODO)
    priority = fields.IntEnumField(Priority, default=Priority.MEDIUM)
    due_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    version = fields.IntField(default=1)
    # Idempotency key of createTask: a retry with the same key returns the same task.
    client_mutation_id = fields.CharField(max_length=100, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "tasks"
        unique_together = (("owner", "client_mutation_id"),)
        indexes = (
            ("created_at", "id"),
            ("owner", "created_at", "id"),
            ("owner", "updated_at", "id"),
            ("owner", "due_at", "id"),
            ("owner", "priority", "id"),
            ("owner", "status"),
        )
