"""Task pages: the page to read for a list's arguments, and its signed cursors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from models import tasks as task_models
from resolvers.pagination import (
    Row,
    RowPage,
    decode_cursor,
    encode_cursor,
    invalid_cursor,
    page_of,
    page_size,
)
from resolvers.tasks.input import clean_filter
from taskql.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

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
    order_by: TaskOrder | None,
    first: int | None,
    after: str | None,
) -> tuple[task_models.TaskPage, int]:
    """The page to read (one look-ahead row more than shown) and how many rows to show.

    `wanted` (the field names selected below the connection) decides the columns read.
    """
    shown = page_size(first, settings)
    if order_by is None:
        sort, descending = DEFAULT_SORT, DEFAULT_DESCENDING
    else:
        sort = task_models.TaskSort[order_by.field.value]
        descending = order_by.direction.value == "DESC"
    keyset = None
    if after is not None:
        keyset = _keyset(decode_cursor(settings, _cursor_kind(sort, descending), after), sort)
    page = task_models.TaskPage(
        filters=clean_filter(filter_),
        sort=sort,
        descending=descending,
        after=keyset,
        limit=shown + 1,
        columns=frozenset(OPTIONAL_COLUMNS[name] for name in wanted if name in OPTIONAL_COLUMNS),
    )
    return page, shown


def task_page(
    settings: Settings,
    wanted: frozenset[str],
    rows: list[task_models.TaskRow],
    *,
    page: task_models.TaskPage,
    shown: int,
    count: Callable[[], Awaitable[int]],
    owners: Mapping[str, Row | None] | None,
) -> RowPage:
    """The RowPage of a task page read with `page` (`rows` with the look-ahead row)."""
    cursor = partial(_cursor, settings, _cursor_kind(page.sort, page.descending), page.sort)
    return page_of(
        rows,
        shown,
        wanted,
        cursor=cursor,
        after_given=page.after is not None,
        count=count,
        owners=owners,
    )


def _cursor(
    settings: Settings, kind: str, sort: task_models.TaskSort, row: task_models.TaskRow
) -> str:
    value = row[sort.value]
    if isinstance(value, datetime):
        value = value.isoformat()
    return encode_cursor(settings, kind, [value, row["id"]])


def _cursor_kind(sort: task_models.TaskSort, descending: bool) -> str:
    return f"tasks:{sort.value}:{'desc' if descending else 'asc'}"


def _keyset(values: list[Any], sort: task_models.TaskSort) -> task_models.TaskKeyset:
    invalid = invalid_cursor()
    if len(values) != 2 or not isinstance(values[1], str):  # noqa: PLR2004 - [value, id]
        raise invalid
    value, task_id = values
    if sort is task_models.TaskSort.PRIORITY:
        if not isinstance(value, int):
            raise invalid
        return task_models.TaskKeyset(value=value, id=task_id)
    if value is None and sort is task_models.TaskSort.DUE_AT:
        return task_models.TaskKeyset(value=None, id=task_id)
    try:
        return task_models.TaskKeyset(value=datetime.fromisoformat(value), id=task_id)
    except (TypeError, ValueError):
        raise invalid from None
