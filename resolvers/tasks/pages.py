"""Task pages: the page to read for a list's arguments, and its signed cursors."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from models import tasks as task_models
from resolvers.pagination import (
    CURSOR_FIELDS,
    Row,
    RowPage,
    decode_cursor,
    encode_cursor,
    invalid_cursor,
    page_args,
    page_of,
)
from resolvers.tasks.input import clean_filter
from taskql.errors import ValidationFailed
from taskql.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping, Sequence

    from schema.tasks.input import TaskFilter, TaskOrder

# The order of a list whose orderBy is omitted; schema.tasks.input.TaskOrder's defaults
# state the same (a test ties them).
DEFAULT_SORT = task_models.TaskSort.CREATED_AT
DEFAULT_DESCENDING = True

# Task fields (GraphQL name -> column) a list reads only when the operation selects them.
OPTIONAL_COLUMNS: dict[str, str] = {
    "title": "title",
    "description": "description",
    "status": "status",
    "priority": "priority",
    "dueAt": "due_at",
    "completedAt": "completed_at",
    "version": "version",
    "clientMutationId": "client_mutation_id",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
}


@dataclass(slots=True)
class PagesByOwner:
    """One User.tasks selection answered for a whole list of users."""

    pages: dict[str, RowPage]  # owner id -> that owner's page
    # The tasks' owners (id -> row) when the selection reads Task.owner, shared by the pages.
    owners: Mapping[str, Row | None] | None


def page_request(
    settings: Settings,
    wanted: frozenset[str],
    *,
    filter_: TaskFilter | None,
    order_by: Sequence[TaskOrder] | None,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
) -> tuple[task_models.TaskPage, int]:
    """The page to read (one look-ahead row more than shown) and how many rows to show.

    `wanted` (the field names selected below the connection) decides the columns read.
    """
    args = page_args(settings, first=first, after=after, last=last, before=before)
    filters = clean_filter(filter_)
    order = _order(order_by, filters)
    kind = _cursor_kind(order, filters)
    return (
        task_models.TaskPage(
            filters=filters,
            order=order,
            after=_keyset(settings, kind, order, args.after, "after"),
            before=_keyset(settings, kind, order, args.before, "before"),
            backward=args.backward,
            limit=args.shown + 1,
            columns=frozenset(
                OPTIONAL_COLUMNS[name] for name in wanted if name in OPTIONAL_COLUMNS
            ),
        ),
        args.shown,
    )


def task_page(
    settings: Settings,
    wanted: frozenset[str],
    rows: task_models.TaskRows,
    *,
    page: task_models.TaskPage,
    shown: int,
    count: Callable[[], Awaitable[int]],
    owners: Mapping[str, Row | None] | None,
    cursor: Callable[[Row], str] | None = None,
) -> RowPage:
    """The RowPage of a task page read with `page` (`rows` with the look-ahead row);
    `cursor`: page_cursor's, when one is made for many pages of the same `page`."""
    return page_of(
        rows.rows,
        shown,
        wanted,
        cursor=cursor or page_cursor(settings, page, wanted),
        backward=page.backward,
        beyond_cursor=rows.beyond_cursor,
        count=count,
        owners=owners,
    )


def page_cursor(
    settings: Settings, page: task_models.TaskPage, wanted: frozenset[str]
) -> Callable[[Row], str]:
    """The cursor of a row of `page`. Its kind costs a join (and a hash when ranked), so
    none is made when `wanted` (the names below the connection) selects no cursor."""
    if wanted.isdisjoint(CURSOR_FIELDS):
        return _unselected_cursor
    kind = _cursor_kind(page.order, page.filters)
    return partial(_cursor, settings, kind, tuple(key.sort.value for key in page.order))


def _unselected_cursor(_: Row) -> str:
    return ""  # page_of's "not made": never asked for when no cursor is selected


def _order(
    order_by: Sequence[TaskOrder] | None, filters: task_models.TaskFilterSpec
) -> tuple[task_models.TaskOrderKey, ...]:
    if not order_by:
        return (task_models.TaskOrderKey(DEFAULT_SORT, DEFAULT_DESCENDING),)
    keys = tuple(
        task_models.TaskOrderKey(
            task_models.TaskSort[order.field.value], order.direction.value == "DESC"
        )
        for order in order_by
    )
    if len({key.sort for key in keys}) != len(keys):
        raise ValidationFailed("orderBy names a field more than once.", field="orderBy")
    relevance = any(key.sort is task_models.TaskSort.RELEVANCE for key in keys)
    if relevance and filters.search is None:
        raise ValidationFailed("Ordering by RELEVANCE needs filter.search.", field="orderBy")
    return keys


def _cursor(
    settings: Settings, kind: str, columns: tuple[str, ...], row: task_models.TaskRow
) -> str:
    values = []
    for column in columns:
        value = row[column]
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    values.append(row["id"])
    return encode_cursor(settings, kind, values)


def _cursor_kind(
    order: tuple[task_models.TaskOrderKey, ...], filters: task_models.TaskFilterSpec
) -> str:
    """What a cursor is bound to: the whole ordering, and for a ranked one the search words
    (a rank means nothing under other words)."""
    keys = ",".join(f"{key.sort.value}:{'desc' if key.descending else 'asc'}" for key in order)
    kind = f"tasks:{keys}"
    if any(key.sort is task_models.TaskSort.RELEVANCE for key in order):
        words = (filters.search or "").encode()
        kind += f":{hashlib.sha256(words).hexdigest()[:16]}"
    return kind


def _keyset(
    settings: Settings,
    kind: str,
    order: tuple[task_models.TaskOrderKey, ...],
    cursor: str | None,
    field: str,
) -> task_models.TaskKeyset | None:
    if cursor is None:
        return None
    values = decode_cursor(settings, kind, cursor, field=field)
    invalid = invalid_cursor(field)
    if len(values) != len(order) + 1 or not isinstance(values[-1], str):
        raise invalid
    return task_models.TaskKeyset(
        values=tuple(
            _key_value(key.sort, value, invalid) for key, value in zip(order, values, strict=False)
        ),
        id=values[-1],
    )


def _key_value(
    sort: task_models.TaskSort, value: Any, invalid: ValidationFailed
) -> datetime | int | float | str | None:
    Sort = task_models.TaskSort  # noqa: N806 - an alias of the enum
    if sort is Sort.PRIORITY:
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid
        return value
    if sort is Sort.RELEVANCE:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise invalid
        return float(value)
    if sort in (Sort.TITLE, Sort.STATUS):
        if not isinstance(value, str):
            raise invalid
        return value
    if value is None and sort in task_models.NULLABLE_SORTS:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise invalid from None
