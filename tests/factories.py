"""Factories shared by the test modules: real rows, real hashes, real tokens."""

from __future__ import annotations

import functools
import itertools
import uuid
from datetime import UTC, datetime, timedelta

from models import credentials as credential_models
from models import users as user_models
from models.users import Role
from taskql.auth.passwords import hash_password, password_hasher
from taskql.auth.tokens import issue_access_token
from taskql.settings import Settings, load_settings

DEFAULT_PASSWORD = "correct horse battery"
_numbers = itertools.count(1)


async def create_user(
    *,
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    display_name: str | None = None,
    role: Role = Role.USER,
    active: bool = True,
    settings: Settings | None = None,
) -> user_models.User:
    """A user row with a real argon2 hash (the cheap test parameters unless `settings` differ)."""
    number = next(_numbers)
    auth = (settings or _test_settings()).auth
    user = await user_models.create(
        email=email or f"user{number}-{uuid.uuid4().hex[:8]}@example.test",
        display_name=display_name or f"User {number}",
        password_hash=await hash_password(password_hasher(auth), password),
        role=role,
    )
    if not active:
        user.is_active = False
        await user.save(update_fields=["is_active"])
    # A standing session whose id is the user's own, so access_token_for stays synchronous.
    await credential_models.create_session(
        session_id=user.id,
        user_id=user.id,
        token_epoch=user.token_epoch,
        expires_at=datetime.now(UTC) + timedelta(days=1),
        user_agent="tests",
        client_address=None,
    )
    return user


def access_token_for(user: user_models.User, settings: Settings) -> str:
    """A valid access token for `user` in its standing session (see create_user), issued by
    the real token code with the app's keys."""
    return issue_access_token(
        auth=settings.auth,
        user_id=user.id,
        role=user.role.value,
        token_epoch=user.token_epoch,
        session_id=user.id,
    ).token


@functools.cache
def _test_settings() -> Settings:
    # Only its argon2 parameters are used: the JWT secret of a fresh load differs per call.
    return load_settings("test")
