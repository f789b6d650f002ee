"""Your sessions over HTTP: list them, end one, end all; an admin ends a user's sessions."""

from __future__ import annotations

import uuid

from models import audit as audit_models
from models.credentials import Session, printable
from models.users import Role
from tests.conftest import with_overrides
from tests.factories import DEFAULT_PASSWORD, access_token_for, create_user

PAIR = "accessToken refreshToken user { id }"
LOGIN = f"""mutation($email: String!, $password: String!) {{
  login(email: $email, password: $password) {{ {PAIR} }} }}"""
REFRESH = f"mutation($t: String!) {{ refreshTokens(refreshToken: $t) {{ {PAIR} }} }}"
ME = "{ me { id } }"
MY_SESSIONS = "{ mySessions { id userAgent clientAddress createdAt lastUsedAt current } }"
REVOKE = "mutation($id: ID!) { revokeSession(id: $id) }"
EVERYWHERE = "mutation { logoutEverywhere }"
ADMIN_REVOKE = "mutation($id: ID!) { revokeUserSessions(userId: $id) }"


def code(body):
    return body["errors"][0]["extensions"]["code"]


async def post(client, query, variables=None, *, token=None, headers=None):
    all_headers = dict(headers or {})
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers
    )
    assert response.status == 200, await response.text()
    return await response.json()


async def sign_in(client, user, *, agent: str, address: str | None = None):
    headers = {"User-Agent": agent}
    if address:
        headers["X-Forwarded-For"] = address
    body = await post(
        client, LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}, headers=headers
    )
    return body["data"]["login"]


async def session_id_of(user, agent: str) -> str:
    return str((await Session.get(user_id=user.id, user_agent=agent)).id)


async def test_my_sessions_lists_live_sign_ins_with_the_current_one_flagged(make_client, settings):
    """Two sign-ins (behind a trusted proxy) are listed with their user agent and the client
    address the proxy named, the calling one flagged current; a refresh moves lastUsedAt; an
    ended session is no longer listed; another user's sessions never are."""
    client = await make_client(with_overrides(settings, server={"trusted_proxies": ("127.0.0.1",)}))
    user = await create_user()
    other = await create_user()
    laptop = await sign_in(client, user, agent="Laptop/1.0", address="198.51.100.10")
    phone = await sign_in(client, user, agent="Phone/2.0", address="203.0.113.20")
    await sign_in(client, other, agent="Other/1.0", address="192.0.2.1")
    # Behind the proxy every request names its client.
    via = {"X-Forwarded-For": "192.0.2.1"}
    logout = "mutation { logout }"
    await post(client, logout, token=access_token_for(user, settings), headers=via)

    refreshed = await post(client, REFRESH, {"t": phone["refreshToken"]}, headers=via)
    refreshed = refreshed["data"]["refreshTokens"]
    listed = await post(client, MY_SESSIONS, token=laptop["accessToken"], headers=via)
    listed = listed["data"]["mySessions"]

    by_agent = {s["userAgent"]: s for s in listed}
    assert set(by_agent) == {"Laptop/1.0", "Phone/2.0"}
    assert by_agent["Laptop/1.0"]["current"] is True
    assert by_agent["Phone/2.0"]["current"] is False
    assert by_agent["Laptop/1.0"]["clientAddress"] == "198.51.100.10"
    assert by_agent["Phone/2.0"]["clientAddress"] == "203.0.113.20"
    assert by_agent["Laptop/1.0"]["lastUsedAt"] == by_agent["Laptop/1.0"]["createdAt"]
    assert by_agent["Phone/2.0"]["lastUsedAt"] > by_agent["Phone/2.0"]["createdAt"]
    assert listed[0]["userAgent"] == "Phone/2.0"  # most recently used first
    from_phone = await post(client, MY_SESSIONS, token=refreshed["accessToken"], headers=via)
    assert [s["current"] for s in from_phone["data"]["mySessions"]] == [True, False]


def test_user_agents_are_stored_printable_and_bounded():
    """Control characters are dropped and the text cut to the column's length."""
    assert printable("Evil\x1b[31m\tAgent\x00/1", 255) == "Evil[31mAgent/1"
    assert printable("x" * 1000, 255) == "x" * 255
    assert printable("\x07\x08", 255) is None
    assert printable(None, 255) is None


async def test_revoke_session_ends_it_at_once(client, settings):
    """revokeSession ends the other session: its access token is refused on the next
    request and its refresh token too; the caller's session goes on; it is audited."""
    user = await create_user()
    keep = await sign_in(client, user, agent="Keep/1")
    lose = await sign_in(client, user, agent="Lose/1")
    lose_id = await session_id_of(user, "Lose/1")

    revoked = await post(client, REVOKE, {"id": lose_id}, token=keep["accessToken"])

    assert revoked == {"data": {"revokeSession": True}}
    assert code(await post(client, ME, token=lose["accessToken"])) == "UNAUTHENTICATED"
    assert code(await post(client, REFRESH, {"t": lose["refreshToken"]})) == "UNAUTHENTICATED"
    assert "data" in await post(client, ME, token=keep["accessToken"])
    event = await audit_models.AuditEvent.get(
        action=audit_models.AuditAction.SESSION_REVOKED, target_id=lose_id
    )
    assert event.actor_id == user.id
    again = await post(client, REVOKE, {"id": lose_id}, token=keep["accessToken"])
    assert code(again) == "NOT_FOUND"


async def test_someone_elses_or_an_unknown_session_is_not_found(client, settings):
    """Another user's session id, an unknown id and a malformed one all answer NOT_FOUND with
    the same message, and the other user's session lives on."""
    user = await create_user()
    victim = await create_user()
    token = access_token_for(user, settings)
    victim_session = await sign_in(client, victim, agent="Victim/1")
    victim_id = await session_id_of(victim, "Victim/1")

    answers = [
        await post(client, REVOKE, {"id": wanted}, token=token)
        for wanted in (victim_id, str(uuid.uuid4()), "not-an-id")
    ]

    assert [code(a) for a in answers] == ["NOT_FOUND"] * 3
    assert len({a["errors"][0]["message"] for a in answers}) == 1
    assert "data" in await post(client, ME, token=victim_session["accessToken"])


async def test_logout_everywhere_ends_every_session_including_this_one(client, settings):
    """logoutEverywhere returns how many sessions were live and ends all of them, the
    caller's included; one audit row records it; other users are untouched."""
    user = await create_user()
    bystander = await create_user()
    one = await sign_in(client, user, agent="One/1")
    two = await sign_in(client, user, agent="Two/1")

    ended = await post(client, EVERYWHERE, token=one["accessToken"])

    # The two sign-ins and the factory's standing session.
    assert ended == {"data": {"logoutEverywhere": 3}}
    for pair in (one, two):
        assert code(await post(client, ME, token=pair["accessToken"])) == "UNAUTHENTICATED"
        assert code(await post(client, REFRESH, {"t": pair["refreshToken"]})) == "UNAUTHENTICATED"
    assert "data" in await post(client, ME, token=access_token_for(bystander, settings))
    rows = await audit_models.AuditEvent.filter(
        action=audit_models.AuditAction.USER_SESSIONS_REVOKED, target_id=user.id
    )
    assert [r.changes[0] for r in rows] == [{"field": "live_sessions", "old": 3, "new": 0}]
    assert (await sign_in(client, user, agent="Again/1"))["accessToken"]


async def test_admin_revokes_a_users_sessions(client, settings):
    """An admin's revokeUserSessions ends the user's sessions at once (audited with the admin
    as actor); the user can still sign in. A plain user is FORBIDDEN; an unknown user is
    NOT_FOUND; a malformed id is a VALIDATION_ERROR."""
    admin = await create_user(role=Role.ADMIN)
    user = await create_user()
    pair = await sign_in(client, user, agent="User/1")
    admin_token = access_token_for(admin, settings)

    forbidden = await post(client, ADMIN_REVOKE, {"id": str(admin.id)}, token=pair["accessToken"])
    ended = await post(client, ADMIN_REVOKE, {"id": str(user.id)}, token=admin_token)
    unknown = await post(client, ADMIN_REVOKE, {"id": str(uuid.uuid4())}, token=admin_token)
    malformed = await post(client, ADMIN_REVOKE, {"id": "nope"}, token=admin_token)

    assert code(forbidden) == "FORBIDDEN"
    assert ended == {"data": {"revokeUserSessions": 2}}
    assert code(unknown) == "NOT_FOUND"
    assert code(malformed) == "VALIDATION_ERROR"
    assert code(await post(client, ME, token=pair["accessToken"])) == "UNAUTHENTICATED"
    event = await audit_models.AuditEvent.get(
        action=audit_models.AuditAction.USER_SESSIONS_REVOKED, target_id=user.id
    )
    assert event.actor_id == admin.id
    assert (await sign_in(client, user, agent="User/2"))["accessToken"]
    assert "data" in await post(client, ME, token=admin_token)


async def test_session_fields_need_a_sign_in(graphql):
    """Every session field is UNAUTHENTICATED without a token."""
    for query, variables in (
        (MY_SESSIONS, None),
        (REVOKE, {"id": str(uuid.uuid4())}),
        (EVERYWHERE, None),
        (ADMIN_REVOKE, {"id": str(uuid.uuid4())}),
    ):
        assert code(await graphql(query, variables)) == "UNAUTHENTICATED"
