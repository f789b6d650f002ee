"""The viewer's sessions: list them, end one, end all; and the admin's "end all of theirs".

Each ending is audited in the transaction that revokes; it takes effect on the next request
of every instance, as the per-request token check refuses revoked sessions.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from models import audit
from models import credentials as credential_models
from models import users as user_models
from models.credentials import RevokeReason
from resolvers.context import Info
from resolvers.users.input import parse_user_id
from taskql.errors import NotFound, Unauthenticated
from taskql.logging import get_logger

log = get_logger("taskql.auth")

SESSION_NOT_FOUND = "Session not found."


def _viewer_id(info: Info) -> uuid.UUID:
    user_id = info.context.viewer.user_id
    if user_id is None:
        raise Unauthenticated
    return user_id


async def my_sessions(info: Info) -> list[credential_models.Session]:
    return await credential_models.live_sessions(user_id=_viewer_id(info), now=datetime.now(UTC))


async def revoke_session(info: Info, session_id: str) -> bool:
    """End one of the viewer's sessions. Someone else's, an ended or an unknown one, and a
    malformed id all answer NOT_FOUND alike: nothing tells whose a session is."""
    user_id = _viewer_id(info)
    try:
        wanted = uuid.UUID(session_id)
    except ValueError:
        raise NotFound(SESSION_NOT_FOUND) from None
    async with in_transaction():
        revoked = await credential_models.revoke_session(
            session_id=wanted, user_id=user_id, now=datetime.now(UTC), reason=RevokeReason.REVOKED
        )
        if not revoked:
            raise NotFound(SESSION_NOT_FOUND)
        await audit.record(
            audit.AuditAction.SESSION_REVOKED,
            target_type=audit.TargetType.SESSION,
            target_id=wanted,
        )
    log.info("session revoked", session_id=str(wanted))
    return True


async def logout_everywhere(info: Info) -> int:
    """Every session of the viewer ends, this one included; how many were live."""
    user_id = _viewer_id(info)
    return await _revoke_all(user_id, RevokeReason.LOGOUT_EVERYWHERE)


async def revoke_user_sessions(info: Info, user_id: str) -> int:  # noqa: ARG001
    """Admin: every session of that user ends; how many were live."""
    target = parse_user_id(user_id, field="userId")
    if await user_models.get_by_id(user_id=target) is None:
        raise NotFound("User not found.")
    # The admin is the request's actor: the audit context names them.
    return await _revoke_all(target, RevokeReason.ADMIN_REVOKED)


async def _revoke_all(user_id: uuid.UUID, reason: RevokeReason) -> int:
    async with in_transaction():
        count = await credential_models.revoke_user_sessions(
            user_id=user_id, now=datetime.now(UTC), reason=reason
        )
        await audit.record(
            audit.AuditAction.USER_SESSIONS_REVOKED,
            target_type=audit.TargetType.USER,
            target_id=user_id,
            changes=[
                {"field": "live_sessions", "old": count, "new": 0},
                {"field": "revoke_reason", "old": None, "new": reason.value},
            ],
        )
    log.info("sessions revoked", user_id=str(user_id), count=count, reason=reason.value)
    return count
