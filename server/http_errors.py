"""HTTP-level errors (before GraphQL runs) in the same JSON shape as GraphQL errors."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from taskql.database_errors import RETRY_AFTER_SECONDS
from taskql.errors import ErrorCode

CODES_BY_STATUS: dict[int, ErrorCode] = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.BAD_REQUEST,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.BAD_REQUEST,
    503: ErrorCode.SERVICE_UNAVAILABLE,
    504: ErrorCode.TIMEOUT,
}


def code_for_status(status: int) -> ErrorCode:
    """The code an HTTP-level error carries: its status's own, else its class's."""
    code = CODES_BY_STATUS.get(status)
    if code is not None:
        return code
    return ErrorCode.INTERNAL_ERROR if status >= 500 else ErrorCode.BAD_REQUEST  # noqa: PLR2004


def json_error(
    status: int,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> web.Response:
    code = code_for_status(status).value
    body = {"errors": [{"message": message, "extensions": {"code": code, **(extensions or {})}}]}
    return web.Response(
        status=status, body=orjson.dumps(body), content_type="application/json", headers=headers
    )


def service_unavailable(message: str | None = None) -> web.Response:
    """503 for a database that is down, overloaded or behind: the client may retry later."""
    return json_error(
        503,
        message or "The service is temporarily unavailable; try again shortly.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        extensions={"retryAfterSeconds": RETRY_AFTER_SECONDS},
    )
