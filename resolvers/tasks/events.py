"""Task events of committed writes, published in one place.

Every task write calls `publish_task_events` once its transaction has committed, never
before and never for a refused or rolled-back write (those raise before reaching it). A write
that changes several tasks (a bulk edit) passes all its events in one call: they travel as
one batch, and subscribers read their rows in one statement.

The kind: createTask is CREATED, deleteTask DELETED; a change of the status alone
(setTaskStatus, or updateTask of `status` only) is STATUS_CHANGED, like its audit entry
(models.task_audit.update_action); any other change, the status among others included, is
UPDATED. A write that changes nothing (updateTask without fields, a createTask retry answered
from its idempotency key) publishes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from models import task_values
from models.audit import AuditAction
from models.task_audit import update_action
from taskql.events.transport import TaskEvent, TaskEventKind

if TYPE_CHECKING:
    from resolvers.context import Context


async def publish_task_events(context: Context, events: Sequence[TaskEvent]) -> None:
    if context.events is not None and events:
        await context.events.publish(events)


def created(context: Context, row: task_values.TaskRow) -> TaskEvent:
    return _event(context, TaskEventKind.CREATED, row, row["updated_at"])


def changed(context: Context, row: task_values.TaskRow, changes: Mapping[str, Any]) -> TaskEvent:
    status_only = update_action(changes) is AuditAction.TASK_STATUS_CHANGED
    kind = TaskEventKind.STATUS_CHANGED if status_only else TaskEventKind.UPDATED
    return _event(context, kind, row, row["updated_at"])


def deleted(context: Context, row: task_values.TaskRow) -> TaskEvent:
    return _event(context, TaskEventKind.DELETED, row, datetime.now(UTC))


def _event(
    context: Context, kind: TaskEventKind, row: task_values.TaskRow, occurred_at: datetime
) -> TaskEvent:
    actor = context.viewer.user_id
    return TaskEvent(
        kind=kind,
        task_id=str(row["id"]),
        owner_id=str(row["owner_id"]),
        version=int(row["version"]),
        actor_id=None if actor is None else str(actor),
        occurred_at=occurred_at,
    )
