"""Every GraphQL error leaves with a stable `extensions.code`; nothing internal leaves at all.

Applied to every result the view sends (parse, validation and execution errors alike), so
one place decides:
- our AppErrors keep their message and extensions;
- GraphQL syntax and validation errors keep their message (the client's fault, and useful);
- limit errors (server.graphql_limits.QueryTooComplex, the parser's limits included) carry
  QUERY_TOO_COMPLEX themselves;
- a database that cannot be reached becomes SERVICE_UNAVAILABLE;
- anything else is logged once with its traceback and becomes INTERNAL_ERROR + request id.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from taskql.database_errors import RETRY_AFTER_SECONDS, is_database_unavailable
from taskql.errors import AppError, ErrorCode, ServiceUnavailable
from taskql.logging import get_logger

log = get_logger("taskql.graphql")


def classify(error: GraphQLError, *, request_id: str | None) -> GraphQLError:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        code = _client_error_code(error)
        return _with_code(error, error.message, {**(error.extensions or {}), "code": code})
    if isinstance(original, AppError):
        return _with_code(error, original.message, original.extensions)
    if is_database_unavailable(original):
        # Not logged here: the view reports it to the DatabaseMonitor, which logs an outage
        # once rather than once per request.
        unavailable = ServiceUnavailable(retryAfterSeconds=RETRY_AFTER_SECONDS)
        return _with_code(error, unavailable.message, unavailable.extensions)
    log.error(
        "unexpected error in resolver",
        path=error.path,
        exc_info=(type(original), original, original.__traceback__),
    )
    message = "Internal server error."
    if request_id:
        message = f"Internal server error (request id {request_id})."
    return _with_code(
        error, message, {"code": ErrorCode.INTERNAL_ERROR.value, "requestId": request_id}
    )


def _client_error_code(error: GraphQLError) -> str:
    if (error.extensions or {}).get("code"):
        return str(error.extensions["code"])  # type: ignore[index]
    return ErrorCode.VALIDATION_ERROR.value


def _with_code(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message=message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )
