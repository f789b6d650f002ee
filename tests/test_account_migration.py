"""Migration 4 (account recovery) keeps live sessions alive: each takes its user's epoch."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from taskql.settings import Settings
from tests.test_session_migration import USER_SQL, _execute, _pg, migrate, project_copy

ACCOUNT_MIGRATION = "4_"
NOW = datetime.now(UTC)
USER_ID = str(uuid.uuid4())
SESSION_ID = str(uuid.uuid4())
USER_ROW = (USER_ID, "old@example.test", "Old", "x", "USER", True, 2, NOW, NOW)
SESSION_SQL = (
    'INSERT INTO "sessions" ("id", "user_id", "created_at", "expires_at") VALUES ({}, {}, {}, {})'
)
SESSION_ROW = (SESSION_ID, USER_ID, NOW, NOW + timedelta(days=7))
SELECT_AFTER = (
    'SELECT "sessions"."token_epoch", "users"."email_verified_at" FROM "sessions" '
    'JOIN "users" ON "users"."id" = "sessions"."user_id"'
)


def test_migration_gives_live_sessions_their_users_epoch(tmp_path: Path, settings: Settings):
    """A session of a user at token epoch 2 keeps working after the migration (its epoch is
    2, not the column default 0); the user is unverified; the token table exists."""
    dialect = settings.database.dialect
    project_copy(tmp_path, dialect, upto=ACCOUNT_MIGRATION)
    if dialect == "sqlite":
        rows, tables = _upgrade_sqlite(tmp_path)
    else:
        rows, tables = _upgrade_postgres(tmp_path, settings.database.url)
    assert rows == [(2, None)]
    assert "account_tokens" in tables


def _upgrade_sqlite(home: Path) -> tuple[list[tuple[object, ...]], set[str]]:
    database = home / "old.sqlite3"
    url = f"sqlite://{database}"
    migrate(home, url)
    with sqlite3.connect(database) as connection:
        connection.execute(USER_SQL.format(*"?" * 9), USER_ROW)
        connection.execute(SESSION_SQL.format(*"?" * 4), SESSION_ROW)
    project_copy(home, "sqlite", upto="9")
    migrate(home, url)
    with sqlite3.connect(database) as connection:
        rows = connection.execute(SELECT_AFTER).fetchall()
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    return rows, tables


def _upgrade_postgres(home: Path, url: str) -> tuple[list[tuple[object, ...]], set[str]]:
    schema = f"migration_{uuid.uuid4().hex[:12]}"
    dsn = url.replace("postgres://", "postgresql://", 1)
    asyncio.run(_execute(dsn, f'CREATE SCHEMA "{schema}"'))
    try:
        migrate(home, f"{url}?schema={schema}")
        asyncio.run(_insert(dsn, schema))
        project_copy(home, "postgres", upto="9")
        migrate(home, f"{url}?schema={schema}")
        return asyncio.run(_read(dsn, schema))
    finally:
        asyncio.run(_execute(dsn, f'DROP SCHEMA "{schema}" CASCADE'))


async def _insert(dsn: str, schema: str) -> None:
    connection = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        marks = [f"${n}" for n in range(1, 10)]
        await connection.execute(USER_SQL.format(*marks), *_pg(USER_ROW))
        await connection.execute(SESSION_SQL.format(*marks[:4]), *_pg(SESSION_ROW))
    finally:
        await connection.close()


async def _read(dsn: str, schema: str) -> tuple[list[tuple[object, ...]], set[str]]:
    connection = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        rows = [tuple(r) for r in await connection.fetch(SELECT_AFTER)]
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = $1", schema
        )
        return rows, {row["tablename"] for row in tables}
    finally:
        await connection.close()
