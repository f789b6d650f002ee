"""argon2id password hashing, off the event loop and bounded per process.

A hash costs hundreds of milliseconds of CPU and tens of MiB with production parameters.
argon2's C code releases the GIL, so a thread keeps the loop serving; but unbounded, a login
storm fills every core and starves every other request. Requests therefore take one of a
few slots (sized from the cores and the memory cost), may wait briefly for one, and are
shed at once beyond that, with a retry hint, instead of queueing behind the hashes.

The hashes run in their own threads at a lower CPU priority (a higher nice value, which
Linux applies per thread): on a busy machine the event loop, which serves every other
request, wins the CPU, and the password work takes what is left.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import math
import os
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from taskql import metrics
from taskql.errors import ServiceUnavailable
from taskql.logging import get_logger
from taskql.settings import AuthSettings

log = get_logger("taskql.auth")

T = TypeVar("T")

BUSY_MESSAGE = "The server is busy checking other passwords; try again shortly."
# A saturated server would otherwise log one line per shed request.
BUSY_LOG_INTERVAL_SECONDS = 10.0


@functools.lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
    )


def password_hasher(auth: AuthSettings) -> PasswordHasher:
    """The hasher for these settings, built once per parameter set (not per request)."""
    return _hasher(auth.argon2_time_cost, auth.argon2_memory_kib, auth.argon2_parallelism)


async def hash_password(hasher: PasswordHasher, password: str) -> str:
    """Hash outside any request (the CLI, fixtures, the bench seed); requests use PasswordWork."""
    return await asyncio.to_thread(hasher.hash, password)


def needs_rehash(hasher: PasswordHasher, password_hash: str) -> bool:
    """True when the stored hash was made with other parameters than the configured ones."""
    try:
        return hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def work_slots(auth: AuthSettings) -> int:
    """Concurrent hashes per process: the setting, or one per core beyond the first (the event
    loop keeps one), at most as many as the memory budget holds; never fewer than one."""
    if auth.password_work_slots:
        return auth.password_work_slots
    return _automatic_slots(auth.password_work_memory_mib, auth.argon2_memory_kib)


@functools.lru_cache(maxsize=8)
def _automatic_slots(memory_budget_mib: int, memory_kib_per_hash: int) -> int:
    # Cached: every login asks, and the cores available to the process do not change.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    by_cpu = max(1, (cores or 1) - 1)
    by_memory = max(1, memory_budget_mib * 1024 // memory_kib_per_hash)
    return min(by_cpu, by_memory)


@functools.lru_cache(maxsize=8)
def _threads(slots: int, nice: int) -> concurrent.futures.ThreadPoolExecutor:
    """Threads for the hashes, as many as slots (the semaphore is the bound, never this queue),
    shared by every event loop of the process: threads are not bound to a loop."""
    return concurrent.futures.ThreadPoolExecutor(
        max_workers=slots,
        thread_name_prefix="argon2",
        initializer=_lower_priority,
        initargs=(nice,),
    )


def _lower_priority(nice: int) -> None:
    # On Linux the "process" priority of a thread id is that thread's own; elsewhere, or when
    # refused, the hashes simply run at the normal priority.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)


class PasswordWork:
    """The bounded argon2 work of one process (one event loop): slots, a short wait, shedding."""

    def __init__(
        self,
        hasher: PasswordHasher,
        *,
        slots: int,
        queue: int,
        max_wait_seconds: float,
        nice: int = 0,
    ) -> None:
        self.hasher = hasher
        self._threads = _threads(slots, nice)
        self.slots = slots
        self.queue = queue
        self.max_wait_seconds = max_wait_seconds
        self._free = asyncio.Semaphore(slots)
        self.waiting = 0
        self.running = 0
        # Counted for operators and tests: hashes handed to a thread, the most at once, shed.
        self.started = 0
        self.peak_running = 0
        self.shed = 0
        self._busy_logged_at = -math.inf

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil(self.max_wait_seconds))

    def has_room(self) -> bool:
        return not self._free.locked() or self.waiting < self.queue

    def refuse_when_full(self) -> None:
        """Shed a request before it does any other work when it could not get a slot anyway."""
        if not self.has_room():
            self._refuse()

    async def hash(self, password: str) -> str:
        return await self._run(self.hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await self._run(_verify, self.hasher, password_hash, password)

    async def burn_verification(self, password: str) -> None:
        """Cost what a real verification costs: unknown emails answer as slowly as known ones."""
        await self._run(_burn_verification, self.hasher, password)

    async def _run(self, function: Callable[..., T], *args: object) -> T:
        await self._acquire()
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            # Cancelled (timed out) while it waited: the answer would go nowhere.
            self._release()
            raise asyncio.CancelledError
        future = asyncio.get_running_loop().run_in_executor(
            self._threads, functools.partial(function, *args)
        )
        self.started += 1
        self.running += 1
        self.peak_running = max(self.peak_running, self.running)
        try:
            result = await asyncio.shield(future)
        except asyncio.CancelledError:
            # A thread cannot be stopped: its slot stays taken until the hash really ends,
            # so timed-out requests cannot push the real work past the bound.
            future.add_done_callback(self._release_after_thread)
            raise
        except BaseException:
            self._release_after_run()
            raise
        self._release_after_run()
        return result

    async def _acquire(self) -> None:
        if not self._free.locked():
            await self._free.acquire()  # a free slot: returns without suspending
            return
        if self.waiting >= self.queue or self.max_wait_seconds <= 0:
            self._refuse()
        self.waiting += 1
        try:
            async with asyncio.timeout(self.max_wait_seconds):
                await self._free.acquire()
        except TimeoutError:
            self._refuse()
        finally:
            self.waiting -= 1

    def _refuse(self) -> None:
        self.shed += 1
        metrics.count_password_work_shed()
        now = time.monotonic()
        if now - self._busy_logged_at >= BUSY_LOG_INTERVAL_SECONDS:
            self._busy_logged_at = now
            log.warning("password work saturated: shedding", slots=self.slots, shed=self.shed)
        raise ServiceUnavailable(BUSY_MESSAGE, retryAfterSeconds=self.retry_after_seconds)

    def _release_after_run(self) -> None:
        self.running -= 1
        self._release()

    def _release_after_thread(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled():
            future.exception()  # retrieved, so asyncio does not log it as never retrieved
        self._release_after_run()

    def _release(self) -> None:
        self._free.release()


# One PasswordWork per event loop and configuration: the semaphore belongs to a loop, and
# every app of a process (one loop) shares the same cores.
_work: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[object, ...], PasswordWork]
] = weakref.WeakKeyDictionary()


def password_work(auth: AuthSettings) -> PasswordWork:
    """The bounded password work of the running event loop for these settings."""
    key = (
        auth.argon2_time_cost,
        auth.argon2_memory_kib,
        auth.argon2_parallelism,
        work_slots(auth),
        auth.password_work_queue,
        auth.password_work_max_wait_seconds,
        auth.password_work_nice,
    )
    per_loop = _work.setdefault(asyncio.get_running_loop(), {})
    work = per_loop.get(key)
    if work is None:
        work = per_loop[key] = PasswordWork(
            password_hasher(auth),
            slots=work_slots(auth),
            queue=auth.password_work_queue,
            max_wait_seconds=auth.password_work_max_wait_seconds,
            nice=auth.password_work_nice,
        )
    return work


def _verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _burn_verification(hasher: PasswordHasher, password: str) -> None:
    _verify(hasher, _dummy_hash(hasher), password)


@functools.lru_cache(maxsize=8)
def _dummy_hash(hasher: PasswordHasher) -> str:
    # Made with the live parameters, so verifying it costs exactly what a real user's costs.
    return hasher.hash(secrets.token_urlsafe(16))
