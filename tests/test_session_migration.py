"""The sessions migration keeps live sign-ins alive across the deploy and drops the rest."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from taskql.settings import Settings
from tests.cli import ROOT, run_taskql, taskql_env

SESSIONS_MIGRATION = "2_"
NOW = datetime.now(UTC)
USER_ID = str(uuid.uuid4())
# family -> its refresh tokens as (used, revoked, expires in days)
FAMILIES = {
    "live": [(True, False, 30), (False, False, 30)],
    "spent": [(True, False, 30)],
    "revoked": [(True, True, 30), (False, True, 30)],
    "expired": [(False, False, -1)],
}
FAMILY_IDS = {name: str(uuid.uuid4()) for name in FAMILIES}


def project_copy(home: Path, dialect: str, *, upto: str) -> None:
    """settings.toml and the committed migrations of `dialect` before `upto`."""
    shutil.copy(ROOT / "settings.toml", home / "settings.toml")
    source = ROOT / "migrations" / dialect / "models"
    target = home / "migrations" / dialect / "models"
    target.mkdir(parents=True, exist_ok=True)
    for migration in sorted(source.glob("*.py")):
        if migration.name < upto:
            shutil.copy(migration, target / migration.name)


def migrate(home: Path, url: str) -> None:
    env = taskql_env(TASKQL_ENV="test", TASKQL_HOME=str(home), TASKQL_DATABASE__URL=url)
    done = run_taskql("migrate", env=env)
    assert done.returncode == 0, done.stdout + done.stderr


def rows_before() -> list[tuple[Any, ...]]:
    rows = []
    for name, tokens in FAMILIES.items():
        for used, revoked, days in tokens:
            rows.append(
                (
                    str(uuid.uuid4()),
                    USER_ID,
                    FAMILY_IDS[name],
                    uuid.uuid4().hex * 2,
                    NOW + timedelta(days=days),
                    NOW - timedelta(days=2) if used else None,
                    NOW - timedelta(days=1) if revoked else None,
                    NOW - timedelta(days=3),
                )
            )
    return rows


USER_SQL = (
    'INSERT INTO "users" ("id", "email", "display_name", "password_hash", "role", "is_active", '
    '"token_epoch", "created_at", "updated_at") VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})'
)
TOKEN_SQL = (
    'INSERT INTO "refresh_tokens" ("id", "user_id", "family_id", "token_hash", "expires_at", '
    '"used_at", "revoked_at", "created_at") VALUES ({}, {}, {}, {}, {}, {}, {}, {})'
)
USER_ROW = (USER_ID, "old@example.test", "Old", "x", "USER", True, 0, NOW, NOW)


def test_migration_backfills_live_sessions(tmp_path: Path, settings: Settings):
    """On the configured dialect, a refresh-token family with an unspent, unrevoked, unexpired
    token becomes a live session of its user; spent, revoked and expired families do not (their
    tokens are refused from then on), and the jti revocation table is gone."""
    dialect = settings.database.dialect
    project_copy(tmp_path, dialect, upto=SESSIONS_MIGRATION)
    if dialect == "sqlite":
        sessions, tables = _upgrade_sqlite(tmp_path)
    else:
        sessions, tables = _upgrade_postgres(tmp_path, settings.database.url)
    assert [(s[0], s[1]) for s in sessions] == [(FAMILY_IDS["live"], USER_ID)]
    _, _, expires_at, revoked_at = sessions[0]
    assert expires_at > NOW + timedelta(days=29)
    assert revoked_at is None
    assert "revoked_access_tokens" not in tables
    assert "sessions" in tables


Sessions = list[tuple[str, str, datetime, datetime | None]]
SELECT_SESSIONS = 'SELECT "id", "user_id", "expires_at", "revoked_at" FROM "sessions"'


def _upgrade_sqlite(home: Path) -> tuple[Sessions, set[str]]:
    database = home / "old.sqlite3"
    url = f"sqlite://{database}"
    migrate(home, url)
    with sqlite3.connect(database) as connection:
        connection.execute(USER_SQL.format(*"?" * 9), USER_ROW)
        connection.executemany(TOKEN_SQL.format(*"?" * 8), rows_before())
    project_copy(home, "sqlite", upto="9")
    migrate(home, url)
    with sqlite3.connect(database) as connection:
        rows = connection.execute(SELECT_SESSIONS).fetchall()
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    sessions = [
        (r[0], r[1], datetime.fromisoformat(r[2]), r[3] and datetime.fromisoformat(r[3]))
        for r in rows
    ]
    return sessions, tables


def _upgrade_postgres(home: Path, url: str) -> tuple[Sessions, set[str]]:
    # A schema of its own inside the test database, dropped afterwards.
    schema = f"migration_{uuid.uuid4().hex[:12]}"
    dsn = url.replace("postgres://", "postgresql://", 1)
    asyncio.run(_execute(dsn, f'CREATE SCHEMA "{schema}"'))
    try:
        migrate(home, f"{url}?schema={schema}")
        asyncio.run(_insert_old_rows(dsn, schema))
        project_copy(home, "postgres", upto="9")
        migrate(home, f"{url}?schema={schema}")
        return asyncio.run(_read_new_rows(dsn, schema))
    finally:
        asyncio.run(_execute(dsn, f'DROP SCHEMA "{schema}" CASCADE'))


async def _execute(dsn: str, sql: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _insert_old_rows(dsn: str, schema: str) -> None:
    connection = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        marks = [f"${n}" for n in range(1, 10)]
        await connection.execute(USER_SQL.format(*marks), *_pg(USER_ROW))
        await connection.executemany(TOKEN_SQL.format(*marks[:8]), [_pg(r) for r in rows_before()])
    finally:
        await connection.close()


def _pg(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # asyncpg wants UUID objects for uuid columns; the hash column is text.
    return tuple(
        uuid.UUID(value) if isinstance(value, str) and len(value) == 36 else value for value in row
    )


async def _read_new_rows(dsn: str, schema: str) -> tuple[Sessions, set[str]]:
    connection = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        rows = await connection.fetch(SELECT_SESSIONS)
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = $1", schema
        )
        sessions = [(str(r[0]), str(r[1]), r[2], r[3]) for r in rows]
        return sessions, {row["tablename"] for row in tables}
    finally:
        await connection.close()
