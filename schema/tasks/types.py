"""Task types and enums, and how a Task is built from a row.

Fields are plain attributes, never resolvers: list queries build many of these per request
and each resolver costs CPU per field. Even `owner` is attached when the Task is built, from
owner rows the resolvers load in one batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from models import task_values
from schema.nodes.interface import Node
from taskql.global_ids import encode_task

if TYPE_CHECKING:
    from schema.users.types import User


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
    DUE_AT = strawberry.enum_value("DUE_AT", description="Tasks without a due date come last.")
    PRIORITY = "PRIORITY"
    TITLE = "TITLE"
    STATUS = strawberry.enum_value(
        "STATUS", description="By the status name: CANCELLED, DONE, IN_PROGRESS, TODO."
    )
    RELEVANCE = strawberry.enum_value(
        "RELEVANCE",
        description="How well a task matches filter.search (DESC: best first); only with a "
        "search, VALIDATION_ERROR otherwise.",
    )


@strawberry.type(description="A unit of work owned by one user.")
class Task(Node):
    id: strawberry.ID = strawberry.field(
        description="Global id (Relay): opaque; pass it to node(id:) or any task id argument."
    )
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
    owner: Annotated[User, strawberry.lazy("schema.users.types")] = strawberry.field(
        description="The user the task belongs to."
    )

    @classmethod
    def from_row(cls, row: task_values.TaskRow, owner: User | None) -> Task:
        """The Task of a row. List rows hold only the selected columns (the rest is None
        here and never read), so the object is filled from the row directly rather than
        through the dataclass constructor: a list builds hundreds of these per request."""
        task: Task = object.__new__(cls)
        values = task.__dict__
        values.update(_UNREAD_COLUMNS)
        values.update(row)  # the row's keys are Task attribute names (task_values.TaskRow)
        values["id"] = encode_task(row["id"])
        status = row.get("status")
        if status is not None:
            values["status"] = _STATUS_OUT[status]
        priority = row.get("priority")
        if priority is not None:
            values["priority"] = _PRIORITY_OUT[priority]
        # None only when the operation does not select the owner, so it is never read.
        values["owner"] = owner
        return task


@strawberry.type(description="How many of a user's tasks are in each status.")
class TaskCounts:
    todo: int
    in_progress: int
    done: int
    cancelled: int
    total: int

    @classmethod
    def from_statuses(cls, counts: Mapping[str, int]) -> TaskCounts:
        """From status value -> count (statuses without tasks absent)."""
        by_status = {status: counts.get(status.value, 0) for status in task_values.Status}
        return cls(
            todo=by_status[task_values.Status.TODO],
            in_progress=by_status[task_values.Status.IN_PROGRESS],
            done=by_status[task_values.Status.DONE],
            cancelled=by_status[task_values.Status.CANCELLED],
            total=sum(by_status.values()),
        )


# Stored value -> GraphQL enum member, one dict lookup per row (hot path). The GraphQL enums
# list the same members as the models' (a test says so): status by value, priority by name.
_STATUS_OUT = {status.value: TaskStatus(status.value) for status in task_values.Status}
_PRIORITY_OUT = {priority.value: TaskPriority[priority.name] for priority in task_values.Priority}
_UNREAD_COLUMNS: dict[str, Any] = dict.fromkeys((*task_values.LIST_COLUMNS, "description"))
