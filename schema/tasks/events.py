"""Subscription.taskEvents and its TaskEvent: live changes of the tasks a viewer may read."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers.context import Info
from resolvers.tasks import subscriptions as event_resolvers
from resolvers.tasks.input import priority_of, status_of
from schema.permissions import IsAuthenticated, requires
from schema.tasks.queries import task_of
from schema.tasks.types import Task, TaskPriority, TaskStatus
from taskql.events.hub import Delivery
from taskql.events.transport import TaskEventKind as StoredKind
from taskql.global_ids import encode_task
from taskql.limits import TASK_EVENT_FILTER_IDS_MAX

if TYPE_CHECKING:
    from schema.users.types import User

# ruff: noqa: A002 - `filter` is the GraphQL argument name


@strawberry.enum(description="What happened to a task.")
class TaskEventKind(Enum):
    CREATED = "CREATED"
    UPDATED = strawberry.enum_value("UPDATED", description="Fields changed (status perhaps too).")
    STATUS_CHANGED = strawberry.enum_value(
        "STATUS_CHANGED", description="The status alone changed (setTaskStatus)."
    )
    DELETED = "DELETED"


@strawberry.input(description="Which task events to receive; every condition given must hold.")
class TaskEventFilter:
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this user's tasks (admins; others hear only their own)."
    )
    status: list[TaskStatus] | None = strawberry.field(
        default=None,
        description="The task's status after the change is one of these (DELETED events pass).",
    )
    priority: list[TaskPriority] | None = strawberry.field(
        default=None,
        description="The task's priority after the change is one of these (DELETED events pass).",
    )
    task_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description=f"Only these tasks (at most {TASK_EVENT_FILTER_IDS_MAX})."
    )


@strawberry.type(description="A change to a task, sent after its write committed.")
class TaskEvent:
    kind: TaskEventKind
    task_id: strawberry.ID
    version: int = strawberry.field(description="The task's version the change produced.")
    occurred_at: datetime
    delivery: strawberry.Private[Delivery]

    @strawberry.field(
        description="The task as it is when the event is delivered (it may have changed "
        "again since); null once deleted."
    )
    async def task(self, info: Info) -> Task | None:
        owned = await event_resolvers.event_task(info, self.delivery)
        return None if owned is None else task_of(owned, info.context.viewer)

    @strawberry.field(
        description="Who made the change: yourself, or anyone for an admin; null otherwise."
    )
    async def actor(
        self, info: Info
    ) -> Annotated[User, strawberry.lazy("schema.users.types")] | None:
        from schema.users.types import User  # noqa: PLC0415 - the lazy type's module

        row = await event_resolvers.event_actor(info, self.delivery)
        return None if row is None else User.from_values(row, info.context.viewer)

    @classmethod
    def of(cls, delivery: Delivery) -> TaskEvent:
        event = delivery.event
        return cls(
            kind=_KINDS[event.kind],
            task_id=strawberry.ID(encode_task(event.task_id)),  # the global id, as Task.id
            version=event.version,
            occurred_at=event.occurred_at,
            delivery=delivery,
        )


@strawberry.type
class TaskSubscription:
    @strawberry.subscription(
        description="Changes to your tasks (every user's for an admin) from now on, at most "
        "once each while connected: re-query after reconnecting.",
        extensions=requires(IsAuthenticated()),
    )
    async def task_events(
        self, info: Info, filter: TaskEventFilter | None = None
    ) -> AsyncGenerator[TaskEvent, None]:
        wanted = event_resolvers.event_filter(
            owner_id=None if filter is None else filter.owner_id,
            statuses=None
            if filter is None or filter.status is None
            else [status_of(s).value for s in filter.status],
            priorities=None
            if filter is None or filter.priority is None
            else [int(priority_of(p)) for p in filter.priority],
            task_ids=None if filter is None else filter.task_ids,
        )
        async for delivery in event_resolvers.task_events(info, wanted):
            yield TaskEvent.of(delivery)


_KINDS = {kind: TaskEventKind(kind.value) for kind in StoredKind}
