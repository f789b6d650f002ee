"""graphql-transport-ws edge cases, with raw frames (aiohttp's client): sign-in and its
close codes, timeouts, keepalive, limits, origins, refused documents, revocation."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType

from models.users import Role
from server.app_keys import EVENT_HUB, LIVE_SOCKETS
from taskql.settings import Settings
from tests.conftest import with_overrides
from tests.factories import DEFAULT_PASSWORD, access_token_for
from tests.subscriptions import TASK_EVENTS, until_listening
from tests.task_factories import signed_in_user

PROTOCOL = ("graphql-transport-ws",)
SIMPLE = "subscription { taskEvents { kind taskId } }"


def fast(settings: Settings, **subscriptions: Any) -> Settings:
    values = {"session_check_seconds": 0.1, "connection_init_timeout_seconds": 0.3}
    return with_overrides(settings, subscriptions={**values, **subscriptions})


async def connect(client: Any, token: str | None = None, **options: Any) -> Any:
    ws = await client.ws_connect("/graphql", protocols=PROTOCOL, **options)
    payload = {} if token is None else {"Authorization": f"Bearer {token}"}
    await ws.send_json({"type": "connection_init", "payload": payload})
    return ws


async def acknowledged(client: Any, token: str, **options: Any) -> Any:
    ws = await connect(client, token, **options)
    assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
    return ws


async def closed_with(ws: Any, seconds: float = 5) -> tuple[int | None, str]:
    """The close code and reason once the server closes the socket (other frames skipped)."""
    async with asyncio.timeout(seconds):
        while True:
            message = await ws.receive()
            if message.type is WSMsgType.CLOSE:
                return int(message.data), str(message.extra or "")
            if message.type in (WSMsgType.CLOSED, WSMsgType.CLOSING):
                return ws.close_code, str(message.extra or "")


async def until_sockets(client: Any, count: int) -> None:
    """Until the server counts `count` open sockets (closed ones are cleaned up)."""
    async with asyncio.timeout(5):
        while len(client.app[LIVE_SOCKETS]) != count:  # noqa: ASYNC110 - the server's state
            await asyncio.sleep(0.01)


async def subscribe(ws: Any, op_id: str, query: str = SIMPLE, **payload: Any) -> None:
    await ws.send_json({"id": op_id, "type": "subscribe", "payload": {"query": query, **payload}})


async def error_of(ws: Any) -> dict[str, Any]:
    message = await ws.receive_json(timeout=5)
    assert message["type"] == "error", message
    return dict(message["payload"][0])


@pytest.mark.parametrize("token", [None, "not-a-jwt", "expired"])
async def test_sign_in_refused_closes_4401(make_client, settings, token):
    """No token, a malformed one or an expired one in connection_init: closed with 4401."""
    client = await make_client(fast(settings))
    if token == "expired":
        user, _ = await signed_in_user(settings)
        token = access_token_for(user, _short_lived(settings, -60))
    ws = await connect(client, token)
    assert (await closed_with(ws))[0] == 4401
    await until_sockets(client, 0)


async def test_handshake_header_signs_in_too(client, settings):
    """The handshake's Authorization header is the alternative to the payload."""
    _user, token = await signed_in_user(settings)
    ws = await connect(client, None, headers={"Authorization": f"Bearer {token}"})
    assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"
    await ws.close()


async def test_no_connection_init_closes_4408(make_client, settings):
    """A socket that never sends connection_init is closed with 4408 after the timeout."""
    client = await make_client(fast(settings))
    ws = await client.ws_connect("/graphql", protocols=PROTOCOL)
    assert (await closed_with(ws, seconds=3))[0] == 4408


async def test_subscribe_before_init_closes_4401(client):
    """A subscribe before the connection is acknowledged is unauthorized (4401)."""
    ws = await client.ws_connect("/graphql", protocols=PROTOCOL)
    await subscribe(ws, "1")
    assert (await closed_with(ws))[0] == 4401


async def test_ping_is_answered_with_pong(client, settings):
    """graphql-transport-ws ping/pong keepalive."""
    _user, token = await signed_in_user(settings)
    ws = await acknowledged(client, token)
    await ws.send_json({"type": "ping"})
    assert (await ws.receive_json(timeout=5)) == {"type": "pong"}
    await ws.close()


async def test_documents_refused_with_codes(client, settings):
    """Bad documents get an `error` message with extensions.code and the socket lives on:
    syntax, validation, a query instead of a subscription, the document limits (aliases)."""
    _user, token = await signed_in_user(settings)
    ws = await acknowledged(client, token)
    cases = {
        "subscription {": "VALIDATION_ERROR",
        "subscription { taskEvents { nope } }": "VALIDATION_ERROR",
        "query { serverInfo { version } }": "BAD_REQUEST",
        "subscription { taskEvents { "
        + " ".join(f"a{n}: kind" for n in range(settings.graphql.max_aliases + 1))
        + " } }": "QUERY_TOO_COMPLEX",
    }
    for number, (query, code) in enumerate(cases.items()):
        await subscribe(ws, str(number), query)
        error = await error_of(ws)
        assert error["extensions"]["code"] == code, (query, error)
    await subscribe(ws, "ok")
    await until_listening(client, 1)
    await ws.close()


async def test_subscriptions_per_connection_are_limited(make_client, settings):
    """Beyond subscriptions.max_per_connection a subscribe gets RATE_LIMITED; completing
    one makes room again."""
    client = await make_client(fast(settings, max_per_connection=2))
    _user, token = await signed_in_user(settings)
    ws = await acknowledged(client, token)
    await subscribe(ws, "a")
    await subscribe(ws, "b")
    await until_listening(client, 2)
    await subscribe(ws, "c")
    assert (await error_of(ws))["extensions"]["code"] == "RATE_LIMITED"
    await ws.send_json({"id": "a", "type": "complete"})
    await until_listening(client, 1)
    await subscribe(ws, "d")
    await until_listening(client, 2)
    await ws.close()


async def test_sockets_per_instance_are_limited_under_concurrency(make_client, settings):
    """30 handshakes at once against subscriptions.max_sockets = 3: exactly 3 are accepted,
    the rest refused with 503 before any upgrade; a closed socket frees its place."""
    client = await make_client(fast(settings, max_sockets=3))

    async def attempt() -> Any:
        try:
            return await client.ws_connect("/graphql", protocols=PROTOCOL)
        except aiohttp.WSServerHandshakeError as refused:
            return refused.status

    outcomes = await asyncio.gather(*(attempt() for _ in range(30)))
    sockets = [o for o in outcomes if not isinstance(o, int)]
    assert len(sockets) == 3
    assert sorted(o for o in outcomes if isinstance(o, int)) == [503] * 27
    await sockets[0].close()
    await until_sockets(client, 2)
    sockets[0] = await client.ws_connect("/graphql", protocols=PROTOCOL)
    for ws in sockets:
        await ws.close()


async def test_browser_origins_are_checked(make_client, settings):
    """A browser handshake from an origin outside server.cors_origins is refused (403);
    a listed origin and a client without Origin (not a browser) are served."""
    allowed = "https://app.example"
    client = await make_client(with_overrides(settings, server={"cors_origins": (allowed,)}))
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(
            "/graphql", protocols=PROTOCOL, headers={"Origin": "https://evil.example"}
        )
    assert refused.value.status == 403
    for headers in ({"Origin": allowed}, {}):
        ws = await client.ws_connect("/graphql", protocols=PROTOCOL, headers=headers)
        await ws.close()
    await until_sockets(client, 0)


async def test_legacy_protocol_only_when_enabled(make_client, settings):
    """subscriptions.legacy_protocol turns the graphql-ws protocol on."""
    client = await make_client(with_overrides(settings, subscriptions={"legacy_protocol": True}))
    ws = await client.ws_connect("/graphql", protocols=("graphql-ws",))
    assert ws.protocol == "graphql-ws"
    await ws.close()


async def _logout(graphql: Any, token: str, _user: Any, _admin: str) -> None:
    assert (await graphql("mutation { logout }", token=token))["data"]["logout"] is True


async def _change_password(graphql: Any, token: str, _user: Any, _admin: str) -> None:
    body = await graphql(
        "mutation P($c: String!, $n: String!) { changePassword(currentPassword: $c, "
        "newPassword: $n) { accessToken } }",
        {"c": DEFAULT_PASSWORD, "n": "another good password"},
        token=token,
    )
    assert "errors" not in body, body


async def _deactivate(graphql: Any, _token: str, user: Any, admin: str) -> None:
    body = await graphql(
        "mutation D($id: ID!) { deactivateUser(id: $id) { id } }", {"id": str(user.id)}, token=admin
    )
    assert "errors" not in body, body


async def _make_admin(graphql: Any, _token: str, user: Any, admin: str) -> None:
    body = await graphql(
        "mutation R($id: ID!) { setUserRole(id: $id, role: ADMIN) { id } }",
        {"id": str(user.id)},
        token=admin,
    )
    assert "errors" not in body, body


@pytest.mark.parametrize("revoke", [_logout, _change_password, _deactivate, _make_admin])
async def test_revocation_closes_a_live_socket(make_client, settings, revoke):
    """Logout, a password change, deactivation and a role change each close the user's live
    socket with 4401 within the session check interval; another user's socket stays."""
    client = await make_client(fast(settings))

    async def graphql(query: str, variables: Any = None, *, token: str) -> Any:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token}"},
        )
        return await response.json()

    user, token = await signed_in_user(settings)
    _other, other_token = await signed_in_user(settings)
    _admin, admin_token = await signed_in_user(settings, role=Role.ADMIN)
    ws = await acknowledged(client, token)
    bystander = await acknowledged(client, other_token)
    await subscribe(ws, "1")
    await until_listening(client, 1)
    await revoke(graphql, token, user, admin_token)
    code, reason = await closed_with(ws, seconds=3)
    assert (code, reason) == (4401, "session revoked")
    await until_listening(client, 0)
    assert not bystander.closed
    await bystander.close()


async def test_expired_access_token_closes_the_socket(make_client, settings):
    """A socket signed in with an access token closes (4401) once that token expires."""
    client = await make_client(fast(settings))
    user, _ = await signed_in_user(settings)
    token = access_token_for(user, _short_lived(settings, 1))
    ws = await acknowledged(client, token)
    assert await closed_with(ws, seconds=5) == (4401, "access token expired")


async def test_slow_subscription_ends_with_events_lost(make_client, settings):
    """A subscription that falls more than subscriptions.queue_size events behind is ended
    with EVENTS_LOST (its queue dropped); the socket and other subscriptions go on."""
    client = await make_client(fast(settings, queue_size=3))
    user, token = await signed_in_user(settings)
    ws = await acknowledged(client, token)
    await subscribe(ws, "1", TASK_EVENTS)
    await until_listening(client, 1)
    hub = client.app[EVENT_HUB]
    from datetime import UTC, datetime  # noqa: PLC0415

    from taskql.events.transport import TaskEvent, TaskEventKind  # noqa: PLC0415

    burst = [
        TaskEvent(
            kind=TaskEventKind.DELETED,
            task_id=f"00000000-0000-0000-0000-{n:012d}",
            owner_id=str(user.id),
            version=1,
            actor_id=None,
            occurred_at=datetime.now(UTC),
        )
        for n in range(10)
    ]
    await hub.publish(burst)  # one batch: delivered before the subscription can read any
    message = await ws.receive_json(timeout=5)
    assert message["type"] == "next"
    assert message["payload"]["errors"][0]["extensions"]["code"] == "EVENTS_LOST"
    assert (await ws.receive_json(timeout=5))["type"] == "complete"
    assert hub.listener_count == 0
    await ws.close()


def _short_lived(settings: Settings, seconds: float) -> Settings:
    # The real token issuer, with a lifetime of seconds (negative: expired past the leeway).
    minutes = seconds / 60 if seconds > 0 else -(settings.auth.jwt_leeway_seconds + 60) / 60
    # A fraction of a minute: the issuer multiplies it into a timedelta like any number.
    auth = dataclasses.replace(settings.auth, access_token_minutes=minutes)  # type: ignore[arg-type]
    return dataclasses.replace(settings, auth=auth)


async def test_sockets_outlive_the_request_timeout(make_client, settings):
    """server.request_timeout_seconds bounds HTTP requests, not sockets: a socket is still
    served (ping answered) well after that time."""
    client = await make_client(with_overrides(settings, server={"request_timeout_seconds": 0.3}))
    _user, token = await signed_in_user(settings)
    ws = await acknowledged(client, token)
    await subscribe(ws, "1")
    await asyncio.sleep(1)
    await ws.send_json({"type": "ping"})
    assert (await ws.receive_json(timeout=5)) == {"type": "pong"}
    assert len(client.app[LIVE_SOCKETS]) == 1
    await ws.close()
