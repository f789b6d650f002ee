"""What task events read, once per published batch for all subscriptions on this instance.

The rows are read for every owner in one statement and kept on the batch (SharedBatch.memo);
each subscription then applies the viewer's ownership rule to them in memory. So delivering
an event costs the same statements for one subscriber or a thousand with the same selection.
A row is the task as it is when read, which may be newer than the event (or gone).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from models import tasks as task_models
from models import users as user_models
from taskql.events.transport import TaskEventKind

if TYPE_CHECKING:
    from resolvers.loaders import UserRow
    from taskql.events.hub import SharedBatch

T = TypeVar("T")


async def batch_rows(batch: SharedBatch) -> dict[str, task_models.TaskRow]:
    """Task id -> row of the batch's tasks that still exist (none read for DELETED events)."""
    ids = [e.task_id for e in batch.events if e.kind is not TaskEventKind.DELETED]
    return await _once(
        batch, "rows", lambda: task_models.get_tasks_by_ids(task_ids=list(dict.fromkeys(ids)))
    )


async def batch_users(batch: SharedBatch) -> dict[str, UserRow]:
    """User id -> row of the batch's owners and actors."""

    async def load() -> dict[str, UserRow]:
        ids = {e.owner_id for e in batch.events} | {
            e.actor_id for e in batch.events if e.actor_id is not None
        }
        rows = await user_models.get_many(user_ids=sorted(ids))
        return {str(row["id"]): row for row in rows}

    return await _once(batch, "users", load)


async def _once(batch: SharedBatch, key: str, load: Callable[[], Awaitable[T]]) -> T:
    # The first subscription to ask starts the read; the others await the same future.
    # Shielded: one subscriber going away must not cancel the read for the rest.
    memo: dict[str, Any] = batch.memo
    if key not in memo:
        memo[key] = asyncio.ensure_future(load())
    return await asyncio.shield(memo[key])
