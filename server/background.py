"""Background work that lives exactly as long as the app (an aiohttp cleanup context)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from aiohttp import web

CleanupContext = Callable[[web.Application], AsyncIterator[None]]


def in_background(work: Callable[[web.Application], Coroutine[Any, Any, None]]) -> CleanupContext:
    """Start `work(app)` once the app starts; cancel it and wait for it when the app stops."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(work(app), name=getattr(work, "__name__", "background"))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context
