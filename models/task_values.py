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
    """What a page sorts by: a column, or RELEVANCE (the search rank, only with a search)."""

    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    DUE_AT = "due_at"
    PRIORITY = "priority"
    TITLE = "title"
    # By the stored value, so alphabetically: CANCELLED, DONE, IN_PROGRESS, TODO.
    STATUS = "status"
    RELEVANCE = "relevance"


# Sorts whose column may be NULL; their NULLs come last in both directions.
NULLABLE_SORTS = frozenset({TaskSort.DUE_AT})


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
    # Full-text search of title and description (models.task_search): the words searched
    # for, lower case, space separated; "" when the text had no word (nothing matches).
    search: str | None = None


@dataclass(frozen=True, slots=True)
class TaskOrderKey:
    sort: TaskSort
    descending: bool


@dataclass(frozen=True, slots=True)
class TaskKeyset:
    """A row's position in an ordering: its value of each order key, then its id."""

    values: tuple[datetime | int | float | str | None, ...]
    id: str


@dataclass(frozen=True, slots=True)
class TaskPage:
    """One page to read. Rows come back in *read* order: page order when reading forward
    (`first`), reversed when reading backward (`last`, the rows nearest `before` first), so the
    look-ahead row is always the last one read."""

    filters: TaskFilterSpec
    # The ordering, most significant key first; the id (same direction as the last key)
    # breaks ties.
    order: tuple[TaskOrderKey, ...]
    # Page-order bounds (exclusive): rows after `after` and before `before`.
    after: TaskKeyset | None
    # Callers ask for one row more than they show, to learn whether another page exists.
    limit: int
    # Columns beyond the ones every page reads (id, owner, sort keys); None: all of them.
    columns: frozenset[str] | None = None
    before: TaskKeyset | None = None
    backward: bool = False

    @property
    def probe(self) -> TaskKeyset | None:
        """The cursor beyond which one more row is looked for: `after` when reading forward
        (hasPreviousPage), `before` when reading backward (hasNextPage)."""
        return self.before if self.backward else self.after


@dataclass(slots=True)
class TaskRows:
    """What a page read returns: the rows in read order (with the look-ahead row), and
    whether a row exists on the far side of the page's probe cursor."""

    rows: list[TaskRow]
    beyond_cursor: bool
    # The owners' user rows by owner id, when the page was read with them (list_tasks).
    owners: dict[str, dict[str, Any]] | None = None
