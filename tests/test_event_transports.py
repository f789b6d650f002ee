"""Task events cross instances through the real transports: LISTEN/NOTIFY on the test
PostgreSQL database (when the suite runs on PostgreSQL) and pub/sub on the test Redis, each
test on a channel of its own. Batches arrive whole and in publish order, a batch too big
for one NOTIFY is cut and joined again, and a listener whose connection is killed comes back.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
import pytest
from redis.asyncio import Redis

from taskql.events.postgres_transport import MAX_PAYLOAD_BYTES, PostgresTransport, encode_chunks
from taskql.events.redis_transport import RedisTransport
from taskql.events.transport import InProcessTransport
from taskql.events.transports import build_transport
from taskql.settings import ConfigError, Settings, load_settings
from tests.cli import ROOT
from tests.conftest import base_settings, with_overrides
from tests.database_faults import ProxyFault
from tests.event_transports import (
    Received,
    make_transport,
    task_event,
    unique_channel,
)

# Every run tests the transports its database can carry: Redis always, PostgreSQL's
# LISTEN/NOTIFY when the suite runs on PostgreSQL.
POSTGRES = base_settings().database.dialect == "postgres"
BACKENDS = ["postgres", "redis"] if POSTGRES else ["redis"]

SQLITE = "sqlite://data/x.sqlite3"

Transport = PostgresTransport | RedisTransport
OpenTransport = Callable[..., Any]


@pytest.fixture
async def open_transport(settings: Settings) -> AsyncIterator[OpenTransport]:
    """Start real transports (closed after the test); all of a test's share one channel."""
    channel = unique_channel()
    opened: list[Transport] = []

    async def start(backend: str) -> tuple[Transport, Received]:
        transport = make_transport(backend, channel, settings)
        received = Received()
        opened.append(transport)
        await transport.start(received)
        assert transport.listener.listening.is_set()
        return transport, received

    yield start
    for transport in opened:
        await transport.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_two_instances_receive_each_others_batches_in_publish_order(open_transport, backend):
    """Each instance receives every batch, its own included, whole and in the order each
    instance published them, while both publish at once."""
    first, first_received = await open_transport(backend)
    second, second_received = await open_transport(backend)

    async def publish(transport: Transport, name: str) -> None:
        for index in range(20):
            await transport.publish(
                [task_event(f"{name}-{index}-a"), task_event(f"{name}-{index}-b")]
            )

    await asyncio.gather(publish(first, "first"), publish(second, "second"))

    for received in (first_received, second_received):
        await received.until(20, "first-")
        await received.until(20, "second-")
        for name in ("first", "second"):
            expected = [[f"{name}-{i}-a", f"{name}-{i}-b"] for i in range(20)]
            assert received.task_ids(f"{name}-") == expected
        assert len(received.batches) == 40


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_batch_over_the_notify_limit_arrives_whole(open_transport, backend):
    """A batch of 200 events (about 25 kB: NOTIFY payloads under 8,000 bytes each on
    PostgreSQL) arrives as the one batch it was, event for event, before the next one."""
    sender, _ = await open_transport(backend)
    _, received = await open_transport(backend)
    batch = [task_event(f"big-{index:03}", version=index) for index in range(200)]

    await sender.publish(batch)
    await sender.publish([task_event("big-after")])
    await received.until(2, "big-")
    assert received.batches[0] == batch
    assert received.task_ids("big-")[1] == ["big-after"]


def test_notify_chunks_stay_under_the_limit_at_every_boundary():
    """Cut at the limit, whatever the number of events: every payload fits, every event is
    in exactly one chunk, in order, and chunks are filled before the next begins."""
    big = [task_event(f"big-{index:03}", version=index) for index in range(200)]
    chunks = encode_chunks(big)
    assert len(chunks) > 1
    assert all(len(chunk.encode()) <= MAX_PAYLOAD_BYTES for chunk in chunks)
    assert all(len(chunk.encode()) > MAX_PAYLOAD_BYTES - 300 for chunk in chunks[:-1])
    at = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)  # every event encodes as long
    one = len(task_event("t-000", occurred_at=at).encode())
    for count in range(1, 120):
        batch = [task_event(f"t-{index:03}", occurred_at=at) for index in range(count)]
        limit = 24 + 10 * (one + 1)  # ten events a chunk
        chunks = encode_chunks(batch, limit=limit)
        assert all(len(chunk.encode()) <= limit for chunk in chunks)
        assert len(chunks) == -(-count // 10)
        lines = [line for chunk in chunks for line in chunk.split("\n")[1:]]
        assert lines == [event.encode().decode() for event in batch]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_killed_listener_reconnects_and_listens_again(
    open_transport, settings, logs, backend
):
    """The listening connection is killed (pg_terminate_backend; Redis CLIENT KILL): it
    connects and listens again by itself, events published afterwards arrive, and the outage
    logs two lines per listener, no traceback."""
    sender, _ = await open_transport(backend)
    listener, received = await open_transport(backend)
    await sender.publish([task_event("before")])
    await received.until(1, "before")

    # Both transports listen on the test's channel: both are killed.
    assert await kill_listeners(backend, listener.channel, settings) == 2

    await wait_until(lambda: not listener.listener.listening.is_set(), "noticed the loss")
    await asyncio.wait_for(listener.listener.listening.wait(), 10)
    await asyncio.wait_for(sender.listener.listening.wait(), 10)
    await sender.publish([task_event("after")])
    await received.until(1, "after")

    events = [r["event"] for r in logs.records if r.get("logger") == "taskql.events"]
    assert events.count("task events listener down, reconnecting") == 2
    assert events.count("task events listener back") == 2
    assert "Traceback" not in logs.text


async def kill_listeners(backend: str, channel: str, settings: Settings) -> int:
    """Kill the listening connections of `channel` the way an operator or a restart would."""
    if backend == "postgres":
        killer = await asyncpg.connect(settings.database.url)
        try:
            killed: int = await killer.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = $1",
                f"taskql events {channel}",
            )
        finally:
            await killer.close()
        return killed
    redis = Redis.from_url(settings.ratelimit.redis_url)
    try:
        name = f"taskql-events:{channel}"
        ids = [c["id"] for c in await redis.client_list() if c.get("name") == name]
        for client_id in ids:
            await redis.client_kill_filter(_id=client_id)
    finally:
        await redis.aclose()
    return len(ids)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_two_processes_receive_each_others_batches_in_order(open_transport, backend):
    """A second process on the same channel: each receives the other's batches (and its
    own) whole and in publish order."""
    transport, received = await open_transport(backend)
    count = 15
    env = {**os.environ, "TASKQL_ENV": "test"}
    command = [sys.executable, "-m", "tests.event_transports", backend, transport.channel]
    peer = await asyncio.create_subprocess_exec(
        *command,
        str(count),
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert peer.stdin is not None
    assert peer.stdout is not None
    try:
        ready = await asyncio.wait_for(peer.stdout.readline(), 30)
        assert ready == b"ready\n"
        peer.stdin.write(b"go\n")
        await peer.stdin.drain()
        for index in range(count):
            await transport.publish(
                [task_event(f"parent-{index}-a"), task_event(f"parent-{index}-b")]
            )
        output, errors = await asyncio.wait_for(peer.communicate(), 30)
        assert peer.returncode == 0, errors.decode()
    finally:
        if peer.returncode is None:
            peer.kill()
            await peer.wait()
    peer_received = orjson.loads(output)
    await received.until(count, "peer-")
    for name in ("peer", "parent"):
        expected = [[f"{name}-{i}-a", f"{name}-{i}-b"] for i in range(count)]
        assert [b for b in peer_received if b[0].startswith(name)] == expected
        assert received.task_ids(f"{name}-") == expected


@pytest.mark.parametrize("backend", BACKENDS)
async def test_foreign_messages_on_the_channel_are_ignored(open_transport, settings, backend, logs):
    """Something else publishing on the channel is logged and skipped; the listener goes on."""
    sender, received = await open_transport(backend)
    if backend == "postgres":
        connection = await asyncpg.connect(settings.database.url)
        await connection.execute("SELECT pg_notify($1, 'hello')", sender.channel)
        await connection.close()
    else:
        redis = Redis.from_url(settings.ratelimit.redis_url)
        await redis.publish(sender.channel, b"hello")
        await redis.aclose()
    await sender.publish([task_event("still-here")])
    await received.until(1, "still-here")
    assert received.task_ids() == [["still-here"]]
    assert any(r["event"].startswith("ignored a foreign") for r in logs.records)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_unreachable_backend_neither_fails_writes_nor_hangs(settings, backend, logs):
    """Nothing listens at the address: start returns within its wait, publish drops the
    events with one log line (a committed write must not fail), close returns at once."""
    if backend == "postgres":
        transport: Transport = PostgresTransport(
            connect={"host": "127.0.0.1", "port": 9, "user": "x", "database": "x"},
            channel=unique_channel(),
            timeout_seconds=1.0,
            retry_max_seconds=0.5,
        )
    else:
        transport = RedisTransport(
            url="redis://127.0.0.1:9/0",
            channel=unique_channel(),
            timeout_seconds=1.0,
            retry_max_seconds=0.5,
        )
    received = Received()
    await transport.start(received)
    assert not transport.listener.listening.is_set()
    for _ in range(3):
        await transport.publish([task_event("lost")])
    await asyncio.sleep(1.2)  # a few reconnect attempts
    await asyncio.wait_for(transport.close(), 3)
    await transport.publish([task_event("after-close")])  # a no-op, no error
    events = [r["event"] for r in logs.records if r.get("logger") == "taskql.events"]
    assert events.count("task events not published") == 1
    assert events.count("task events listener down, reconnecting") == 1
    assert "Traceback" not in logs.text
    assert received.batches == []


async def test_the_configured_transport_delivers_through_the_app(make_client, settings):
    """build_transport on the suite's database, inside a running app: LISTEN/NOTIFY through
    the app's own pool on PostgreSQL, the in-process bus on SQLite; a publish comes back."""
    await make_client(settings)
    configured = with_overrides(settings, events={"channel": unique_channel()})
    transport = build_transport(configured)
    assert isinstance(transport, PostgresTransport if POSTGRES else InProcessTransport)
    received = Received()
    await transport.start(received)
    try:
        await transport.publish([task_event("app-1"), task_event("app-2")])
        await received.until(1, "app-")
        assert received.task_ids() == [["app-1", "app-2"]]
    finally:
        await transport.close()


async def wait_until(condition: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"never {what}"
        await asyncio.sleep(0.01)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"EVENTS__BACKEND": "memory", "DATABASE__URL": "postgres://u@db/x"}, "memory"),
        ({"EVENTS__BACKEND": "memory", "SERVER__WORKERS": "2", "DATABASE__URL": SQLITE}, "memory"),
        ({"EVENTS__BACKEND": "auto", "SERVER__WORKERS": "2", "DATABASE__URL": SQLITE}, "memory"),
        ({"EVENTS__BACKEND": "postgres", "DATABASE__URL": SQLITE}, "postgres"),
    ],
    ids=["memory-on-postgres", "memory-two-workers", "auto-sqlite-two-workers", "pg-on-sqlite"],
)
def test_settings_refuse_a_backend_that_cannot_reach_every_process(monkeypatch, overrides, message):
    """An in-process bus where several processes serve would let subscribers silently miss
    other processes' writes: refused at start-up, naming events.backend."""
    for key, value in overrides.items():
        monkeypatch.setenv(f"TASKQL_{key}", value)
    with pytest.raises(ConfigError, match=f"events.backend.*{message}"):
        load_settings("test")


@pytest.mark.parametrize(
    ("overrides", "backend"),
    [
        ({"DATABASE__URL": SQLITE}, InProcessTransport),
        ({"DATABASE__URL": "postgres://u@db:5432/x?maxsize=3"}, PostgresTransport),
        (
            {"EVENTS__BACKEND": "redis", "EVENTS__REDIS_URL": "redis://127.0.0.1:9/0"},
            RedisTransport,
        ),
    ],
    ids=["auto-sqlite", "auto-postgres", "redis"],
)
async def test_build_transport_follows_the_settings(monkeypatch, overrides, backend):
    """auto is the in-process bus on SQLite (one process) and LISTEN/NOTIFY on PostgreSQL;
    redis is chosen by name. Building connects to nothing."""
    for key, value in overrides.items():
        monkeypatch.setenv(f"TASKQL_{key}", value)
    transport = build_transport(load_settings("test"))
    assert isinstance(transport, backend)
    if isinstance(transport, PostgresTransport):
        # The pool options of the URL are tortoise's, never sent to the server.
        assert transport.connect == {"host": "db", "port": 5432, "user": "u", "database": "x"}
    await transport.close()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_backend_restart_loses_what_was_sent_meanwhile_and_nothing_after(
    open_transport, settings, backend, logs
):
    """The backend goes away (every link cut, new connections refused) and comes back, as
    in a restart: the listener connects and subscribes again by itself; what was published
    meanwhile never arrives (at most once), what is published after does; one line each way."""
    sender, _ = await open_transport(backend)
    fault = ProxyFault(settings)  # a TCP proxy the test can cut; to Redis for the redis backend
    if backend == "redis":
        fault.upstream = ("127.0.0.1", 6379)
    proxied = with_overrides(
        settings,
        database={"url": fault.settings.database.url},
        ratelimit={"redis_url": f"redis://127.0.0.1:{fault.port}/0"},
    )
    await fault.restore()
    listener = make_transport(backend, sender.channel, proxied)
    received = Received()
    try:
        await listener.start(received)
        assert listener.listener.listening.is_set()
        await sender.publish([task_event("before")])
        await received.until(1, "before")

        await fault.cut()
        await wait_until(lambda: not listener.listener.listening.is_set(), "noticed the cut")
        await sender.publish([task_event("during")])
        await asyncio.sleep(1)  # reconnect attempts fail meanwhile
        await fault.restore()
        await asyncio.wait_for(listener.listener.listening.wait(), 10)
        await sender.publish([task_event("after")])
        await received.until(1, "after")
    finally:
        await listener.close()
        await fault.close()
    assert received.task_ids() == [["before"], ["after"]]
    events = [r["event"] for r in logs.records if r.get("logger") == "taskql.events"]
    assert events.count("task events listener down, reconnecting") == 1
    assert events.count("task events listener back") == 1
