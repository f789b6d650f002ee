"""Tortoise database clients that never wait without a bound (the `engine` of our connection).

PostgreSQL: tortoise takes pool connections with `pool.acquire()` and no timeout, so one
locked table could park every request until the pool frees up. Our pool gives every acquire
the configured timeout (asyncio's TimeoutError, answered as SERVICE_UNAVAILABLE); the
statement timeout itself is a server setting (see taskql.database).

SQLite: tortoise serialises all work on its one connection with an asyncio lock; waiting for
that lock is SQLite's pool wait and gets the same timeout. Tortoise also keeps that lock when
opening the file fails (it acquires, then connects, and only a successful `__aenter__` is
ever released), which would hang every later request of an outage: our wrappers release it.
"""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Literal, cast

import aiosqlite
import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient
from tortoise.backends.base.client import (
    BaseDBAsyncClient,
    ConnectionWrapper,
    TransactionContext,
    TransactionContextPooled,
)
from tortoise.backends.sqlite.client import SqliteClient, SqliteTransactionContext
from tortoise.connection import connections, get_connections

from taskql.measured_clients import (
    MeasuredAsyncpgTransaction,
    MeasuredSqliteTransaction,
    MeasuredStatements,
)

# asyncpg.create_pool's own defaults, so building the Pool subclass ourselves changes nothing
# but the acquire timeout.
_POOL_DEFAULTS = {
    name: parameter.default
    for name, parameter in inspect.signature(asyncpg.create_pool).parameters.items()
    if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    and parameter.default is not inspect.Parameter.empty
}


def get_client_class(db_info: dict[str, Any]) -> type[BaseDBAsyncClient]:
    """Tortoise's engine hook: one engine module for both dialects."""
    if "file_path" in db_info["credentials"]:
        return BoundedSqliteClient
    return BoundedAsyncpgClient


class BoundedWaitPool(asyncpg.Pool):  # type: ignore[misc]
    """asyncpg's pool, with every wait bounded and connections handed out in turn.

    asyncio.Queue (asyncpg's idle connections) is not fair to a woken waiter: a request
    arriving just as a connection comes back takes it, and the woken waiter queues again at
    the back. Under load a few requests then wait many times the average (bench, 32 requests
    on 10 connections: p99 294 ms for a p50 of 31 ms). A semaphore the size of the pool
    (FIFO since Python 3.11) gives turns in arrival order, and whoever has a turn finds an
    idle connection at once.
    """

    __slots__ = ("_acquire_timeout", "_turns", "waiting")

    def acquire(self, *, timeout: float | None = None) -> Any:
        return super().acquire(timeout=self._acquire_timeout if timeout is None else timeout)

    async def _acquire(self, timeout: float | None) -> Any:  # noqa: ASYNC109 - asyncpg's signature
        # Counted for the pool metrics: acquires not yet handed a connection. asyncpg keeps
        # no such count; every acquire (the context manager too) goes through _acquire.
        self.waiting += 1
        try:
            if self._turns.locked():
                async with asyncio.timeout(timeout):
                    await self._turns.acquire()
            else:
                await self._turns.acquire()  # at once
            try:
                # A turn means an idle connection (no wait, so no timeout: asyncpg's costs a
                # task per acquire). Reconnecting one that closed is bounded by the connect
                # timeout (taskql.database).
                return await super()._acquire(None)
            except BaseException:
                self._turns.release()
                raise
        finally:
            self.waiting -= 1

    async def release(self, connection: Any, *, timeout: float | None = None) -> None:  # noqa: ASYNC109
        try:
            await super().release(connection, timeout=timeout)
        finally:
            self._turns.release()

    def usage(self) -> tuple[int, int, int]:
        """(open connections, lent out, waiting) for the pool metrics."""
        size = self.get_size()
        return size, size - self.get_idle_size(), self.waiting


async def _text_timestamps(connection: asyncpg.Connection) -> None:
    """timestamptz travels as text and is parsed by datetime.fromisoformat (C): asyncpg's
    binary decoder costs about 1 µs a value, this about 0.25 (a 200-row page with one
    timestamp: 320 against 170 µs). The session's TimeZone is UTC (taskql.database), so
    values come back aware in UTC exactly as before; parameters go out as ISO 8601 with
    their offset."""
    await connection.set_type_codec(
        "timestamptz",
        schema="pg_catalog",
        encoder=datetime.isoformat,
        decoder=datetime.fromisoformat,
        format="text",
    )


class BoundedAsyncpgClient(MeasuredStatements, AsyncpgDBClient):
    def __init__(self, *, acquire_timeout: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.acquire_timeout = acquire_timeout

    async def create_pool(self, **kwargs: Any) -> asyncpg.Pool:
        pool = BoundedWaitPool(None, **{**_POOL_DEFAULTS, **kwargs, "init": _text_timestamps})
        pool._acquire_timeout = self.acquire_timeout  # noqa: SLF001 - our own subclass's slot
        pool._turns = asyncio.Semaphore(pool._maxsize)  # noqa: SLF001 - asyncpg's max_size
        pool.waiting = 0
        return await pool

    def _in_transaction(self) -> TransactionContext:
        # tortoise's own, with a wrapper whose statements are measured.
        return TransactionContextPooled(MeasuredAsyncpgTransaction(self), self._pool_init_lock)

    def pool_usage(self) -> tuple[int, int, int]:
        pool = self._pool
        return pool.usage() if isinstance(pool, BoundedWaitPool) else (0, 0, 0)


class PinnedConnection(MeasuredAsyncpgTransaction):
    """One pool connection lent to a block of statements (one_connection): tortoise's
    transaction wrapper without the transaction, taking the connection at the block's first
    statement. A transaction begun inside the block takes its own connection, as it would
    outside."""

    async def create_connection(self, with_db: bool) -> None:  # noqa: ARG002 - tortoise's signature
        # tortoise's hook when a statement finds no connection; statements of the block that
        # run concurrently wait on the wrapper's lock, and the later ones find it made.
        if self._connection is None:
            pool = cast("asyncpg.Pool", self._parent._pool)  # noqa: SLF001 - one_connection checked it
            self._connection = await pool.acquire()

    def _in_transaction(self) -> TransactionContext:
        return self._parent._in_transaction()  # noqa: SLF001 - tortoise's own hook


@asynccontextmanager
async def one_connection() -> AsyncIterator[None]:
    """The block's statements on one pool connection, taken once (if at all).

    Taking and returning an asyncpg pool connection costs more CPU than a short statement
    (asyncpg shields every release with a task): a request whose reads are known in advance
    pays for it once. SQLite has one connection anyway; inside a transaction its connection
    is already the one.
    """
    client = connections.get("default")
    pool = getattr(client, "_pool", None)
    if not isinstance(client, BoundedAsyncpgClient) or pool is None:
        yield
        return
    pinned = PinnedConnection(client)
    pinned._connection = None  # noqa: SLF001 - taken by the first statement
    token = get_connections().set(client.connection_name, pinned)
    try:
        yield
    finally:
        get_connections().reset(token)
        if pinned._connection is not None:  # noqa: SLF001
            await pool.release(pinned._connection)  # noqa: SLF001


class BoundedSqliteClient(MeasuredStatements, SqliteClient):
    def __init__(self, file_path: str, *, acquire_timeout: float, **pragmas: Any) -> None:
        # Every other credential becomes a PRAGMA (busy_timeout among them).
        super().__init__(file_path, **pragmas)
        self._timed_lock = _TimedLock(acquire_timeout)
        self._lock = self._timed_lock

    async def create_connection(self, with_db: bool) -> None:  # noqa: ARG002 - tortoise's signature
        """Tortoise's SQLite connect, plus clean-up when it fails.

        A file that opened but refused a PRAGMA must not stay half set up. And a failed or
        cancelled connect stops aiosqlite's worker thread without waiting for it: we wait
        (off the loop), or the thread may report to an event loop that has closed since.
        """
        if self._connection:
            return
        connecting = aiosqlite.connect(self.filename, isolation_level=None)
        try:
            self._connection = await connecting
            self._connection._conn.row_factory = sqlite3.Row  # noqa: SLF001 - as tortoise does
            for pragma, value in self.pragmas.items():
                cursor = await self._connection.execute(f"PRAGMA {pragma}={value}")
                await cursor.close()
            await self._connect_virtual_tables(self._connection)
            await self._post_connect()
        except BaseException:
            await self.close()
            await asyncio.to_thread(connecting._thread.join)  # noqa: SLF001
            raise

    @staticmethod
    async def _connect_virtual_tables(connection: aiosqlite.Connection) -> None:
        """Use each virtual table (the FTS5 search index) once, now.

        FTS5 reads its configuration when a connection first uses the table. Inside a
        deferred transaction that read comes before the write lock, and SQLite then refuses
        the lock at once (SQLITE_BUSY: a reader may not wait to become the writer) instead of
        waiting busy_timeout, so the first task write under contention would fail at once.
        """
        cursor = await connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND sql LIKE 'CREATE VIRTUAL TABLE%'"
        )
        names = [row[0] for row in await cursor.fetchall()]
        await cursor.close()
        for name in names:
            quoted = name.replace('"', '""')
            cursor = await connection.execute(f'SELECT 1 FROM "{quoted}" LIMIT 0')  # noqa: S608
            await cursor.close()

    def acquire_connection(self) -> ConnectionWrapper[Any]:
        return _ReleasingConnectionWrapper(self._lock, self)

    def _in_transaction(self) -> TransactionContext:
        return _ReleasingTransactionContext(MeasuredSqliteTransaction(self), self._lock)

    def pool_usage(self) -> tuple[int, int, int]:
        # One connection, lent to whoever holds the lock.
        return 1, int(self._timed_lock.locked()), self._timed_lock.waiting


class _TimedLock(asyncio.Lock):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.waiting = 0  # for the pool metrics

    async def acquire(self) -> Literal[True]:
        self.waiting += 1
        try:
            async with asyncio.timeout(self.timeout):
                return await super().acquire()
        finally:
            self.waiting -= 1


class _ReleasingConnectionWrapper(ConnectionWrapper[Any]):
    async def __aenter__(self) -> Any:
        await self._lock.acquire()
        try:
            await self.ensure_connection()
        except BaseException:
            self._lock.release()
            raise
        return self.connection


class _ReleasingTransactionContext(SqliteTransactionContext):
    async def __aenter__(self) -> Any:
        await self._trxlock.acquire()
        try:
            await self.ensure_connection()
            self.token = get_connections().set(self.connection_name, self.connection)
            try:
                await self.connection.begin()
            except BaseException:
                get_connections().reset(self.token)
                raise
        except BaseException:
            self._trxlock.release()
            raise
        return self.connection
