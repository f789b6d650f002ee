"""The application factory: one aiohttp app wired from settings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import aiohttp_cors
import strawberry
from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp_remotes import XForwardedStrict
from strawberry.extensions import SchemaExtension
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from schema import build_schema
from server.app_keys import DATABASE_MONITOR, DATABASE_READY, SETTINGS
from server.background import in_background
from server.graphiql import add_graphiql_routes
from server.graphql_documents import DOCUMENTS, CachedDocuments, QueryDocuments
from server.graphql_execution import PlainFieldExecutor
from server.graphql_view import RecordOperationName, TaskQLView
from server.health import healthz, livez
from server.housekeeping import purge_periodically
from server.http_errors import json_error
from server.malformed_requests import filter_malformed_requests
from server.middlewares import compression, limits, request_context
from server.persisted_queries import install as install_persisted_queries
from taskql.database import apply_migrations_in_app, open_orm
from taskql.database_monitor import DatabaseMonitor
from taskql.graphql_internals import graphql_core_schema
from taskql.logging import get_logger
from taskql.settings import Settings
from taskql.string_inputs import guard_string_inputs

log = get_logger("taskql.app")

# The watcher's first retry after a failed check; it doubles up to retry_max_seconds. Also
# the least time between two checks, however often requests report trouble.
FIRST_RETRY_SECONDS = 0.25


SchemaFactory = Callable[..., strawberry.Schema]


def create_app(
    settings: Settings, *, schema_factory: SchemaFactory = build_schema
) -> web.Application:
    """Wire the app; `schema_factory` is injectable so tests can mount extra root fields."""
    filter_malformed_requests()
    middlewares = [request_context, limits(settings.server), compression(settings.server)]
    if settings.server.trusted_proxies:
        middlewares.insert(0, _client_address_from_proxies(settings.server.trusted_proxies))
    app = web.Application(middlewares=middlewares, client_max_size=settings.server.max_body_bytes)
    app[SETTINGS] = settings
    monitor = DatabaseMonitor(settings.database)
    app[DATABASE_MONITOR] = monitor
    app[DATABASE_READY] = monitor.ready
    app.cleanup_ctx.append(_orm)
    app.cleanup_ctx.append(in_background(_watch_database))
    app.cleanup_ctx.append(in_background(purge_periodically))

    app[DOCUMENTS] = QueryDocuments(settings.graphql)
    schema = schema_factory(
        extensions=_schema_extensions(app[DOCUMENTS]),
        execution_context_class=(
            PlainFieldExecutor if settings.graphql.field_suggestions else QuietPlainFieldExecutor
        ),
    )
    install_persisted_queries(app, settings, app[DOCUMENTS], graphql_core_schema(schema))
    guard_string_inputs(
        schema._schema,  # noqa: SLF001 - strawberry's graphql-core schema
        max_length=settings.graphql.max_string_length,
    )
    view = TaskQLView(
        schema=schema,
        graphql_ide="graphiql" if settings.server.graphiql else None,
        allowed_origins=settings.server.cors_origins,
        # Nothing to subscribe to: without protocols every WebSocket handshake is refused.
        subscription_protocols=(
            (GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL)
            if schema.subscription is not None
            else ()
        ),
    )
    graphql_routes = [
        app.router.add_route("GET", "/graphql", view),
        app.router.add_route("POST", "/graphql", view),
    ]
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/livez", livez)
    if settings.server.graphiql:
        add_graphiql_routes(app)
    _allow_cors(app, settings, graphql_routes)
    return app


def _client_address_from_proxies(proxies: tuple[str, ...]) -> Middleware:
    """request.remote becomes the client behind one trusted proxy hop (rate limits need it).

    A forwarded header from any other peer is refused with 400; the probes stay reachable
    directly, as orchestrators call them without a proxy.
    """
    strict = TrustedProxies([list(proxies)], white_paths=("/healthz", "/livez"))
    return cast("Middleware", strict.middleware)


class TrustedProxies(XForwardedStrict):
    async def raise_error(self, request: web.Request) -> web.Response:  # type: ignore[override]  # noqa: ARG002
        # Outermost middleware: answer in our JSON error shape rather than aiohttp's text.
        return json_error(400, "X-Forwarded-* headers are accepted from trusted proxies only.")


def _schema_extensions(documents: QueryDocuments) -> list[Callable[[], SchemaExtension]]:
    # Factories, not instances: strawberry builds fresh extension objects per operation,
    # while the document cache is shared by the whole app.
    return [lambda: CachedDocuments(documents), RecordOperationName]


class QuietPlainFieldExecutor(PlainFieldExecutor):
    """Variable coercion errors without "Did you mean ..." hints (graphql.field_suggestions
    off): they would name enum values and input fields to a stranger probing the schema."""

    @classmethod
    def build(cls, *args: Any, **kwargs: Any) -> Any:
        return super().build(*args, **{**kwargs, "hide_suggestions": True})


def _allow_cors(app: web.Application, settings: Settings, routes: list[web.AbstractRoute]) -> None:
    options = aiohttp_cors.ResourceOptions(  # type: ignore[no-untyped-call]
        allow_credentials=False,
        allow_headers=("Content-Type", "Authorization", "X-Request-Id"),
        expose_headers=("X-Request-Id",),
        max_age=600,
    )
    cors = aiohttp_cors.setup(app, defaults=dict.fromkeys(settings.server.cors_origins, options))
    for route in routes:
        cors.add(route)


async def _orm(app: web.Application) -> AsyncIterator[None]:
    # Keep the context Tortoise.init returns and close *it*: under pytest the cleanup runs in
    # another task whose "current" context is empty, and a leaked aiosqlite thread hangs exit.
    context = await open_orm(app[SETTINGS].database)
    yield
    await context.close_connections()


async def _watch_database(app: web.Application) -> None:
    """Check the database while something is wrong: at start-up until it answers with a
    current schema (migrating it first when enabled), and after requests met an outage until
    it is back. Retries back off; a /healthz call that finds all well ends the wait at once."""
    monitor = app[DATABASE_MONITOR]
    database = app[SETTINGS].database
    while True:
        await monitor.wait_for_trouble()
        delay = FIRST_RETRY_SECONDS
        while await monitor.check(database.health_timeout_seconds) is not None:
            if monitor.schema_behind and database.migrate_on_start:
                await _migrate(monitor)
            await monitor.wait_until_healthy(delay)
            delay = min(delay * 2, database.retry_max_seconds)
        await asyncio.sleep(FIRST_RETRY_SECONDS)


async def _migrate(monitor: DatabaseMonitor) -> None:
    try:
        applied = await apply_migrations_in_app(monitor.database)
    except Exception as error:  # noqa: BLE001 - retried by the watcher; the reason is logged
        log.warning("migrations failed, retrying", error=str(error)[:200])
    else:
        log.info("migrations applied", applied=applied)
    monitor.migrated()
