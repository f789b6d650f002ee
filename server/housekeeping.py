"""Periodic clean-up of credential rows nobody can use any more.

Every instance runs it; the DELETEs are idempotent, so instances need no coordination.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from aiohttp import web

from models import account_tokens as account_token_models
from models import credentials as credential_models
from server.app_keys import DATABASE_READY, SETTINGS
from taskql.logging import get_logger

INTERVAL_SECONDS = 3600.0

log = get_logger("taskql.housekeeping")


async def purge_once(*, login_failure_window_seconds: int) -> None:
    now = datetime.now(UTC)
    await credential_models.purge_expired(now=now)
    await account_token_models.purge_expired(now=now)
    await credential_models.purge_login_failures(
        before=now - timedelta(seconds=login_failure_window_seconds)
    )


async def purge_periodically(app: web.Application) -> None:
    settings = app[SETTINGS]
    # The recovery-mail counts share the table; the longest window decides what may go.
    window = max(
        settings.auth.login_failure_window_seconds, settings.accounts.recovery_window_seconds
    )
    while True:
        # Sleep first: start-up stays quiet, and a round needs a reachable database.
        await asyncio.sleep(INTERVAL_SECONDS)
        await app[DATABASE_READY].wait()
        try:
            await purge_once(login_failure_window_seconds=window)
        except Exception as error:  # noqa: BLE001 - the next round retries; nothing is lost
            log.warning("housekeeping failed", error=type(error).__name__)
