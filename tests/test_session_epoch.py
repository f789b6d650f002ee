"""A session remembers the token epoch it started under: a sign-in that raced a password
change cannot leave a live session behind, nor mint tokens of the new epoch by refreshing."""

from __future__ import annotations

import asyncio

from models import credentials as credential_models
from models import users as user_models
from resolvers.auth import sessions
from tests.conftest import with_overrides
from tests.factories import DEFAULT_PASSWORD, access_token_for, create_user

PAIR = "accessToken refreshToken"
LOGIN = f"""mutation($email: String!, $password: String!) {{
  login(email: $email, password: $password) {{ {PAIR} }} }}"""
REFRESH = f"mutation($t: String!) {{ refreshTokens(refreshToken: $t) {{ {PAIR} }} }}"
CHANGE = f"""mutation($current: String!, $new: String!) {{
  changePassword(currentPassword: $current, newPassword: $new) {{ {PAIR} }} }}"""
ME = "{ me { id } }"


def code(body):
    return body["errors"][0]["extensions"]["code"]


async def test_a_session_started_under_an_older_epoch_is_refused(graphql, settings):
    """The state a raced sign-in leaves (a live session row of the epoch before a password
    change): its access token and its refresh token are both refused."""
    user = await create_user()
    stale = await user_models.get_by_id(user_id=user.id)
    assert stale is not None
    # The password changes (epoch + 1) between the sign-in's read and its session insert.
    await user_models.change_password(user_id=user.id, password_hash=stale.password_hash)
    pair = await sessions.start_session(stale, settings.auth)

    assert (await credential_models.Session.get(id=pair.session_id)).revoked_at is None
    assert code(await graphql(ME, token=pair.access.token)) == "UNAUTHENTICATED"
    assert code(await graphql(REFRESH, {"t": pair.refresh_token})) == "UNAUTHENTICATED"


async def test_logins_racing_a_password_change_leave_no_live_session(make_client, settings):
    """30 logins with the old password sent at once with a password change, 3 rounds: every
    login that succeeded holds dead tokens afterwards (access and refresh), and the new
    password's session lives."""
    # Room for 31 password checks at once: neither shed nor rate limited.
    roomy = with_overrides(
        settings,
        auth={
            "password_work_slots": 4,
            "password_work_queue": 40,
            "login_max_failures_per_email_and_address": 100,
            "login_max_failures_per_email": 100,
            "login_max_failures_per_address": 1000,
        },
    )
    client = await make_client(roomy)

    async def post(query, variables=None, token=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        return await response.json()

    for round_number in range(3):
        user = await create_user()
        new_password = f"new passphrase {round_number}"
        change = post(
            CHANGE,
            {"current": DEFAULT_PASSWORD, "new": new_password},
            token=access_token_for(user, settings),
        )
        logins = [
            post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}) for _ in range(30)
        ]
        changed, *answers = await asyncio.gather(change, *logins)

        assert "errors" not in changed, changed
        won = [a["data"]["login"] for a in answers if "errors" not in a]
        for pair in won:
            assert code(await post(ME, token=pair["accessToken"])) == "UNAUTHENTICATED"
            assert code(await post(REFRESH, {"t": pair["refreshToken"]})) == "UNAUTHENTICATED"
        fresh = changed["data"]["changePassword"]
        assert "errors" not in await post(ME, token=fresh["accessToken"])
