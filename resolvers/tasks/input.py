"""Checks of what clients send about tasks, and GraphQL enums to model enums by value.

Each error names the GraphQL field. The schema's enums are read through `.value` only, so
this module needs no schema import at run time (tests tie the two sets of members together).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from models import task_search
from models import tasks as task_models
from resolvers.datetimes import clean_datetime
from resolvers.ids import parse_id
from taskql.errors import ValidationFailed
from taskql.limits import (
    TASK_CLIENT_MUTATION_ID_MAX,
    TASK_DESCRIPTION_MAX,
    TASK_SEARCH_MAX,
    TASK_TITLE_MAX,
)

if TYPE_CHECKING:
    from schema.tasks.input import TaskFilter, UpdateTaskInput
    from schema.tasks.types import TaskPriority, TaskStatus


def parse_task_id(value: str, *, field: str = "id") -> uuid.UUID:
    return parse_id(value, field=field, what="task")


def status_of(status: TaskStatus) -> task_models.Status:
    return task_models.Status(status.value)


def priority_of(priority: TaskPriority) -> task_models.Priority:
    # The GraphQL enum carries the names; the model stores the urgency as an integer.
    return task_models.Priority[priority.value]


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


def clean_update(data: UpdateTaskInput) -> dict[str, Any]:
    """The columns an UpdateTaskInput sets (column -> cleaned value), for updateTask and
    updateTasks alike; an explicit null for a required field is refused naming it."""
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
        changes["status"] = status_of(data.status.value)
    if data.priority is not None:
        if data.priority.value is None:
            raise ValidationFailed("priority cannot be null.", field="priority")
        changes["priority"] = priority_of(data.priority.value)
    if data.due_at is not None:
        changes["due_at"] = clean_datetime(data.due_at.value, field="dueAt")
    return changes


def clean_client_mutation_id(client_mutation_id: str | None) -> str | None:
    if client_mutation_id is not None and not (
        1 <= len(client_mutation_id) <= TASK_CLIENT_MUTATION_ID_MAX
    ):
        raise ValidationFailed(
            f"clientMutationId must have 1 to {TASK_CLIENT_MUTATION_ID_MAX} characters.",
            field="clientMutationId",
        )
    return client_mutation_id


def clean_filter(filter_: TaskFilter | None) -> task_models.TaskFilterSpec:
    if filter_ is None:
        return task_models.TaskFilterSpec()
    text = filter_.title_contains
    if text is not None and len(text) > TASK_SEARCH_MAX:
        raise ValidationFailed(
            f"titleContains must have at most {TASK_SEARCH_MAX} characters.",
            field="filter.titleContains",
        )
    search = filter_.search
    if search is not None and len(search) > TASK_SEARCH_MAX:
        raise ValidationFailed(
            f"search must have at most {TASK_SEARCH_MAX} characters.", field="filter.search"
        )
    owner_id = None
    if filter_.owner_id is not None:
        owner_id = parse_id(filter_.owner_id, field="filter.ownerId", what="user")
    return task_models.TaskFilterSpec(
        # Sorted and de-duplicated, so equal filters make equal dataloader keys.
        statuses=tuple(sorted({status_of(s) for s in filter_.status or ()})),
        priorities=tuple(sorted({priority_of(p) for p in filter_.priority or ()})),
        due_before=clean_datetime(filter_.due_before, field="filter.dueBefore"),
        due_after=clean_datetime(filter_.due_after, field="filter.dueAfter"),
        overdue=filter_.overdue,
        title_contains=text or None,
        owner_id=owner_id,
        search=None if search is None else task_search.search_words(search),
    )
