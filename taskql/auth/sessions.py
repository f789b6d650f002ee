"""Sessions: token pairs, refresh rotation with reuse detection, and revocation.

A login starts a refresh-token family. Each refresh spends the presented token and issues
the next one in the same family; presenting a spent token means it was copied, so the whole
family dies (OAuth 2.0 Security BCP, refresh token rotation).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models import credentials as credential_models
from models import users as user_models
from models.ids import new_id
from taskql.auth.tokens import (
    AccessToken,
    hash_refresh_token,
    issue_access_token,
    new_refresh_token,
)
from taskql.auth.viewer import Viewer
from taskql.logging import get_logger
from taskql.settings import AuthSettings

log = get_logger("taskql.auth")


class RefreshRefused(Exception):
    """The refresh token is unknown, expired, revoked or already spent."""


@dataclass(frozen=True, slots=True)
class TokenPair:
    access: AccessToken
    refresh_token: str
    user: user_models.User


async def start_session(user: user_models.User, auth: AuthSettings) -> TokenPair:
    return await _issue_pair(user, auth, family_id=new_id())


async def rotate(refresh_token: str, auth: AuthSettings) -> TokenPair:
    now = datetime.now(UTC)
    row = await credential_models.get_refresh_token(token_hash=hash_refresh_token(refresh_token))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise RefreshRefused
    if row.used_at is not None or not await credential_models.spend_refresh_token(
        token_id=row.id, now=now
    ):
        # Spent before: whoever holds the family now may be an attacker. End it for everyone.
        await credential_models.revoke_family(family_id=row.family_id, now=now)
        log.warning("refresh token reused; family revoked", family_id=str(row.family_id))
        raise RefreshRefused
    user = await user_models.get_by_id(user_id=row.user_id)
    if user is None or not user.is_active:
        raise RefreshRefused
    return await _issue_pair(user, auth, family_id=row.family_id)


async def end_session(viewer: Viewer) -> None:
    """Logout: this access token (by jti) and its refresh family stop working."""
    if viewer.jti is None or viewer.token_expires_at is None or viewer.session_id is None:
        return
    await credential_models.revoke_access_token(jti=viewer.jti, expires_at=viewer.token_expires_at)
    await credential_models.revoke_family(family_id=viewer.session_id, now=datetime.now(UTC))


async def end_all_sessions(user_id: uuid.UUID) -> None:
    """After a token-epoch bump (which kills the access tokens): kill the refresh tokens too."""
    await credential_models.revoke_user_refresh_tokens(user_id=user_id, now=datetime.now(UTC))


async def _issue_pair(
    user: user_models.User, auth: AuthSettings, *, family_id: uuid.UUID
) -> TokenPair:
    refresh_token = new_refresh_token()
    await credential_models.add_refresh_token(
        user_id=user.id,
        family_id=family_id,
        token_hash=hash_refresh_token(refresh_token),
        expires_at=datetime.now(UTC) + timedelta(days=auth.refresh_token_days),
    )
    access = issue_access_token(
        auth=auth,
        user_id=user.id,
        role=user.role.value,
        token_epoch=user.token_epoch,
        session_id=family_id,
    )
    return TokenPair(access=access, refresh_token=refresh_token, user=user)
