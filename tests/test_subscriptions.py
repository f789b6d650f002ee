"""Subscription.taskEvents end to end: a real graphql-transport-ws client (gql) on the app's
real socket, mutations over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from gql.transport.exceptions import TransportQueryError

from models.users import Role
from server.app_keys import LIVE_SOCKETS
from taskql.global_ids import encode_user
from tests.conftest import with_overrides
from tests.subscriptions import TASK_EVENTS, Stream, socket_session, until_listening
from tests.task_factories import signed_in_user

OPERATIONS_TASK_EVENTS = (
    Path(__file__).resolve().parent.parent / "operations" / "task_events.graphql"
).read_text(encoding="utf-8")
CREATE = (
    "mutation C($t: String!, $p: TaskPriority) "
    "{ createTask(input: {title: $t, priority: $p}) { id version } }"
)
UPDATE = "mutation U($id: ID!, $t: String!) { updateTask(id: $id, input: {title: $t}) { version } }"
UPDATE_STATUS = (
    "mutation U($id: ID!, $s: TaskStatus!) { updateTask(id: $id, input: {status: $s}) { version } }"
)
SET_STATUS = (
    "mutation S($id: ID!, $s: TaskStatus!) { setTaskStatus(id: $id, status: $s) { version } }"
)
DELETE = "mutation D($id: ID!, $v: Int) { deleteTask(id: $id, expectedVersion: $v) }"


async def create(graphql: Any, token: str, title: str = "t", priority: str = "MEDIUM") -> str:
    body = await graphql(CREATE, {"t": title, "p": priority}, token=token)
    assert "errors" not in body, body
    return str(body["data"]["createTask"]["id"])


async def test_owner_receives_every_kind_in_order(client, graphql, settings):
    """CREATED, UPDATED, STATUS_CHANGED (setTaskStatus and an update of the status alone) and
    DELETED reach the owner in write order, versions rising, the task null once deleted."""
    user, token = await signed_in_user(settings)
    async with socket_session(client, token) as session:
        stream = Stream(session, TASK_EVENTS, {})
        stream.start()
        await until_listening(client, 1)
        task_id = await create(graphql, token, "first")
        await graphql(UPDATE, {"id": task_id, "t": "second"}, token=token)
        await graphql(SET_STATUS, {"id": task_id, "s": "IN_PROGRESS"}, token=token)
        await graphql(UPDATE_STATUS, {"id": task_id, "s": "DONE"}, token=token)
        await graphql(DELETE, {"id": task_id}, token=token)
        events = [(await stream.next())["taskEvents"] for _ in range(5)]
        await stream.close()
    assert [(e["kind"], e["version"]) for e in events] == [
        ("CREATED", 1),
        ("UPDATED", 2),
        ("STATUS_CHANGED", 3),
        ("STATUS_CHANGED", 4),
        ("DELETED", 4),
    ]
    assert {e["taskId"] for e in events} == {task_id}
    assert events[-1]["task"] is None
    # Read when delivered: the earlier events may show the task as it is later (or gone).
    assert events[0]["actor"] == {"id": encode_user(str(user.id))}
    assert events[0]["occurredAt"]


async def test_users_hear_only_their_own_tasks(client, graphql, settings):
    """A user's subscription gets their own tasks' events, never another user's."""
    alice, alice_token = await signed_in_user(settings)
    _bob, bob_token = await signed_in_user(settings)
    async with socket_session(client, alice_token) as session:
        stream = Stream(session, TASK_EVENTS, {})
        stream.start()
        await until_listening(client, 1)
        await create(graphql, bob_token, "bob's")
        own = await create(graphql, alice_token, "alice's")
        event = (await stream.next())["taskEvents"]
        assert event["taskId"] == own
        assert event["task"]["owner"]["id"] == encode_user(str(alice.id))
        assert await stream.nothing_within(0.3)
        await stream.close()


async def test_foreign_owner_filter_matches_nothing_for_users(client, graphql, settings):
    """A user asking for another owner's events gets none (as Query.tasks shows none)."""
    _alice, alice_token = await signed_in_user(settings)
    bob, bob_token = await signed_in_user(settings)
    async with socket_session(client, alice_token) as session:
        stream = Stream(session, TASK_EVENTS, {"filter": {"ownerId": str(bob.id)}})
        stream.start()
        await until_listening(client, 1)
        await create(graphql, bob_token)
        await create(graphql, alice_token)
        assert await stream.nothing_within(0.5)
        await stream.close()


async def test_admin_hears_all_or_one_owner(client, graphql, settings):
    """An admin's subscription gets every owner's events, or one owner's with ownerId."""
    _admin, admin_token = await signed_in_user(settings, role=Role.ADMIN)
    alice, alice_token = await signed_in_user(settings)
    _bob, bob_token = await signed_in_user(settings)
    async with socket_session(client, admin_token) as session:
        everyone = Stream(session, TASK_EVENTS, {})
        only_alice = Stream(session, TASK_EVENTS, {"filter": {"ownerId": str(alice.id)}})
        everyone.start()
        only_alice.start()
        await until_listening(client, 2)
        bobs = await create(graphql, bob_token)
        alices = await create(graphql, alice_token)
        assert [(await everyone.next())["taskEvents"]["taskId"] for _ in range(2)] == [
            bobs,
            alices,
        ]
        event = (await only_alice.next())["taskEvents"]
        assert (event["taskId"], event["task"]["owner"]["id"]) == (
            alices,
            encode_user(str(alice.id)),
        )
        assert await only_alice.nothing_within(0.3)
        await everyone.close()
        await only_alice.close()


async def test_filters_on_status_priority_and_ids(client, graphql, settings):
    """status and priority filters apply to the task after the change; taskIds to the id."""
    _user, token = await signed_in_user(settings)
    watched = await create(graphql, token, "watched", "LOW")
    async with socket_session(client, token) as session:
        urgent = Stream(session, TASK_EVENTS, {"filter": {"priority": ["CRITICAL"]}})
        done = Stream(session, TASK_EVENTS, {"filter": {"status": ["DONE"]}})
        by_id = Stream(session, TASK_EVENTS, {"filter": {"taskIds": [watched]}})
        for stream in (urgent, done, by_id):
            stream.start()
        await until_listening(client, 3)
        critical = await create(graphql, token, "critical", "CRITICAL")
        await graphql(SET_STATUS, {"id": watched, "s": "DONE"}, token=token)
        assert (await urgent.next())["taskEvents"]["taskId"] == critical
        event = (await done.next())["taskEvents"]
        assert (event["taskId"], event["kind"]) == (watched, "STATUS_CHANGED")
        assert (await by_id.next())["taskEvents"]["taskId"] == watched
        assert await urgent.nothing_within(0.2)
        assert await done.nothing_within(0.01)
        assert await by_id.nothing_within(0.01)
        for stream in (urgent, done, by_id):
            await stream.close()


async def test_refused_writes_publish_nothing(client, graphql, settings):
    """A write refused inside its transaction (a stale expectedVersion: CONFLICT) or before
    it (NOT_FOUND), and a createTask retry answered from its key, publish nothing."""
    _user, token = await signed_in_user(settings)
    task_id = await create(graphql, token)
    retry = 'mutation { createTask(input: {title: "k", clientMutationId: "key-1"}) { id } }'
    await graphql(retry, token=token)
    async with socket_session(client, token) as session:
        stream = Stream(session, TASK_EVENTS, {})
        stream.start()
        await until_listening(client, 1)
        conflict = await graphql(DELETE, {"id": task_id, "v": 7}, token=token)
        assert conflict["errors"][0]["extensions"]["code"] == "CONFLICT"
        missing = await graphql(DELETE, {"id": "01a2379f-0883-77c9-8ec9-631ec3ce5183"}, token=token)
        assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert "errors" not in await graphql(retry, token=token)
        assert await stream.nothing_within(0.5)
        await stream.close()


async def test_invalid_document_gets_a_coded_error(client, settings):
    """A subscription document that does not validate is answered with an `error` message
    carrying extensions.code; the socket stays usable."""
    _user, token = await signed_in_user(settings)
    async with socket_session(client, token) as session:
        bad = Stream(session, "subscription { taskEvents { nope } }", {})
        with pytest.raises(TransportQueryError) as refused:
            await bad.next()
        assert refused.value.errors is not None
        assert refused.value.errors[0]["extensions"]["code"] == "VALIDATION_ERROR"
        good = Stream(session, TASK_EVENTS, {})
        good.start()
        await until_listening(client, 1)
        await good.close()


async def test_concurrent_retries_publish_one_created(client, graphql, settings):
    """Ten concurrent createTask calls with one clientMutationId make one task: the losers'
    inserts roll back (or read the winner's row) and publish nothing, so exactly one
    CREATED arrives."""
    _user, token = await signed_in_user(settings)
    retry = 'mutation { createTask(input: {title: "once", clientMutationId: "race"}) { id } }'
    async with socket_session(client, token) as session:
        stream = Stream(session, TASK_EVENTS, {})
        stream.start()
        await until_listening(client, 1)
        bodies = await asyncio.gather(*(graphql(retry, token=token) for _ in range(10)))
        ids = {body["data"]["createTask"]["id"] for body in bodies}
        assert len(ids) == 1
        event = (await stream.next())["taskEvents"]
        assert (event["kind"], event["taskId"]) == ("CREATED", ids.pop())
        assert await stream.nothing_within(0.5)
        await stream.close()


async def test_trusted_documents_apply_to_subscriptions(make_client, settings):
    """With graphql.trusted_documents_only, the socket runs manifest documents only (by text
    or by hash); any other gets TRUSTED_DOCUMENT_REQUIRED."""
    client = await make_client(with_overrides(settings, graphql={"trusted_documents_only": True}))
    _user, token = await signed_in_user(settings)
    async with socket_session(client, token) as session:
        other = Stream(session, TASK_EVENTS, {})
        with pytest.raises(TransportQueryError) as refused:
            await other.next()
        assert refused.value.errors is not None
        assert refused.value.errors[0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
    # The manifest's exact text (gql would send its own printing of the document): raw frames.
    ws = await client.ws_connect("/graphql", protocols=("graphql-transport-ws",))
    await ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
    await ws.send_json(
        {"id": "1", "type": "subscribe", "payload": {"query": OPERATIONS_TASK_EVENTS}}
    )
    await until_listening(client, 1)
    await ws.close()


async def test_closed_sockets_are_cleaned_up(client, settings):
    """A client that goes away leaves no subscription or socket behind on the server."""
    _user, token = await signed_in_user(settings)
    for _ in range(3):
        async with socket_session(client, token) as session:
            stream = Stream(session, TASK_EVENTS, {})
            stream.start()
            await until_listening(client, 1)
        await until_listening(client, 0)
    async with asyncio.timeout(5):
        while len(client.app[LIVE_SOCKETS]):  # noqa: ASYNC110 - the server's own state
            await asyncio.sleep(0.01)


async def test_subscriptions_are_refused_over_http(graphql, settings):
    """A subscription sent over HTTP is a BAD_REQUEST naming the WebSocket, not a 500."""
    _user, token = await signed_in_user(settings)
    body = await graphql("subscription { taskEvents { kind } }", token=token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("task_filter", "field"),
    [
        ({"taskIds": ["not-an-id"]}, "filter.taskIds"),
        ({"taskIds": ["01a2379f-0883-77c9-8ec9-631ec3ce5183"] * 101}, "filter.taskIds"),
        ({"ownerId": "nobody"}, "filter.ownerId"),
    ],
)
async def test_bad_filters_are_validation_errors(client, settings, task_filter, field):
    """A malformed id or too many task ids end the subscription with VALIDATION_ERROR naming
    the field; nothing is left listening."""
    _user, token = await signed_in_user(settings)
    async with socket_session(client, token) as session:
        stream = Stream(session, TASK_EVENTS, {"filter": task_filter})
        with pytest.raises(TransportQueryError) as refused:
            await stream.next()
        assert refused.value.errors is not None
        extensions = refused.value.errors[0]["extensions"]
        assert (extensions["code"], extensions["field"]) == ("VALIDATION_ERROR", field)
    await until_listening(client, 0)
