"""Subscriptions across instances, end to end: two real server processes on one database
(events by LISTEN/NOTIFY on PostgreSQL, and by Redis pub/sub), a real graphql-transport-ws
client (gql) on one replica, writes on the other, and once through nginx.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from gql import Client
from gql.client import AsyncClientSession
from gql.transport.websockets import WebsocketsTransport

from tests.conftest import base_settings
from tests.event_transports import unique_channel
from tests.factories import DEFAULT_PASSWORD, create_user
from tests.subscriptions import TASK_EVENTS, Stream
from tests.test_scale_out import LOGIN, LOGOUT, ME, code, graphql, session_for
from tests.topology import Topology, scale_out

# The events backend of the two replicas: PostgreSQL's own when the suite runs on it, and
# Redis pub/sub always (on SQLite the two processes share the database file).
POSTGRES = base_settings().database.dialect == "postgres"
BACKENDS = ["postgres", "redis"] if POSTGRES else ["redis"]
DEFAULT_BACKEND = BACKENDS[0]
SESSION_CHECK_SECONDS = 0.5

CREATE = "mutation C($t: String!) { createTask(input: {title: $t}) { id version } }"
UPDATE = "mutation U($id: ID!, $t: String!) { updateTask(id: $id, input: {title: $t}) { version } }"
SET_STATUS = (
    "mutation S($id: ID!, $s: TaskStatus!) { setTaskStatus(id: $id, status: $s) { version } }"
)
DELETE = "mutation D($id: ID!) { deleteTask(id: $id) }"


@asynccontextmanager
async def replicas(tmp_path: Path, backend: str) -> AsyncIterator[Topology]:
    env = {
        "TASKQL_EVENTS__BACKEND": backend,
        "TASKQL_EVENTS__CHANNEL": unique_channel(),
        "TASKQL_SUBSCRIPTIONS__SESSION_CHECK_SECONDS": str(SESSION_CHECK_SECONDS),
    }
    if backend == "redis":
        env["TASKQL_EVENTS__REDIS_URL"] = base_settings().ratelimit.redis_url
    with scale_out(tmp_path, **env) as topology:
        yield topology


@asynccontextmanager
async def socket(url: str, token: str, *, direct: bool) -> AsyncIterator[AsyncClientSession]:
    """gql's graphql-transport-ws client, signed in with `token`. `direct`: to a replica,
    which takes connections from its trusted proxy only, so it connects as nginx would."""
    transport = WebsocketsTransport(
        url=url.replace("http://", "ws://", 1) + "/graphql",
        init_payload={"Authorization": f"Bearer {token}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        ping_interval=None,
        headers={"X-Forwarded-For": "127.0.0.1"} if direct else None,
        connect_args={"local_addr": ("127.0.0.2", 0)} if direct else {},
    )
    async with Client(transport=transport) as session:
        yield session


async def sign_in(http: aiohttp.ClientSession, url: str) -> tuple[str, str]:
    user = await create_user()
    body = await graphql(http, url, LOGIN, email=user.email, password=DEFAULT_PASSWORD)
    return str(user.email), body["data"]["login"]["accessToken"]


async def subscribed(stream: Stream, http: aiohttp.ClientSession, url: str, token: str) -> None:
    """Until the subscription hears a write made through `url`: a subscribe is handled
    asynchronously, and a write before that is (rightly) not delivered."""
    task = (await graphql(http, url, CREATE, token, t="warm-up"))["data"]["createTask"]["id"]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if not await stream.nothing_within(0.5):
            event = (await stream.next())["taskEvents"]
            if event["taskId"] == task:
                await graphql(http, url, DELETE, token, id=task)
                await drain_until(stream, task, "DELETED")
                return
        await graphql(http, url, UPDATE, token, id=task, t="warm-up again")
    raise AssertionError("the subscription never heard a write")


async def drain_until(stream: Stream, task_id: str, kind: str) -> list[dict[str, Any]]:
    """The events read until `task_id`'s event of `kind` (inclusive)."""
    events = []
    while True:
        event = (await stream.next(10))["taskEvents"]
        events.append(event)
        if event["taskId"] == task_id and event["kind"] == kind:
            return events


@pytest.mark.usefixtures("client")  # the ORM for factories; it wipes the rows after
@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_subscriber_on_b_receives_writes_made_on_a_in_order(tmp_path, backend):
    """Writes through replica A reach a subscriber on replica B: CREATED, UPDATED,
    STATUS_CHANGED and DELETED of each task, in write order, versions rising, for two tasks
    written in turn."""
    async with replicas(tmp_path, backend) as topology, session_for(topology) as http:
        _, token = await sign_in(http, topology.a)
        async with socket(topology.b, token, direct=True) as session:
            stream = Stream(session, TASK_EVENTS, {})
            await subscribed(stream, http, topology.a, token)

            def create(title: str) -> Any:
                return graphql(http, topology.a, CREATE, token, t=title)

            first = (await create("first"))["data"]["createTask"]["id"]
            second = (await create("second"))["data"]["createTask"]["id"]
            for task in (first, second):
                await graphql(http, topology.a, UPDATE, token, id=task, t="renamed")
            for task in (first, second):
                await graphql(http, topology.a, SET_STATUS, token, id=task, s="DONE")
            await graphql(http, topology.a, DELETE, token, id=second)
            await graphql(http, topology.a, DELETE, token, id=first)
            events = await drain_until(stream, first, "DELETED")
            await stream.close()

    for task in (first, second):
        mine = [(e["kind"], e["version"]) for e in events if e["taskId"] == task]
        assert mine == [("CREATED", 1), ("UPDATED", 2), ("STATUS_CHANGED", 3), ("DELETED", 3)]
    deleted = [e for e in events if e["kind"] == "DELETED"]
    assert [e["taskId"] for e in deleted] == [second, first]
    assert all(e["task"] is None for e in deleted)


def close_code(error: BaseException) -> int | None:
    """The WebSocket close code behind gql's exception (websockets' ConnectionClosed)."""
    seen: BaseException | None = error
    while seen is not None:
        received = getattr(seen, "rcvd", None)
        if received is not None:
            return int(received.code)
        seen = seen.__cause__ or seen.__context__
    return None


@pytest.mark.usefixtures("client")  # the ORM for factories; it wipes the rows after
async def test_a_logout_on_a_is_refused_by_b_at_once_and_closes_bs_socket(tmp_path):
    """Logout through A: B refuses the token over HTTP on the very next request, and closes
    the socket it signed in (4401) within its session check; a bystander's socket stays."""
    async with replicas(tmp_path, DEFAULT_BACKEND) as topology, session_for(topology) as http:
        _, token = await sign_in(http, topology.a)
        _, bystander_token = await sign_in(http, topology.a)
        async with (
            socket(topology.b, token, direct=True) as session,
            socket(topology.b, bystander_token, direct=True) as bystander_session,
        ):
            stream = Stream(session, TASK_EVENTS, {})
            bystander = Stream(bystander_session, TASK_EVENTS, {})
            await subscribed(stream, http, topology.a, token)
            await subscribed(bystander, http, topology.a, bystander_token)

            assert (await graphql(http, topology.a, LOGOUT, token))["data"]["logout"] is True
            assert code(await graphql(http, topology.b, ME, token)) == "UNAUTHENTICATED"

            with pytest.raises(Exception) as closed:  # noqa: PT011 - gql's transport errors
                await stream.next(seconds=SESSION_CHECK_SECONDS * 10)
            assert close_code(closed.value) == 4401

            # The other user's socket still hears writes.
            task = await graphql(http, topology.a, CREATE, bystander_token, t="still here")
            event = (await bystander.next(10))["taskEvents"]
            assert event["taskId"] == task["data"]["createTask"]["id"]
            await bystander.close()


@pytest.mark.usefixtures("client")  # the ORM for factories; it wipes the rows after
async def test_subscriptions_through_nginx_hear_writes_on_either_replica(tmp_path):
    """A subscriber connected through nginx (WebSocket upgrade) hears writes made on A and on
    B directly, in order; nginx proxied the socket to one of the replicas."""
    async with replicas(tmp_path, DEFAULT_BACKEND) as topology, session_for(topology) as http:
        _, token = await sign_in(http, topology.a)
        async with socket(topology.balancer, token, direct=False) as session:
            stream = Stream(session, TASK_EVENTS, {})
            await subscribed(stream, http, topology.a, token)
            await subscribed(stream, http, topology.b, token)
            on_a = (await graphql(http, topology.a, CREATE, token, t="a"))["data"]["createTask"]
            on_b = (await graphql(http, topology.b, CREATE, token, t="b"))["data"]["createTask"]
            await graphql(http, topology.b, UPDATE, token, id=on_a["id"], t="a, renamed on b")
            events = await drain_until(stream, on_a["id"], "UPDATED")
            await stream.close()
    assert [(e["taskId"], e["kind"]) for e in events] == [
        (on_a["id"], "CREATED"),
        (on_b["id"], "CREATED"),
        (on_a["id"], "UPDATED"),
    ]
    assert any(" 101 /graphql" in line for line in topology.access_log.read_text().splitlines())
