"""Keep one listening link (a LISTEN connection, a Redis subscription) up for as long as we run.

A link that drops, or never came up, is opened again after a pause that doubles up to a
limit. Each outage logs two lines (lost, back), whatever the number of failed attempts in
between, and no traceback: an outage is an operational fact, not a bug.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from taskql.logging import get_logger

log = get_logger("taskql.events")

FIRST_RETRY_SECONDS = 0.25

# One life of the link: connect, subscribe, call `up()` once listening, then return or raise
# when the link is gone (closing it on the way out).
Session = Callable[[Callable[[], None]], Awaitable[None]]


class Reconnecting:
    def __init__(self, name: str, session: Session, *, retry_max_seconds: float) -> None:
        self.name = name
        self.session = session
        self.retry_max_seconds = max(retry_max_seconds, FIRST_RETRY_SECONDS)
        # Set while the link is listening; tests and start() wait on it.
        self.listening = asyncio.Event()
        self._first_attempt = asyncio.Event()  # set once the first link is up or has failed
        self._down_since: float | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, first_wait_seconds: float) -> None:
        """Run in the background; wait for the first attempt (at most `first_wait_seconds`),
        so events published right after start-up are received, without holding up a
        start-up while the backend is away."""
        self._task = asyncio.create_task(self._run(), name=f"events {self.name}")
        try:
            async with asyncio.timeout(first_wait_seconds):
                await self._first_attempt.wait()
        except TimeoutError:
            pass

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            # The session closes its link when cancelled; it never waits without a bound.
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self.listening.clear()

    async def _run(self) -> None:
        delay = FIRST_RETRY_SECONDS
        while True:
            try:
                await self.session(self._up)
                error: BaseException = ConnectionError("closed")
            except asyncio.CancelledError:
                raise
            except Exception as failure:  # noqa: BLE001 - any failure is an outage here
                error = failure
            self._first_attempt.set()
            was_up = self.listening.is_set()
            self.listening.clear()
            if was_up:
                delay = FIRST_RETRY_SECONDS
            self._lost(error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.retry_max_seconds)

    def _up(self) -> None:
        self.listening.set()
        self._first_attempt.set()
        if self._down_since is not None:
            log.info(
                "task events listener back",
                backend=self.name,
                outage_seconds=round(time.monotonic() - self._down_since, 1),
            )
            self._down_since = None

    def _lost(self, error: BaseException) -> None:
        if self._down_since is None:
            self._down_since = time.monotonic()
            # Events other instances publish until it is back are not received (at most once).
            log.warning(
                "task events listener down, reconnecting",
                backend=self.name,
                error=type(error).__name__,
            )


class PublishHealth:
    """Logs a run of failed publishes once, and its end once: a publish follows a committed
    write, whose response must not fail because its events could not be told."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self._failing = False

    def failed(self, error: BaseException) -> None:
        if not self._failing:
            log.warning(
                "task events not published", backend=self.backend, error=type(error).__name__
            )
        self._failing = True

    def succeeded(self) -> None:
        if self._failing:
            log.info("task events published again", backend=self.backend)
            self._failing = False
