"""Task resolvers: check input, call the task data functions with the viewer's scope, map rows
to schema objects. Enum and row mapping is done once per row with dict lookups (hot path)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import strawberry

from models import tasks as task_models
from resolvers.context import Info
from resolvers.datetimes import clean_datetime
from resolvers.ids import parse_id
from resolvers.loaders import load_users
from resolvers.lookahead import nested_fields
from resolvers.ownership import task_owner_scope
from resolvers.pagination import decode_cursor, encode_cursor, invalid_cursor, page_size
from resolvers.selection import selected_names
from schema.pagination import OrderDirection, PageInfo
from schema.tasks import (
    CreateTaskInput,
    Task,
    TaskConnection,
    TaskCounts,
    TaskEdge,
    TaskFilter,
    TaskOrder,
    TaskOrderField,
    TaskPriority,
    TaskStatus,
    UpdateTaskInput,
)
from taskql.errors import Conflict, NotFound, ValidationFailed
from taskql.limits import (
    TASK_CLIENT_MUTATION_ID_MAX,
    TASK_DESCRIPTION_MAX,
    TASK_SEARCH_MAX,
    TASK_TITLE_MAX,
)
from taskql.settings import Settings

if TYPE_CHECKING:
    from resolvers.loaders import Loaders
    from schema.users import User


STATUS_OUT = {status.value: TaskStatus(status.value) for status in task_models.Status}
STATUS_IN = {TaskStatus(status.value): status for status in task_models.Status}
PRIORITY_OUT = {priority.value: TaskPriority[priority.name] for priority in task_models.Priority}
PRIORITY_IN = {TaskPriority[priority.name]: priority for priority in task_models.Priority}
SORT_IN = {
    TaskOrderField.CREATED_AT: task_models.TaskSort.CREATED_AT,
    TaskOrderField.UPDATED_AT: task_models.TaskSort.UPDATED_AT,
    TaskOrderField.DUE_AT: task_models.TaskSort.DUE_AT,
    TaskOrderField.PRIORITY: task_models.TaskSort.PRIORITY,
}
DEFAULT_ORDER = TaskOrder()
_UNREAD_COLUMNS = dict.fromkeys((*task_models.LIST_COLUMNS, "description"))
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


async def tasks_from_rows(info: Info, rows: list[task_models.TaskRow]) -> list[Task]:
    return await task_nodes(info.context.loaders, selected_names(info), rows)


async def task_nodes(
    loaders: Loaders, wanted: frozenset[str], rows: list[task_models.TaskRow]
) -> list[Task]:
    """Schema tasks for rows, with their owners attached when `wanted` (the selected field
    names) includes the owner.

    Owners come through the request's users-by-id loader cache (one batched statement), here
    rather than from a resolver on Task.owner: an async resolver per row costs more CPU than
    the whole batch.
    """
    if not rows or "owner" not in wanted:
        return [task_from_row(row, owner=None) for row in rows]
    owners = await load_users(loaders, [row["owner_id"] for row in rows])
    return [task_from_row(row, owner) for row, owner in zip(rows, owners, strict=True)]


def task_from_row(row: task_models.TaskRow, owner: User | None) -> Task:
    """The schema task of a row. List rows hold only the selected columns (the rest is None
    here and never read), so the object is filled from the row directly rather than through
    the dataclass constructor: a list builds hundreds of these per request."""
    task: Task = object.__new__(Task)
    values = task.__dict__
    values.update(_UNREAD_COLUMNS)
    values.update(row)  # the row's keys are Task attribute names (models.tasks.TaskRow)
    status = row.get("status")
    if status is not None:
        values["status"] = STATUS_OUT[status]
    priority = row.get("priority")
    if priority is not None:
        values["priority"] = PRIORITY_OUT[priority]
    # None only when the operation does not select the owner, so it is never read.
    values["owner"] = owner
    return task


def counts_from_statuses(counts: dict[str, int]) -> TaskCounts:
    by_status = {status: counts.get(status.value, 0) for status in task_models.Status}
    return TaskCounts(
        todo=by_status[task_models.Status.TODO],
        in_progress=by_status[task_models.Status.IN_PROGRESS],
        done=by_status[task_models.Status.DONE],
        cancelled=by_status[task_models.Status.CANCELLED],
        total=sum(by_status.values()),
    )


# --- queries -----------------------------------------------------------------------------


async def task(info: Info, task_id: str) -> Task:
    row = await task_models.get_task(
        owner_scope=task_owner_scope(info.context.viewer), task_id=parse_task_id(task_id)
    )
    if row is None:
        raise NotFound("Task not found.")
    return (await tasks_from_rows(info, [row]))[0]


async def tasks(
    info: Info,
    *,
    filter_: TaskFilter | None,
    order_by: TaskOrder | None,
    first: int | None,
    after: str | None,
) -> TaskConnection:
    scope = task_owner_scope(info.context.viewer)
    page, shown = page_request(
        info.context.settings,
        selected_names(info),
        filter_=filter_,
        order_by=order_by,
        first=first,
        after=after,
    )
    rows = await task_models.list_tasks(owner_scope=scope, page=page)

    async def count() -> int:
        return await task_models.count_tasks(owner_scope=scope, filters=page.filters)

    return await connection(info, rows, page, shown, count)


async def user_tasks(
    info: Info,
    owner_id: str,
    *,
    filter_: TaskFilter | None,
    order_by: TaskOrder | None,
    first: int | None,
    after: str | None,
) -> TaskConnection:
    """User.tasks when the parent did not preload it: batched across the users of the response
    by the tasks_by_owner loader."""
    page, shown = page_request(
        info.context.settings,
        selected_names(info),
        filter_=filter_,
        order_by=order_by,
        first=first,
        after=after,
    )
    loaders = info.context.loaders
    rows = await loaders.tasks_by_owner.load((owner_id, page))
    return await connection(info, rows, page, shown, _owner_count(loaders, owner_id, page))


async def preload_user_tasks(info: Info, users: Sequence[User], *, path: Sequence[str]) -> None:
    """Answer User.tasks for a whole list of users before execution reaches them.

    `path` leads from the current field to the users (("edges", "node") under a connection).
    Each way the operation asks for User.tasks there costs one statement for all the users;
    every user gets its connection by response key, and User.tasks returns it without I/O.
    What cannot be read ahead (see resolvers.lookahead) or is invalid is left to User.tasks,
    which loads it, or reports the error at its own path.
    """
    if not users:
        return
    context = info.context
    scope = task_owner_scope(context.viewer)
    owner_ids = [user.id for user in users]
    for nested in nested_fields(info, path, "tasks"):
        arguments = nested.arguments
        try:
            page, shown = page_request(
                context.settings,
                nested.selected,
                filter_=arguments.get("filter"),
                order_by=arguments.get("order_by"),
                first=arguments.get("first"),
                after=arguments.get("after"),
            )
        except ValidationFailed:
            continue
        grouped = await task_models.list_tasks_for_owners(
            owner_scope=scope, owner_ids=owner_ids, page=page
        )
        pages = [grouped.get(owner_id, []) for owner_id in owner_ids]
        # One owner batch for the rows of every user.
        nodes = iter(
            await task_nodes(
                context.loaders, nested.selected, [row for rows in pages for row in rows[:shown]]
            )
        )
        for user, rows in zip(users, pages, strict=True):
            user.task_pages[nested.response_key] = make_connection(
                context.settings,
                nested.selected,
                rows=rows,
                nodes=[next(nodes) for _ in rows[:shown]],
                page=page,
                shown=shown,
                count=_owner_count(context.loaders, user.id, page),
            )


def _owner_count(
    loaders: Loaders, owner_id: str, page: task_models.TaskPage
) -> Callable[[], Awaitable[int]]:
    async def count() -> int:
        return await loaders.task_count_by_owner.load((owner_id, page.filters))

    return count


async def user_task_counts(info: Info, owner_id: str) -> TaskCounts:
    return counts_from_statuses(await info.context.loaders.task_counts_by_owner.load(owner_id))


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
    order = order_by or DEFAULT_ORDER
    sort = SORT_IN[order.field]
    descending = order.direction is OrderDirection.DESC
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


async def connection(
    info: Info,
    rows: list[task_models.TaskRow],
    page: task_models.TaskPage,
    shown: int,
    count: Callable[[], Awaitable[int]],
) -> TaskConnection:
    nodes = await tasks_from_rows(info, rows[:shown])
    return make_connection(
        info.context.settings,
        selected_names(info),
        rows=rows,
        nodes=nodes,
        page=page,
        shown=shown,
        count=count,
    )


def make_connection(
    settings: Settings,
    wanted: frozenset[str],
    *,
    rows: list[task_models.TaskRow],
    nodes: list[Task],
    page: task_models.TaskPage,
    shown: int,
    count: Callable[[], Awaitable[int]],
) -> TaskConnection:
    """The connection of a page: `rows` as read (one look-ahead row more than `shown`),
    `nodes` the tasks of the rows shown."""
    # Signing a cursor costs an HMAC: only the cursors the operation selects are made.
    kind = _cursor_kind(page.sort, page.descending)
    shown_rows = rows[:shown]
    if "cursor" in wanted:
        cursors = [_cursor(settings, kind, page.sort, row) for row in shown_rows]
    else:
        cursors = [""] * len(shown_rows)  # never sent: no edge cursor is selected
    edges = [TaskEdge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)]
    start_cursor = end_cursor = None
    if shown_rows and "startCursor" in wanted:
        start_cursor = cursors[0] or _cursor(settings, kind, page.sort, shown_rows[0])
    if shown_rows and "endCursor" in wanted:
        end_cursor = cursors[-1] or _cursor(settings, kind, page.sort, shown_rows[-1])
    page_info = PageInfo(
        has_next_page=len(rows) > shown,
        has_previous_page=page.after is not None,
        start_cursor=start_cursor,
        end_cursor=end_cursor,
    )
    return TaskConnection(edges=edges, page_info=page_info, count=count)


def _cursor(
    settings: Settings, kind: str, sort: task_models.TaskSort, row: task_models.TaskRow
) -> str:
    value = row[sort.value]
    if isinstance(value, datetime):
        value = value.isoformat()
    return encode_cursor(settings, kind, [value, row["id"]])


# --- mutations ---------------------------------------------------------------------------


async def create_task(info: Info, data: CreateTaskInput) -> Task:
    owner_id = info.context.viewer.user_id
    if owner_id is None:  # unreachable behind IsAuthenticated; keeps the type checker honest
        raise NotFound("Task not found.")
    client_mutation_id = data.client_mutation_id
    if client_mutation_id is not None and not (
        1 <= len(client_mutation_id) <= TASK_CLIENT_MUTATION_ID_MAX
    ):
        raise ValidationFailed(
            f"clientMutationId must have 1 to {TASK_CLIENT_MUTATION_ID_MAX} characters.",
            field="clientMutationId",
        )
    try:
        row, _created = await task_models.create_task(
            owner_id=owner_id,
            title=clean_title(data.title),
            description=clean_description(data.description),
            status=STATUS_IN[data.status],
            priority=PRIORITY_IN[data.priority],
            due_at=clean_datetime(data.due_at, field="dueAt"),
            client_mutation_id=client_mutation_id,
        )
    except task_models.IdempotencyKeyReusedError:
        # As payment APIs do: a key stands for one request; reusing it for another is refused.
        raise Conflict(
            f'clientMutationId "{client_mutation_id}" was already used to create a task with '
            "different input; use a new key for a new task.",
            field="clientMutationId",
        ) from None
    return (await tasks_from_rows(info, [row]))[0]


async def update_task(
    info: Info, task_id: str, data: UpdateTaskInput, expected_version: int | None
) -> Task:
    changes: dict[str, Any] = {}
    if data.title is not None:
        if data.title.value is None:
            raise ValidationFailed("title cannot be null.", field="title")
        changes["title"] = clean_title(data.title.value)
    if data.description is not None:
        changes["description"] = clean_description(data.description.value)
    if data.status is not None:
        if data.status.value is None:
            raise ValidationFailed("status cannot be null.", field="status")
        changes["status"] = STATUS_IN[data.status.value]
    if data.priority is not None:
        if data.priority.value is None:
            raise ValidationFailed("priority cannot be null.", field="priority")
        changes["priority"] = PRIORITY_IN[data.priority.value]
    if data.due_at is not None:
        changes["due_at"] = clean_datetime(data.due_at.value, field="dueAt")
    return await _update(info, task_id, changes, expected_version)


async def set_task_status(
    info: Info, task_id: str, status: TaskStatus, expected_version: int | None
) -> Task:
    return await _update(info, task_id, {"status": STATUS_IN[status]}, expected_version)


async def delete_task(info: Info, task_id: str, expected_version: int | None) -> strawberry.ID:
    try:
        await task_models.delete_task(
            owner_scope=task_owner_scope(info.context.viewer),
            task_id=parse_task_id(task_id),
            expected_version=expected_version,
        )
    except task_models.TaskNotFoundError:
        raise NotFound("Task not found.") from None
    except task_models.VersionConflictError as conflict:
        raise _conflict(conflict) from None
    return strawberry.ID(task_id)


async def _update(
    info: Info, task_id: str, changes: dict[str, Any], expected_version: int | None
) -> Task:
    try:
        row = await task_models.update_task(
            owner_scope=task_owner_scope(info.context.viewer),
            task_id=parse_task_id(task_id),
            changes=changes,
            expected_version=expected_version,
        )
    except task_models.TaskNotFoundError:
        raise NotFound("Task not found.") from None
    except task_models.VersionConflictError as conflict:
        raise _conflict(conflict) from None
    return (await tasks_from_rows(info, [row]))[0]


def _conflict(conflict: task_models.VersionConflictError) -> Conflict:
    return Conflict(
        "The task was changed by someone else; reload it and try again.",
        currentVersion=conflict.current_version,
    )


# --- input checks --------------------------------------------------------------------------


def parse_task_id(value: str, *, field: str = "id") -> uuid.UUID:
    return parse_id(value, field=field, what="task")


def clean_title(title: str) -> str:
    cleaned = title.strip()
    if not 1 <= len(cleaned) <= TASK_TITLE_MAX:
        raise ValidationFailed(
            f"The title must have 1 to {TASK_TITLE_MAX} characters.", field="title"
        )
    return cleaned


def clean_description(description: str | None) -> str | None:
    if description is not None and len(description) > TASK_DESCRIPTION_MAX:
        raise ValidationFailed(
            f"The description must have at most {TASK_DESCRIPTION_MAX} characters.",
            field="description",
        )
    return description


def clean_filter(filter_: TaskFilter | None) -> task_models.TaskFilterSpec:
    if filter_ is None:
        return task_models.TaskFilterSpec()
    text = filter_.title_contains
    if text is not None and len(text) > TASK_SEARCH_MAX:
        raise ValidationFailed(
            f"titleContains must have at most {TASK_SEARCH_MAX} characters.",
            field="filter.titleContains",
        )
    owner_id = None
    if filter_.owner_id is not None:
        owner_id = parse_id(filter_.owner_id, field="filter.ownerId", what="user")
    return task_models.TaskFilterSpec(
        # Sorted and de-duplicated, so equal filters make equal dataloader keys.
        statuses=tuple(sorted({STATUS_IN[s] for s in filter_.status or ()})),
        priorities=tuple(sorted({PRIORITY_IN[p] for p in filter_.priority or ()})),
        due_before=clean_datetime(filter_.due_before, field="filter.dueBefore"),
        due_after=clean_datetime(filter_.due_after, field="filter.dueAfter"),
        overdue=filter_.overdue,
        title_contains=text or None,
        owner_id=owner_id,
    )


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
