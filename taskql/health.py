"""/livez answers while the process runs; /healthz only when the database answers in time."""

from __future__ import annotations

from aiohttp import web

from taskql import __version__
from taskql.app_keys import DATABASE_READY, SETTINGS
from taskql.database import ping
from taskql.logging import get_logger

log = get_logger("taskql.health")


async def livez(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "version": __version__})


async def healthz(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    body = {"status": "ok", "version": __version__, "database": "ok"}
    if not request.app[DATABASE_READY].is_set():
        reason = "database not ready (connecting or migrating)"
        return web.json_response({**body, "status": "unavailable", "database": reason}, status=503)
    try:
        await ping(settings.database.health_timeout_seconds)
    except TimeoutError:
        reason = f"no answer to SELECT 1 within {settings.database.health_timeout_seconds}s"
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy; the reason is logged
        log.warning("health check failed", error=type(error).__name__)
        reason = f"database unreachable ({type(error).__name__})"
    else:
        return web.json_response(body)
    return web.json_response({**body, "status": "unavailable", "database": reason}, status=503)


__all__ = ["healthz", "livez"]
