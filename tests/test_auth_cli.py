"""`taskql create-admin` gives a fresh install an admin who can sign in."""

from __future__ import annotations

import asyncio

from models import credentials as credential_models
from models import users as user_models
from models.credentials import RevokeReason
from tests.cli import run_taskql, taskql_env
from tests.factories import DEFAULT_PASSWORD, create_user

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { user { role email } } }"""
PASSWORD = "an admin passphrase"
FULL_LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken refreshToken } }"""
REFRESH = "mutation($t: String!) { refreshTokens(refreshToken: $t) { accessToken } }"


def env_for(settings, **extra):
    return taskql_env(TASKQL_ENV="test", TASKQL_DATABASE__URL=settings.database.url, **extra)


async def test_create_admin_then_sign_in(graphql, settings):
    """The command creates an ADMIN from the env-var password; that admin can log in."""
    result = await asyncio.to_thread(
        run_taskql,
        "create-admin",
        "--email",
        "Root@Example.test",
        env=env_for(settings, TASKQL_ADMIN_PASSWORD=PASSWORD),
    )
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    body = await graphql(LOGIN, {"email": "root@example.test", "password": PASSWORD})
    assert body["data"]["login"]["user"] == {"role": "ADMIN", "email": "root@example.test"}


async def test_create_admin_refuses_a_weak_password(client, settings):
    """The same password rules as registration apply; nothing is created on refusal."""
    result = await asyncio.to_thread(
        run_taskql,
        "create-admin",
        "--email",
        "weak@example.test",
        env=env_for(settings, TASKQL_ADMIN_PASSWORD="short"),
    )
    assert result.returncode == 1
    assert "password" in result.stderr
    assert await user_models.get_by_email(email="weak@example.test") is None


async def test_promoting_an_existing_user_ends_their_sessions(graphql, settings):
    """create-admin on an existing user's email is a role change: every session of that user
    is revoked (reason ROLE_CHANGED), so their next request signs in again as an admin."""
    user = await create_user()
    login = await graphql(FULL_LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    pair = login["data"]["login"]
    result = await asyncio.to_thread(
        run_taskql,
        "create-admin",
        "--email",
        user.email,
        env=env_for(settings, TASKQL_ADMIN_PASSWORD=PASSWORD),
    )
    assert result.returncode == 0, result.stderr
    refused = await graphql("{ me { id } }", token=pair["accessToken"])
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    again = await graphql(REFRESH, {"t": pair["refreshToken"]})
    assert again["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    sessions = await credential_models.Session.filter(user_id=user.id, id__not=user.id)
    assert [session.revoke_reason for session in sessions] == [RevokeReason.ROLE_CHANGED]


async def test_create_admin_without_a_terminal_or_password_says_so(client, settings):
    """No TASKQL_ADMIN_PASSWORD and no terminal to prompt on: one clear line, exit 2, no user."""
    result = await asyncio.to_thread(
        run_taskql, "create-admin", "--email", "notty@example.test", env=env_for(settings)
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "TASKQL_ADMIN_PASSWORD" in lines[0]
    assert await user_models.get_by_email(email="notty@example.test") is None
