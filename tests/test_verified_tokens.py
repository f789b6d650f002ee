"""Access tokens verified once per process (taskql/auth/verified_tokens.py): a remembered
token is still refused once it expires, under other auth settings, or when altered."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from taskql.auth.roles import Role
from taskql.auth.tokens import InvalidToken, issue_access_token
from taskql.auth.verified_tokens import VerifiedTokens
from taskql.settings import AuthSettings


def token_for(auth: AuthSettings, *, issued: datetime | None = None) -> str:
    return issue_access_token(
        auth=auth,
        user_id=uuid.uuid4(),
        role=Role.USER.value,
        token_epoch=0,
        session_id=uuid.uuid4(),
        now=issued,
    ).token


def test_a_token_is_verified_once_and_its_claims_kept(settings):
    tokens = VerifiedTokens()
    token = token_for(settings.auth)

    first = tokens.decode(token, settings.auth)
    again = tokens.decode(token, settings.auth)

    assert again is first
    assert len(tokens) == 1


async def test_a_remembered_token_is_refused_once_it_expires(settings):
    tokens = VerifiedTokens()
    auth = settings.auth
    # Valid for at most one more second (iat is cut to the second); python-jose allows one
    # more, as it compares whole seconds.
    lifetime = timedelta(minutes=auth.access_token_minutes, seconds=auth.jwt_leeway_seconds)
    token = token_for(auth, issued=datetime.now(UTC) - lifetime + timedelta(seconds=1))
    tokens.decode(token, auth)

    await asyncio.sleep(3)

    with pytest.raises(InvalidToken):
        tokens.decode(token, auth)
    assert len(tokens) == 0


def test_a_token_remembered_under_other_settings_is_verified_again(settings):
    tokens = VerifiedTokens()
    token = token_for(settings.auth)
    tokens.decode(token, settings.auth)
    rotated = dataclasses.replace(settings.auth, jwt_secret="another-secret-" + "x" * 40)

    with pytest.raises(InvalidToken):
        tokens.decode(token, rotated)


def test_an_altered_token_is_never_taken_for_a_remembered_one(settings):
    tokens = VerifiedTokens()
    token = token_for(settings.auth)
    tokens.decode(token, settings.auth)
    header, payload, signature = token.split(".")
    altered = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"

    with pytest.raises(InvalidToken):
        tokens.decode(altered, settings.auth)
    assert len(tokens) == 1


def test_refused_tokens_are_not_remembered_and_the_cache_is_bounded(settings):
    tokens = VerifiedTokens(capacity=3)
    expired = token_for(settings.auth, issued=datetime.now(UTC) - timedelta(days=1))
    with pytest.raises(InvalidToken):
        tokens.decode(expired, settings.auth)
    assert len(tokens) == 0

    for _ in range(5):
        tokens.decode(token_for(settings.auth), settings.auth)
    assert len(tokens) == 3
