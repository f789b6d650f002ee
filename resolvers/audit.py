"""The admin's audit log: keyset pages over (created_at, id), newest first.

Returns model rows and cursors; schema/audit.py builds the GraphQL connection from them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models import audit as audit_models
from resolvers.context import Info
from resolvers.datetimes import clean_datetime
from resolvers.ids import parse_id
from resolvers.pagination import decode_cursor, encode_cursor, invalid_cursor, page_size
from resolvers.selection import CURSOR_NAMES, selected_names
from taskql.settings import Settings

CURSOR_KIND = "audit:created_at:desc"
AuditEventRow = audit_models.AuditEvent


@dataclass(frozen=True, slots=True)
class AuditPage:
    events: list[AuditEventRow]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool


async def audit_events(
    info: Info,
    *,
    actor_id: str | None,
    target_id: str | None,
    action: str | None,
    since: object,
    until: object,
    first: int | None,
    after: str | None,
) -> AuditPage:
    """`action` is the name of an audit action (the GraphQL enum's); since/until as given."""
    settings = info.context.settings
    shown = page_size(first, settings)
    filters = audit_models.AuditFilter(
        actor_id=_id(actor_id, "filter.actorId"),
        target_id=_id(target_id, "filter.targetId"),
        action=audit_models.AuditAction[action] if action is not None else None,
        since=clean_datetime(since, field="filter.since"),
        until=clean_datetime(until, field="filter.until"),
    )
    keyset = _keyset(decode_cursor(settings, CURSOR_KIND, after)) if after is not None else None
    rows = await audit_models.list_page(filters=filters, after=keyset, limit=shown + 1)
    events = rows[:shown]
    # Signing costs an HMAC per row: only when the operation selects a cursor at all.
    sign = not CURSOR_NAMES.isdisjoint(selected_names(info))
    return AuditPage(
        events=events,
        cursors=[_cursor(settings, event) if sign else "" for event in events],
        has_next_page=len(rows) > shown,
        has_previous_page=keyset is not None,
    )


def _id(value: str | None, field: str) -> uuid.UUID | None:
    if value is None:
        return None
    # Targets are tasks, users and sessions: the id says nothing of which.
    return parse_id(value, field=field, what="user" if field == "filter.actorId" else "target")


def _cursor(settings: Settings, event: audit_models.AuditEvent) -> str:
    return encode_cursor(settings, CURSOR_KIND, [event.created_at.isoformat(), str(event.id)])


def _keyset(values: list[Any]) -> tuple[datetime, uuid.UUID]:
    try:
        created_at, event_id = values
        return datetime.fromisoformat(created_at), uuid.UUID(event_id)
    except (TypeError, ValueError):
        raise invalid_cursor() from None
