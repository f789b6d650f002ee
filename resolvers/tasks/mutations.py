"""Writing tasks: create (idempotent with a client mutation id), update, set status, delete.
Each returns the task's row (with its owner's row when selected) or a plain value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry

from models import task_writes
from resolvers.datetimes import clean_datetime
from resolvers.ownership import task_owner_scope
from resolvers.tasks import events
from resolvers.tasks.input import (
    clean_client_mutation_id,
    clean_description,
    clean_title,
    clean_update,
    parse_task_id,
    priority_of,
    status_of,
)
from resolvers.tasks.queries import OwnedTask, owned_task
from taskql.errors import Conflict, NotFound
from taskql.global_ids import encode_task

if TYPE_CHECKING:
    from resolvers.context import Info
    from schema.tasks.input import CreateTaskInput, UpdateTaskInput
    from schema.tasks.types import TaskStatus


async def create_task(info: Info, data: CreateTaskInput) -> OwnedTask:
    owner_id = info.context.viewer.user_id
    if owner_id is None:  # unreachable behind IsAuthenticated; keeps the type checker honest
        raise NotFound("Task not found.")
    client_mutation_id = clean_client_mutation_id(data.client_mutation_id)
    try:
        row, created = await task_writes.create_task(
            owner_id=owner_id,
            title=clean_title(data.title),
            description=clean_description(data.description),
            status=status_of(data.status),
            priority=priority_of(data.priority),
            due_at=clean_datetime(data.due_at, field="dueAt"),
            client_mutation_id=client_mutation_id,
        )
    except task_writes.IdempotencyKeyReusedError:
        # As payment APIs do: a key stands for one request; reusing it for another is refused.
        raise Conflict(
            f'clientMutationId "{client_mutation_id}" was already used to create a task with '
            "different input; use a new key for a new task.",
            field="clientMutationId",
        ) from None
    if created:  # a retry answered from its key changed nothing
        await events.publish_task_events(info.context, [events.created(info.context, row)])
    return await owned_task(info, row)


async def update_task(
    info: Info, task_id: str, data: UpdateTaskInput, expected_version: int | None
) -> OwnedTask:
    return await _update(info, task_id, clean_update(data), expected_version)


async def set_task_status(
    info: Info, task_id: str, status: TaskStatus, expected_version: int | None
) -> OwnedTask:
    return await _update(info, task_id, {"status": status_of(status)}, expected_version)


async def delete_task(info: Info, task_id: str, expected_version: int | None) -> strawberry.ID:
    row_id = parse_task_id(task_id)
    try:
        row = await task_writes.delete_task(
            owner_scope=task_owner_scope(info.context.viewer),
            task_id=row_id,
            expected_version=expected_version,
        )
    except task_writes.TaskNotFoundError:
        raise NotFound("Task not found.") from None
    except task_writes.VersionConflictError as conflict:
        raise _conflict(conflict) from None
    await events.publish_task_events(info.context, [events.deleted(info.context, row)])
    return strawberry.ID(encode_task(str(row_id)))  # the global id, whichever form came in


async def _update(
    info: Info, task_id: str, changes: dict[str, Any], expected_version: int | None
) -> OwnedTask:
    try:
        row = await task_writes.update_task(
            owner_scope=task_owner_scope(info.context.viewer),
            task_id=parse_task_id(task_id),
            changes=changes,
            expected_version=expected_version,
        )
    except task_writes.TaskNotFoundError:
        raise NotFound("Task not found.") from None
    except task_writes.VersionConflictError as conflict:
        raise _conflict(conflict) from None
    if changes:  # without changes nothing was written
        await events.publish_task_events(info.context, [events.changed(info.context, row, changes)])
    return await owned_task(info, row)


def _conflict(conflict: task_writes.VersionConflictError) -> Conflict:
    return Conflict(
        "The task was changed by someone else; reload it and try again.",
        currentVersion=conflict.current_version,
    )
