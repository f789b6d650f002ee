"""`taskql create-admin` gives a fresh install an admin who can sign in."""

from __future__ import annotations

import asyncio

from models import users as user_models
from tests.cli import run_taskql, taskql_env

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { user { role email } } }"""
PASSWORD = "an admin passphrase"


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
