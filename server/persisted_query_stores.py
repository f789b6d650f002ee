"""Where Automatic Persisted Queries keep the documents clients registered (apq.backend).

- MemoryStore: a bounded LRU in this process. Per instance: behind a load balancer each
  instance learns each hash once (one extra round trip per client per instance).
- RedisStore: one store for every instance, each entry expiring after apq.ttl_seconds.
  Redis being away is not an outage: lookups miss and registrations are dropped, so clients
  fall back to sending the full text, which still runs.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

from taskql.logging import get_logger
from taskql.settings import ApqSettings

log = get_logger("taskql.apq")

# A persisted-query lookup sits in front of every request using it: never wait long on Redis.
REDIS_TIMEOUT_SECONDS = 0.5


class PersistedQueryStore(Protocol):
    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, document: str) -> None: ...

    async def close(self) -> None: ...


class MemoryStore:
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._documents: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._documents)

    async def get(self, sha256: str) -> str | None:
        document = self._documents.get(sha256)
        if document is not None:
            self._documents.move_to_end(sha256)
        return document

    async def put(self, sha256: str, document: str) -> None:
        self._documents[sha256] = document
        self._documents.move_to_end(sha256)
        while len(self._documents) > self.max_entries:
            self._documents.popitem(last=False)

    async def close(self) -> None:
        self._documents.clear()


class RedisStore:
    def __init__(self, url: str, *, key_prefix: str, ttl_seconds: int) -> None:
        # Imported here, not at module level: redis-py loads OpenTelemetry whenever it is
        # installed, and tracing off must load none of it.
        from redis.asyncio import Redis  # noqa: PLC0415
        from redis.exceptions import RedisError  # noqa: PLC0415

        self.unavailable: tuple[type[Exception], ...] = (RedisError, OSError)
        self.redis = Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        self.key_prefix = key_prefix
        self.ttl_seconds = ttl_seconds

    async def get(self, sha256: str) -> str | None:
        try:
            document = await self.redis.get(self.key_prefix + sha256)
        except self.unavailable as error:
            log.warning("persisted query store unavailable", error=str(error)[:200])
            return None
        return document.decode("utf-8") if isinstance(document, bytes) else None

    async def put(self, sha256: str, document: str) -> None:
        try:
            await self.redis.set(self.key_prefix + sha256, document, ex=self.ttl_seconds)
        except self.unavailable as error:
            log.warning("persisted query store unavailable", error=str(error)[:200])

    async def close(self) -> None:
        await self.redis.aclose()


def open_store(settings: ApqSettings) -> PersistedQueryStore:
    if settings.backend == "redis":
        return RedisStore(
            settings.redis_url, key_prefix=settings.key_prefix, ttl_seconds=settings.ttl_seconds
        )
    return MemoryStore(settings.max_entries)
