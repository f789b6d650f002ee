"""Typed keys for what the application object holds."""

from __future__ import annotations

import asyncio

from aiohttp import web

from taskql.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
# Set once the database answered and migrations (when enabled) are applied.
DATABASE_READY = web.AppKey("database_ready", asyncio.Event)

REQUEST_ID = web.RequestKey("request_id", str)
# The GraphQL operation name, once parsed, for the access log line.
OPERATION_NAME = web.RequestKey("operation_name", str)
# The signed-in user's id, once the bearer token is checked, for the access log line.
USER_ID = web.RequestKey("user_id", str)
