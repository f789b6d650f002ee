"""Task types, inputs and enums.

Fields are plain attributes, never resolvers: list queries build many of these per request
and each resolver costs CPU per field. Even `owner` is attached by the resolvers, batched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.cost import Cost
from schema.pagination import OrderDirection, PageInfo
from taskql.string_inputs import text_rule

if TYPE_CHECKING:
    from schema.users import User


@strawberry.enum(description="Where a task stands.")
class TaskStatus(Enum):
    TODO = "TODO"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


@strawberry.enum(description="How urgent a task is, from LOW to CRITICAL.")
class TaskPriority(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


@strawberry.enum(description="What a task list is sorted by; the task id breaks ties.")
class TaskOrderField(Enum):
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    DUE_AT = "DUE_AT"
    PRIORITY = "PRIORITY"


@strawberry.type(description="A unit of work owned by one user.")
class Task:
    id: strawberry.ID
    title: str
    description: str | None
    status: TaskStatus
    priority: TaskPriority
    due_at: datetime | None = strawberry.field(description="When it is due (UTC).")
    completed_at: datetime | None = strawberry.field(
        description="When it last became DONE; null unless the status is DONE."
    )
    version: int = strawberry.field(
        description="Bumped by every change; pass it as expectedVersion to updateTask, "
        "setTaskStatus or deleteTask."
    )
    client_mutation_id: str | None = strawberry.field(
        description="The idempotency key createTask was called with, if any."
    )
    created_at: datetime
    updated_at: datetime
    owner_id: strawberry.Private[str]
    # Attached by the resolvers (batched) when selected: a plain field costs no resolver call.
    owner: Annotated[User, strawberry.lazy("schema.users")] = strawberry.field(
        description="The user the task belongs to."
    )


@strawberry.type
class TaskEdge:
    cursor: str
    node: Task


@strawberry.type(description="A page of tasks (Relay cursor connection).")
class TaskConnection:
    edges: list[TaskEdge]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(
        description="Tasks matching the filter over all pages; costs one COUNT when selected.",
        # A COUNT over every matching row, not just one page.
        directives=[Cost(weight=10)],
    )
    async def total_count(self) -> int:
        return await self.count()


@strawberry.type(description="How many of a user's tasks are in each status.")
class TaskCounts:
    todo: int
    in_progress: int
    done: int
    cancelled: int
    total: int


@strawberry.input(description="Conditions a task must all meet to be listed.")
class TaskFilter:
    status: list[TaskStatus] | None = strawberry.field(
        default=None, description="Any of these statuses."
    )
    priority: list[TaskPriority] | None = strawberry.field(
        default=None, description="Any of these priorities."
    )
    due_before: datetime | None = strawberry.field(
        default=None, description="Due strictly before this instant (timezone required)."
    )
    due_after: datetime | None = strawberry.field(
        default=None, description="Due strictly after this instant (timezone required)."
    )
    overdue: bool | None = strawberry.field(
        default=None,
        description="true: due in the past and not DONE/CANCELLED; false: everything else.",
    )
    title_contains: str | None = strawberry.field(
        default=None, description="Text the title contains, ignoring case."
    )
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this user's tasks (admins; others see only their own)."
    )


@strawberry.input(description="Sort order of a task list.")
class TaskOrder:
    field: TaskOrderField = TaskOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input
class CreateTaskInput:
    title: str = strawberry.field(description="1 to 200 characters after trimming.")
    description: str | None = strawberry.field(
        default=None,
        description="Up to 2,000 characters; may span lines.",
        metadata=text_rule(multiline=True),
    )
    status: TaskStatus = TaskStatus.TODO
    priority: TaskPriority = TaskPriority.MEDIUM
    due_at: datetime | None = strawberry.field(
        default=None, description="Must carry a timezone offset."
    )
    client_mutation_id: str | None = strawberry.field(
        default=None,
        description="Idempotency key (up to 100 characters): a retry with the same key and "
        "the same input returns the task the first call created instead of creating another; "
        "the same key with different input is CONFLICT.",
    )


@strawberry.input(description="Only the fields given change; null clears an optional field.")
class UpdateTaskInput:
    # Maybe[X | None] also for the required columns: an explicit null reaches the resolver,
    # which answers VALIDATION_ERROR naming the field (strawberry's own error names none).
    title: strawberry.Maybe[str | None]
    description: strawberry.Maybe[str | None] = strawberry.field(metadata=text_rule(multiline=True))
    status: strawberry.Maybe[TaskStatus | None]
    priority: strawberry.Maybe[TaskPriority | None]
    due_at: strawberry.Maybe[datetime | None]
