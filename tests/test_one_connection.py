"""one_connection (taskql/database_clients.py): a block's statements share one pool
connection, taken once; a transaction inside still takes its own, and commits."""

from __future__ import annotations

import asyncio

from tortoise import connections
from tortoise.transactions import in_transaction

from models.users import User
from taskql.database_clients import BoundedAsyncpgClient, one_connection
from tests.conftest import with_overrides
from tests.factories import create_user


async def backend(sql: str) -> object:
    rows = await connections.get("default").execute_query_dict(sql)
    return next(iter(rows[0].values()))


async def test_statements_of_a_block_share_one_pool_connection(client):
    database = connections.get("default")
    postgres = isinstance(database, BoundedAsyncpgClient)
    which = "SELECT pg_backend_pid() AS pid" if postgres else "SELECT 1 AS pid"
    user = await create_user()

    async with one_connection():
        first = await backend(which)
        second = await backend(which)
        # A transaction in the block takes a connection of its own and commits.
        async with in_transaction() as transaction:
            placeholder = "$1" if postgres else "?"
            await transaction.execute_query(
                f"UPDATE users SET display_name = 'pinned' WHERE email = {placeholder}",  # noqa: S608
                [user.email],
            )
            other = await backend(which)
        third = await backend(which)
        idle_inside = database._pool.get_idle_size() if postgres else 0

    assert first == second == third
    assert (await User.get(id=user.id)).display_name == "pinned"
    if postgres:
        assert other != first  # the transaction's own connection
        assert database._pool.get_idle_size() == idle_inside + 1  # returned


async def test_a_block_without_statements_takes_no_connection(client):
    database = connections.get("default")
    pool = getattr(database, "_pool", None)
    idle_before = pool.get_idle_size() if pool is not None else None

    async with one_connection():
        idle_during = pool.get_idle_size() if pool is not None else None
        assert await backend("SELECT 1 AS one") == 1

    assert idle_during == idle_before
    if pool is not None:
        assert pool.get_idle_size() == idle_before  # the statement's connection came back


async def test_connections_are_handed_out_in_turn(make_client, settings):
    """32 requests churning through 4 connections: nobody is overtaken by a request that
    asked after it (asyncio.Queue alone lets newcomers take a connection a woken waiter was
    promised, which made a long latency tail)."""
    await make_client(with_overrides(settings, database={"pool_min": 4, "pool_max": 4}))
    database = connections.get("default")
    granted = 0
    waiting = 0
    overtaken: list[int] = []

    async def churn() -> None:
        nonlocal granted, waiting
        for _ in range(15):
            ahead, before = waiting, granted
            waiting += 1
            async with database.acquire_connection() as connection:
                waiting -= 1
                overtaken.append(granted - before - ahead)
                granted += 1
                await connection.execute("SELECT 1")

    await asyncio.gather(*(churn() for _ in range(32)))

    assert len(overtaken) == 32 * 15
    assert max(overtaken) <= 0
