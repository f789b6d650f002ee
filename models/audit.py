"""The audit log: one row per change of data, written in the transaction of the change.

Data functions that change rows call `record` inside their `in_transaction()` block, right
after the change: the row commits with the change or rolls back with it. Who asked (actor,
request id, client address) comes from taskql.audit_context, set once per request.
What changed is a list of {"field", "old", "new"}; a secret field (a password) appears only
by name with "redacted": true, never with a value, a hash or a token. A task update or status
change is written in one UPDATE with no read of the old row, so its entries name the fields
set and give only the version's old and new value and the status's new value; a key left out
means "not recorded", unlike a recorded null (models.task_audit.update_changes).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum, StrEnum
from typing import Any

import orjson
from tortoise import fields
from tortoise.expressions import Q
from tortoise.models import Model

from models.ids import new_id
from models.sql import Sql
from taskql import audit_context

# Longest stored request facts; longer values are cut (the request id is at most 128 already).
REQUEST_ID_LENGTH = 128
CLIENT_ADDRESS_LENGTH = 64


class AuditAction(StrEnum):
    TASK_CREATED = "task.created"
    TASK_UPDATED = "task.updated"
    TASK_STATUS_CHANGED = "task.status_changed"
    TASK_DELETED = "task.deleted"
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_ROLE_CHANGED = "user.role_changed"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    USER_PASSWORD_CHANGED = "user.password_changed"  # noqa: S105 - an action name, not a secret
    USER_PASSWORD_RESET = "user.password_reset"  # noqa: S105 - an action name, not a secret
    USER_EMAIL_VERIFIED = "user.email_verified"
    # Every session of a user ended at once (logoutEverywhere, an admin's revokeUserSessions);
    # one row for the lot, its count in the changes.
    USER_SESSIONS_REVOKED = "user.sessions_revoked"
    LOGIN = "session.login"
    LOGOUT = "session.logout"
    REFRESH_TOKEN_REUSED = "session.refresh_token_reused"  # noqa: S105 - an action name
    SESSION_REVOKED = "session.revoked"  # one session ended from the sessions list


class TargetType(StrEnum):
    TASK = "task"
    USER = "user"
    SESSION = "session"


# One row per change. No foreign keys: the record outlives the user, task or session it
# names. (A comment, not a docstring: tortoise would copy a docstring into the table's SQL.)
class AuditEvent(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    # The signed-in user who made the change; null for anonymous requests and the CLI.
    actor_id = fields.UUIDField(null=True)
    action = fields.CharEnumField(AuditAction, max_length=40)
    target_type = fields.CharEnumField(TargetType, max_length=16)
    target_id = fields.UUIDField()
    # [{"field": name, "old": value, "new": value}], or {"field": name, "redacted": true};
    # a task update leaves out the values it does not record ({"field": "title"}).
    changes: Any = fields.JSONField(default=list)
    request_id = fields.CharField(max_length=REQUEST_ID_LENGTH, null=True)
    client_address = fields.CharField(max_length=CLIENT_ADDRESS_LENGTH, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_events"
        # Newest first, all of them or one actor's or one target's: each a range scan.
        indexes = (
            ("created_at", "id"),
            ("actor_id", "created_at", "id"),
            ("target_id", "created_at", "id"),
        )


Change = dict[str, Any]
# The actor of the request (audit_context) unless a write names another one.
FROM_REQUEST: Any = object()


async def record(
    action: AuditAction,
    *,
    target_type: TargetType,
    target_id: uuid.UUID | str,
    changes: Iterable[Change] = (),
    actor_id: uuid.UUID | None = FROM_REQUEST,
) -> None:
    """Insert one audit row (one statement) in the caller's transaction."""
    facts = audit_context.current()
    await AuditEvent.create(
        actor_id=facts.actor_id if actor_id is FROM_REQUEST else actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id if isinstance(target_id, uuid.UUID) else uuid.UUID(target_id),
        changes=list(changes),
        request_id=_cut(facts.request_id, REQUEST_ID_LENGTH),
        client_address=_cut(facts.client_address, CLIENT_ADDRESS_LENGTH),
    )


@dataclass(frozen=True, slots=True)
class Entry:
    """One audit row of a write that changes many rows at once (record_many)."""

    action: AuditAction
    target_type: TargetType
    target_id: uuid.UUID | str
    changes: list[Change]


# The columns record_many writes, in the order of its VALUES tuples.
_INSERTED_COLUMNS = (
    "id",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "changes",
    "request_id",
    "client_address",
    "created_at",
)


async def record_many(entries: Sequence[Entry]) -> None:
    """Insert one audit row per entry in ONE multi-row INSERT, in the caller's transaction:
    a bulk edit of n tasks costs the same one statement as an edit of one. The actor and the
    request facts are the request's (audit_context), the time the same for all the rows."""
    if not entries:
        return
    facts = audit_context.current()
    request_id = _cut(facts.request_id, REQUEST_ID_LENGTH)
    client_address = _cut(facts.client_address, CLIENT_ADDRESS_LENGTH)
    actor_id = None if facts.actor_id is None else str(facts.actor_id)
    now = datetime.now(UTC)
    sql = Sql()
    rows = []
    for entry in entries:
        values = (
            str(new_id()),
            actor_id,
            entry.action.value,
            entry.target_type.value,
            str(entry.target_id),
            orjson.dumps(entry.changes).decode(),  # JSON text, as the ORM binds a JSONField
            request_id,
            client_address,
            now,
        )
        rows.append(f"({', '.join(sql.param(value) for value in values)})")
    await sql.fetch_raw(
        f"INSERT INTO audit_events ({', '.join(_INSERTED_COLUMNS)}) VALUES {', '.join(rows)}"  # noqa: S608 - fixed parts
    )


def changed(
    before: Mapping[str, Any], after: Mapping[str, Any], names: Iterable[str]
) -> list[Change]:
    """The fields among `names` whose value differs between the two rows, old and new."""
    entries = []
    for name in names:
        old, new = plain(before.get(name)), plain(after.get(name))
        if old != new:
            entries.append({"field": name, "old": old, "new": new})
    return entries


def created(values: Mapping[str, Any]) -> list[Change]:
    return [{"field": name, "old": None, "new": plain(value)} for name, value in values.items()]


def deleted(values: Mapping[str, Any]) -> list[Change]:
    return [{"field": name, "old": plain(value), "new": None} for name, value in values.items()]


def redacted(name: str) -> Change:
    """A secret that changed: its name only."""
    return {"field": name, "redacted": True}


def plain(value: Any) -> Any:
    """A JSON value that compares equal however the row was read (ORM or raw SQL)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _cut(value: str | None, length: int) -> str | None:
    return None if value is None else value[:length]


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Conditions that must all hold; `since` inclusive, `until` exclusive."""

    actor_id: uuid.UUID | None = None
    target_id: uuid.UUID | None = None
    action: AuditAction | None = None
    since: datetime | None = None
    until: datetime | None = None


async def list_page(
    *, filters: AuditFilter, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[AuditEvent]:
    """Newest first (created_at, then id, descending), starting after the keyset `after`."""
    query = AuditEvent.all()
    if filters.actor_id is not None:
        query = query.filter(actor_id=filters.actor_id)
    if filters.target_id is not None:
        query = query.filter(target_id=filters.target_id)
    if filters.action is not None:
        query = query.filter(action=filters.action)
    # SQLite compares the stored ISO text: every bound datetime must be UTC.
    if filters.since is not None:
        query = query.filter(created_at__gte=filters.since.astimezone(UTC))
    if filters.until is not None:
        query = query.filter(created_at__lt=filters.until.astimezone(UTC))
    if after is not None:
        created_at, event_id = after[0].astimezone(UTC), after[1]
        query = query.filter(
            Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=event_id)
        )
    return await query.order_by("-created_at", "-id").limit(limit)
