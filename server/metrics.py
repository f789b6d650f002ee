"""Measuring GraphQL requests, logging slow ones, and the private /metrics listener.

The middleware is installed only when metrics are on or slow operations are logged; the
listener only when metrics are on (metrics.port), on its own host and port, so the public
port never answers /metrics. With `server.workers` > 1 every worker writes its metrics to
PROMETHEUS_MULTIPROC_DIR (made by the serving parent) and any worker's listener answers a
scrape with the sum of all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from importlib.resources.abc import Traversable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from graphql import GraphQLError, OperationDefinitionNode, parse
from tortoise import connections

from server.background import CleanupContext
from server.http_errors import CODES_BY_STATUS
from taskql import metrics
from taskql.logging import get_logger
from taskql.metrics import CURRENT_WORK, OperationLabels, RequestWork
from taskql.settings import MetricsSettings

log = get_logger("taskql.metrics")

GRAPHQL_PATH = "/graphql"
MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
# How often each worker of a multi-process server writes down its pool's state; a scrape
# reads that of the other workers from their files.
POOL_SAMPLE_SECONDS = 1.0


def measure_operations(settings: MetricsSettings, labels: OperationLabels) -> Middleware:
    """Counts and times each GraphQL request (SQL included) and logs it when slow."""
    slow_seconds = settings.slow_operation_ms / 1000 if settings.slow_operation_ms >= 0 else None

    @web.middleware
    async def measure(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path != GRAPHQL_PATH or request.headers.get("Upgrade", "").lower():
            return await handler(request)
        work = RequestWork(started=time.perf_counter())
        token = CURRENT_WORK.set(work)
        status = 500  # what request_context answers for an exception
        try:
            response = await handler(request)
        except web.HTTPException as error:
            status = error.status
            raise
        else:
            status = response.status
            return response
        finally:
            CURRENT_WORK.reset(token)
            _finish(work, status, labels, slow_seconds)

    return measure


def _finish(
    work: RequestWork, status: int, labels: OperationLabels, slow_seconds: float | None
) -> None:
    seconds = time.perf_counter() - work.started
    outcome = work.outcome or _http_outcome(status)
    if work.operation_type is None and outcome == "ok":
        return  # no operation: the GraphiQL page
    metrics.record_request(
        work, operation=labels.label(work.operation_name), outcome=outcome, seconds=seconds
    )
    if slow_seconds is not None and seconds >= slow_seconds:
        log.warning(
            "slow operation",
            operation=work.operation_name,
            operation_type=work.operation_type,
            outcome=outcome,
            duration_ms=round(seconds * 1000, 2),
            sql_statements=work.statements,
            sql_ms=round(work.sql_seconds * 1000, 2),
            # The text's hash, never its variables: find the document in the client's code.
            document_hash=metrics.document_hash(work.document) if work.document else None,
        )


def _http_outcome(status: int) -> str:
    if status < 400:  # noqa: PLR2004
        return "ok"
    return CODES_BY_STATUS.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")  # noqa: PLR2004


def known_operation_names(directory: Traversable) -> set[str]:
    """The names of the operations the frontends ship (operations/*.graphql, packaged as
    GraphiQL's examples)."""
    names: set[str] = set()
    for path in directory.iterdir():
        if not path.name.endswith(".graphql"):
            continue
        try:
            document = parse(path.read_text(encoding="utf-8"))
        except GraphQLError:
            continue  # tests/test_contracts.py reports a broken file; metrics need not
        names.update(
            definition.name.value
            for definition in document.definitions
            if isinstance(definition, OperationDefinitionNode) and definition.name
        )
    return names


def metrics_listener(settings: MetricsSettings) -> CleanupContext:
    """A cleanup context: the /metrics listener (and, with several workers, the pool sampler)
    for as long as the app runs."""

    async def listen(_: web.Application) -> AsyncIterator[None]:
        multiprocess = MULTIPROCESS_DIRECTORY in os.environ
        listener = web.Application()
        listener.router.add_get("/metrics", _scrape)
        runner = web.AppRunner(listener, access_log=None)
        await runner.setup()
        # Workers share the port like the main one; a single process fails loudly on a
        # port that is taken.
        site = web.TCPSite(runner, settings.host, settings.port, reuse_port=multiprocess)
        sampler = None
        try:
            await site.start()
            sampler = asyncio.create_task(_sample_pool()) if multiprocess else None
            yield
        finally:
            if sampler is not None:
                sampler.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sampler
            await runner.cleanup()

    return listen


async def _scrape(_: web.Request) -> web.Response:
    from prometheus_client import (  # noqa: PLC0415 - imported once metrics are on (taskql.metrics)
        CONTENT_TYPE_LATEST,
        REGISTRY,
        CollectorRegistry,
        generate_latest,
        multiprocess,
    )

    _record_pool_usage()
    if MULTIPROCESS_DIRECTORY in os.environ:
        # Per scrape, as prometheus_client documents: it reads every worker's files.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    body = await asyncio.to_thread(generate_latest, registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _sample_pool() -> None:
    while True:
        _record_pool_usage()
        await asyncio.sleep(POOL_SAMPLE_SECONDS)


def _record_pool_usage() -> None:
    try:
        client = connections.get("default")
    except Exception:  # noqa: BLE001 - the ORM is not open (yet, or any more): nothing to show
        return
    usage = getattr(client, "pool_usage", None)
    if usage is not None:
        metrics.set_pool_usage(*usage())


def mark_worker_dead() -> None:
    """A worker's last words: its live gauges (the pool) leave the multi-process sums."""
    if MULTIPROCESS_DIRECTORY in os.environ and metrics.active() is not None:
        from prometheus_client import multiprocess  # noqa: PLC0415

        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def operation_middlewares(settings: MetricsSettings, operations: Traversable) -> list[Middleware]:
    """The measuring middleware when anything needs it: none at all when metrics and the
    slow-operation log are both off."""
    if not settings.enabled and settings.slow_operation_ms < 0:
        return []
    known = known_operation_names(operations) | set(settings.operation_names)
    labels = OperationLabels(known, max_seen=settings.max_seen_operation_names)
    return [measure_operations(settings, labels)]


def add_metrics_listener(app: web.Application, settings: MetricsSettings) -> None:
    if settings.enabled:
        metrics.enable()
        app.cleanup_ctx.append(metrics_listener(settings))
