"""The admin's users list: keyset pages over (sort, id) both ways, and their cursors."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from models import users as user_models
from resolvers.pagination import (
    PageArgs,
    Row,
    RowPage,
    decode_cursor,
    encode_cursor,
    invalid_cursor,
    page_of,
)
from taskql.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

# The list's order when orderBy is omitted; schema.users.input.UserOrder's defaults say the same.
DEFAULT_SORT = user_models.UserSort.CREATED_AT
DEFAULT_DESCENDING = True


def page_request(
    settings: Settings,
    args: PageArgs,
    *,
    sort: str | None,
    descending: bool | None,
    filters: user_models.UserFilterSpec = user_models.NO_USER_FILTER,
) -> user_models.UserPage:
    """The page to read for the checked arguments; `sort` the UserOrderField's value."""
    user_sort = DEFAULT_SORT if sort is None else user_models.UserSort[sort]
    down = DEFAULT_DESCENDING if descending is None else descending
    kind = cursor_kind(user_sort, down)
    return user_models.UserPage(
        sort=user_sort,
        descending=down,
        after=_keyset(settings, kind, user_sort, args.after, "after"),
        before=_keyset(settings, kind, user_sort, args.before, "before"),
        backward=args.backward,
        limit=args.shown + 1,
        filters=filters,
    )


def user_page(
    settings: Settings,
    wanted: frozenset[str],
    rows: list[Row],
    *,
    page: user_models.UserPage,
    shown: int,
    beyond_cursor: bool,
    count: Callable[[], Awaitable[int]],
) -> RowPage:
    """The RowPage of a users page read with one look-ahead row more than `shown`."""
    cursor = partial(_cursor, settings, cursor_kind(page.sort, page.descending), page.sort)
    return page_of(
        rows,
        shown,
        wanted,
        cursor=cursor,
        backward=page.backward,
        beyond_cursor=beyond_cursor,
        count=count,
    )


def cursor_kind(sort: user_models.UserSort, descending: bool) -> str:
    # "users:created_at:desc" was the only kind before orderBy: those cursors stay valid.
    return f"users:{sort.value}:{'desc' if descending else 'asc'}"


def _keyset(
    settings: Settings, kind: str, sort: user_models.UserSort, cursor: str | None, field: str
) -> tuple[Any, uuid.UUID] | None:
    if cursor is None:
        return None
    values = decode_cursor(settings, kind, cursor, field=field)
    try:
        value, user_id = values
        if sort is user_models.UserSort.CREATED_AT:
            return datetime.fromisoformat(value), uuid.UUID(user_id)
        if not isinstance(value, str):
            raise TypeError(value)  # noqa: TRY301 - one answer for every malformed cursor
        return value, uuid.UUID(user_id)
    except (TypeError, ValueError):
        raise invalid_cursor(field) from None


def _cursor(settings: Settings, kind: str, sort: user_models.UserSort, row: dict[str, Any]) -> str:
    value = row[sort.value]
    if isinstance(value, datetime):
        value = value.isoformat()
    return encode_cursor(settings, kind, [value, str(row["id"])])
