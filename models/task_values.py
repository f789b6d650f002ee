"""Task values without the ORM: the enums, the row shape and the page request.

Resolvers build these and the schema reads them; neither needs tortoise for that.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any


class Status(StrEnum):
    TODO = "TODO"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


class Priority(IntEnum):
    # Stored as integers so ORDER BY priority sorts by urgency, not alphabetically.
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


# A task as the data functions return it (models.tasks): ids are `str`, datetimes aware UTC
# `datetime`, status its string value, priority its integer. List rows hold only the columns
# the page asked for.
TaskRow = dict[str, Any]

LIST_COLUMNS = (
    "id",
    "owner_id",
    "title",
    "status",
    "priority",
    "due_at",
    "completed_at",
    "version",
    "client_mutation_id",
    "created_at",
    "updated_at",
)
# Statuses after which a past due date no longer makes a task overdue.
CLOSED_STATUSES = (Status.DONE, Status.CANCELLED)


class TaskSort(StrEnum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    DUE_AT = "due_at"
    PRIORITY = "priority"


@dataclass(frozen=True, slots=True)
class TaskFilterSpec:
    """Row filters; all given conditions must hold. Hashable, so it can key a dataloader."""

    statuses: tuple[Status, ...] = ()
    priorities: tuple[Priority, ...] = ()
    due_before: datetime | None = None
    due_after: datetime | None = None
    overdue: bool | None = None
    title_contains: str | None = None
    owner_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class TaskKeyset:
    """The sort value and id of the last row already seen: the page starts after it."""

    value: datetime | int | None
    id: str


@dataclass(frozen=True, slots=True)
class TaskPage:
    filters: TaskFilterSpec
    sort: TaskSort
    descending: bool
    after: TaskKeyset | None
    # Callers ask for one row more than they show, to learn whether another page exists.
    limit: int
    # Columns beyond the ones every page reads (id, owner, sort key); None: all of them.
    columns: frozenset[str] | None = None
