"""HTTP-level errors (before GraphQL runs) in the same JSON shape as GraphQL errors."""

from __future__ import annotations

import orjson
from aiohttp import web

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


def json_error(status: int, message: str, *, headers: dict[str, str] | None = None) -> web.Response:
    code = CODES_BY_STATUS.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")  # noqa: PLR2004
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return web.Response(
        status=status, body=orjson.dumps(body), content_type="application/json", headers=headers
    )
