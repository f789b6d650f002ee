"""Expired credential rows are purged; live ones are kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models import credentials as credential_models
from models.ids import new_id
from server.housekeeping import purge_once
from tests.factories import create_user


async def test_purge_drops_only_expired_rows(client):
    """Sessions and refresh tokens past expiry go; unexpired ones and recent failures stay."""
    user = await create_user()
    now = datetime.now(UTC)
    old_session, live_session = new_id(), new_id()
    for session_id, expires_at in (
        (old_session, now - timedelta(days=1)),
        (live_session, now + timedelta(days=1)),
    ):
        await credential_models.create_session(
            session_id=session_id,
            user_id=user.id,
            token_epoch=user.token_epoch,
            expires_at=expires_at,
            user_agent=None,
            client_address=None,
        )
    for token_hash, session_id, expires_at in (
        ("a" * 64, old_session, now - timedelta(days=1)),
        ("b" * 64, live_session, now + timedelta(days=1)),
    ):
        await credential_models.add_refresh_token(
            user_id=user.id, session_id=session_id, token_hash=token_hash, expires_at=expires_at
        )
    await credential_models.add_login_failures(subjects=["email:x@example.com"])

    await purge_once(login_failure_window_seconds=900)

    sessions = await credential_models.Session.filter(user_id=user.id).values_list("id", flat=True)
    # The factory's standing session (id = the user's) is unexpired too.
    assert {str(s) for s in sessions} == {str(live_session), str(user.id)}
    hashes = await credential_models.RefreshToken.all().values_list("token_hash", flat=True)
    assert [str(value) for value in hashes] == ["b" * 64]
    assert await credential_models.LoginFailure.all().count() == 1
