"""The whole session life cycle over HTTP: register, login, refresh, reuse, logout, password."""

from __future__ import annotations

from models import users as user_models
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
    assert (await graphql(ME, token=two["login"]["accessToken"]))["data"]["me"]["id"] == str(
        user.id
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
    assert (await graphql(ME, token=fresh["accessToken"]))["data"]["me"]["id"] == str(user.id)
    old_login = await graphql(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert code(old_login) == "UNAUTHENTICATED"
    new_login = await graphql(LOGIN, {"email": user.email, "password": "another long passphrase"})
    assert new_login["data"]["login"]["user"]["id"] == str(user.id)


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
    assert (await graphql(ME, token=token))["data"]["me"]["id"] == str(user.id)


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
    assert "revoked_access_tokens" in sql_statements.statements[0]


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
