"""Writing many task rows at once: update, set status, delete (the bulk edits).

Each call is all or nothing, in one transaction, in a fixed number of statements whatever the
number of ids: one UPDATE (or DELETE) ... RETURNING matching the ids inside the viewer's
`owner_scope` (and, when given, each task's expected version), checked against the ids, then
one multi-row audit INSERT (models.audit.record_many). When any id matched nothing, one
SELECT tells absent or foreign ids (they look the same) from tasks at another version, and
the transaction rolls back: nothing changes, and the error names those ids.
The SET clause, the audit entries and the row shape are those of the single writes
(models.task_writes, models.task_audit).

Concurrent bulk edits over overlapping ids must not deadlock: on PostgreSQL the statement
locks its rows first, in id order (a sub-SELECT ... ORDER BY id FOR UPDATE), so two calls
always queue on their first shared id instead of each holding one the other needs. SQLite
writes one transaction at a time anyway.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from models import audit
from models import task_page_sql as page_sql
from models.sql import Sql
from models.task_audit import update_action, update_changes
from models.task_values import LIST_COLUMNS, TaskRow
from models.task_writes import _audited, update_assignments
from models.tasks import _fetch

RETURNED_COLUMNS = ", ".join((*LIST_COLUMNS, "description"))


class TasksNotFoundError(Exception):
    """Some ids name no task inside the viewer's scope; nothing was written."""

    def __init__(self, missing: Sequence[uuid.UUID]) -> None:
        super().__init__(f"{len(missing)} task(s) not found")
        self.missing = tuple(missing)


class TaskVersionsConflictError(Exception):
    """Some tasks were not at their expected version; nothing was written. `current` maps
    each of them, in the order given, to the version it had when the write ran."""

    def __init__(self, current: dict[uuid.UUID, int]) -> None:
        super().__init__(f"{len(current)} task(s) at another version")
        self.current = current


async def update_tasks(
    *,
    owner_scope: uuid.UUID | None,
    task_ids: Sequence[uuid.UUID],
    changes: dict[str, Any],
    expected_versions: Sequence[int] | None = None,
) -> list[TaskRow]:
    """Apply `changes` (column -> value) to every task of `task_ids` (distinct), as
    update_task does to one: each version + 1, completed_at following the status, one audit
    row each. With `expected_versions` (one per id) only if every task is still at its
    version: compare-and-swap for the whole batch. Returns the new rows in the order of
    `task_ids`; TasksNotFoundError when any id is absent or foreign, else
    TaskVersionsConflictError when any task was at another version (then nothing changed)."""
    if not changes:  # as updateTask without fields: the tasks as they are, nothing written
        sql = Sql()
        where = page_sql.where_sql(_in_scope(sql, owner_scope, task_ids))
        rows = await _fetch(sql, f"SELECT {RETURNED_COLUMNS} FROM tasks{where}")  # noqa: S608
        return _checked(task_ids, rows, expected_versions)
    action = update_action(changes)
    async with in_transaction():
        sql = Sql()
        assignments = update_assignments(sql, changes, datetime.now(UTC))
        where = _written_ids(sql, owner_scope, task_ids, expected_versions)
        query = (
            f"UPDATE tasks SET {', '.join(assignments)}"  # noqa: S608 - fixed parts
            f" WHERE {where} RETURNING {RETURNED_COLUMNS}"
        )
        rows = await _all_or_refusal(
            owner_scope, task_ids, await _fetch(sql, query), expected_versions
        )
        await audit.record_many(
            [_entry(action, row, update_changes(changes, row["version"])) for row in rows]
        )
    return rows


async def delete_tasks(
    *,
    owner_scope: uuid.UUID | None,
    task_ids: Sequence[uuid.UUID],
    expected_versions: Sequence[int] | None = None,
) -> list[TaskRow]:
    """Delete every task of `task_ids` (distinct), one audit row each, as delete_task does to
    one; with `expected_versions`, only if every task is still at its version. Returns the
    deleted rows in the order of `task_ids` (their owners and versions name the events);
    refuses as update_tasks does (nothing deleted)."""
    async with in_transaction():
        sql = Sql()
        where = _written_ids(sql, owner_scope, task_ids, expected_versions)
        query = f"DELETE FROM tasks WHERE {where} RETURNING {RETURNED_COLUMNS}"  # noqa: S608
        rows = await _all_or_refusal(
            owner_scope, task_ids, await _fetch(sql, query), expected_versions
        )
        await audit.record_many(
            [
                _entry(audit.AuditAction.TASK_DELETED, row, audit.deleted(_audited(row)))
                for row in rows
            ]
        )
    return rows


def _written_ids(
    sql: Sql,
    owner_scope: uuid.UUID | None,
    task_ids: Sequence[uuid.UUID],
    expected_versions: Sequence[int] | None,
) -> str:
    """The WHERE condition of a write: the ids in scope (on PostgreSQL locked in id order
    before the statement writes any of them, see the module docstring), each at its expected
    version when given. The version is compared with the row as the write finds it, after
    any lock wait, as update_task's compare-and-swap does."""
    if sql.postgres:
        where = page_sql.where_sql(_in_scope(sql, owner_scope, task_ids))
        clauses = [f"id IN (SELECT id FROM tasks{where} ORDER BY id FOR UPDATE)"]  # noqa: S608
    else:
        clauses = _in_scope(sql, owner_scope, task_ids)
    if expected_versions is not None:
        clauses.append(f"version = {_expected_version(sql, task_ids, expected_versions)}")
    return " AND ".join(clauses)


def _expected_version(
    sql: Sql, task_ids: Sequence[uuid.UUID], expected_versions: Sequence[int]
) -> str:
    """An expression giving the expected version of the row's id."""
    if sql.postgres:
        ids = sql.param([str(task_id) for task_id in task_ids])
        versions = sql.param(list(expected_versions))
        return f"({versions}::int[])[array_position({ids}::uuid[], id)]"
    cases = " ".join(
        f"WHEN {sql.param(str(task_id))} THEN {sql.param(version)}"
        for task_id, version in zip(task_ids, expected_versions, strict=True)
    )
    return f"CASE id {cases} END"


def _in_scope(sql: Sql, owner_scope: uuid.UUID | None, task_ids: Sequence[uuid.UUID]) -> list[str]:
    if sql.postgres:
        # One array parameter: the same statement text (and prepared statement) for any count.
        ids = f"id = ANY({sql.param([str(task_id) for task_id in task_ids])}::uuid[])"
    else:
        ids = f"id IN ({', '.join(sql.param(str(task_id)) for task_id in task_ids)})"
    return [ids, *page_sql.scope_clause(sql, owner_scope)]


async def _all_or_refusal(
    owner_scope: uuid.UUID | None,
    task_ids: Sequence[uuid.UUID],
    rows: list[TaskRow],
    expected_versions: Sequence[int] | None,
) -> list[TaskRow]:
    """The written rows in the order of `task_ids` when every id matched. Otherwise (raised
    inside the transaction, which then rolls back) TasksNotFoundError naming, in the order
    given, the ids absent or foreign, or TaskVersionsConflictError; only with expected
    versions can an id match nothing for either reason, and one SELECT tells which."""
    by_id = {row["id"]: row for row in rows}
    unmatched = [task_id for task_id in task_ids if str(task_id) not in by_id]
    if not unmatched:
        return [by_id[str(task_id)] for task_id in task_ids]
    if expected_versions is None:
        raise TasksNotFoundError(unmatched)
    sql = Sql()
    where = page_sql.where_sql(_in_scope(sql, owner_scope, unmatched))
    current = {
        str(row["id"]): int(row["version"])
        for row in await sql.fetch_raw(f"SELECT id, version FROM tasks{where}")  # noqa: S608
    }
    missing = [task_id for task_id in unmatched if str(task_id) not in current]
    if missing:
        raise TasksNotFoundError(missing)
    raise TaskVersionsConflictError({task_id: current[str(task_id)] for task_id in unmatched})


def _checked(
    task_ids: Sequence[uuid.UUID], rows: list[TaskRow], expected_versions: Sequence[int] | None
) -> list[TaskRow]:
    """The rows read (not written) in the order of `task_ids`, refused as a write would be."""
    by_id = {row["id"]: row for row in rows}
    missing = [task_id for task_id in task_ids if str(task_id) not in by_id]
    if missing:
        raise TasksNotFoundError(missing)
    ordered = [by_id[str(task_id)] for task_id in task_ids]
    if expected_versions is not None:
        stale = {
            task_id: row["version"]
            for task_id, row, version in zip(task_ids, ordered, expected_versions, strict=True)
            if row["version"] != version
        }
        if stale:
            raise TaskVersionsConflictError(stale)
    return ordered


def _entry(action: audit.AuditAction, row: TaskRow, changes: list[audit.Change]) -> audit.Entry:
    return audit.Entry(
        action=action, target_type=audit.TargetType.TASK, target_id=row["id"], changes=changes
    )
