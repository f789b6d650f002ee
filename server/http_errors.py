"""HTTP-level errors (before GraphQL runs) in the same JSON shape as GraphQL errors."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from taskql.database_errors import RETRY_AFTER_SECONDS

CODES_BY_STATUS = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "BAD_REQUEST",
    413: "PAYLOAD_TOO_LARGE",
    415: "BAD_REQUEST",
    503: "SERVICE_UNAVAILABLE",
    504: "TIMEOUT",
}


def json_error(
    status: int,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> web.Response:
    code = CODES_BY_STATUS.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")  # noqa: PLR2004
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
