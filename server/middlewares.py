"""HTTP middlewares, outermost first: request id + log context + access line + last-resort
error page, then size and time limits, then compression of large responses."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from server.app_keys import OPERATION_NAME, REQUEST_ID, USER_ID
from server.http_errors import json_error, service_unavailable
from taskql.database_errors import is_database_unavailable
from taskql.logging import get_logger
from taskql.settings import ServerSettings

REQUEST_ID_HEADER = "X-Request-Id"
# An incoming id is kept only when it is short and harmless to echo and to log.
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

access_log = get_logger("taskql.access")
log = get_logger("taskql.http")


def request_id_for(request: web.Request) -> str:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    # 128 random bits in hex, as uuid4().hex without the UUID object (per request).
    return incoming if SANE_REQUEST_ID.match(incoming) else os.urandom(16).hex()


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = request_id_for(request)
    request[REQUEST_ID] = request_id
    # Keep-alive connections reuse a task: clear what the previous request bound.
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    started = time.perf_counter()
    response: web.StreamResponse | None = None
    try:
        response = await handler(request)
    except web.HTTPException as error:
        response = json_error(error.status, error.reason, headers=_passthrough(error))
    except Exception as error:
        if is_database_unavailable(error):
            # A fault has a code: a database away outside GraphQL's own handling is a 503 too.
            log.warning("database unavailable", path=request.path, error=type(error).__name__)
            response = service_unavailable()
        else:
            log.exception("unhandled error", path=request.path)
            response = json_error(500, f"Internal server error (request id {request_id}).")
    finally:
        # isEnabledFor first: a filtered line still costs structlog's processor chain.
        if access_log.isEnabledFor(logging.INFO):
            _log_access(request, response, started)
    response.headers[REQUEST_ID_HEADER] = request_id
    return response


def _log_access(request: web.Request, response: web.StreamResponse | None, started: float) -> None:
    access_log.info(
        "request",
        method=request.method,
        path=request.path,
        status=response.status if response is not None else 500,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
        operation=request.get(OPERATION_NAME),
        # The proxy-resolved address (see app.py), as the rate limits see it.
        client=request.remote,
        user_id=request.get(USER_ID),
        # The body as the handler made it, before gzip; None for a streamed response.
        response_bytes=response.content_length if response is not None else None,
    )


def _passthrough(error: web.HTTPException) -> dict[str, str]:
    return {k: v for k, v in error.headers.items() if k in ("Allow", "Retry-After")}


def limits(server: ServerSettings) -> Middleware:
    @web.middleware
    async def limit_size_and_time(request: web.Request, handler: Handler) -> web.StreamResponse:
        # Refuse a declared oversize body before reading it; aiohttp's client_max_size
        # catches chunked bodies that grow past the limit while being read.
        if (request.content_length or 0) > server.max_body_bytes:
            return json_error(413, f"Request body exceeds {server.max_body_bytes} bytes.")
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await handler(request)
        try:
            async with asyncio.timeout(server.request_timeout_seconds):
                return await handler(request)
        except TimeoutError:
            log.warning("request timed out", timeout_s=server.request_timeout_seconds)
            return json_error(504, "The request took too long and was cancelled.")

    return limit_size_and_time


def compression(server: ServerSettings) -> Middleware:
    @web.middleware
    async def compress_large(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        body = getattr(response, "body", None)
        if (
            isinstance(response, web.Response)
            and isinstance(body, bytes)
            and len(body) >= server.gzip_min_bytes
            and "gzip" in request.headers.get("Accept-Encoding", "")
        ):
            response.enable_compression(web.ContentCoding.gzip)
        return response

    return compress_large
