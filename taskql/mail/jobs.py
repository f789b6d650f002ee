"""Mail work off the request path: background tasks, a few at a time, a bounded backlog.

A request that asks for a mail only submits a job and answers at once, so its answer and its
timing are the same whether the job will find an account to mail or not. At most
`concurrency` jobs run at once per process and `backlog` more may wait; beyond that a job is
dropped with a warning (a flood of requests cannot queue unbounded work or memory).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from taskql.logging import get_logger

log = get_logger("taskql.mail")

Job = Callable[[], Awaitable[None]]


class MailJobs:
    def __init__(self, *, concurrency: int, backlog: int) -> None:
        self._turns = asyncio.Semaphore(concurrency)
        self._limit = concurrency + backlog
        self._tasks: set[asyncio.Task[None]] = set()
        # Counted for operators and tests.
        self.dropped = 0
        self.failed = 0

    def submit(self, kind: str, job: Job) -> bool:
        """Start `job` in the background; False when the backlog is full and it was dropped."""
        if len(self._tasks) >= self._limit:
            self.dropped += 1
            log.warning("mail backlog full; job dropped", kind=kind, dropped=self.dropped)
            return False
        task = asyncio.get_running_loop().create_task(self._run(kind, job), name=f"mail:{kind}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _run(self, kind: str, job: Job) -> None:
        async with self._turns:
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - logged; the request answered already
                self.failed += 1
                log.warning("mail job failed", kind=kind, error=type(error).__name__)

    async def drain(self, grace_seconds: float) -> None:
        """Wait up to `grace_seconds` for the jobs in flight, then cancel the rest."""
        pending = set(self._tasks)
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=grace_seconds)
        for task in late:
            task.cancel()
        for task in late:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if late:
            log.warning("mail jobs cancelled at shutdown", count=len(late))

    async def wait_idle(self) -> None:
        """Until no job is in flight, those submitted meanwhile included."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    @property
    def in_flight(self) -> int:
        return len(self._tasks)
