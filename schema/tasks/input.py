"""Task inputs: the list's filter and order, and the create and update inputs."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.pagination import OrderDirection
from schema.tasks.types import TaskOrderField, TaskPriority, TaskStatus
from taskql.limits import (
    TASK_CLIENT_MUTATION_ID_MAX,
    TASK_DESCRIPTION_MAX,
    TASK_SEARCH_MAX,
    TASK_TITLE_MAX,
)
from taskql.string_inputs import text_rule


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
    search: str | None = strawberry.field(
        default=None,
        description=f"Words the title or description holds, each as the start of a word, "
        f"ignoring case (up to {TASK_SEARCH_MAX} characters; punctuation only separates "
        "words; a text without any word matches nothing). Served by a full-text index; order "
        "by RELEVANCE to rank the matches.",
    )


@strawberry.input(
    description="One key of a task list's order; orderBy takes a list of them, most "
    "significant first (a single object is a list of one)."
)
class TaskOrder:
    field: TaskOrderField = TaskOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input
class CreateTaskInput:
    title: str = strawberry.field(description=f"1 to {TASK_TITLE_MAX} characters after trimming.")
    description: str | None = strawberry.field(
        default=None,
        description=f"Up to {TASK_DESCRIPTION_MAX:,} characters; may span lines.",
        metadata=text_rule(multiline=True),
    )
    status: TaskStatus = TaskStatus.TODO
    priority: TaskPriority = TaskPriority.MEDIUM
    due_at: datetime | None = strawberry.field(
        default=None, description="Must carry a timezone offset."
    )
    client_mutation_id: str | None = strawberry.field(
        default=None,
        description=f"Idempotency key (up to {TASK_CLIENT_MUTATION_ID_MAX} characters): a retry "
        "with the same key and the same input returns the task the first call created instead "
        "of creating another; "
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
