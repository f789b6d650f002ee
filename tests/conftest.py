"""Shared fixtures: a clean database built by the migrations, the real app over HTTP.

The database is SQLite by default; CI runs the suite a second time with
TASKQL_DATABASE__URL=postgres://postgres@127.0.0.1:5432/test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest
from aiohttp.test_utils import TestClient
from tortoise import connections

os.environ["TASKQL_ENV"] = "test"

from server.app import create_app
from server.app_keys import DATABASE_READY
from taskql.database import apply_migrations
from taskql.logging import configure_logging
from taskql.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
# Children first, so plain DELETEs respect the foreign keys on SQLite as on PostgreSQL.
TABLES = ("audit_events", "tasks", "refresh_tokens", "sessions", "login_failures", "users")

GraphQL = Callable[..., Awaitable[dict[str, Any]]]


def base_settings() -> Settings:
    return load_settings("test")


def reset_database(settings: Settings) -> None:
    """Drop everything, then build the schema from the committed migrations only."""
    database = settings.database
    if database.dialect == "sqlite":
        path = Path(database.url.split("://", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        asyncio.run(_drop_postgres_schema(database.url))
    asyncio.run(apply_migrations(database))


async def _drop_postgres_schema(url: str) -> None:
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


@pytest.fixture(scope="session", autouse=True)
def migrated_database() -> Settings:
    settings = base_settings()
    configure_logging(level="INFO", json_output=True)
    reset_database(settings)
    return settings


@pytest.fixture
def settings(migrated_database: Settings) -> Settings:
    return migrated_database


def with_overrides(settings: Settings, **sections: dict[str, Any]) -> Settings:
    """A copy of settings with some keys of sections replaced: with_overrides(s, server={...})."""
    replaced = {
        name: dataclasses.replace(getattr(settings, name), **values)
        for name, values in sections.items()
    }
    return dataclasses.replace(settings, **replaced)


MakeClient = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
async def make_client(aiohttp_client: Any) -> AsyncIterator[MakeClient]:
    """Start the real app (factory, middlewares, ORM) for given settings; rows are wiped after.

    `wait_ready=False` returns at once, for tests of a database that is down; `options` go
    to create_app (`schema_factory` mounts a test schema behind the real view and extensions,
    `span_exporter` receives the spans of an app with tracing on).
    """
    wipe = False

    async def start(
        settings: Settings, *, wait_ready: bool = True, **options: Any
    ) -> TestClient[Any, Any]:
        nonlocal wipe
        app = create_app(settings, **options)
        client: TestClient[Any, Any] = await aiohttp_client(app)
        if wait_ready:
            await asyncio.wait_for(client.app[DATABASE_READY].wait(), 10)
            wipe = True
        return client

    yield start
    if wipe:
        connection = connections.get("default")
        for table in TABLES:
            await connection.execute_script(f'DELETE FROM "{table}"')  # noqa: S608 - fixed names


@pytest.fixture
async def client(make_client: MakeClient, settings: Settings) -> TestClient[Any, Any]:
    return await make_client(settings)


@pytest.fixture
def graphql(client: TestClient[Any, Any]) -> GraphQL:
    """POST one operation; returns the decoded body (asserting HTTP 200 unless told otherwise)."""

    async def send(
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        status: int = 200,
    ) -> dict[str, Any]:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers
        )
        assert response.status == status, await response.text()
        body: dict[str, Any] = await response.json()
        return body

    return send


SQL_VERBS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"})


class StatementCounter(logging.Handler):
    """Collects every SQL statement Tortoise sends (its DEBUG log on tortoise.db_client)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.lstrip().split(" ", 1)[0].upper() in SQL_VERBS:
            self.statements.append(message)

    def reset(self) -> None:
        self.statements.clear()


@pytest.fixture
def sql_statements() -> Iterator[StatementCounter]:
    logger = logging.getLogger("tortoise.db_client")
    counter = StatementCounter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    yield counter
    logger.removeHandler(counter)
    logger.setLevel(previous)


class LogCapture:
    """The JSON log lines written while a test runs, rendered by the real formatter."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def clear(self) -> None:
        self.stream.seek(0)
        self.stream.truncate()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    @property
    def records(self) -> list[dict[str, Any]]:
        return [orjson.loads(line) for line in self.text.splitlines() if line.strip()]


@pytest.fixture
def logs() -> Iterator[LogCapture]:
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(root.handlers[0].formatter)
    root.addHandler(handler)
    yield LogCapture(stream)
    root.removeHandler(handler)
