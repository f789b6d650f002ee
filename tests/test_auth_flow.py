"""The whole session life cycle over HTTP: register, login, refresh, reuse, logout, password."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import aiohttp
from jose import jwt

from models import credentials as credential_models
from models import users as user_models
from models.credentials import RevokeReason
from taskql.global_ids import encode_user
from tests.cli import free_port, serving, taskql_env
from tests.factories import DEFAULT_PASSWORD, access_token_for, create_user

PAIR = "accessToken refreshToken tokenType expiresIn user { id email displayName role }"
REGISTER = f"""mutation($input: RegisterInput!) {{ register(input: $input) {{ {PAIR} }} }}"""
LOGIN = f"""mutation($email: String!, $password: String!) {{
  login(email: $email, password: $password) {{ {PAIR} }} }}"""
REFRESH = f"mutation($t: String!) {{ refreshTokens(refreshToken: $t) {{ {PAIR} }} }}"
LOGOUT = "mutation { logout }"
ME = "{ me { id email displayName role isActive } }"
CHANGE_PASSWORD = f"""mutation($current: String!, $new: String!) {{
  changePassword(currentPassword: $current, newPassword: $new) {{ {PAIR} }} }}"""


def code(body):
    return body["errors"][0]["extensions"]["code"]


async def test_register_login_me_refresh_reuse_logout(graphql):
    """The full flow works, a reused refresh token kills its family, logout kills the token."""
    registered = await graphql(
        REGISTER,
        {
            "input": {
                "email": "Ada@Example.test",
                "password": "a long passphrase",
                "displayName": "Ada",
            }
        },
    )
    payload = registered["data"]["register"]
    assert payload["tokenType"] == "Bearer"
    assert payload["expiresIn"] == 15 * 60
    assert payload["user"]["email"] == "ada@example.test"

    login = (await graphql(LOGIN, {"email": "ADA@example.test", "password": "a long passphrase"}))[
        "data"
    ]["login"]
    me = await graphql(ME, token=login["accessToken"])
    assert me["data"]["me"]["displayName"] == "Ada"

    first_refresh = login["refreshToken"]
    rotated = (await graphql(REFRESH, {"t": first_refresh}))["data"]["refreshTokens"]
    assert rotated["refreshToken"] != first_refresh
    assert (await graphql(ME, token=rotated["accessToken"]))["data"]["me"]["id"] == me["data"][
        "me"
    ]["id"]

    # The first token was spent: presenting it again revokes the whole family...
    reused = await graphql(REFRESH, {"t": first_refresh})
    assert code(reused) == "UNAUTHENTICATED"
    # ...so even the newest refresh token of that family is dead now.
    assert code(await graphql(REFRESH, {"t": rotated["refreshToken"]})) == "UNAUTHENTICATED"

    # Logout from the session started by register: its access and refresh tokens die.
    assert (await graphql(LOGOUT, token=payload["accessToken"]))["data"]["logout"] is True
    refused = await graphql(ME, token=payload["accessToken"])
    assert code(refused) == "UNAUTHENTICATED"
    assert "invalid or expired token" in refused["errors"][0]["message"]
    assert code(await graphql(REFRESH, {"t": payload["refreshToken"]})) == "UNAUTHENTICATED"


async def test_logout_leaves_other_sessions_alive(graphql):
    """Logout ends only the session whose access token made the call."""
    user = await create_user()
    one = (await graphql(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}))["data"]
    two = (await graphql(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}))["data"]
    await graphql(LOGOUT, token=one["login"]["accessToken"])
    assert (await graphql(ME, token=two["login"]["accessToken"]))["data"]["me"]["id"] == user_id(
        user
    )
    assert "errors" not in await graphql(REFRESH, {"t": two["login"]["refreshToken"]})


async def test_change_password_revokes_every_token(graphql):
    """After a password change every earlier access and refresh token is refused."""
    user = await create_user()
    sessions = [
        (await graphql(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}))["data"]["login"]
        for _ in range(2)
    ]
    changed = await graphql(
        CHANGE_PASSWORD,
        {"current": DEFAULT_PASSWORD, "new": "another long passphrase"},
        token=sessions[0]["accessToken"],
    )
    fresh = changed["data"]["changePassword"]
    for old in sessions:
        assert code(await graphql(ME, token=old["accessToken"])) == "UNAUTHENTICATED"
        assert code(await graphql(REFRESH, {"t": old["refreshToken"]})) == "UNAUTHENTICATED"
    assert (await graphql(ME, token=fresh["accessToken"]))["data"]["me"]["id"] == encode_user(
        str(user.id)
    )
    old_login = await graphql(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert code(old_login) == "UNAUTHENTICATED"
    new_login = await graphql(LOGIN, {"email": user.email, "password": "another long passphrase"})
    assert new_login["data"]["login"]["user"]["id"] == user_id(user)


async def test_change_password_checks_the_current_one(graphql):
    """A wrong current password is a validation error on currentPassword; nothing changes."""
    user = await create_user()
    token = (await graphql(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}))["data"][
        "login"
    ]["accessToken"]
    body = await graphql(
        CHANGE_PASSWORD, {"current": "not my password!", "new": "x" * 20}, token=token
    )
    assert code(body) == "VALIDATION_ERROR"
    assert body["errors"][0]["extensions"]["field"] == "currentPassword"
    assert (await graphql(ME, token=token))["data"]["me"]["id"] == user_id(user)


async def test_unknown_refresh_token_is_refused(graphql):
    """A refresh token the server never issued is UNAUTHENTICATED."""
    assert code(await graphql(REFRESH, {"t": "made-up-token"})) == "UNAUTHENTICATED"


async def test_authentication_costs_one_statement(graphql, client, settings, sql_statements):
    """Resolving the viewer costs exactly 1 SQL statement with a token and 0 without."""
    user = await create_user()
    token = access_token_for(user, settings)
    sql_statements.reset()
    await graphql("{ serverInfo { version } }")
    assert sql_statements.statements == []
    await graphql("{ serverInfo { version } }", token=token)
    assert len(sql_statements.statements) == 1
    assert "sessions" in sql_statements.statements[0]


async def test_logs_of_a_full_flow_hold_no_secrets(graphql, settings, logs):
    """Passwords, tokens, hashes and the JWT secret never reach the log output."""
    password = "my very secret passphrase"
    registered = await graphql(
        REGISTER,
        {"input": {"email": "logs@example.test", "password": password, "displayName": "Logs"}},
    )
    tokens = registered["data"]["register"]
    await graphql(LOGIN, {"email": "logs@example.test", "password": "wrong password!!"})
    login = (await graphql(LOGIN, {"email": "logs@example.test", "password": password}))["data"][
        "login"
    ]
    await graphql(REFRESH, {"t": login["refreshToken"]})
    await graphql(REFRESH, {"t": login["refreshToken"]})  # reuse: logged as a warning
    await graphql(ME, token=tokens["accessToken"] + "tampered")
    await graphql(
        CHANGE_PASSWORD,
        {"current": password, "new": "another secret passphrase"},
        token=tokens["accessToken"],
    )
    stored = await user_models.get_by_email(email="logs@example.test")
    assert stored is not None
    output = logs.text
    assert "login failed" in output  # the flow was logged at all
    for secret in (
        password,
        "another secret passphrase",
        "wrong password!!",
        tokens["accessToken"],
        tokens["refreshToken"],
        login["accessToken"],
        login["refreshToken"],
        stored.password_hash,
        settings.auth.jwt_secret,
    ):
        assert secret not in output


async def login_pair(graphql, user):
    body = await graphql(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    return body["data"]["login"]


async def session_of(access_token):
    session_id = uuid.UUID(jwt.get_unverified_claims(access_token)["sid"])
    return await credential_models.Session.get(id=session_id)


async def test_concurrent_refreshes_of_one_token_end_the_session(graphql):
    """30 concurrent refreshes of one token, 10 rounds: exactly one wins, and then every
    access and refresh token of the session is refused, the winner's new pair included."""
    user = await create_user()
    for round_number in range(10):
        first = await login_pair(graphql, user)
        answers = await asyncio.gather(
            *(graphql(REFRESH, {"t": first["refreshToken"]}) for _ in range(30))
        )
        winners = [answer["data"]["refreshTokens"] for answer in answers if answer["data"]]
        assert len(winners) == 1, round_number
        assert all(code(answer) == "UNAUTHENTICATED" for answer in answers if not answer["data"])
        winner = winners[0]
        for access_token in (first["accessToken"], winner["accessToken"]):
            assert code(await graphql(ME, token=access_token)) == "UNAUTHENTICATED", round_number
        for refresh_token in (first["refreshToken"], winner["refreshToken"]):
            assert code(await graphql(REFRESH, {"t": refresh_token})) == "UNAUTHENTICATED"
        session = await session_of(winner["accessToken"])
        assert session.revoke_reason is RevokeReason.REFRESH_TOKEN_REUSED


async def test_reuse_detection_refuses_the_newest_access_token(graphql):
    """After a spent refresh token is presented again, the session's newest access token
    (issued by the legitimate refresh) is refused on the next request."""
    user = await create_user()
    first = await login_pair(graphql, user)
    rotated = (await graphql(REFRESH, {"t": first["refreshToken"]}))["data"]["refreshTokens"]
    assert (await graphql(ME, token=rotated["accessToken"]))["data"]["me"]["id"] == encode_user(
        str(user.id)
    )

    assert code(await graphql(REFRESH, {"t": first["refreshToken"]})) == "UNAUTHENTICATED"

    assert code(await graphql(ME, token=rotated["accessToken"])) == "UNAUTHENTICATED"
    assert code(await graphql(REFRESH, {"t": rotated["refreshToken"]})) == "UNAUTHENTICATED"


async def test_logout_refuses_earlier_access_tokens_of_the_session(graphql):
    """Logout with the newest access token also refuses an earlier access token of the same
    session, still unexpired, and the session's refresh token."""
    user = await create_user()
    first = await login_pair(graphql, user)
    rotated = (await graphql(REFRESH, {"t": first["refreshToken"]}))["data"]["refreshTokens"]
    assert (await graphql(ME, token=first["accessToken"]))["data"]["me"]["id"] == encode_user(
        str(user.id)
    )

    assert (await graphql(LOGOUT, token=rotated["accessToken"]))["data"]["logout"] is True

    for access_token in (first["accessToken"], rotated["accessToken"]):
        assert code(await graphql(ME, token=access_token)) == "UNAUTHENTICATED"
    assert code(await graphql(REFRESH, {"t": rotated["refreshToken"]})) == "UNAUTHENTICATED"
    session = await session_of(first["accessToken"])
    assert session.revoked_at is not None
    assert session.revoke_reason is RevokeReason.LOGOUT


async def test_a_token_of_an_unknown_session_is_refused(graphql, settings):
    """A correctly signed token whose sid names no session (never started, or purged) is
    refused: a token is accepted only while its session row is live."""
    user = await create_user()
    claims = jwt.get_unverified_claims(access_token_for(user, settings))
    claims["sid"] = str(uuid.uuid4())
    token = jwt.encode(
        claims,
        settings.auth.jwt_secret,
        algorithm="HS256",
        headers={"kid": settings.auth.jwt_key_id},
    )
    assert code(await graphql(ME, token=token)) == "UNAUTHENTICATED"


async def test_sessions_record_where_they_started(graphql, client):
    """Login stores the client's user agent and address with the session, truncated."""
    user = await create_user()
    response = await client.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"email": user.email, "password": DEFAULT_PASSWORD}},
        headers={"User-Agent": "Browser/" + "x" * 1000},
    )
    session = await session_of((await response.json())["data"]["login"]["accessToken"])
    assert session.user_agent == ("Browser/" + "x" * 1000)[: credential_models.USER_AGENT_LENGTH]
    assert session.client_address == "127.0.0.1"
    assert session.revoked_at is None


async def test_password_change_revokes_every_session_with_its_reason(graphql):
    """A password change revokes every session of the user (reason PASSWORD_CHANGED); the
    caller continues in a new, live session."""
    user = await create_user()
    one, two = await login_pair(graphql, user), await login_pair(graphql, user)
    changed = await graphql(
        CHANGE_PASSWORD,
        {"current": DEFAULT_PASSWORD, "new": "another long passphrase"},
        token=one["accessToken"],
    )
    for old in (one, two):
        session = await session_of(old["accessToken"])
        assert session.revoke_reason is RevokeReason.PASSWORD_CHANGED
    fresh = await session_of(changed["data"]["changePassword"]["accessToken"])
    assert fresh.revoked_at is None


@contextlib.asynccontextmanager
async def second_instance(settings):
    """A second TaskQL server process on the same database and keys; yields a `post(query,
    variables, token)` that sends one operation to it and returns the decoded body."""
    port = free_port()
    env = taskql_env(
        TASKQL_ENV="test",
        TASKQL_DATABASE__URL=settings.database.url,
        TASKQL_AUTH__JWT_SECRET=settings.auth.jwt_secret,
    )
    with serving("serve", "--port", str(port), port=port, env=env):
        async with aiohttp.ClientSession() as session:

            async def post(query, variables=None, *, token=None):
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                response = await session.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={"query": query, "variables": variables or {}},
                    headers=headers,
                )
                return await response.json()

            yield post


async def test_a_second_instance_sees_a_logout_on_its_next_request(graphql, settings):
    """Two app instances on one database: a logout made on one is refused by the other (a
    separate server process) on the very next request."""
    user = await create_user()
    pair = await login_pair(graphql, user)
    async with second_instance(settings) as other:
        before = await other(ME, token=pair["accessToken"])
        assert before["data"]["me"]["id"] == user_id(user)

        assert (await graphql(LOGOUT, token=pair["accessToken"]))["data"]["logout"] is True

        assert code(await other(ME, token=pair["accessToken"])) == "UNAUTHENTICATED"


async def test_concurrent_refreshes_across_two_instances_end_the_session(graphql, settings):
    """30 concurrent refreshes of one token split over two server processes, 5 rounds: one
    wins, and both instances then refuse every token of the session."""
    user = await create_user()
    async with second_instance(settings) as other:
        for round_number in range(5):
            first = await login_pair(graphql, user)
            variables = {"t": first["refreshToken"]}
            answers = await asyncio.gather(
                *(graphql(REFRESH, variables) for _ in range(15)),
                *(other(REFRESH, variables) for _ in range(15)),
            )
            winners = [answer["data"]["refreshTokens"] for answer in answers if answer["data"]]
            assert len(winners) == 1, round_number
            for send in (graphql, other):
                for access_token in (first["accessToken"], winners[0]["accessToken"]):
                    assert code(await send(ME, token=access_token)) == "UNAUTHENTICATED"
                refused = await send(REFRESH, {"t": winners[0]["refreshToken"]})
                assert code(refused) == "UNAUTHENTICATED"


def user_id(user: user_models.User) -> str:
    """The id the API gives for this user (its global id)."""
    return encode_user(str(user.id))
