"""Per-viewer query cost budgets: a token bucket per subject (a user, or a client address).

A bucket holds up to `capacity` points and refills continuously at capacity per window; an
operation spends its static cost before it runs, or is refused (nothing spent) with the
seconds until the bucket holds enough. Two stores:
- `RedisBudget`: one Lua script reads, refills and spends atomically inside Redis, on Redis's
  clock, so every instance of the app shares one bucket per subject;
- `MemoryBudget`: buckets in this process, right only where one process serves (the SQLite
  single-process mode); settings refuse it anywhere else.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from taskql.settings import RateLimitSettings

# Subjects a MemoryBudget keeps; past this the least recently seen bucket is dropped (that
# subject starts again with a full bucket), so a flood of addresses cannot fill the memory.
MAX_MEMORY_SUBJECTS = 100_000


@dataclass(frozen=True, slots=True)
class Refusal:
    """The bucket holds too little: what it holds, and when it will hold enough."""

    remaining: float
    retry_after_seconds: int


class BudgetUnavailable(Exception):
    """The shared store did not answer; the request is refused as SERVICE_UNAVAILABLE."""


class CostBudget(Protocol):
    async def spend(self, subject: str, cost: int) -> Refusal | None:
        """Spend `cost` from the subject's bucket, or say why not (nothing spent)."""

    async def close(self) -> None: ...


def retry_after(missing: float, rate: float) -> int:
    return max(1, math.ceil(missing / rate))


class MemoryBudget:
    def __init__(
        self,
        *,
        capacity: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.rate = capacity / window_seconds  # points per second
        self.clock = clock
        # subject -> (points held, when they were counted)
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def spend(self, subject: str, cost: int) -> Refusal | None:
        # No await between the read and the write: the event loop makes this atomic.
        now = self.clock()
        held, at = self.buckets.pop(subject, (float(self.capacity), now))
        held = min(float(self.capacity), held + max(0.0, now - at) * self.rate)
        refusal = None
        if held >= cost:
            held -= cost
        else:
            refusal = Refusal(held, retry_after(cost - held, self.rate))
        self.buckets[subject] = (held, now)
        if len(self.buckets) > MAX_MEMORY_SUBJECTS:
            self.buckets.popitem(last=False)
        return refusal

    async def close(self) -> None:
        self.buckets.clear()


# KEYS[1] the bucket; ARGV capacity, rate (points per second), cost. Returns
# {spent (1/0), points held after, seconds until enough} (numbers as text: Lua numbers
# would be cut to integers). The key expires once the bucket would be full again.
SPEND_SCRIPT = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local bucket = redis.call('HMGET', KEYS[1], 'held', 'at')
local held = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
held = math.min(capacity, held + math.max(0, now - at) * rate)
local spent = 0
local wait = 0
if held >= cost then
  held = held - cost
  spent = 1
else
  wait = (cost - held) / rate
end
redis.call('HSET', KEYS[1], 'held', tostring(held), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - held) / rate * 1000) + 1000)
return {spent, tostring(held), tostring(wait)}
"""


class RedisBudget:
    def __init__(self, *, capacity: int, window_seconds: float, url: str, key_prefix: str) -> None:
        self.capacity = capacity
        self.rate = capacity / window_seconds
        self.key_prefix = key_prefix
        # Imported here, not at module level: redis-py loads OpenTelemetry whenever it is
        # installed, and tracing off must load none of it.
        from redis.asyncio import Redis  # noqa: PLC0415
        from redis.asyncio.retry import Retry  # noqa: PLC0415
        from redis.backoff import NoBackoff  # noqa: PLC0415
        from redis.exceptions import RedisError  # noqa: PLC0415

        self.unavailable: tuple[type[Exception], ...] = (RedisError, OSError)
        # Short timeouts and one quick retry: a request waits at most a few seconds for a
        # Redis that is away before it is answered SERVICE_UNAVAILABLE.
        self.redis: Redis = Redis.from_url(
            url,
            socket_timeout=1.0,
            socket_connect_timeout=1.0,
            retry=Retry(NoBackoff(), retries=1),
        )
        self.script = self.redis.register_script(SPEND_SCRIPT)

    def key(self, subject: str) -> str:
        return f"{self.key_prefix}cost:{subject}"

    async def spend(self, subject: str, cost: int) -> Refusal | None:
        try:
            spent, held, wait = await self.script(
                keys=[self.key(subject)], args=[self.capacity, self.rate, cost]
            )
        except self.unavailable as error:
            raise BudgetUnavailable(type(error).__name__) from error
        if int(spent):
            return None
        return Refusal(float(held), max(1, math.ceil(float(wait))))

    async def close(self) -> None:
        await self.redis.aclose()


def open_budget(settings: RateLimitSettings) -> CostBudget | None:
    """The configured budget, or None when cost budgets are off."""
    if settings.cost_budget == 0:
        return None
    if settings.backend == "redis":
        return RedisBudget(
            capacity=settings.cost_budget,
            window_seconds=settings.cost_window_seconds,
            url=settings.redis_url,
            key_prefix=settings.key_prefix,
        )
    return MemoryBudget(capacity=settings.cost_budget, window_seconds=settings.cost_window_seconds)
