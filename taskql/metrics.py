"""What one request cost (SQL statements, SQL time, its operation) and the process's
Prometheus metrics. No aiohttp here: the middleware and the /metrics listener are in
server/metrics.py.

The request's `RequestWork` lives in a context variable set by the middleware: the database
clients add each statement to it, the GraphQL view notes the operation and its outcome. With
no middleware installed (metrics and slow-operation logging off) every hook finds None and
returns at once.

prometheus_client is imported only by `enable()`: the library chooses between in-process and
multi-process storage (PROMETHEUS_MULTIPROC_DIR) when it is first imported, and the serving
parent sets that variable before its workers start (server/run.py).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from graphql import DocumentNode, get_operation_ast

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram

T = TypeVar("T")

# The label of anonymous operations, unknown names and names past the per-process budget.
OTHER = "other"

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SQL_COUNT_BUCKETS = (0, 1, 2, 3, 4, 5, 7, 10, 15, 20, 30, 50, 100)
SQL_TIME_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


@dataclass(slots=True)
class RequestWork:
    """One GraphQL request: filled in by the database clients and the view as it runs."""

    started: float
    statements: int = 0
    sql_seconds: float = 0.0
    operation_name: str | None = None  # the operation executed, as the document names it
    operation_type: str | None = None  # query, mutation, subscription
    document: str | None = None  # the text, only ever hashed (slow-operation log)
    outcome: str | None = None  # the first error's code; None for none


CURRENT_WORK: ContextVar[RequestWork | None] = ContextVar("taskql_request_work", default=None)


async def measured(statement: Awaitable[T]) -> T:
    """Await one SQL statement, adding it and its time to the request's work (if measured)."""
    work = CURRENT_WORK.get()
    if work is None:
        return await statement
    started = time.perf_counter()
    try:
        return await statement
    finally:
        work.statements += 1
        work.sql_seconds += time.perf_counter() - started


def note_operation(document: DocumentNode | None, requested: str | None, text: str | None) -> None:
    """The operation about to execute (called once the document parsed and validated):
    the one `requested` names, or the document's only one."""
    work = CURRENT_WORK.get()
    if work is None or document is None:
        return
    operation = get_operation_ast(document, requested)
    if operation is not None:
        work.operation_name = operation.name.value if operation.name else None
        work.operation_type = operation.operation.value
        work.document = text


def note_outcome(codes: Iterable[object]) -> None:
    """The error codes of the response, as the client sees them; the first one is kept."""
    work = CURRENT_WORK.get()
    if work is not None and work.outcome is None:
        work.outcome = str(next(iter(codes), None) or "INTERNAL_ERROR")


def document_hash(text: str) -> str:
    """Names a document in logs without its text (and never its variables)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class OperationLabels:
    """Operation names as label values, bounded: the known names, then the first
    `max_seen` others this process meets; everything else (and anonymous) is OTHER."""

    def __init__(self, known: Iterable[str], *, max_seen: int) -> None:
        self.known = frozenset(known)
        self.max_seen = max_seen
        self.seen: set[str] = set()

    def label(self, name: str | None) -> str:
        if not name:
            return OTHER
        if name in self.known or name in self.seen:
            return name
        # Names come from a validated document (GraphQL Names); the length bound is ours.
        if len(self.seen) < self.max_seen and len(name) <= 100:  # noqa: PLR2004
            self.seen.add(name)
            return name
        return OTHER


class Metrics:
    """The process's collectors, registered once in prometheus_client's default registry."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram  # noqa: PLC0415 - see module doc

        self.requests: Counter = Counter(
            "taskql_graphql_requests",
            "GraphQL requests by operation, operation type and outcome (error code or ok).",
            ["operation", "type", "outcome"],
        )
        self.duration: Histogram = Histogram(
            "taskql_graphql_request_duration_seconds",
            "Time to answer a GraphQL request, by operation.",
            ["operation"],
            buckets=LATENCY_BUCKETS,
        )
        self.sql_statements: Histogram = Histogram(
            "taskql_graphql_sql_statements",
            "SQL statements one GraphQL request sent, by operation.",
            ["operation"],
            buckets=SQL_COUNT_BUCKETS,
        )
        self.sql_duration: Histogram = Histogram(
            "taskql_graphql_sql_duration_seconds",
            "Time one GraphQL request spent in SQL statements (waits for a connection "
            "included), by operation.",
            ["operation"],
            buckets=SQL_TIME_BUCKETS,
        )
        # livesum: a scrape adds up the live workers' pools.
        self.pool_size: Gauge = Gauge(
            "taskql_db_pool_size", "Open database connections.", multiprocess_mode="livesum"
        )
        self.pool_in_use: Gauge = Gauge(
            "taskql_db_pool_in_use",
            "Database connections lent to a request.",
            multiprocess_mode="livesum",
        )
        self.pool_waiting: Gauge = Gauge(
            "taskql_db_pool_waiting",
            "Requests waiting for a database connection.",
            multiprocess_mode="livesum",
        )
        self.login_failures: Counter = Counter(
            "taskql_login_failures", "Sign-ins refused for a wrong email or password."
        )
        self.rate_limited: Counter = Counter(
            "taskql_rate_limited",
            "Attempts refused with RATE_LIMITED, by the limit that refused them.",
            ["limit"],
        )
        self.password_work_shed: Counter = Counter(
            "taskql_password_work_shed",
            "Password requests shed (SERVICE_UNAVAILABLE) because every hashing slot was busy.",
        )
        self.executions: Counter = Counter(
            "taskql_graphql_executions",
            "Query executions by path: a compiled plan, or graphql-core with the fallback's"
            " reason (compiler/reasons.py).",
            ["path", "reason"],
        )
        self._executions: dict[tuple[str, str], Counter] = {}
        # Labelled children by label values: `.labels()` takes a lock and builds keys on
        # every call, a third of the cost of recording a request. Bounded like the labels.
        self._requests: dict[tuple[str, str, str], Counter] = {}
        self._per_operation: dict[str, tuple[Histogram, Histogram, Histogram]] = {}

    def count_execution(self, path: str, reason: str) -> None:
        child = self._executions.get((path, reason))
        if child is None:
            child = self._executions[path, reason] = self.executions.labels(path, reason)
        child.inc()

    def record(self, work: RequestWork, operation: str, outcome: str, seconds: float) -> None:
        key = (operation, work.operation_type or "unknown", outcome)
        requests = self._requests.get(key)
        if requests is None:
            requests = self._requests[key] = self.requests.labels(*key)
        histograms = self._per_operation.get(operation)
        if histograms is None:
            histograms = self._per_operation[operation] = (
                self.duration.labels(operation),
                self.sql_statements.labels(operation),
                self.sql_duration.labels(operation),
            )
        requests.inc()
        duration, statements, sql_duration = histograms
        duration.observe(seconds)
        statements.observe(work.statements)
        sql_duration.observe(work.sql_seconds)


_metrics: Metrics | None = None


def enable() -> Metrics:
    """The process's metrics, created on first use (prometheus_client is imported here)."""
    global _metrics  # noqa: PLW0603 - one set of collectors per process
    if _metrics is None:
        _metrics = Metrics()
    return _metrics


def active() -> Metrics | None:
    return _metrics


def count_login_failure() -> None:
    if _metrics is not None:
        _metrics.login_failures.inc()


def count_rate_limited(limit: str) -> None:
    if _metrics is not None:
        _metrics.rate_limited.labels(limit=limit).inc()


def count_password_work_shed() -> None:
    if _metrics is not None:
        _metrics.password_work_shed.inc()


def count_execution(path: str, reason: str) -> None:
    """One GraphQL execution: path "compiled" or "fallback", reason from a fixed set."""
    if _metrics is not None:
        _metrics.count_execution(path, reason)


def record_request(work: RequestWork, *, operation: str, outcome: str, seconds: float) -> None:
    if _metrics is not None:
        _metrics.record(work, operation, outcome, seconds)


def set_pool_usage(size: int, in_use: int, waiting: int) -> None:
    if _metrics is not None:
        _metrics.pool_size.set(size)
        _metrics.pool_in_use.set(in_use)
        _metrics.pool_waiting.set(waiting)
