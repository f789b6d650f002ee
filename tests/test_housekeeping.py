"""Expired credential rows are purged; live ones are kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models import credentials as credential_models
from models.ids import new_id
from taskql.housekeeping import purge_once
from tests.factories import create_user


async def test_purge_drops_only_expired_rows(client):
    """Revocations and refresh tokens past expiry go; unexpired ones and recent failures stay."""
    user = await create_user()
    now = datetime.now(UTC)
    old_jti, live_jti = new_id(), new_id()
    await credential_models.revoke_access_token(jti=old_jti, expires_at=now - timedelta(minutes=1))
    await credential_models.revoke_access_token(jti=live_jti, expires_at=now + timedelta(minutes=5))
    for token_hash, expires_at in (
        ("a" * 64, now - timedelta(days=1)),
        ("b" * 64, now + timedelta(days=1)),
    ):
        await credential_models.RefreshToken.create(
            user_id=user.id, family_id=new_id(), token_hash=token_hash, expires_at=expires_at
        )
    await credential_models.add_login_failures(subjects=["email:x@example.com"])

    await purge_once(login_failure_window_seconds=900)

    jtis = set(await credential_models.RevokedAccessToken.all().values_list("jti", flat=True))
    assert {str(j) for j in jtis} == {str(live_jti)}
    hashes = await credential_models.RefreshToken.all().values_list("token_hash", flat=True)
    assert [str(value) for value in hashes] == ["b" * 64]
    assert await credential_models.LoginFailure.all().count() == 1
