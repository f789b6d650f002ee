"""The application factory: one aiohttp app wired from settings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

import aiohttp_cors
import strawberry
from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp_remotes import XForwardedStrict
from strawberry.extensions import SchemaExtension
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from schema import build_schema
from server.app_keys import DATABASE_MONITOR, DATABASE_READY, EVENT_HUB, LIVE_SOCKETS, SETTINGS
from server.background import in_background
from server.compiled_execution import (
    answer_compiled_over_http,
    bind_compiled_plans,
    with_compiled_plans,
)
from server.graphiql import add_graphiql_routes
from server.graphql_cost_limits import cost_limits_extension, set_up_costs
from server.graphql_documents import DOCUMENTS, CachedDocuments, QueryDocuments
from server.graphql_execution import PlainFieldExecutor
from server.graphql_socket import OperationTransport
from server.graphql_view import TaskQLView
from server.health import healthz, livez
from server.housekeeping import purge_periodically
from server.http_errors import json_error
from server.live_sockets import LiveSockets, watch_sessions
from server.mail_outbox import open_outbox
from server.malformed_requests import filter_malformed_requests
from server.metrics import add_metrics_listener, operation_middlewares
from server.middlewares import compression, limits, request_context
from server.operation_name import RecordOperationName
from server.persisted_queries import install as install_persisted_queries
from taskql.database import apply_migrations_in_app, open_orm
from taskql.database_monitor import DatabaseMonitor
from taskql.events.hub import EventHub
from taskql.events.transports import build_transport
from taskql.graphql_internals import graphql_core_schema
from taskql.logging import get_logger
from taskql.settings import Settings
from taskql.string_inputs import guard_string_inputs

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Tracer

    from server.tracing import Tracing

log = get_logger("taskql.app")

# The watcher's first retry after a failed check; it doubles up to retry_max_seconds. Also
# the least time between two checks, however often requests report trouble.
FIRST_RETRY_SECONDS = 0.25


SchemaFactory = Callable[..., strawberry.Schema]

# operations/*.graphql as packaged (GraphiQL's examples): their names label the metrics.
OPERATION_EXAMPLES = resources.files("server.graphiql") / "examples"


def create_app(
    settings: Settings,
    *,
    schema_factory: SchemaFactory = build_schema,
    span_exporter: SpanExporter | None = None,
) -> web.Application:
    """Wire the app; `schema_factory` is injectable so tests can mount extra root fields, and
    `span_exporter` replaces the OTLP exporter when tracing is on (tests read spans from it)."""
    tracing = _start_tracing(settings, span_exporter)
    filter_malformed_requests()
    middlewares = [request_context, limits(settings.server), compression(settings.server)]
    # Inside request_context (the log line's request id), outside the time limit (a 504 counts).
    middlewares[1:1] = operation_middlewares(settings.metrics, OPERATION_EXAMPLES)
    if settings.server.trusted_proxies:
        middlewares.insert(0, _client_address_from_proxies(settings.server.trusted_proxies))
    if tracing is not None:
        # Outermost: every log line and statement of the request happens inside its span.
        middlewares.insert(0, tracing.middleware())
    app = web.Application(middlewares=middlewares, client_max_size=settings.server.max_body_bytes)
    app[SETTINGS] = settings
    monitor = DatabaseMonitor(settings.database)
    app[DATABASE_MONITOR] = monitor
    app[DATABASE_READY] = monitor.ready
    if tracing is not None:
        app.cleanup_ctx.append(tracing.shut_down_on_cleanup)
    app.cleanup_ctx.append(_orm(tracing.tracer if tracing is not None else None))
    app.cleanup_ctx.append(in_background(_watch_database))
    app.cleanup_ctx.append(in_background(purge_periodically))
    app.cleanup_ctx.append(open_outbox)
    add_metrics_listener(app, settings.metrics)
    _serve_task_events(app, settings)

    app[DOCUMENTS] = QueryDocuments(settings.graphql)
    # The cost limits run after the cached validation: they cost only valid documents.
    extensions = [
        *_schema_extensions(app[DOCUMENTS]),
        cost_limits_extension(app),
        OperationTransport,
    ]
    executor: type[PlainFieldExecutor] = (
        PlainFieldExecutor if settings.graphql.field_suggestions else QuietPlainFieldExecutor
    )
    if tracing is not None:
        extensions.insert(0, tracing.extension())
        executor = tracing.executor(executor)
    else:
        # Traced apps keep graphql-core's path: their spans are per root field resolver.
        executor = with_compiled_plans(app, settings, executor)
    schema = schema_factory(extensions=extensions, execution_context_class=executor)
    bind_compiled_plans(app, schema)
    set_up_costs(app, graphql_core_schema(schema))
    install_persisted_queries(app, settings, app[DOCUMENTS], graphql_core_schema(schema))
    guard_string_inputs(
        graphql_core_schema(schema),
        max_length=settings.graphql.max_string_length,
    )
    answer_compiled_over_http(app, schema)
    view = TaskQLView(
        schema=schema,
        graphql_settings=settings.graphql,
        graphql_ide="graphiql" if settings.server.graphiql else None,
        allowed_origins=settings.server.cors_origins,
        # Nothing to subscribe to: without protocols every WebSocket handshake is refused.
        subscription_protocols=_socket_protocols(settings) if schema.subscription else (),
        connection_init_wait_timeout=timedelta(
            seconds=settings.subscriptions.connection_init_timeout_seconds
        ),
        max_subscriptions_per_connection=settings.subscriptions.max_per_connection,
        heartbeat_seconds=settings.subscriptions.heartbeat_seconds,
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


def _socket_protocols(settings: Settings) -> tuple[str, ...]:
    if settings.subscriptions.legacy_protocol:
        return (GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL)
    return (GRAPHQL_TRANSPORT_WS_PROTOCOL,)


def _serve_task_events(app: web.Application, settings: Settings) -> None:
    """One event transport and hub per instance, started and closed with the app; the
    WebSockets it serves, their periodic session check, closed first on shutdown."""
    hub = EventHub(build_transport(settings), queue_size=settings.subscriptions.queue_size)
    sockets = LiveSockets(max_sockets=settings.subscriptions.max_sockets)
    app[EVENT_HUB] = hub
    app[LIVE_SOCKETS] = sockets

    async def run_hub(app: web.Application) -> AsyncIterator[None]:  # noqa: ARG001
        await hub.start()
        yield
        await hub.close()

    async def check_sessions(app: web.Application) -> None:  # noqa: ARG001
        await watch_sessions(sockets, settings.subscriptions.session_check_seconds)

    async def close_sockets(app: web.Application) -> None:  # noqa: ARG001
        # on_shutdown runs before aiohttp waits for handlers: open sockets would hold it
        # for the whole shutdown timeout.
        await sockets.close_all()

    app.cleanup_ctx.append(run_hub)
    app.cleanup_ctx.append(in_background(check_sessions))
    app.on_shutdown.append(close_sockets)


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
        allow_headers=("Content-Type", "Authorization", "X-Request-Id", "X-TaskQL-Cost"),
        expose_headers=("X-Request-Id",),
        max_age=600,
    )
    cors = aiohttp_cors.setup(app, defaults=dict.fromkeys(settings.server.cors_origins, options))
    for route in routes:
        cors.add(route)


def _orm(tracer: Tracer | None) -> Callable[[web.Application], AsyncIterator[None]]:
    async def open_and_close(app: web.Application) -> AsyncIterator[None]:
        # Keep the context Tortoise.init returns and close *it*: under pytest the cleanup runs
        # in another task whose "current" context is empty, and a leaked aiosqlite thread
        # hangs exit.
        context = await open_orm(app[SETTINGS].database, tracer=tracer)
        yield
        await context.close_connections()

    return open_and_close


def _start_tracing(settings: Settings, exporter: SpanExporter | None) -> Tracing | None:
    if not settings.tracing.enabled:
        return None
    # Imported here: with tracing off, OpenTelemetry is not even loaded.
    from server.tracing import Tracing  # noqa: PLC0415

    return Tracing.start(settings.tracing, exporter=exporter)


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
