"""Writing many task rows at once: update, set status, delete (the bulk edits).

Each call is all or nothing, in one transaction, in a fixed number of statements whatever the
number of ids: one UPDATE (or DELETE) ... RETURNING matching the ids inside the viewer's
`owner_scope`, checked against the ids (those it did not return are absent or foreign: they
look the same), then one multi-row audit INSERT (models.audit.record_many). When any id
matched nothing the transaction rolls back: nothing changes, and the error names those ids.
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


async def update_tasks(
    *, owner_scope: uuid.UUID | None, task_ids: Sequence[uuid.UUID], changes: dict[str, Any]
) -> list[TaskRow]:
    """Apply `changes` (column -> value) to every task of `task_ids` (distinct), as
    update_task does to one: each version + 1, completed_at following the status, one audit
    row each. Returns the new rows in the order of `task_ids`; TasksNotFoundError when any
    id is absent or foreign (then nothing changed)."""
    if not changes:  # as updateTask without fields: the tasks as they are, nothing written
        sql = Sql()
        where = page_sql.where_sql(_in_scope(sql, owner_scope, task_ids))
        return _all_or_refusal(
            task_ids,
            await _fetch(sql, f"SELECT {RETURNED_COLUMNS} FROM tasks{where}"),  # noqa: S608
        )
    action = update_action(changes)
    async with in_transaction():
        sql = Sql()
        assignments = update_assignments(sql, changes, datetime.now(UTC))
        query = (
            f"UPDATE tasks SET {', '.join(assignments)}"  # noqa: S608 - fixed parts
            f" WHERE {_locked_ids(sql, owner_scope, task_ids)} RETURNING {RETURNED_COLUMNS}"
        )
        rows = _all_or_refusal(task_ids, await _fetch(sql, query))
        await audit.record_many(
            [_entry(action, row, update_changes(changes, row["version"])) for row in rows]
        )
    return rows


async def delete_tasks(
    *, owner_scope: uuid.UUID | None, task_ids: Sequence[uuid.UUID]
) -> list[TaskRow]:
    """Delete every task of `task_ids` (distinct), one audit row each, as delete_task does to
    one. Returns the deleted rows in the order of `task_ids` (their owners and versions name
    the events); TasksNotFoundError when any id is absent or foreign (nothing deleted)."""
    async with in_transaction():
        sql = Sql()
        query = (
            f"DELETE FROM tasks WHERE {_locked_ids(sql, owner_scope, task_ids)}"  # noqa: S608
            f" RETURNING {RETURNED_COLUMNS}"
        )
        rows = _all_or_refusal(task_ids, await _fetch(sql, query))
        await audit.record_many(
            [
                _entry(audit.AuditAction.TASK_DELETED, row, audit.deleted(_audited(row)))
                for row in rows
            ]
        )
    return rows


def _locked_ids(sql: Sql, owner_scope: uuid.UUID | None, task_ids: Sequence[uuid.UUID]) -> str:
    """The WHERE condition of a write matching the ids in scope; on PostgreSQL it locks those
    rows in id order before the statement writes any of them (see the module docstring)."""
    if sql.postgres:
        where = page_sql.where_sql(_in_scope(sql, owner_scope, task_ids))
        return f"id IN (SELECT id FROM tasks{where} ORDER BY id FOR UPDATE)"  # noqa: S608
    return " AND ".join(_in_scope(sql, owner_scope, task_ids))


def _in_scope(sql: Sql, owner_scope: uuid.UUID | None, task_ids: Sequence[uuid.UUID]) -> list[str]:
    if sql.postgres:
        # One array parameter: the same statement text (and prepared statement) for any count.
        ids = f"id = ANY({sql.param([str(task_id) for task_id in task_ids])}::uuid[])"
    else:
        ids = f"id IN ({', '.join(sql.param(str(task_id)) for task_id in task_ids)})"
    return [ids, *page_sql.scope_clause(sql, owner_scope)]


def _all_or_refusal(task_ids: Sequence[uuid.UUID], rows: list[TaskRow]) -> list[TaskRow]:
    """The written rows in the order of `task_ids` when every id matched; otherwise
    TasksNotFoundError naming, in the order given, the ids that matched no row (raised inside
    the transaction, which then rolls back)."""
    by_id = {row["id"]: row for row in rows}
    missing = [task_id for task_id in task_ids if str(task_id) not in by_id]
    if missing:
        raise TasksNotFoundError(missing)
    return [by_id[str(task_id)] for task_id in task_ids]


def _entry(action: audit.AuditAction, row: TaskRow, changes: list[audit.Change]) -> audit.Entry:
    return audit.Entry(
        action=action, target_type=audit.TargetType.TASK, target_id=row["id"], changes=changes
    )
