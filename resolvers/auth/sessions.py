"""Sessions: token pairs, refresh rotation with reuse detection, and revocation.

A sign-in starts a session (a row in `sessions`); its id is the access tokens' `sid` claim
and the refresh tokens' family. Each refresh spends the presented token and issues the next
one in the same session; presenting a spent token means it was copied, so the session is
revoked (OAuth 2.0 Security BCP, refresh token rotation). A revoked session refuses every
access and refresh token carrying its id, on every instance, from the next request on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web
from tortoise.transactions import in_transaction

from models import audit
from models import credentials as credential_models
from models import users as user_models
from models.credentials import RevokeReason
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
    """The refresh token is unknown, expired, already spent, or its session is revoked."""


@dataclass(frozen=True, slots=True)
class TokenPair:
    access: AccessToken
    refresh_token: str
    user: user_models.User
    session_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class SessionOrigin:
    """Where a session was started from: kept (truncated) for a later "your sessions" view."""

    user_agent: str | None = None
    client_address: str | None = None

    @classmethod
    def of(cls, request: web.Request) -> SessionOrigin:
        return cls(user_agent=request.headers.get("User-Agent"), client_address=request.remote)


async def start_session(
    user: user_models.User, auth: AuthSettings, origin: SessionOrigin | None = None
) -> TokenPair:
    origin = origin or SessionOrigin()
    session_id, expires_at = new_id(), _refresh_expiry(auth)
    await credential_models.create_session(
        session_id=session_id,
        user_id=user.id,
        token_epoch=user.token_epoch,
        expires_at=expires_at,
        user_agent=origin.user_agent,
        client_address=origin.client_address,
    )
    return await _issue_pair(user, auth, session_id=session_id, expires_at=expires_at)


async def sign_in(
    user: user_models.User, auth: AuthSettings, origin: SessionOrigin | None = None
) -> TokenPair:
    """start_session for a login: the session, its refresh token and the audit entry commit
    together. The actor is the user signing in (the request itself is anonymous)."""
    async with in_transaction():
        pair = await start_session(user, auth, origin)
        await _audit_session(audit.AuditAction.LOGIN, pair.session_id, actor_id=user.id)
    return pair


async def _audit_session(
    action: audit.AuditAction, session_id: uuid.UUID, *, actor_id: uuid.UUID | None
) -> None:
    await audit.record(
        action, target_type=audit.TargetType.SESSION, target_id=session_id, actor_id=actor_id
    )


async def rotate(refresh_token: str, auth: AuthSettings) -> TokenPair:
    now = datetime.now(UTC)
    token_hash = hash_refresh_token(refresh_token)
    spent = await credential_models.spend_refresh_token(token_hash=token_hash, now=now)
    if spent is None:
        await _revoke_if_reused(token_hash, now)
        raise RefreshRefused
    user_id, session_id = spent
    user = await user_models.get_by_id(user_id=user_id)
    if user is None or not user.is_active:
        raise RefreshRefused
    expires_at = _refresh_expiry(auth)
    pair = await _issue_pair(user, auth, session_id=session_id, expires_at=expires_at)
    await credential_models.extend_session(session_id=session_id, now=now, expires_at=expires_at)
    return pair


async def _revoke_if_reused(token_hash: str, now: datetime) -> None:
    row = await credential_models.get_refresh_token(token_hash=token_hash)
    if row is None or row.used_at is None:
        return  # unknown, expired or of a revoked session: refused, nothing more to end
    # Spent before: whoever holds the session now may be an attacker. End it for everyone,
    # the winner of a concurrent refresh included (its new tokens carry the same session).
    async with in_transaction():
        revoked = await credential_models.revoke_session(
            session_id=row.family_id,
            user_id=row.user_id,
            now=now,
            reason=RevokeReason.REFRESH_TOKEN_REUSED,
        )
        if revoked:  # whoever presented it is unknown: no actor
            await _audit_session(
                audit.AuditAction.REFRESH_TOKEN_REUSED, row.family_id, actor_id=None
            )
    if revoked:
        log.warning("refresh token reused; session revoked", session_id=str(row.family_id))


async def end_session(viewer: Viewer) -> None:
    """Logout: every access and refresh token of the viewer's session stops working."""
    if viewer.user_id is None or viewer.session_id is None:
        return
    async with in_transaction():
        revoked = await credential_models.revoke_session(
            session_id=viewer.session_id,
            user_id=viewer.user_id,
            now=datetime.now(UTC),
            reason=RevokeReason.LOGOUT,
        )
        if revoked:
            await _audit_session(
                audit.AuditAction.LOGOUT, viewer.session_id, actor_id=viewer.user_id
            )


async def end_all_sessions(user_id: uuid.UUID, *, reason: RevokeReason) -> None:
    """Password change, role change, (de)activation: every session of the user ends."""
    await credential_models.revoke_user_sessions(
        user_id=user_id, now=datetime.now(UTC), reason=reason
    )


async def _issue_pair(
    user: user_models.User, auth: AuthSettings, *, session_id: uuid.UUID, expires_at: datetime
) -> TokenPair:
    refresh_token = new_refresh_token()
    await credential_models.add_refresh_token(
        user_id=user.id,
        session_id=session_id,
        token_hash=hash_refresh_token(refresh_token),
        expires_at=expires_at,
    )
    access = issue_access_token(
        auth=auth,
        user_id=user.id,
        role=user.role.value,
        token_epoch=user.token_epoch,
        session_id=session_id,
    )
    return TokenPair(access=access, refresh_token=refresh_token, user=user, session_id=session_id)


def _refresh_expiry(auth: AuthSettings) -> datetime:
    return datetime.now(UTC) + timedelta(days=auth.refresh_token_days)
