"""Tortoise clients that add every SQL statement to the request's work (taskql.metrics).

One hook per tortoise `execute_*` method, on our clients and on the transaction wrappers they
hand out (a statement inside a transaction runs on the wrapper, not on the client). Outside a
measured request each hook is a context-variable read.
"""

from __future__ import annotations

from typing import Any

from tortoise.backends.asyncpg.client import TransactionWrapper
from tortoise.backends.base.client import (
    BaseDBAsyncClient,
    NestedTransactionContext,
    TransactionContext,
)
from tortoise.backends.sqlite.client import SqliteTransactionWrapper

from taskql.metrics import measured


class MeasuredStatements(BaseDBAsyncClient):
    """Mixin, listed before the tortoise client class: each statement is counted and timed."""

    async def execute_insert(self, query: str, values: list[Any]) -> Any:
        return await measured(super().execute_insert(query, values))

    async def execute_query(self, query: str, values: list[Any] | None = None) -> Any:
        # Any: tortoise's clients disagree on the row sequence type (list or Sequence).
        return await measured(super().execute_query(query, values))

    async def execute_script(self, query: str) -> None:
        await measured(super().execute_script(query))

    async def execute_many(self, query: str, values: list[list[Any]]) -> None:
        await measured(super().execute_many(query, values))

    async def execute_query_dict(
        self, query: str, values: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        return await measured(super().execute_query_dict(query, values))


class MeasuredAsyncpgTransaction(MeasuredStatements, TransactionWrapper):
    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(MeasuredAsyncpgTransaction(self))


class MeasuredSqliteTransaction(MeasuredStatements, SqliteTransactionWrapper):
    def _in_transaction(self) -> TransactionContext:
        return NestedTransactionContext(MeasuredSqliteTransaction(self))
