"""Reading tasks: one task, the task list, a user's tasks (batched across a list of users),
their counts. Each read is scoped to the viewer in its SQL; owners come as rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from models import tasks as task_models
from resolvers.loaders import UserRow, load_users, remember_users
from resolvers.lookahead import nested_fields
from resolvers.ownership import task_owner_scope
from resolvers.selection import selected_names
from resolvers.tasks.input import parse_task_id
from resolvers.tasks.pages import PagesByOwner, page_cursor, page_request, task_page
from taskql.errors import NotFound, ValidationFailed

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping, Sequence

    from models.sql import PageQuery, Sql
    from resolvers.context import Context, Info
    from resolvers.loaders import Loaders
    from resolvers.pagination import RowPage
    from schema.tasks.input import TaskFilter, TaskOrder
    from taskql.settings import Settings


class OwnedTask(NamedTuple):
    """A task row, and its owner's row when the operation selects the owner."""

    row: task_models.TaskRow
    owner: UserRow | None


async def task(info: Info, task_id: str) -> OwnedTask:
    row = await task_models.get_task(
        owner_scope=task_owner_scope(info.context.viewer), task_id=parse_task_id(task_id)
    )
    if row is None:
        raise NotFound("Task not found.")
    return await owned_task(info, row)


async def owned_task(info: Info, row: task_models.TaskRow) -> OwnedTask:
    """The row with its owner's row, when the operation below this field selects the owner."""
    owners = await owner_rows(info.context.loaders, selected_names(info), [row])
    return OwnedTask(row, None if owners is None else owners[row["owner_id"]])


async def owner_rows(
    loaders: Loaders, wanted: frozenset[str], rows: Sequence[task_models.TaskRow]
) -> Mapping[str, UserRow | None] | None:
    """The owners of `rows` (id -> row), when `wanted` (the selected names) includes the owner.

    Owners come through the request's users-by-id loader cache (one batched statement), here
    rather than from a resolver on Task.owner: an async resolver per row costs more CPU than
    the whole batch.
    """
    if not rows or "owner" not in wanted:
        return None
    return await load_users(loaders, [row["owner_id"] for row in rows])


async def tasks(
    info: Info,
    *,
    filter_: TaskFilter | None,
    order_by: list[TaskOrder] | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> RowPage:
    arguments = {
        "filter": filter_,
        "order_by": order_by,
        "first": first,
        "after": after,
        "last": last,
        "before": before,
    }
    return await tasks_page(info.context, selected_names(info), arguments)


async def tasks_page(
    context: Context,
    wanted: frozenset[str],
    arguments: Mapping[str, Any],
    *,
    owner_columns: tuple[str, ...] | None = None,
) -> RowPage:
    """Query.tasks for the names `wanted` below it and its `arguments` (by Python name,
    absent ones None): shared by the resolver and the compiled plans (compiler/), so both
    read the same statements in the same scope. `owner_columns`: the owner columns to read
    (a compiled plan knows them), else all a User is made from."""
    scope = task_owner_scope(context.viewer)
    page, shown = _page_request(context.settings, wanted, arguments)
    rows = await task_models.list_tasks(
        owner_scope=scope, page=page, with_owners="owner" in wanted, owner_columns=owner_columns
    )

    async def count() -> int:
        return await task_models.count_tasks(owner_scope=scope, filters=page.filters)

    owners: Mapping[str, UserRow | None] | None = _page_owners(rows.rows[:shown], rows.owners)
    if owners is not None and owner_columns is None:
        remember_users(context.loaders, rows.owners or {})  # whole rows: later loads reuse them
    elif owners is None:
        owners = await owner_rows(context.loaders, wanted, rows.rows[:shown])
    return task_page(
        context.settings, wanted, rows, page=page, shown=shown, count=count, owners=owners
    )


def tasks_page_query(
    context: Context,
    sql: Sql,
    wanted: frozenset[str],
    arguments: Mapping[str, Any],
    *,
    owner_columns: tuple[str, ...] | None = None,
    owner_reference: str | None = None,
) -> tuple[PageQuery, int]:
    """tasks_page's statement as part of a larger one (a compiled plan's, compiler/json_sql),
    in the same scope, and how many of its rows the page shows. `owner_reference`: the page
    of the owner it names (a column of the enclosing statement), as owners_task_pages reads
    each owner's."""
    page, shown = _page_request(context.settings, wanted, arguments)
    query = task_models.page_query(
        sql,
        owner_scope=task_owner_scope(context.viewer),
        page=page,
        owner_columns=owner_columns,
        owner_reference=owner_reference,
    )
    return query, shown


def _page_owners(
    rows: Sequence[task_models.TaskRow], read: Mapping[str, UserRow] | None
) -> dict[str, UserRow | None] | None:
    """The owners of `rows` as owner_rows gives them, from those read with the page."""
    if read is None or not rows:
        return None
    return {row["owner_id"]: read.get(row["owner_id"]) for row in rows}


async def user_tasks(
    info: Info,
    owner_id: str,
    *,
    filter_: TaskFilter | None,
    order_by: list[TaskOrder] | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> RowPage:
    """User.tasks when the parent did not preload it: batched across the users of the response
    by the tasks_by_owner loader."""
    context = info.context
    wanted = selected_names(info)
    page, shown = page_request(
        context.settings,
        wanted,
        filter_=filter_,
        order_by=order_by,
        first=first,
        after=after,
        last=last,
        before=before,
    )
    loaders = context.loaders
    rows = await loaders.tasks_by_owner.load((owner_id, page))
    owners = await owner_rows(loaders, wanted, rows.rows[:shown])
    count = _owner_count(loaders, owner_id, page)
    return task_page(
        context.settings, wanted, rows, page=page, shown=shown, count=count, owners=owners
    )


async def user_task_pages(
    info: Info, owner_ids: Sequence[str], *, path: Sequence[str]
) -> dict[str | int, PagesByOwner]:
    """User.tasks for a whole list of users, read before execution reaches them: response
    key -> each user's page.

    `path` leads from the current field to the users (("edges", "node") under a connection).
    Each way the operation asks for User.tasks there costs one statement for all the users.
    What cannot be read ahead (see resolvers.lookahead) or is invalid is left to User.tasks,
    which loads it, or reports the error at its own path.
    """
    found: dict[str | int, PagesByOwner] = {}
    if not owner_ids:
        return found
    for nested in nested_fields(info, path, "tasks"):
        try:
            found[nested.response_key] = await owners_task_pages(
                info.context, owner_ids, nested.selected, nested.arguments
            )
        except ValidationFailed:
            continue
    return found


async def owners_task_pages(
    context: Context,
    owner_ids: Sequence[str],
    wanted: frozenset[str],
    arguments: Mapping[str, Any],
) -> PagesByOwner:
    """One User.tasks selection (`arguments` by Python name, `wanted` the names below it)
    for all of `owner_ids`: one statement, plus one for the tasks' owners when selected.
    Shared by the look-ahead above and the compiled plans (compiler/). Raises
    ValidationFailed for invalid arguments before any statement."""
    settings, loaders = context.settings, context.loaders
    scope = task_owner_scope(context.viewer)
    page, shown = _page_request(settings, wanted, arguments)
    grouped = await task_models.list_tasks_for_owners(
        owner_scope=scope, owner_ids=owner_ids, page=page
    )
    rows_by_owner = {owner_id: grouped.get(owner_id, _NO_ROWS) for owner_id in owner_ids}
    cursor = page_cursor(settings, page, wanted)  # one for all the pages
    # One owner batch for the rows of every user.
    owners = await owner_rows(
        loaders, wanted, [row for rows in rows_by_owner.values() for row in rows.rows[:shown]]
    )
    pages = {
        owner_id: task_page(
            settings,
            wanted,
            rows,
            page=page,
            shown=shown,
            count=_owner_count(loaders, owner_id, page),
            owners=None,  # in PagesByOwner.owners, once for all the pages
            cursor=cursor,
        )
        for owner_id, rows in rows_by_owner.items()
    }
    return PagesByOwner(pages=pages, owners=owners)


def _page_request(
    settings: Settings, wanted: frozenset[str], arguments: Mapping[str, Any]
) -> tuple[task_models.TaskPage, int]:
    return page_request(
        settings,
        wanted,
        filter_=arguments.get("filter"),
        order_by=arguments.get("order_by"),
        first=arguments.get("first"),
        after=arguments.get("after"),
        last=arguments.get("last"),
        before=arguments.get("before"),
    )


# An owner without a row on the page (read-only: page_of copies before reversing).
_NO_ROWS = task_models.TaskRows(rows=[], beyond_cursor=False)


def _owner_count(
    loaders: Loaders, owner_id: str, page: task_models.TaskPage
) -> Callable[[], Awaitable[int]]:
    async def count() -> int:
        return await loaders.task_count_by_owner.load((owner_id, page.filters))

    return count


async def user_task_counts(info: Info, owner_id: str) -> dict[str, int]:
    """Status value -> how many of the owner's tasks have it (statuses without any absent)."""
    return await info.context.loaders.task_counts_by_owner.load(owner_id)
