"""Typed keys for what the application object holds."""

from __future__ import annotations

import asyncio

from aiohttp import web

from server.live_sockets import LiveSocket, LiveSockets
from taskql.database_monitor import DatabaseMonitor
from taskql.events.hub import EventHub
from taskql.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
# What the app knows about its database now (reachable? schema current?).
DATABASE_MONITOR = web.AppKey("database_monitor", DatabaseMonitor)
# Set once the database answered with a current schema (after migrating, when enabled);
# the same event as DATABASE_MONITOR's `ready`.
DATABASE_READY = web.AppKey("database_ready", asyncio.Event)

REQUEST_ID = web.RequestKey("request_id", str)
# The GraphQL operation name, once parsed, for the access log line.
OPERATION_NAME = web.RequestKey("operation_name", str)
# The extensions.code of each error of the GraphQL response, in order (for the trace).
ERROR_CODES = web.RequestKey[tuple[str, ...]]("error_codes")
# The signed-in user's id, once the bearer token is checked, for the access log line.
USER_ID = web.RequestKey("user_id", str)

# This instance's task events (Subscription.taskEvents) and the WebSockets it serves.
EVENT_HUB = web.AppKey("event_hub", EventHub)
LIVE_SOCKETS = web.AppKey("live_sockets", LiveSockets)
# The place a WebSocket request holds among LIVE_SOCKETS.
LIVE_SOCKET = web.RequestKey("live_socket", LiveSocket)
