"""Task event transports for tests: the real PostgreSQL and Redis ones, on the test database
and the test Redis, each on a channel of its own; and a receiver that records what arrives.

Also runnable as a second process (`python -m tests.event_transports BACKEND CHANNEL COUNT`):
it listens, says "ready", publishes COUNT batches when a line arrives on stdin, and prints the
batches it received as JSON once it has its own and the parent's.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import orjson

from taskql.events.postgres_transport import PostgresTransport, connect_arguments
from taskql.events.redis_transport import RedisTransport
from taskql.events.transport import TaskEvent, TaskEventKind
from taskql.settings import Settings, load_settings

TIMEOUT_SECONDS = 5.0
RETRY_MAX_SECONDS = 0.5  # reconnect quickly in tests


def unique_channel() -> str:
    return f"taskql_test_{uuid.uuid4().hex[:16]}"


def task_event(
    task_id: str, version: int = 1, owner_id: str = "owner", occurred_at: datetime | None = None
) -> TaskEvent:
    return TaskEvent(
        kind=TaskEventKind.UPDATED,
        task_id=task_id,
        owner_id=owner_id,
        version=version,
        actor_id=owner_id,
        occurred_at=occurred_at or datetime.now(UTC),
    )


def make_transport(
    backend: str, channel: str, settings: Settings
) -> PostgresTransport | RedisTransport:
    if backend == "postgres":
        return PostgresTransport(
            connect=connect_arguments(settings.database.url),
            channel=channel,
            timeout_seconds=TIMEOUT_SECONDS,
            retry_max_seconds=RETRY_MAX_SECONDS,
        )
    return RedisTransport(
        url=settings.ratelimit.redis_url,
        channel=channel,
        timeout_seconds=TIMEOUT_SECONDS,
        retry_max_seconds=RETRY_MAX_SECONDS,
    )


class Received:
    """A `deliver` callback that keeps every batch, and lets a test wait for some."""

    def __init__(self) -> None:
        self.batches: list[list[TaskEvent]] = []
        self._arrived = asyncio.Event()

    def __call__(self, batch: Sequence[TaskEvent]) -> None:
        self.batches.append(list(batch))
        self._arrived.set()

    def task_ids(self, prefix: str = "") -> list[list[str]]:
        return [
            [e.task_id for e in batch]
            for batch in self.batches
            if batch[0].task_id.startswith(prefix)
        ]

    async def until(self, count: int, prefix: str = "", seconds: float = 10.0) -> None:
        """Wait until `count` batches whose first task id starts with `prefix` arrived."""
        deadline = time.monotonic() + seconds
        while len(self.task_ids(prefix)) < count:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{len(self.task_ids(prefix))} of {count} batches arrived"
            self._arrived.clear()
            try:
                async with asyncio.timeout(remaining):
                    await self._arrived.wait()
            except TimeoutError:
                pass


async def _peer(backend: str, channel: str, count: int) -> None:
    transport = make_transport(backend, channel, load_settings("test"))
    received = Received()
    await transport.start(received)
    assert transport.listener.listening.is_set()
    print("ready", flush=True)  # noqa: T201
    await asyncio.to_thread(sys.stdin.readline)
    for index in range(count):
        await transport.publish([task_event(f"peer-{index}-a"), task_event(f"peer-{index}-b")])
    await received.until(count, "peer-")
    await received.until(count, "parent-")
    await transport.close()
    print(orjson.dumps(received.task_ids()).decode(), flush=True)  # noqa: T201


if __name__ == "__main__":
    asyncio.run(_peer(sys.argv[1], sys.argv[2], int(sys.argv[3])))
