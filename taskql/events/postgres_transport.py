"""Task events through PostgreSQL's LISTEN/NOTIFY: every instance on one database hears all.

- Receiving: one dedicated asyncpg connection per instance LISTENs on the channel (a pool
  connection would lose the LISTEN when the pool recycles or resets it). When the connection
  is lost (the database restarted, the backend was terminated, a probe went unanswered) it is
  opened again with backoff and LISTENs again.
- Sending: `pg_notify` on a connection of the app's pool (or a short connection of its own),
  one statement per publish, so a batch's notifications commit together and reach every
  listener contiguously and in order.
- A NOTIFY payload must stay under 8,000 bytes: a batch is cut into chunks of whole events
  (ids only, about 200 bytes each) that the listener joins back into the batch.

At most once: what is published while an instance's listener is down never reaches that
instance, and a publish that fails (the database away just after the write committed) is
dropped with a log line rather than failing the write. Subscribers re-query on reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import asyncpg
from tortoise.exceptions import BaseORMException

from taskql.events.reconnecting import PublishHealth, Reconnecting
from taskql.events.transport import Deliver, TaskEvent
from taskql.logging import get_logger

log = get_logger("taskql.events")

# NOTIFY's payload must be shorter than 8,000 bytes (PostgreSQL's default build).
MAX_PAYLOAD_BYTES = 7_999
# How often the listener asks its connection for a sign of life: a peer that vanished
# without closing the socket is otherwise noticed only by the kernel, much later.
PROBE_INTERVAL_SECONDS = 10.0
# How long close() waits for a connection to say goodbye before dropping the socket.
CLOSE_TIMEOUT_SECONDS = 1.0
# Shown in pg_stat_activity (with the channel), so operators and tests can tell it apart.
LISTENER_APPLICATION_NAME = "taskql events"

NOTIFY_ALL = "SELECT pg_notify($1, chunk) FROM unnest($2::text[]) AS chunk"

Acquire = Callable[[], AbstractAsyncContextManager[Any]]
# What a database that is away raises, through asyncpg or the app's pool (tortoise).
UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    BaseORMException,
)


def encode_chunks(events: Sequence[TaskEvent], limit: int = MAX_PAYLOAD_BYTES) -> list[str]:
    """The batch as NOTIFY payloads of at most `limit` bytes: a header line `index count`,
    then one encoded event per line (an encoded event holds no newline)."""
    header_room = 24  # "<index> <count>\n" for any realistic count
    bodies: list[list[bytes]] = [[]]
    size = header_room
    for event in events:
        line = event.encode()
        if bodies[-1] and size + len(line) + 1 > limit:
            bodies.append([])
            size = header_room
        bodies[-1].append(line)
        size += len(line) + 1
    count = len(bodies)
    return [f"{index} {count}\n" + b"\n".join(body).decode() for index, body in enumerate(bodies)]


class ChunkJoiner:
    """Joins the chunks of each batch back together; they arrive contiguously, in order,
    since one statement sent them all in one transaction."""

    def __init__(self) -> None:
        self._pending: list[TaskEvent] = []
        self._expected = 0

    def add(self, payload: str) -> list[TaskEvent] | None:
        """The whole batch once its last chunk arrived; ValueError for a foreign payload."""
        header, _, body = payload.partition("\n")
        index_text, _, count_text = header.partition(" ")
        index, count = int(index_text), int(count_text)
        if not 0 <= index < count:
            raise ValueError("not a chunk header")
        events = [TaskEvent.decode(line) for line in body.split("\n") if line]
        if index == 0:
            self._pending, self._expected = [], 0
        elif index != self._expected:
            # A chunk went missing (the listener reconnected mid-batch): drop the rest of it.
            self._pending, self._expected = [], 0
            return None
        self._pending.extend(events)
        self._expected = index + 1
        if self._expected < count:
            return None
        batch, self._pending, self._expected = self._pending, [], 0
        return batch


def connect_arguments(url: str) -> dict[str, Any]:
    """asyncpg.connect arguments from the database URL, without the pool options tortoise
    reads from its query string (asyncpg would send them to the server as settings)."""
    from tortoise.backends.base.config_generator import expand_db_url  # noqa: PLC0415

    credentials = expand_db_url(url.replace("postgresql://", "postgres://", 1))["credentials"]
    arguments = {
        name: credentials[name]
        for name in ("host", "port", "user", "password", "database", "ssl")
        if credentials.get(name) not in (None, "")
    }
    arguments["port"] = int(arguments.get("port", 5432))
    return arguments


class PostgresTransport:
    def __init__(
        self,
        *,
        connect: dict[str, Any],
        channel: str,
        timeout_seconds: float,
        retry_max_seconds: float,
        acquire: Acquire | None = None,
    ) -> None:
        """`connect`: asyncpg.connect arguments; `acquire`: a pool connection to NOTIFY on
        (default: a short connection per publish); `timeout_seconds` bounds connecting and
        each publish."""
        self.connect = connect
        self.channel = channel
        self.timeout_seconds = timeout_seconds
        self.acquire: Acquire = acquire or self._short_connection
        self._deliver: Deliver | None = None
        self._joiner = ChunkJoiner()
        self._closed = False
        self._publish_health = PublishHealth("postgres")
        # Publishes leave in the order they were asked for (a FIFO lock), not in the order
        # their pool connections happen to answer.
        self._send_lock = asyncio.Lock()
        self.listener = Reconnecting("postgres", self._listen, retry_max_seconds=retry_max_seconds)

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver
        await self.listener.start(self.timeout_seconds)

    async def publish(self, events: Sequence[TaskEvent]) -> None:
        if self._closed or not events:
            return
        chunks = encode_chunks(events)
        try:
            async with (
                asyncio.timeout(self.timeout_seconds),
                self._send_lock,
                self.acquire() as connection,
            ):
                await connection.execute(NOTIFY_ALL, self.channel, chunks)
        except UNAVAILABLE as error:
            self._publish_health.failed(error)
            return
        self._publish_health.succeeded()

    async def close(self) -> None:
        self._closed = True
        self._deliver = None
        await self.listener.stop()

    @contextlib.asynccontextmanager
    async def _short_connection(self) -> AsyncIterator[asyncpg.Connection]:
        connection = await asyncpg.connect(**self.connect, timeout=self.timeout_seconds)
        try:
            yield connection
        finally:
            await _close(connection)

    async def _listen(self, up: Callable[[], None]) -> None:
        connection: asyncpg.Connection = await asyncpg.connect(
            **self.connect,
            timeout=self.timeout_seconds,
            server_settings={"application_name": f"{LISTENER_APPLICATION_NAME} {self.channel}"},
        )
        lost = asyncio.Event()
        try:
            connection.add_termination_listener(lambda _: lost.set())
            await connection.add_listener(self.channel, self._on_notification)
            self._joiner = ChunkJoiner()
            up()
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(PROBE_INTERVAL_SECONDS):
                        await lost.wait()
                if not lost.is_set():
                    await connection.fetchval("SELECT 1", timeout=self.timeout_seconds)
        finally:
            await _close(connection)

    def _on_notification(self, _: object, __: int, ___: str, payload: object) -> None:
        deliver = self._deliver
        if deliver is None:
            return
        try:
            batch = self._joiner.add(str(payload))
        except ValueError:
            log.warning("ignored a foreign notification", channel=self.channel)
            return
        if batch:
            try:
                deliver(batch)
            except Exception:
                log.exception("delivering task events failed")


async def _close(connection: asyncpg.Connection) -> None:
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
            await connection.close()
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        connection.terminate()
    except asyncio.CancelledError:
        connection.terminate()
        raise
