"""Tortoise configuration, the health ping and the aerich migrations (one folder per dialect).

aerich writes dialect-specific SQL, so SQLite and PostgreSQL each have a committed migration
set under migrations/<dialect>/models/, generated from the same models by `taskql
make-migrations` and checked against the models by the test suite.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext

from taskql.paths import project_root
from taskql.settings import DatabaseSettings

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

APP = "models"
# What Tortoise and aerich load, by module path: strings, so the core imports no model.
MODEL_MODULES = [
    "models.users",
    "models.credentials",
    "models.tasks",
    "models.audit",
    "models.account_tokens",
]
DIALECTS = ("sqlite", "postgres")
# Stand-in URLs for generating migrations offline: aerich needs only the dialect, not a server.
OFFLINE_URLS = {
    "sqlite": "sqlite://:memory:",
    "postgres": "postgres://taskql@127.0.0.1:5432/taskql",
}


ENGINE = "taskql.database_clients"
# The same clients plus a span per statement, for an app with tracing on.
TRACED_ENGINE = "taskql.traced_database_clients"
# Whether aerich's version table exists (a database never migrated has none).
AERICH_TABLE_EXISTS = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'aerich'",
    "postgres": "SELECT 1 AS present WHERE to_regclass('aerich') IS NOT NULL",
}


def tortoise_config(
    database: DatabaseSettings, *, bounded: bool = True, tracer: Tracer | None = None
) -> dict[str, Any]:
    """The ORM configuration; `bounded=False` lifts the statement timeout (for migrating),
    a `tracer` makes a span of each statement."""
    connection = _connection(database, bounded=bounded)
    if tracer is not None:
        connection["engine"] = TRACED_ENGINE
        connection["credentials"]["tracer"] = tracer
    return _config(connection)


def _config(connection: str | dict[str, Any]) -> dict[str, Any]:
    # aerich's own model (its version table) is part of the app so migrations can run in it.
    return {
        "connections": {"default": connection},
        "apps": {
            APP: {"models": [*MODEL_MODULES, "aerich.models"], "default_connection": "default"}
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection(database: DatabaseSettings, *, bounded: bool) -> dict[str, Any]:
    statement_ms = int(database.statement_timeout_seconds * 1000) if bounded else 0
    if database.dialect == "sqlite":
        path = database.url.split("://", 1)[1]
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = expand_db_url(database.url)
        if bounded:
            # SQLite has no statement timeout; how long a write waits for another
            # connection's lock (the busy timeout) is what bounds a statement there.
            connection["credentials"]["busy_timeout"] = statement_ms
    else:
        connection = expand_db_url(database.url.replace("postgresql://", "postgres://", 1))
        credentials = connection["credentials"]
        credentials.setdefault("minsize", database.pool_min)
        credentials.setdefault("maxsize", database.pool_max)
        credentials["reset"] = _keep_session
        # Sent in the start-up packet of every connection: no extra round trip; 0 is none.
        server_settings = credentials.setdefault("server_settings", {})
        server_settings["statement_timeout"] = str(statement_ms)
        # Timestamps come back as text in UTC, whatever the server's default time zone
        # (taskql.database_clients reads them with datetime.fromisoformat).
        server_settings["TimeZone"] = "UTC"
        # asyncpg's connect timeout (60 s by default): a host that drops packets must not
        # hold a request longer than waiting for a busy pool would.
        credentials["timeout"] = database.pool_acquire_timeout_seconds
    connection["engine"] = ENGINE
    connection["credentials"]["acquire_timeout"] = database.pool_acquire_timeout_seconds
    return connection


async def _keep_session(_: object) -> None:
    """asyncpg's pool reset, minus the round trip.

    By default every connection release sends `SELECT pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL`, a round trip per statement. We never change session state, and
    the pool still ends any open transaction itself before calling this.
    """


def migrations_location(dialect: str) -> Path:
    return project_root() / "migrations" / dialect


async def open_orm(database: DatabaseSettings, *, tracer: Tracer | None = None) -> TortoiseContext:
    """Configure the ORM; connections open lazily, so a database that is down does not stop us.

    The context is also the process-wide fallback: aiohttp runs handlers in tasks that do not
    inherit the start-up task's context variables.
    """
    config = tortoise_config(database, tracer=tracer)
    return await Tortoise.init(config=config, _enable_global_fallback=True)


async def ping() -> None:
    """SELECT 1; raises the driver's error (callers bound the wait)."""
    await connections.get("default").execute_query("SELECT 1")


def committed_migrations(dialect: str) -> list[str]:
    """The migration files of `dialect` in order; aerich records each applied one by name."""
    files = (migrations_location(dialect) / APP).glob("[0-9]*_*.py")
    return sorted((path.name for path in files), key=lambda name: int(name.split("_", 1)[0]))


async def pending_migrations(dialect: str) -> list[str]:
    """The committed migrations this database has not applied (all of them without aerich's
    table). Migrations applied by a newer release are no concern of ours: they are additive."""
    connection = connections.get("default")
    committed = committed_migrations(dialect)
    rows = await connection.execute_query_dict(AERICH_TABLE_EXISTS[dialect])
    if not rows:
        return committed
    applied = await connection.execute_query_dict(
        f"SELECT version FROM aerich WHERE app = '{APP}'"  # noqa: S608 - a constant
    )
    versions = {row["version"] for row in applied}
    return [name for name in committed if name not in versions]


async def apply_migrations(database: DatabaseSettings) -> list[str]:
    """Apply the committed migrations of the database's dialect; returns the files applied.

    For a process of its own (`taskql migrate`, the test set-up): aerich opens and closes
    the ORM itself.
    """
    from aerich import Command  # noqa: PLC0415 - aerich is only needed by migrating code paths

    location = migrations_location(database.dialect)
    # A migration may rewrite a large table: the statement timeout is for requests.
    config = tortoise_config(database, bounded=False)
    async with Command(tortoise_config=config, app=APP, location=str(location)) as command:
        applied: list[str] = await command.upgrade(run_in_transaction=True)
    return applied


async def apply_migrations_in_app(database: DatabaseSettings) -> list[str]:
    """The same, through the running app's ORM (opened by open_orm), leaving it open.

    Tortoise model classes are process-wide, so a second ORM context for aerich would fight
    the app's over them; aerich reuses an initialised ORM when it finds one.
    """
    from aerich import Command  # noqa: PLC0415

    location = migrations_location(database.dialect)
    command = Command(tortoise_config=tortoise_config(database), app=APP, location=str(location))
    await command.init()
    applied: list[str] = await command.upgrade(run_in_transaction=True)
    return applied


async def make_migration(dialect: str, name: str, *, into: Path | None = None) -> str | None:
    """Write the next migration of `dialect` from the models, offline; None when up to date."""
    from aerich import Command  # noqa: PLC0415

    location = into or migrations_location(dialect)
    config = _config(OFFLINE_URLS[dialect])
    command = Command(tortoise_config=config, app=APP, location=str(location))
    try:
        if not any((location / APP).glob("0_*.py")):
            await command.init_migrations(safe=True)
            return next((location / APP).glob("0_*.py")).name
        await command.init(offline=True)
        version: str = await command.migrate(name=name, no_input=True, offline=True)
        return version or None
    finally:
        await Tortoise.close_connections()


async def model_drift(dialect: str) -> str:
    """The SQL of the migration the models would need beyond the committed ones ('' if none)."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / dialect
        shutil.copytree(migrations_location(dialect), copy)
        version = await make_migration(dialect, "drift", into=copy)
        if version is None:
            return ""
        return (copy / APP / version).read_text(encoding="utf-8")
