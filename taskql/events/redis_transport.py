"""Task events through Redis pub/sub (events.backend = "redis"): every instance subscribed to
one channel hears every publish, its own included.

- Receiving: one subscription connection per instance; when it drops (Redis restarted, the
  client was killed, a PING went unanswered) a new one subscribes again, with backoff.
- Sending: one PUBLISH per batch (Redis has no small payload limit), in the order asked for.

At most once, like the PostgreSQL transport: Redis keeps no message for a subscriber that is
away, and a publish that fails is dropped with a log line rather than failing the write.

redis-py is imported only when this backend is built: it loads OpenTelemetry whenever that
is installed, and an app with tracing off must load none of it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from taskql.events.reconnecting import PublishHealth, Reconnecting
from taskql.events.transport import Deliver, TaskEvent
from taskql.logging import get_logger

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = get_logger("taskql.events")

# How long the subscription may stay silent before it is asked for a PONG; no answer within
# another interval means the link is gone.
PROBE_INTERVAL_SECONDS = 10.0
CLOSE_TIMEOUT_SECONDS = 1.0
# CLIENT LIST shows it (with the channel), so operators and tests can tell it apart.
LISTENER_CLIENT_NAME = "taskql-events"


def encode_batch(events: Sequence[TaskEvent]) -> bytes:
    return b"\n".join(event.encode() for event in events)


def decode_batch(data: bytes) -> list[TaskEvent]:
    return [TaskEvent.decode(line) for line in data.split(b"\n") if line]


class RedisTransport:
    def __init__(
        self, *, url: str, channel: str, timeout_seconds: float, retry_max_seconds: float
    ) -> None:
        from redis.asyncio import Redis  # noqa: PLC0415
        from redis.asyncio.retry import Retry  # noqa: PLC0415
        from redis.backoff import NoBackoff  # noqa: PLC0415
        from redis.exceptions import RedisError  # noqa: PLC0415

        self.url = url
        self.channel = channel
        self.timeout_seconds = timeout_seconds
        self.unavailable: tuple[type[Exception], ...] = (RedisError, OSError, TimeoutError)
        self.publisher: Redis = Redis.from_url(
            url,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            retry=Retry(NoBackoff(), retries=1),
        )
        self._deliver: Deliver | None = None
        self._closed = False
        self._publish_health = PublishHealth("redis")
        self._send_lock = asyncio.Lock()  # FIFO: batches leave in the order asked for
        self.listener = Reconnecting("redis", self._listen, retry_max_seconds=retry_max_seconds)

    async def start(self, deliver: Deliver) -> None:
        self._deliver = deliver
        await self.listener.start(self.timeout_seconds)

    async def publish(self, events: Sequence[TaskEvent]) -> None:
        if self._closed or not events:
            return
        try:
            async with asyncio.timeout(self.timeout_seconds), self._send_lock:
                await self.publisher.publish(self.channel, encode_batch(events))
        except self.unavailable as error:
            self._publish_health.failed(error)
            return
        self._publish_health.succeeded()

    async def close(self) -> None:
        self._closed = True
        self._deliver = None
        await self.listener.stop()
        with contextlib.suppress(*self.unavailable):
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                await self.publisher.aclose()

    async def _listen(self, up: Callable[[], None]) -> None:
        from redis.asyncio import Redis  # noqa: PLC0415
        from redis.asyncio.retry import Retry  # noqa: PLC0415
        from redis.backoff import NoBackoff  # noqa: PLC0415

        # No retries of its own: a failure ends this session and Reconnecting takes over.
        client: Redis = Redis.from_url(
            self.url,
            socket_connect_timeout=self.timeout_seconds,
            retry=Retry(NoBackoff(), retries=0),
            client_name=f"{LISTENER_CLIENT_NAME}:{self.channel}",
        )
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(self.channel)
            await self._confirmed(pubsub)
            up()
            probed = False
            while True:
                message = await pubsub.get_message(timeout=PROBE_INTERVAL_SECONDS)
                if message is None:
                    if probed:
                        raise TimeoutError("no answer to PING")
                    await pubsub.ping()
                    probed = True
                    continue
                probed = False
                if message["type"] == "message":
                    self._on_message(message["data"])
        finally:
            await _close_quietly(pubsub, client)

    async def _confirmed(self, pubsub: Any) -> None:
        """Wait for Redis to confirm the SUBSCRIBE: only then are publishes received."""
        async with asyncio.timeout(self.timeout_seconds):
            while True:
                message = await pubsub.get_message(timeout=self.timeout_seconds)
                if message is not None and message["type"] == "subscribe":
                    return

    def _on_message(self, data: bytes) -> None:
        deliver = self._deliver
        if deliver is None:
            return
        try:
            batch = decode_batch(data)
        except ValueError:
            log.warning("ignored a foreign message", channel=self.channel)
            return
        if batch:
            try:
                deliver(batch)
            except Exception:
                log.exception("delivering task events failed")


async def _close_quietly(pubsub: Any, client: Any) -> None:
    # The link is being dropped either way: a failure to say goodbye changes nothing.
    with contextlib.suppress(Exception):
        async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
            await pubsub.aclose()
            await client.aclose()
