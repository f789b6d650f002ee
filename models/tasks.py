from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from models import task_page_sql as page_sql
from models.ids import new_id
from models.sql import SIDE, PageQuery, Sql
from models.task_values import (
    CLOSED_STATUSES,
    LIST_COLUMNS,
    NULLABLE_SORTS,
    Priority,
    Status,
    TaskFilterSpec,
    TaskKeyset,
    TaskOrderKey,
    TaskPage,
    TaskRow,
    TaskRows,
    TaskSort,
)
from models.users import USER_COLUMNS, USER_DATETIME_COLUMNS
from taskql.limits import TASK_CLIENT_MUTATION_ID_MAX, TASK_TITLE_MAX

if TYPE_CHECKING:
    from models.users import User

_DATETIME_COLUMNS = ("due_at", "completed_at", "created_at", "updated_at")
_ID_COLUMNS = ("id", "owner_id")
# A page read with its owners: their user columns but the id (the row's owner_id).
_OWNER_COLUMNS = tuple(column for column in USER_COLUMNS if column != "id")


@lru_cache(maxsize=64)
def _owner_keys(columns: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(name in the joined row, user column) of these owner columns; `email` always."""
    if "email" not in columns:
        columns = ("email", *columns)
    return tuple((page_sql.OWNER_PREFIX + column, column) for column in columns)


_OWNER_KEYS = _owner_keys(_OWNER_COLUMNS)
_WITH_OWNER_DATETIME_COLUMNS = (
    *_DATETIME_COLUMNS,
    *(page_sql.OWNER_PREFIX + column for column in USER_DATETIME_COLUMNS),
)

# The values live in models.task_values (no ORM there, so the schema can read them); they are
# re-exported so `task_models.Status` and the like keep reading as one domain.
__all__ = [
    "CLOSED_STATUSES",
    "LIST_COLUMNS",
    "NULLABLE_SORTS",
    "Priority",
    "Status",
    "Task",
    "TaskFilterSpec",
    "TaskKeyset",
    "TaskOrderKey",
    "TaskPage",
    "TaskRow",
    "TaskRows",
    "TaskSort",
]


class Task(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="tasks", on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=TASK_TITLE_MAX)
    description = fields.TextField(null=True)
    status = fields.CharEnumField(Status, max_length=16, default=Status.TODO)
    priority = fields.IntEnumField(Priority, default=Priority.MEDIUM)
    due_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    version = fields.IntField(default=1)
    # Idempotency key of createTask: a retry with the same key returns the same task.
    client_mutation_id = fields.CharField(max_length=TASK_CLIENT_MUTATION_ID_MAX, null=True)
    # SHA-256 of the cleaned input that made the task under that key: a retry with other input
    # is refused, also after the task changed (models.task_audit.input_fingerprint).
    client_mutation_fingerprint = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "tasks"
        unique_together = (("owner", "client_mutation_id"),)
        indexes = (
            # Every ordering of the admin's list of all tasks walks an index; due_at's serves
            # both halves of the split nulls-last query.
            ("created_at", "id"),
            ("updated_at", "id"),
            ("due_at", "id"),
            ("priority", "id"),
            ("title", "id"),
            ("status", "id"),
            ("owner", "created_at", "id"),
            ("owner", "updated_at", "id"),
            ("owner", "due_at", "id"),
            ("owner", "priority", "id"),
            ("owner", "title", "id"),
            ("owner", "status", "id"),
        )
        # Search (migrations 5_*_task_search, raw SQL the models cannot state): PostgreSQL's
        # generated tsvector column `search_vector` with a GIN index; SQLite's FTS5 table
        # `tasks_fts` over title and description, kept in sync by triggers.


# ---------------------------------------------------------------------------------------------
# Data functions. Every read or write of task rows goes through these (the writes are in
# models.task_writes), and each one takes the viewer's `owner_scope` as a required keyword: the
# owner's id for a normal user, None for an admin (all rows). The scope becomes a WHERE clause,
# so another user's task is simply absent.
#
# List reads are parametrised SQL returning lean dicts (no model hydration): they are the hot
# path, and per-owner top-N (keyset + window/LATERAL) is beyond what the ORM can express.
# Rows are normalised here so callers never see dialect differences: ids are `str`, datetimes
# are aware UTC `datetime`, status is its string value, priority its integer.
# ---------------------------------------------------------------------------------------------


async def get_task(*, owner_scope: uuid.UUID | None, task_id: uuid.UUID) -> TaskRow | None:
    sql = Sql()
    where = [f"id = {sql.param(str(task_id))}", *page_sql.scope_clause(sql, owner_scope)]
    columns = ", ".join((*LIST_COLUMNS, "description"))
    query = f"SELECT {columns} FROM tasks WHERE {' AND '.join(where)}"  # noqa: S608 - fixed parts
    rows = await _fetch(sql, query)
    return rows[0] if rows else None


async def get_tasks_by_ids(*, task_ids: Sequence[str]) -> dict[str, TaskRow]:
    """Task id -> row, for those of `task_ids` that exist, in one statement, for every owner:
    the read task events share among all subscriptions, each of which applies the ownership
    rule to the rows in memory (resolvers.tasks.event_reads)."""
    return {row["id"]: row for row in await get_tasks(owner_scope=None, task_ids=task_ids)}


async def get_tasks(
    *, owner_scope: uuid.UUID | None, task_ids: Sequence[uuid.UUID | str]
) -> list[TaskRow]:
    """The tasks with these ids the scope covers, in one statement, in no particular order:
    ids missing or out of scope are simply absent."""
    if not task_ids:
        return []
    sql = Sql()
    placeholders = sql.params([str(task_id) for task_id in task_ids])
    where = [f"id IN ({placeholders})", *page_sql.scope_clause(sql, owner_scope)]
    columns = ", ".join((*LIST_COLUMNS, "description"))
    return await _fetch(sql, f"SELECT {columns} FROM tasks WHERE {' AND '.join(where)}")  # noqa: S608 - fixed parts


async def list_tasks(
    *,
    owner_scope: uuid.UUID | None,
    page: TaskPage,
    with_owners: bool = False,
    owner_columns: Sequence[str] | None = None,
) -> TaskRows:
    """One page of tasks in read order (plus the look-ahead row, if any); `with_owners`:
    their owners' user rows too, in the same statement: `owner_columns` of them (with
    `email`), or all the columns users.get_many reads."""
    sql = Sql()
    query = _page_select(sql, owner_scope, page)
    if not with_owners:
        return split_probe(await _fetch(sql, query))
    keys = _OWNER_KEYS if owner_columns is None else _owner_keys(tuple(owner_columns))
    query = page_sql.with_owners(page, query, [column for _, column in keys])
    rows = await sql.fetch(
        query, id_columns=_ID_COLUMNS, datetime_columns=_WITH_OWNER_DATETIME_COLUMNS
    )
    return _take_owners(split_probe(rows), keys)


def page_query(
    sql: Sql,
    *,
    owner_scope: uuid.UUID | None,
    page: TaskPage,
    owner_columns: Sequence[str] | None = None,
    owner_reference: str | None = None,
) -> PageQuery:
    """list_tasks' statement as part of a larger one; with `owner_columns`, the owners'
    columns too (named OWNER_PREFIX + column, `email` always). `owner_reference`: only the
    tasks of the owner it names (a uuid column of the enclosing statement), as
    list_tasks_for_owners reads one owner's page."""
    text = _page_select(sql, owner_scope, page, owner_reference)
    if owner_columns is not None:
        columns = [column for _, column in _owner_keys(tuple(owner_columns))]
        text = page_sql.with_owners(page, text, columns)
    return page_sql.page_query(page, text)


def _page_select(
    sql: Sql, owner_scope: uuid.UUID | None, page: TaskPage, owner_reference: str | None = None
) -> str:
    is_ranked = page_sql.ranked(page)
    owner = [] if owner_reference is None else [f"tasks.owner_id = {owner_reference}"]
    return page_sql.page_select(
        sql,
        page,
        lambda: [
            *owner,
            *page_sql.scope_clause(sql, owner_scope),
            *page_sql.filter_clauses(sql, page.filters, ranked=is_ranked),
        ],
    )


async def list_tasks_for_owners(
    *, owner_scope: uuid.UUID | None, owner_ids: Sequence[str], page: TaskPage
) -> dict[str, TaskRows]:
    """The same page for each owner, in one statement: owner id -> rows in read order
    (owners without any row are absent)."""
    owner_ids = page_sql.scoped_owner_ids(owner_scope, owner_ids)
    if not owner_ids:
        return {}
    sql = Sql()
    query = page_sql.owners_pages_select(sql, page, owner_ids)
    grouped: dict[str, list[TaskRow]] = {}
    for row in await _fetch(sql, query):
        grouped.setdefault(row["owner_id"], []).append(row)
    return {owner_id: split_probe(rows) for owner_id, rows in grouped.items()}


def _take_owners(page: TaskRows, keys: tuple[tuple[str, str], ...]) -> TaskRows:
    """Moves each row's owner columns into page.owners (as users.get_many reads them, when
    `keys` are all its columns)."""
    owners: dict[str, dict[str, Any]] = {}
    for row in page.rows:
        take = row.pop
        owner: dict[str, Any] = {"id": row["owner_id"]}
        for read_as, column in keys:
            owner[column] = take(read_as)
        if owner["email"] is not None:  # never NULL: the join found the owner
            owners[owner["id"]] = owner
    page.owners = owners
    return page


def split_probe(rows: list[TaskRow]) -> TaskRows:
    """The page rows, and whether the probe found a row beyond the cursor (its row, marked
    by the `side` column, comes last and is dropped)."""
    if not rows or SIDE not in rows[0]:  # read without a probe
        return TaskRows(rows=rows, beyond_cursor=False)
    beyond = rows[-1][SIDE] == 1
    if beyond:
        rows.pop()
    for row in rows:
        del row[SIDE]
    return TaskRows(rows=rows, beyond_cursor=beyond)


async def count_tasks(*, owner_scope: uuid.UUID | None, filters: TaskFilterSpec) -> int:
    sql = Sql()
    where = [*page_sql.scope_clause(sql, owner_scope), *page_sql.filter_clauses(sql, filters)]
    rows = await sql.fetch_raw(f"SELECT COUNT(*) AS n FROM tasks{page_sql.where_sql(where)}")  # noqa: S608
    return int(rows[0]["n"])


async def count_tasks_for_owners(
    *, owner_scope: uuid.UUID | None, owner_ids: Sequence[str], filters: TaskFilterSpec
) -> dict[str, int]:
    """owner id -> number of their tasks matching `filters` (owners without any are absent)."""
    owner_ids = page_sql.scoped_owner_ids(owner_scope, owner_ids)
    if not owner_ids:
        return {}
    sql = Sql()
    placeholders = ", ".join(sql.param(owner_id) for owner_id in owner_ids)
    where = [f"owner_id IN ({placeholders})", *page_sql.filter_clauses(sql, filters)]
    rows = await sql.fetch_raw(
        f"SELECT owner_id, COUNT(*) AS n FROM tasks{page_sql.where_sql(where)} GROUP BY owner_id"  # noqa: S608
    )
    return {str(row["owner_id"]): int(row["n"]) for row in rows}


async def count_by_status_for_owners(
    *, owner_scope: uuid.UUID | None, owner_ids: Sequence[str]
) -> dict[str, dict[str, int]]:
    """owner id -> {status value: count} (statuses without tasks are absent)."""
    owner_ids = page_sql.scoped_owner_ids(owner_scope, owner_ids)
    if not owner_ids:
        return {}
    sql = Sql()
    placeholders = ", ".join(sql.param(owner_id) for owner_id in owner_ids)
    rows = await sql.fetch_raw(
        f"SELECT owner_id, status, COUNT(*) AS n FROM tasks"  # noqa: S608 - fixed parts
        f" WHERE owner_id IN ({placeholders}) GROUP BY owner_id, status"
    )
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(str(row["owner_id"]), {})[row["status"]] = int(row["n"])
    return counts


async def bulk_create_tasks(*, tasks: Sequence[Task], batch_size: int = 500) -> None:
    """Insert many prepared rows in few statements (seeding, benchmarks, tests)."""
    await Task.bulk_create(list(tasks), batch_size=batch_size)


async def _fetch(sql: Sql, query: str) -> list[TaskRow]:
    return await sql.fetch(query, id_columns=_ID_COLUMNS, datetime_columns=_DATETIME_COLUMNS)


def _row_from_model(task: Task) -> TaskRow:
    row: TaskRow = {column: getattr(task, column) for column in LIST_COLUMNS}
    row["id"] = str(task.id)
    row["owner_id"] = str(task.owner_id)  # type: ignore[attr-defined]
    row["status"] = str(task.status.value)
    row["priority"] = int(task.priority)
    row["description"] = task.description
    return row
