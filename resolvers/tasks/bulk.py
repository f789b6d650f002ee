"""Bulk task edits: updateTasks, setTasksStatus, deleteTasks.

The ids: at most graphql.bulk_max_ids, each a valid task id, none given twice (refused, not
merged: a client that repeats an id has a bug worth seeing, and each id then stands for
exactly one changed task and one audit row). The input is checked as updateTask checks it.
The write is all or nothing (models.task_bulk_writes): an id that is absent or another
user's (admins reach every task) fails the whole call with NOT_FOUND naming it, and nothing
changes. With expectedVersions (one per id) the call is also a compare-and-swap of the
whole batch: any task at another version fails it with CONFLICT naming those tasks and their
current versions (NOT_FOUND first when ids are also missing). Results come back in the order
of the ids given.

Task events: once the write has committed, one event per changed task, all in one
publish_task_events call (one batch: subscribers read the rows in one statement); a refused
call raises before it, an updateTasks without fields writes and publishes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import strawberry

from models import task_bulk_writes
from resolvers.ownership import task_owner_scope
from resolvers.selection import selected_names
from resolvers.tasks import events
from resolvers.tasks.input import clean_update, parse_task_id, status_of
from resolvers.tasks.queries import OwnedTask, owner_rows
from taskql.errors import Conflict, NotFound, ValidationFailed
from taskql.global_ids import encode_task

if TYPE_CHECKING:
    from models.task_values import TaskRow
    from resolvers.context import Info
    from schema.tasks.input import UpdateTaskInput
    from schema.tasks.types import TaskStatus

# The ids a NOT_FOUND message names (extensions.ids lists them all).
NAMED_IN_MESSAGE = 3


class BulkIds:
    """The ids as the client sent them (echoed in errors) and parsed (global ids and raw
    uuids alike), and
    the version expected of each, when given."""

    __slots__ = ("expected_versions", "parsed", "sent")

    def __init__(
        self,
        sent: Sequence[str],
        parsed: Sequence[uuid.UUID],
        expected_versions: Sequence[int] | None = None,
    ) -> None:
        self.sent = list(sent)
        self.parsed = list(parsed)
        self.expected_versions = None if expected_versions is None else list(expected_versions)


def clean_bulk(info: Info, ids: Sequence[str], expected_versions: Sequence[int] | None) -> BulkIds:
    """The ids (clean_ids) and, when given, one expected version per id."""
    bulk = clean_ids(ids, max_ids=info.context.settings.graphql.bulk_max_ids)
    if expected_versions is not None:
        if len(expected_versions) != len(ids):
            raise ValidationFailed(
                f"expectedVersions must give one version per id: {len(ids)} ids, "
                f"{len(expected_versions)} versions.",
                field="expectedVersions",
            )
        bulk.expected_versions = list(expected_versions)
    return bulk


def clean_ids(ids: Sequence[str], *, max_ids: int) -> BulkIds:
    """At most `max_ids` ids (checked before any is parsed), each valid, none repeated (the
    global id and the raw uuid of one task are the same task)."""
    if len(ids) > max_ids:
        raise ValidationFailed(
            f"ids takes at most {max_ids} task ids; {len(ids)} were given.",
            field="ids",
            maxIds=max_ids,
        )
    parsed: list[uuid.UUID] = []
    first_index: dict[uuid.UUID, int] = {}
    for index, sent in enumerate(ids):
        try:
            task_id = parse_task_id(sent, field="ids")
        except ValidationFailed as refused:
            raise ValidationFailed(
                f"ids[{index}]: {refused.message}", field="ids", index=index
            ) from None
        if task_id in first_index:
            raise ValidationFailed(
                f"ids[{index}] repeats ids[{first_index[task_id]}]; give each task once.",
                field="ids",
                index=index,
            )
        first_index[task_id] = index
        parsed.append(task_id)
    return BulkIds(ids, parsed)


async def update_tasks(
    info: Info,
    ids: Sequence[strawberry.ID],
    data: UpdateTaskInput,
    expected_versions: Sequence[int] | None,
) -> list[OwnedTask]:
    bulk = clean_bulk(info, ids, expected_versions)
    return await _update(info, bulk, clean_update(data))


async def set_tasks_status(
    info: Info,
    ids: Sequence[strawberry.ID],
    status: TaskStatus,
    expected_versions: Sequence[int] | None,
) -> list[OwnedTask]:
    bulk = clean_bulk(info, ids, expected_versions)
    return await _update(info, bulk, {"status": status_of(status)})


async def delete_tasks(
    info: Info, ids: Sequence[strawberry.ID], expected_versions: Sequence[int] | None
) -> list[strawberry.ID]:
    bulk = clean_bulk(info, ids, expected_versions)
    if not bulk.parsed:
        return []
    context = info.context
    try:
        rows = await task_bulk_writes.delete_tasks(
            owner_scope=task_owner_scope(context.viewer),
            task_ids=bulk.parsed,
            expected_versions=bulk.expected_versions,
        )
    except task_bulk_writes.TasksNotFoundError as refused:
        raise _not_found(bulk, refused) from None
    except task_bulk_writes.TaskVersionsConflictError as refused:
        raise _conflict(bulk, refused) from None
    await events.publish_task_events(context, [events.deleted(context, row) for row in rows])
    # The global ids, whichever form came in (as deleteTask answers).
    return [strawberry.ID(encode_task(str(task_id))) for task_id in bulk.parsed]


async def _update(info: Info, bulk: BulkIds, changes: dict[str, Any]) -> list[OwnedTask]:
    if not bulk.parsed:
        return []
    try:
        rows = await task_bulk_writes.update_tasks(
            owner_scope=task_owner_scope(info.context.viewer),
            task_ids=bulk.parsed,
            changes=changes,
            expected_versions=bulk.expected_versions,
        )
    except task_bulk_writes.TasksNotFoundError as refused:
        raise _not_found(bulk, refused) from None
    except task_bulk_writes.TaskVersionsConflictError as refused:
        raise _conflict(bulk, refused) from None
    if changes:  # without changes nothing was written
        context = info.context
        await events.publish_task_events(
            context, [events.changed(context, row, changes) for row in rows]
        )
    return await _changed(info, rows)


async def _changed(info: Info, rows: list[TaskRow]) -> list[OwnedTask]:
    """The rows with their owners' rows when selected (one batched read for all of them)."""
    owners = await owner_rows(info.context.loaders, selected_names(info), rows)
    return [OwnedTask(row, None if owners is None else owners[row["owner_id"]]) for row in rows]


def _not_found(bulk: BulkIds, refused: task_bulk_writes.TasksNotFoundError) -> NotFound:
    """NOT_FOUND naming the ids (as sent) that matched no task of the viewer's."""
    sent_of = dict(zip(bulk.parsed, bulk.sent, strict=True))
    missing = [sent_of[task_id] for task_id in refused.missing]
    named = ", ".join(missing[:NAMED_IN_MESSAGE])
    more = len(missing) - NAMED_IN_MESSAGE
    return NotFound(
        f"Task not found: {named}{f' and {more} more' if more > 0 else ''}; nothing was changed.",
        ids=missing,
    )


def _conflict(bulk: BulkIds, refused: task_bulk_writes.TaskVersionsConflictError) -> Conflict:
    """CONFLICT naming the tasks (ids as sent) not at their expected version, and theirs."""
    sent_of = dict(zip(bulk.parsed, bulk.sent, strict=True))
    return Conflict(
        f"{len(refused.current)} of the tasks were changed by someone else; reload them and "
        "try again. Nothing was changed.",
        ids=[sent_of[task_id] for task_id in refused.current],
        currentVersions=list(refused.current.values()),
    )
