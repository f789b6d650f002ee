"""Subscription.taskEvents: the events of the tasks a viewer may read, as this instance
receives them, and each event's task and actor (read once per batch: event_reads)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from resolvers.ids import parse_id
from resolvers.loaders import UserRow
from resolvers.ownership import task_owner_scope
from resolvers.selection import selected_names
from resolvers.tasks.event_reads import batch_rows, batch_users
from resolvers.tasks.input import parse_task_id
from resolvers.tasks.queries import OwnedTask
from taskql.errors import ServiceUnavailable, ValidationFailed
from taskql.events.transport import TaskEvent, TaskEventKind
from taskql.limits import TASK_EVENT_FILTER_IDS_MAX

if TYPE_CHECKING:
    from models.task_values import TaskRow
    from resolvers.context import Info
    from taskql.events.hub import Delivery


@dataclass(frozen=True, slots=True)
class EventFilter:
    """TaskEventFilter, cleaned: None means "any"."""

    owner_id: str | None = None
    statuses: frozenset[str] | None = None  # stored status values
    priorities: frozenset[int] | None = None  # stored priority values
    task_ids: frozenset[str] | None = None


def event_filter(
    *,
    owner_id: str | None,
    statuses: Sequence[str] | None,
    priorities: Sequence[int] | None,
    task_ids: Sequence[str] | None,
) -> EventFilter:
    ids = None
    if task_ids is not None:
        if len(task_ids) > TASK_EVENT_FILTER_IDS_MAX:
            raise ValidationFailed(
                f"At most {TASK_EVENT_FILTER_IDS_MAX} task ids.", field="filter.taskIds"
            )
        ids = frozenset(str(parse_task_id(i, field="filter.taskIds")) for i in task_ids)
    owner = None
    if owner_id is not None:
        owner = str(parse_id(owner_id, field="filter.ownerId", what="user"))
    return EventFilter(
        owner_id=owner,
        statuses=None if statuses is None else frozenset(statuses),
        priorities=None if priorities is None else frozenset(priorities),
        task_ids=ids,
    )


async def task_events(info: Info, wanted: EventFilter) -> AsyncIterator[Delivery]:
    """The matching events until the client completes; EVENTS_LOST if it falls behind.

    A user hears of their own tasks only (an ownerId of someone else matches nothing, as
    in Query.tasks); an admin of every owner's, or of `ownerId`'s. Status and priority are
    those of the task after the change; a DELETED event passes them (its task is gone).
    """
    context = info.context
    scope = task_owner_scope(context.viewer)
    hub = context.events
    if hub is None:
        raise ServiceUnavailable("Task events are not served here.")
    own = None if scope is None else str(scope)
    foreign = own is not None and wanted.owner_id not in (None, own)

    def matches(event: TaskEvent) -> bool:
        return not foreign and (wanted.task_ids is None or event.task_id in wanted.task_ids)

    with hub.listen(owner_id=own or wanted.owner_id, matches=matches) as listener:
        async for delivery in listener:
            if await _passes(delivery, wanted):
                yield delivery


async def _passes(delivery: Delivery, wanted: EventFilter) -> bool:
    if wanted.statuses is None and wanted.priorities is None:
        return True
    if delivery.event.kind is TaskEventKind.DELETED:
        return True
    row = (await batch_rows(delivery.batch)).get(delivery.event.task_id)
    if row is None:
        return False
    return (wanted.statuses is None or row["status"] in wanted.statuses) and (
        wanted.priorities is None or row["priority"] in wanted.priorities
    )


async def event_task(info: Info, delivery: Delivery) -> OwnedTask | None:
    """The event's task as the viewer may see it now (None: deleted, or not theirs)."""
    event = delivery.event
    if event.kind is TaskEventKind.DELETED:
        return None
    row: TaskRow | None = (await batch_rows(delivery.batch)).get(event.task_id)
    scope = task_owner_scope(info.context.viewer)
    if row is None or (scope is not None and row["owner_id"] != str(scope)):
        return None
    owner: UserRow | None = None
    if "owner" in selected_names(info):
        owner = (await batch_users(delivery.batch)).get(row["owner_id"])
    return OwnedTask(row, owner)


async def event_actor(info: Info, delivery: Delivery) -> UserRow | None:
    """Who made the change, if the viewer may see that user (themselves; anyone for an
    admin): another user's identity is not a task owner's to read."""
    actor_id = delivery.event.actor_id
    viewer = info.context.viewer
    if actor_id is None or not (viewer.is_admin or str(viewer.user_id) == actor_id):
        return None
    return (await batch_users(delivery.batch)).get(actor_id)
