"""This instance's side of task events: one transport, fanned out to local subscriptions.

The transport hands over each publish (from any instance) once; the hub offers every event
to the subscriptions of its owner and to those watching all owners, each through its own
bounded queue. A consumer that falls `queue_size` events behind is not allowed to grow
memory: its queue is emptied, and it ends with EVENTS_LOST (its client re-queries and
subscribes again). Delivery is at most once while connected; nothing is replayed.

Every event carries its publish's `SharedBatch`: whatever the subscriptions read for it
(the task rows, their owners) is read once there for all of them.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from taskql.errors import AppError, ErrorCode
from taskql.events.transport import EventTransport, TaskEvent
from taskql.logging import get_logger

log = get_logger("taskql.events")


class EventsLost(AppError):
    code = ErrorCode.EVENTS_LOST
    default_message = (
        "This subscription fell too far behind and its events were dropped; "
        "re-query and subscribe again."
    )


@dataclass(eq=False, slots=True)
class SharedBatch:
    """One publish as this instance received it; `memo` holds what is read for it once."""

    events: tuple[TaskEvent, ...]
    memo: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Delivery:
    event: TaskEvent
    batch: SharedBatch


class Listener:
    """One subscription's queue: an async iterator of the deliveries that match it."""

    def __init__(
        self,
        hub: EventHub,
        *,
        owner_id: str | None,
        matches: Callable[[TaskEvent], bool],
        capacity: int,
    ) -> None:
        self.owner_id = owner_id  # None: every owner's events (an admin's subscription)
        self._hub = hub
        self._matches = matches
        self._capacity = capacity
        self._pending: deque[Delivery] = deque()
        self._ready = asyncio.Event()
        self._overflowed = False
        self._closed = False

    @property
    def backlog(self) -> int:
        """Deliveries waiting for the consumer (never more than the capacity)."""
        return len(self._pending)

    def offer(self, delivery: Delivery) -> None:
        if self._closed or self._overflowed or not self._matches(delivery.event):
            return
        if len(self._pending) >= self._capacity:
            self._overflowed = True
            self._pending.clear()  # the memory goes back now, not when the consumer wakes
        else:
            self._pending.append(delivery)
        self._ready.set()

    def __aiter__(self) -> Listener:
        return self

    async def __anext__(self) -> Delivery:
        while not self._pending:
            if self._overflowed:
                self.close()
                raise EventsLost
            if self._closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        return self._pending.popleft()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._ready.set()
            self._hub.forget(self)

    def __enter__(self) -> Listener:  # noqa: PYI034 - not subclassed
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class EventHub:
    def __init__(self, transport: EventTransport, *, queue_size: int) -> None:
        self._transport = transport
        self._queue_size = queue_size
        # Owner id -> its listeners; None -> the listeners of every owner's events.
        self._listeners: dict[str | None, set[Listener]] = {}

    @property
    def listener_count(self) -> int:
        return sum(len(listeners) for listeners in self._listeners.values())

    async def start(self) -> None:
        await self._transport.start(self._deliver)

    async def close(self) -> None:
        await self._transport.close()
        for listeners in list(self._listeners.values()):
            for listener in list(listeners):
                listener.close()

    async def publish(self, events: Sequence[TaskEvent]) -> None:
        """Send committed events. A failure is logged, never raised: the write has committed
        and its answer must not turn into an error; subscribers re-query on reconnect."""
        if not events:
            return
        try:
            await self._transport.publish(events)
        except Exception as error:  # noqa: BLE001 - any transport fault; the write stands
            log.warning("task events not published", count=len(events), error=str(error)[:200])

    def listen(self, *, owner_id: str | None, matches: Callable[[TaskEvent], bool]) -> Listener:
        listener = Listener(self, owner_id=owner_id, matches=matches, capacity=self._queue_size)
        self._listeners.setdefault(owner_id, set()).add(listener)
        return listener

    def forget(self, listener: Listener) -> None:
        listeners = self._listeners.get(listener.owner_id)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self._listeners[listener.owner_id]

    def _deliver(self, events: Sequence[TaskEvent]) -> None:
        batch = SharedBatch(tuple(events))
        watch_all = self._listeners.get(None, ())
        for event in batch.events:
            delivery = Delivery(event, batch)
            for listener in (*self._listeners.get(event.owner_id, ()), *watch_all):
                listener.offer(delivery)
