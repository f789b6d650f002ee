"""The admin's users list: keyset pages over (created_at, id), newest first, and their cursors."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from typing import Any

from resolvers.pagination import Row, RowPage, decode_cursor, encode_cursor, invalid_cursor, page_of
from taskql.settings import Settings

CURSOR_KIND = "users:created_at:desc"


def keyset_of(settings: Settings, after: str | None) -> tuple[datetime, uuid.UUID] | None:
    """Where a page starts: after the row of the cursor `after` (None: at the newest user)."""
    if after is None:
        return None
    values = decode_cursor(settings, CURSOR_KIND, after)
    try:
        created_at, user_id = values
        return datetime.fromisoformat(created_at), uuid.UUID(user_id)
    except (TypeError, ValueError):
        raise invalid_cursor() from None


def user_page(
    settings: Settings, wanted: frozenset[str], rows: list[Row], *, shown: int, after_given: bool
) -> RowPage:
    """The RowPage of a users page read with one look-ahead row more than `shown`."""
    return page_of(rows, shown, wanted, cursor=partial(_cursor, settings), after_given=after_given)


def _cursor(settings: Settings, row: dict[str, Any]) -> str:
    return encode_cursor(settings, CURSOR_KIND, [row["created_at"].isoformat(), str(row["id"])])
