"""/livez answers while the process runs; /healthz when the database answers in time with a
current schema, asked on every call (readiness never waits for the start-up retries)."""

from __future__ import annotations

from aiohttp import web

from server.app_keys import DATABASE_MONITOR, SETTINGS
from taskql import __version__


async def livez(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "version": __version__})


async def healthz(request: web.Request) -> web.Response:
    seconds = request.app[SETTINGS].database.health_timeout_seconds
    problem = await request.app[DATABASE_MONITOR].check(seconds)
    body = {"status": "ok", "version": __version__, "database": "ok"}
    if problem is None:
        return web.json_response(body)
    return web.json_response({**body, "status": "unavailable", "database": problem}, status=503)


__all__ = ["healthz", "livez"]
