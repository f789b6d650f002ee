"""The search migration indexes the tasks that existed before it (the backfill)."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from taskql.settings import Settings
from tests.cli import ROOT
from tests.test_session_migration import (
    USER_ID,
    USER_ROW,
    USER_SQL,
    _execute,
    _pg,
    migrate,
    project_copy,
)

# Its file name, whatever number it was given: the copy stops right before it.
SEARCH_MIGRATION = next(
    path.name for path in (ROOT / "migrations" / "sqlite" / "models").glob("*_task_search.py")
)
NOW = datetime.now(UTC)
TASK_SQL = (
    'INSERT INTO "tasks" ("id", "owner_id", "title", "description", "status", "priority", '
    '"version", "created_at", "updated_at") VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})'
)
TASKS = [
    (str(uuid.uuid4()), USER_ID, "Old milk run", None, "TODO", 2, 1, NOW, NOW),
    (str(uuid.uuid4()), USER_ID, "Paint fence", "buy brushes and milk", "TODO", 2, 1, NOW, NOW),
    (str(uuid.uuid4()), USER_ID, "Unrelated", "nothing here", "TODO", 2, 1, NOW, NOW),
]


def test_migration_indexes_existing_tasks(tmp_path: Path, settings: Settings):
    """Tasks written before the search migration are found by a search right after it (title and
    description), on the configured dialect."""
    dialect = settings.database.dialect
    project_copy(tmp_path, dialect, upto=SEARCH_MIGRATION)
    if dialect == "sqlite":
        found = _upgrade_sqlite(tmp_path)
    else:
        found = _upgrade_postgres(tmp_path, settings.database.url)
    assert sorted(found) == sorted(str(row[0]) for row in TASKS[:2])


def _upgrade_sqlite(home: Path) -> list[str]:
    database = home / "old.sqlite3"
    url = f"sqlite://{database}"
    migrate(home, url)
    with sqlite3.connect(database) as connection:
        connection.execute(USER_SQL.format(*"?" * 9), USER_ROW)
        connection.executemany(TASK_SQL.format(*"?" * 9), TASKS)
    project_copy(home, "sqlite", upto="9")
    migrate(home, url)
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT id FROM tasks WHERE rowid IN"
            " (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH 'milk')"
        ).fetchall()
    return [row[0] for row in rows]


def _upgrade_postgres(home: Path, url: str) -> list[str]:
    schema = f"migration_{uuid.uuid4().hex[:12]}"
    dsn = url.replace("postgres://", "postgresql://", 1)
    asyncio.run(_execute(dsn, f'CREATE SCHEMA "{schema}"'))
    try:
        migrate(home, f"{url}?schema={schema}")
        asyncio.run(_insert(dsn, schema))
        project_copy(home, "postgres", upto="9")
        migrate(home, f"{url}?schema={schema}")
        return asyncio.run(_search(dsn, schema))
    finally:
        asyncio.run(_execute(dsn, f'DROP SCHEMA "{schema}" CASCADE'))


async def _insert(dsn: str, schema: str) -> None:
    connection = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        marks = [f"${n}" for n in range(1, 10)]
        await connection.execute(USER_SQL.format(*marks), *_pg(USER_ROW))
        await connection.executemany(TASK_SQL.format(*marks), [_pg(row) for row in TASKS])
    finally:
        await connection.close()


async def _search(dsn: str, schema: str) -> list[str]:
    connection = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        rows = await connection.fetch(
            "SELECT id FROM tasks WHERE search_vector @@ to_tsquery('simple', 'milk')"
        )
        return [str(row["id"]) for row in rows]
    finally:
        await connection.close()
