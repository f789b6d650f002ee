"""The tortoise engine of an app with tracing on: our bounded clients plus a span per statement.

One approach for both dialects: aiosqlite has no OpenTelemetry instrumentation, and the
asyncpg one patches asyncpg's classes for the whole process (every app in it, traced or not)
and names its spans differently. Here the spans are made where tortoise sends statements,
in and out of transactions alike; an app with tracing off uses taskql.database_clients and
pays nothing.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import Tracer
from tortoise.backends.base.client import (
    BaseDBAsyncClient,
    NestedTransactionContext,
    TransactionContext,
    TransactionContextPooled,
)

from taskql.database_clients import (
    BoundedAsyncpgClient,
    BoundedSqliteClient,
    _ReleasingTransactionContext,
)
from taskql.measured_clients import MeasuredAsyncpgTransaction, MeasuredSqliteTransaction
from taskql.tracing import statement_span


def get_client_class(db_info: dict[str, Any]) -> type[BaseDBAsyncClient]:
    """Tortoise's engine hook; the tracer comes in the credentials (taskql.database)."""
    if "file_path" in db_info["credentials"]:
        return TracedSqliteClient
    return TracedAsyncpgClient


class StatementSpans(BaseDBAsyncClient):
    """Wraps every way tortoise sends SQL in a statement span (taskql.tracing)."""

    tracer: Tracer
    dialect: str

    async def execute_insert(self, query: str, values: list[Any]) -> Any:
        with statement_span(self.tracer, self.dialect, query):
            return await super().execute_insert(query, values)

    async def execute_query(self, query: str, values: list[Any] | None = None) -> Any:
        with statement_span(self.tracer, self.dialect, query):
            return await super().execute_query(query, values)

    async def execute_query_dict(self, query: str, values: list[Any] | None = None) -> Any:
        with statement_span(self.tracer, self.dialect, query):
            return await super().execute_query_dict(query, values)

    async def execute_many(self, query: str, values: list[Any]) -> None:
        with statement_span(self.tracer, self.dialect, query):
            await super().execute_many(query, values)

    async def execute_script(self, query: str) -> None:
        with statement_span(self.tracer, self.dialect, query):
            await super().execute_script(query)


class TracedSqliteClient(StatementSpans, BoundedSqliteClient):
    dialect = "sqlite"

    def __init__(self, *args: Any, tracer: Tracer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tracer = tracer

    def _in_transaction(self) -> TransactionContext:
        return _ReleasingTransactionContext(TracedSqliteTransaction(self), self._lock)


class TracedSqliteTransaction(StatementSpans, MeasuredSqliteTransaction):
    dialect = "sqlite"

    def __init__(self, connection: TracedSqliteClient | TracedSqliteTransaction) -> None:
        super().__init__(connection)
        self.tracer = connection.tracer

    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(TracedSqliteTransaction(self))


class TracedAsyncpgClient(StatementSpans, BoundedAsyncpgClient):
    dialect = "postgres"

    def __init__(self, *, tracer: Tracer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tracer = tracer

    def _in_transaction(self) -> TransactionContext:
        return TransactionContextPooled(TracedAsyncpgTransaction(self), self._pool_init_lock)


class TracedAsyncpgTransaction(StatementSpans, MeasuredAsyncpgTransaction):
    dialect = "postgres"

    def __init__(self, connection: TracedAsyncpgClient | TracedAsyncpgTransaction) -> None:
        super().__init__(connection)
        self.tracer = connection.tracer

    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(TracedAsyncpgTransaction(self))
