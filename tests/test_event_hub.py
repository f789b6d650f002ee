"""The instance hub (taskql.events.hub) on its real in-process transport: fan-out by owner,
bounded queues, clean-up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from taskql.events.hub import EventHub, EventsLost
from taskql.events.transport import InProcessTransport, TaskEvent, TaskEventKind


def event(owner: str, number: int) -> TaskEvent:
    return TaskEvent(
        kind=TaskEventKind.UPDATED,
        task_id=f"task-{number}",
        owner_id=owner,
        version=number,
        actor_id=None,
        occurred_at=datetime.now(UTC),
    )


async def started_hub(queue_size: int) -> EventHub:
    hub = EventHub(InProcessTransport(), queue_size=queue_size)
    await hub.start()
    return hub


async def test_events_reach_their_owner_and_the_watchers_of_all():
    """An owner's listener gets that owner's events in order; an all-owners listener gets
    every event; nobody gets another owner's."""
    hub = await started_hub(queue_size=10)
    alice = hub.listen(owner_id="alice", matches=lambda _e: True)
    everyone = hub.listen(owner_id=None, matches=lambda _e: True)
    await hub.publish([event("alice", 1), event("bob", 2)])
    await hub.publish([event("alice", 3)])
    assert [(await anext(alice)).event.version for _ in range(2)] == [1, 3]
    assert [(await anext(everyone)).event.version for _ in range(3)] == [1, 2, 3]
    assert alice.backlog == everyone.backlog == 0
    await hub.close()
    with pytest.raises(StopAsyncIteration):
        await anext(alice)


async def test_a_slow_listener_cannot_grow_memory():
    """A listener that does not read holds at most queue_size events; past that its queue is
    dropped and it ends with EVENTS_LOST, leaving the hub; others are unaffected."""
    hub = await started_hub(queue_size=5)
    slow = hub.listen(owner_id="alice", matches=lambda _e: True)
    reader = hub.listen(owner_id="alice", matches=lambda _e: True)
    for number in range(1000):
        await hub.publish([event("alice", number)])
        assert slow.backlog <= 5
        assert (await anext(reader)).event.version == number
    assert slow.backlog == 0  # dropped at the overflow, not kept until read
    with pytest.raises(EventsLost) as lost:
        await anext(slow)
    assert lost.value.extensions == {"code": "EVENTS_LOST"}
    assert hub.listener_count == 1
    reader.close()
    assert hub.listener_count == 0
    await hub.close()


async def test_shared_batch_is_one_per_publish():
    """Every event of one publish carries the same SharedBatch (what is read for it once)."""
    hub = await started_hub(queue_size=10)
    listener = hub.listen(owner_id=None, matches=lambda _e: True)
    await hub.publish([event("alice", 1), event("bob", 2)])
    await hub.publish([event("alice", 3)])
    first, second, third = [await anext(listener) for _ in range(3)]
    assert first.batch is second.batch
    assert third.batch is not first.batch
    await hub.close()
