"""A batch (a JSON array of operations in one POST, when graphql.batching is on) run in order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cross_web import HTTPException
from graphql import GraphQLError
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult

from taskql.errors import ErrorCode


async def execute_batch(
    run_one: Callable[[GraphQLRequestData], Awaitable[ExecutionResult]],
    operations: list[GraphQLRequestData],
) -> list[ExecutionResult]:
    """Each operation's result, in order; `run_one` runs one operation as a single request."""
    # The batch was priced as a whole before this runs (server.batch_cost). One after the
    # other, in order (strawberry gathers them): a batch's mutations keep their order and a
    # batch holds one request's share of the database, not N.
    results = []
    for data in operations:
        try:
            result = await run_one(data)
        except HTTPException as error:
            # One operation the request cannot run is that operation's error; the
            # others (maybe mutations that already ran) still get their answers.
            result = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(error.reason, extensions={"code": ErrorCode.BAD_REQUEST.value})
                ],
            )
        results.append(result)
    return results
