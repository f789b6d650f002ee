"""Writing task rows: create (idempotent with a client mutation id), update, delete.

Each write and its audit entry commit in one transaction, inside the viewer's `owner_scope`
like the reads of models.tasks (the model and the reads live there).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import audit
from models import task_page_sql as page_sql
from models.sql import Sql
from models.task_audit import AUDITED_COLUMNS, input_fingerprint, update_action, update_changes
from models.task_values import LIST_COLUMNS, Priority, Status, TaskRow
from models.tasks import Task, _fetch, _row_from_model, get_task


class TaskNotFoundError(Exception):
    """No task with this id inside the viewer's scope (absent and foreign look the same)."""


class IdempotencyKeyReusedError(Exception):
    """A client mutation id already made a task from other values."""

    def __init__(self, client_mutation_id: str) -> None:
        super().__init__(f"client mutation id {client_mutation_id!r} was used with other input")
        self.client_mutation_id = client_mutation_id


class VersionConflictError(Exception):
    def __init__(self, current_version: int) -> None:
        super().__init__(f"task is at version {current_version}")
        self.current_version = current_version


async def create_task(
    *,
    owner_id: uuid.UUID,
    title: str,
    description: str | None,
    status: Status,
    priority: Priority,
    due_at: datetime | None,
    client_mutation_id: str | None,
) -> tuple[TaskRow, bool]:
    """Insert a task; with a client mutation id seen before, return that task instead.

    Returns (row, created). The unique (owner, client_mutation_id) index settles races
    between two concurrent retries: the loser reads the winner's row. A seen key with other
    values raises IdempotencyKeyReusedError (see _same_input).
    """
    given = {
        "title": title,
        "description": description,
        "status": status.value,
        "priority": int(priority),
        "due_at": page_sql.utc(due_at),
    }
    fingerprint = input_fingerprint(given)
    if client_mutation_id is not None:
        existing = await _get_by_client_mutation_id(owner_id, client_mutation_id)
        if existing is not None:
            return _same_input(existing, given, fingerprint), False
    now = datetime.now(UTC)
    try:
        async with in_transaction():
            task = await Task.create(
                owner_id=owner_id,
                title=title,
                description=description,
                status=status,
                priority=priority,
                due_at=page_sql.utc(due_at),
                completed_at=now if status is Status.DONE else None,
                client_mutation_id=client_mutation_id,
                client_mutation_fingerprint=fingerprint if client_mutation_id else None,
            )
            row = _row_from_model(task)
            await _audit(audit.AuditAction.TASK_CREATED, row, audit.created(_audited(row)))
    except IntegrityError:
        if client_mutation_id is None:
            raise
        existing = await _get_by_client_mutation_id(owner_id, client_mutation_id)
        if existing is None:
            raise
        return _same_input(existing, given, fingerprint), False
    return row, True


def _same_input(existing: TaskRow, given: dict[str, Any], fingerprint: str) -> TaskRow:
    """The task a key made, if `given` is what made it; IdempotencyKeyReusedError otherwise.

    The fingerprint of the input that made it is stored with the task, so a retry with other
    input is refused however the task changed since. Tasks made before fingerprints were
    stored are compared with their columns while unchanged (version 1), as before.
    """
    stored = existing.pop("client_mutation_fingerprint", None)
    if stored is not None:
        differs = stored != fingerprint
    else:
        differs = existing["version"] == 1 and any(
            existing[column] != value for column, value in given.items()
        )
    if differs:
        raise IdempotencyKeyReusedError(existing["client_mutation_id"])
    return existing


async def update_task(
    *,
    owner_scope: uuid.UUID | None,
    task_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: int | None,
) -> TaskRow:
    """Apply `changes` (column -> value) in ONE UPDATE ... RETURNING and its audit INSERT, in
    one transaction. Returns the new row.

    The database serialises concurrent UPDATEs of a row and each one adds 1 to the version it
    finds, so without `expected_version` every writer applies (the last one's values win) and
    no version is ever skipped or repeated. With it the UPDATE also matches
    `version = expected_version`: compare-and-swap, of concurrent writers exactly one wins.
    No read precedes the write, so the audit entry names the fields set and the versions
    (old = new - 1, exact under the UPDATE's row lock), not the old values
    (models.task_audit.update_changes). Only when nothing matched does one read tell
    NOT_FOUND from CONFLICT. completed_at follows status: set when it becomes DONE, cleared
    when it leaves DONE.
    """
    if not changes:
        return _checked(await get_task(owner_scope=owner_scope, task_id=task_id), expected_version)
    async with in_transaction():
        row = await _apply_update(owner_scope, task_id, changes, expected_version)
        if row is not None:
            await _audit(update_action(changes), row, update_changes(changes, row["version"]))
            return row
    raise _refusal(await get_task(owner_scope=owner_scope, task_id=task_id))


async def _apply_update(
    owner_scope: uuid.UUID | None,
    task_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: int | None,
) -> TaskRow | None:
    """The UPDATE ... RETURNING itself; None when no row matched."""
    sql = Sql()
    assignments = update_assignments(sql, changes, datetime.now(UTC))
    where = [f"id = {sql.param(str(task_id))}", *page_sql.scope_clause(sql, owner_scope)]
    if expected_version is not None:
        where.append(f"version = {sql.param(expected_version)}")
    columns = ", ".join((*LIST_COLUMNS, "description"))
    query = (
        f"UPDATE tasks SET {', '.join(assignments)}{page_sql.where_sql(where)} RETURNING {columns}"  # noqa: S608 - fixed parts
    )
    rows = await _fetch(sql, query)
    return rows[0] if rows else None


def update_assignments(sql: Sql, changes: dict[str, Any], now: datetime) -> list[str]:
    """The SET clause of a task update (also the bulk one's, models.task_bulk_writes): the
    columns changed, completed_at following the status, version + 1, updated_at = now."""
    assignments = [f"{column} = {sql.param(value)}" for column, value in _stored(changes).items()]
    if "status" in changes:
        if Status(changes["status"]) is Status.DONE:
            # Evaluated against the row before this UPDATE: DONE again keeps the first time.
            done = f"'{Status.DONE.value}'"
            assignments.append(
                f"completed_at = CASE WHEN status = {done} THEN completed_at"
                f" ELSE {sql.param(now)} END"
            )
        else:
            assignments.append("completed_at = NULL")
    assignments += ["version = version + 1", f"updated_at = {sql.param(now)}"]
    return assignments


def _refusal(current: TaskRow | None) -> TaskNotFoundError | VersionConflictError:
    """Why a write matched no row: the task is absent or foreign (NOT_FOUND), or it was at
    another version when the write ran (CONFLICT with its version now, even when a concurrent
    writer has meanwhile brought it to the one the client expected)."""
    if current is None:
        return TaskNotFoundError()
    return VersionConflictError(current["version"])


def _checked(current: TaskRow | None, expected_version: int | None) -> TaskRow:
    if current is None:
        raise TaskNotFoundError
    if expected_version is not None and current["version"] != expected_version:
        raise VersionConflictError(current["version"])
    return current


def _stored(changes: dict[str, Any]) -> dict[str, Any]:
    """Column values as bound parameters: enum values as text/integer, datetimes in UTC."""
    stored = dict(changes)
    if "status" in stored:
        stored["status"] = Status(stored["status"]).value
    if "priority" in stored:
        stored["priority"] = int(stored["priority"])
    if "due_at" in stored:
        stored["due_at"] = page_sql.utc(stored["due_at"])
    return stored


async def delete_task(
    *, owner_scope: uuid.UUID | None, task_id: uuid.UUID, expected_version: int | None = None
) -> TaskRow:
    """Delete in one statement; with `expected_version`, only a task still at that version.
    Returns the deleted row (its owner and version name the DELETED event)."""
    async with in_transaction():
        sql = Sql()
        where = [f"id = {sql.param(str(task_id))}", *page_sql.scope_clause(sql, owner_scope)]
        if expected_version is not None:
            where.append(f"version = {sql.param(expected_version)}")
        columns = ", ".join((*LIST_COLUMNS, "description"))
        query = f"DELETE FROM tasks{page_sql.where_sql(where)} RETURNING {columns}"  # noqa: S608
        rows = await _fetch(sql, query)
        if rows:
            await _audit(audit.AuditAction.TASK_DELETED, rows[0], audit.deleted(_audited(rows[0])))
            return rows[0]
    raise _refusal(await get_task(owner_scope=owner_scope, task_id=task_id))


async def _get_by_client_mutation_id(
    owner_id: uuid.UUID, client_mutation_id: str
) -> TaskRow | None:
    sql = Sql()
    columns = ", ".join((*LIST_COLUMNS, "description", "client_mutation_fingerprint"))
    query = (
        f"SELECT {columns} FROM tasks WHERE owner_id = {sql.param(str(owner_id))}"  # noqa: S608
        f" AND client_mutation_id = {sql.param(client_mutation_id)}"
    )
    rows = await _fetch(sql, query)
    return rows[0] if rows else None


def _audited(row: TaskRow) -> dict[str, Any]:
    return {column: row[column] for column in ("owner_id", *AUDITED_COLUMNS)}


async def _audit(action: audit.AuditAction, row: TaskRow, changes: list[audit.Change]) -> None:
    await audit.record(
        action, target_type=audit.TargetType.TASK, target_id=row["id"], changes=changes
    )
