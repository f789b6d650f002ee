"""The admin's audit log: keyset pages over (created_at, id), newest first, both ways.

Returns model rows and cursors; schema/audit.py builds the GraphQL connection from them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from models import audit as audit_models
from resolvers.context import Info
from resolvers.datetimes import clean_datetime
from resolvers.ids import parse_id
from resolvers.pagination import decode_cursor, encode_cursor, invalid_cursor, page_args
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
    last: int | None = None,
    before: str | None = None,
) -> AuditPage:
    """`action` is the name of an audit action (the GraphQL enum's); since/until as given.
    Pages go both ways (resolvers.pagination.page_args)."""
    settings = info.context.settings
    args = page_args(settings, first=first, after=after, last=last, before=before)
    shown = args.shown
    filters = audit_models.AuditFilter(
        actor_id=_id(actor_id, "filter.actorId"),
        target_id=_id(target_id, "filter.targetId"),
        action=audit_models.AuditAction[action] if action is not None else None,
        since=clean_datetime(since, field="filter.since"),
        until=clean_datetime(until, field="filter.until"),
    )
    after_keyset = _keyset(settings, args.after, "after")
    before_keyset = _keyset(settings, args.before, "before")
    rows = await audit_models.list_page(
        filters=filters,
        after=after_keyset,
        before=before_keyset,
        backward=args.backward,
        limit=shown + 1,
    )
    events = rows[:shown]
    more = len(rows) > shown
    # Whether events precede `after` (forward) or follow `before` (backward): one EXISTS.
    start = before_keyset if args.backward else after_keyset
    beyond = start is not None and await audit_models.exists_beyond(
        filters=filters, keyset=start, older=args.backward
    )
    if args.backward:
        events.reverse()
    # Signing costs an HMAC per row: only when the operation selects a cursor at all.
    sign = not CURSOR_NAMES.isdisjoint(selected_names(info))
    return AuditPage(
        events=events,
        cursors=[_cursor(settings, event) if sign else "" for event in events],
        has_next_page=beyond if args.backward else more,
        has_previous_page=more if args.backward else beyond,
    )


def _id(value: str | None, field: str) -> uuid.UUID | None:
    if value is None:
        return None
    # Targets are tasks, users and sessions: the id says nothing of which.
    return parse_id(value, field=field, what="user" if field == "filter.actorId" else "target")


def _cursor(settings: Settings, event: audit_models.AuditEvent) -> str:
    return encode_cursor(settings, CURSOR_KIND, [event.created_at.isoformat(), str(event.id)])


def _keyset(
    settings: Settings, cursor: str | None, field: str
) -> tuple[datetime, uuid.UUID] | None:
    if cursor is None:
        return None
    try:
        created_at, event_id = decode_cursor(settings, CURSOR_KIND, cursor, field=field)
        return datetime.fromisoformat(created_at), uuid.UUID(event_id)
    except (TypeError, ValueError):
        raise invalid_cursor(field) from None
