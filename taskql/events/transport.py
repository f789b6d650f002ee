"""The task event, and the transport that carries it to every instance.

Instances share nothing but the database (and Redis): a write's events are published after
its transaction commits, travel through the transport to every instance, this one included,
and each instance hands them to its own matching subscriptions. An event names ids only (a
PostgreSQL NOTIFY payload must stay under 8,000 bytes); subscribers read the rows they select.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

import orjson


class TaskEventKind(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    STATUS_CHANGED = "STATUS_CHANGED"
    DELETED = "DELETED"


@dataclass(frozen=True, slots=True)
class TaskEvent:
    kind: TaskEventKind
    task_id: str
    owner_id: str
    version: int
    actor_id: str | None
    occurred_at: datetime

    def encode(self) -> bytes:
        """A compact JSON array, at most about 200 bytes."""
        return orjson.dumps(
            [
                self.kind.value,
                self.task_id,
                self.owner_id,
                self.version,
                self.actor_id,
                self.occurred_at.timestamp(),
            ]
        )

    @classmethod
    def decode(cls, data: bytes | str) -> TaskEvent:
        """The event `encode` wrote; ValueError for anything else."""
        try:
            kind, task_id, owner_id, version, actor_id, occurred_at = orjson.loads(data)
            return cls(
                kind=TaskEventKind(kind),
                task_id=str(task_id),
                owner_id=str(owner_id),
                version=int(version),
                actor_id=None if actor_id is None else str(actor_id),
                occurred_at=datetime.fromtimestamp(float(occurred_at), UTC),
            )
        except (TypeError, ValueError, orjson.JSONDecodeError) as error:
            raise ValueError("not a task event") from error


# Called on the event loop with the events of one publish, from any instance.
Deliver = Callable[[Sequence[TaskEvent]], None]


class EventTransport(Protocol):
    async def start(self, deliver: Deliver) -> None:
        """Begin receiving: `deliver` gets every batch any instance publishes while connected,
        this instance's own included, each instance's batches in the order published."""

    async def publish(self, events: Sequence[TaskEvent]) -> None:
        """Send events whose transaction has committed (never before: a rolled-back write
        must publish nothing)."""

    async def close(self) -> None:
        """Stop receiving and release connections; publish after close is a no-op."""


class InProcessTransport:
    """One process only (SQLite): a publish is delivered straight to this process."""

    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def publish(self, events: Sequence[TaskEvent]) -> None:
        if self._deliver is not None and events:
            self._deliver(list(events))

    async def close(self) -> None:
        self._deliver = None
