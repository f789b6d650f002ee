"""The transport settings.events chooses: memory, PostgreSQL LISTEN/NOTIFY or Redis pub/sub.

"auto" is postgres on PostgreSQL (every instance already shares the database) and memory on
SQLite (one process). Settings refuse memory wherever more than one process serves.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from taskql.events.transport import EventTransport, InProcessTransport
from taskql.settings import Settings


def resolved_backend(settings: Settings) -> str:
    backend = settings.events.backend
    if backend == "auto":
        return "postgres" if settings.database.dialect == "postgres" else "memory"
    return backend


def build_transport(settings: Settings) -> EventTransport:
    backend = resolved_backend(settings)
    database = settings.database
    if backend == "postgres":
        from taskql.events.postgres_transport import (  # noqa: PLC0415 - asyncpg only when used
            PostgresTransport,
            connect_arguments,
        )

        return PostgresTransport(
            connect=connect_arguments(database.url),
            channel=settings.events.channel,
            timeout_seconds=database.pool_acquire_timeout_seconds,
            retry_max_seconds=database.retry_max_seconds,
            acquire=_app_pool_connection,
        )
    if backend == "redis":
        from taskql.events.redis_transport import RedisTransport  # noqa: PLC0415 - see its doc

        return RedisTransport(
            url=settings.events.redis_url,
            channel=settings.events.channel,
            timeout_seconds=database.pool_acquire_timeout_seconds,
            retry_max_seconds=database.retry_max_seconds,
        )
    return InProcessTransport()


def _app_pool_connection() -> AbstractAsyncContextManager[Any]:
    """A connection of the app's ORM pool (with its bounded acquire) to NOTIFY on. Used
    directly, not through the ORM, so a publish is not one of a request's counted statements
    and adds nothing to the statement counts that differ by backend."""
    from tortoise import connections  # noqa: PLC0415

    connection: AbstractAsyncContextManager[Any] = connections.get("default").acquire_connection()
    return connection
