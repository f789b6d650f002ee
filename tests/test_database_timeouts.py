"""A locked table cannot park requests: a statement gives up after the statement timeout
(PostgreSQL statement_timeout, SQLite's busy timeout), a request waiting for a pool connection
gives up after the acquire timeout, both as SERVICE_UNAVAILABLE, and /healthz still answers.
The lock is taken by a separate connection, as another process would."""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg
import pytest
from tortoise import connections

from tests.conftest import with_overrides
from tests.task_factories import signed_in_user

CREATE = 'mutation { createTask(input: {title: "waits for the lock"}) { title } }'
ME = "{ me { email } }"


class TableLock:
    """Holds the write lock on the tasks table from outside the app."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres: asyncpg.Connection | None = None
        self.sqlite: sqlite3.Connection | None = None

    async def hold(self) -> None:
        scheme, rest = self.url.split("://", 1)
        if scheme == "sqlite":
            self.sqlite = sqlite3.connect(rest, isolation_level=None)
            self.sqlite.execute("BEGIN IMMEDIATE")  # the write lock; readers go on (WAL)
            return
        self.postgres = await asyncpg.connect(f"postgresql://{rest}")
        await self.postgres.execute("BEGIN; LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE")

    async def release(self) -> None:
        if self.sqlite is not None:
            self.sqlite.execute("ROLLBACK")
            self.sqlite.close()
            self.sqlite = None
        if self.postgres is not None:
            await self.postgres.close()  # ends the transaction and its lock
            self.postgres = None


@pytest.fixture
async def table_lock(settings):
    lock = TableLock(settings.database.url)
    yield lock
    await lock.release()


def bounded(settings, **database):
    return with_overrides(
        settings,
        database={
            "statement_timeout_seconds": 3.0,
            "pool_acquire_timeout_seconds": 0.3,
            "health_timeout_seconds": 1.0,
            **database,
        },
    )


async def wait_for_inserts(sql_statements, count: int) -> None:
    """Until `count` INSERTs into tasks were sent: each holds a connection while it waits."""
    async with asyncio.timeout(10):
        while True:
            sent = sum(s.startswith('INSERT INTO "tasks"') for s in sql_statements.statements)
            if sent >= count:
                return
            await asyncio.sleep(0.01)


async def post(client, query: str, token: str):
    return await client.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )


async def test_a_statement_waiting_for_a_lock_gives_up_as_service_unavailable(
    table_lock, make_client, settings
):
    """A write blocked by another connection's lock answers SERVICE_UNAVAILABLE with a retry
    hint once the statement timeout passes, and the same write succeeds once it is released."""
    client = await make_client(bounded(settings))
    _, token = await signed_in_user(settings)

    await table_lock.hold()
    response = await post(client, CREATE, token)
    assert response.status == 200
    assert response.headers["Retry-After"] == "3"
    body = await response.json()
    assert body["errors"][0]["extensions"] == {
        "code": "SERVICE_UNAVAILABLE",
        "retryAfterSeconds": 3,
    }

    await table_lock.release()
    body = await (await post(client, CREATE, token)).json()
    assert body["data"]["createTask"]["title"] == "waits for the lock"


async def test_a_held_pool_answers_service_unavailable_and_healthz_answers(
    table_lock, make_client, settings, sql_statements
):
    """With every pool connection (SQLite: its one connection) held by writes waiting for a
    lock, a request that needs none of the locked table is answered SERVICE_UNAVAILABLE after
    the acquire timeout, /healthz answers 503 instead of hanging, and all recovers after."""
    pool_max = 2
    client = await make_client(bounded(settings, pool_max=pool_max))
    _, token = await signed_in_user(settings)
    held = 1 if settings.database.dialect == "sqlite" else pool_max

    await table_lock.hold()
    writes = [asyncio.create_task(post(client, CREATE, token)) for _ in range(held)]
    await wait_for_inserts(sql_statements, held)

    response = await post(client, ME, token)
    assert response.status == 503
    assert response.headers["Retry-After"] == "3"
    assert (await response.json())["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    health = await client.get("/healthz")
    assert health.status == 503
    assert (await health.json())["status"] == "unavailable"

    for write in writes:
        body = await (await write).json()
        assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    await table_lock.release()
    body = await (await post(client, ME, token)).json()
    assert body["data"]["me"]["email"]
    assert (await client.get("/healthz")).status == 200


async def test_the_statement_timeout_from_settings_is_in_force(make_client, settings):
    """The app's connections carry database.statement_timeout_seconds: PostgreSQL's
    statement_timeout, SQLite's busy timeout (its default would be 5 s)."""
    await make_client(bounded(settings, statement_timeout_seconds=1.25))
    connection = connections.get("default")
    if settings.database.dialect == "sqlite":
        rows = await connection.execute_query_dict("PRAGMA busy_timeout")
        assert rows == [{"timeout": 1250}]
    else:
        rows = await connection.execute_query_dict("SHOW statement_timeout")
        assert rows == [{"statement_timeout": "1250ms"}]
