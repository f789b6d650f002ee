"""Server-side token state: sessions, refresh tokens, failed logins."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from tortoise import connections, fields
from tortoise.expressions import Q
from tortoise.models import Model

from models.ids import new_id
from models.users import User

# Longest stored client description; longer values are cut, never refused.
USER_AGENT_LENGTH = 255
CLIENT_ADDRESS_LENGTH = 64


class RevokeReason(StrEnum):
    # (S105 mistakes the names below for hard-coded secrets.)
    LOGOUT = "LOGOUT"
    REFRESH_TOKEN_REUSED = "REFRESH_TOKEN_REUSED"  # noqa: S105
    PASSWORD_CHANGED = "PASSWORD_CHANGED"  # noqa: S105
    ROLE_CHANGED = "ROLE_CHANGED"
    STATUS_CHANGED = "STATUS_CHANGED"  # deactivated or reactivated by an admin
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 - through a mailed link
    REVOKED = "REVOKED"  # ended by its user from the sessions list (revokeSession)
    LOGOUT_EVERYWHERE = "LOGOUT_EVERYWHERE"
    ADMIN_REVOKED = "ADMIN_REVOKED"  # an admin's revokeUserSessions


# One sign-in: every access token carries its id (`sid`), every refresh token belongs to it.
# A token is accepted only while its session row exists and is not revoked. (A comment, not
# a docstring: tortoise would copy a docstring into the table's SQL comment.)
class Session(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    # Indexed: "end every session of this user" and a user's session list filter on it.
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE, db_index=True
    )
    user_id: uuid.UUID  # set by tortoise; declared for the type checker
    # The user's token epoch when the session started. Every bump of the user's epoch ends
    # every session, so a session whose epoch differs was started by a sign-in that raced a
    # password change (or a role or status change): it is refused like a revoked one.
    token_epoch = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    # The last refresh; access-token use is not recorded (it would cost a write per request).
    last_used_at = fields.DatetimeField(null=True)
    # When its newest refresh token expires: after that nothing of the session can be used.
    expires_at = fields.DatetimeField(db_index=True)
    revoked_at = fields.DatetimeField(null=True)
    revoke_reason = fields.CharEnumField(RevokeReason, max_length=32, null=True)
    # Where the session started, for a later "your sessions" view; truncated, never trusted.
    user_agent = fields.CharField(max_length=USER_AGENT_LENGTH, null=True)
    client_address = fields.CharField(max_length=CLIENT_ADDRESS_LENGTH, null=True)

    class Meta:
        table = "sessions"


class RefreshToken(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE
    )
    user_id: uuid.UUID  # set by tortoise; declared for the type checker
    # The session (sessions.id) this token belongs to; a reuse of a spent one revokes it.
    family_id = fields.UUIDField(db_index=True)
    # SHA-256 of the opaque token: a database leak does not hand out sessions.
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "refresh_tokens"


class LoginFailure(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    # Whose failures these are: an email address or a client address, with a prefix.
    subject = fields.CharField(max_length=400)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "login_failures"
        indexes = (("subject", "created_at"),)


async def create_session(
    *,
    session_id: uuid.UUID,
    user_id: uuid.UUID,
    token_epoch: int,
    expires_at: datetime,
    user_agent: str | None,
    client_address: str | None,
) -> Session:
    return await Session.create(
        id=session_id,
        user_id=user_id,
        token_epoch=token_epoch,
        expires_at=expires_at,
        user_agent=printable(user_agent, USER_AGENT_LENGTH),
        client_address=printable(client_address, CLIENT_ADDRESS_LENGTH),
    )


def printable(value: str | None, length: int) -> str | None:
    """At most `length` characters, control and other unprintable characters dropped: a
    client-chosen header must not carry terminal escapes or line breaks into a list or a log."""
    if value is None:
        return None
    cleaned = "".join(c for c in value[: length * 2] if c.isprintable())[:length].strip()
    return cleaned or None


async def revoke_session(
    *, session_id: uuid.UUID, user_id: uuid.UUID, now: datetime, reason: RevokeReason
) -> bool:
    """Revoke one session; False when it was revoked before (the first time and reason stay)."""
    revoked = await Session.filter(id=session_id, user_id=user_id, revoked_at=None).update(
        revoked_at=now, revoke_reason=reason
    )
    return revoked == 1


async def revoke_user_sessions(
    *,
    user_id: uuid.UUID,
    now: datetime,
    reason: RevokeReason,
    except_session_id: uuid.UUID | None = None,
) -> int:
    """Revoke every live session of the user (but `except_session_id`); how many were live."""
    query = Session.filter(user_id=user_id, revoked_at=None)
    if except_session_id is not None:
        query = query.exclude(id=except_session_id)
    return await query.update(revoked_at=now, revoke_reason=reason)


# A user rarely holds more; older ones beyond it are still revoked by logoutEverywhere.
MAX_LISTED_SESSIONS = 100


async def live_sessions(*, user_id: uuid.UUID, now: datetime) -> list[Session]:
    """The user's unrevoked, unexpired sessions, most recently used first, in one statement."""
    query = Session.filter(user_id=user_id, revoked_at=None, expires_at__gt=now)
    sessions = await query.order_by("-created_at").limit(MAX_LISTED_SESSIONS)
    return sorted(sessions, key=lambda s: (s.last_used_at or s.created_at, s.id), reverse=True)


async def add_refresh_token(
    *,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    token_hash: str,
    expires_at: datetime,
) -> RefreshToken:
    return await RefreshToken.create(
        user_id=user_id, family_id=session_id, token_hash=token_hash, expires_at=expires_at
    )


async def extend_session(*, session_id: uuid.UUID, now: datetime, expires_at: datetime) -> None:
    """After a refresh: the session lives as long as its newest refresh token."""
    await Session.filter(id=session_id).update(last_used_at=now, expires_at=expires_at)


async def get_refresh_token(*, token_hash: str) -> RefreshToken | None:
    return await RefreshToken.get_or_none(token_hash=token_hash)


# Parameters: 1 = now, 2 = token hash. Spending and the session check are one statement, so a
# token whose session was revoked a moment ago can no longer be spent, whatever the timing;
# nor can one of a session started under an older token epoch (a sign-in that raced a
# password change), which would otherwise mint tokens of the new epoch.
_SPEND_SQL = (
    'UPDATE "refresh_tokens" SET "used_at" = {now} '
    'WHERE "token_hash" = {hash} AND "used_at" IS NULL AND "expires_at" > {now} '
    'AND EXISTS (SELECT 1 FROM "sessions" JOIN "users" ON "users"."id" = "sessions"."user_id" '
    'WHERE "sessions"."id" = "refresh_tokens"."family_id" '
    'AND "sessions"."revoked_at" IS NULL AND "sessions"."token_epoch" = "users"."token_epoch") '
    'RETURNING "user_id", "family_id"'
)
SPEND_SQL = {
    "sqlite": _SPEND_SQL.format(now="?1", hash="?2"),
    "postgres": _SPEND_SQL.format(now="$1", hash="$2"),
}


async def spend_refresh_token(
    *, token_hash: str, now: datetime
) -> tuple[uuid.UUID, uuid.UUID] | None:
    """Mark a live token of a live session used; returns (user id, session id), or None when
    the token is unknown, expired, already spent, or its session is revoked."""
    connection = connections.get("default")
    sql = SPEND_SQL[connection.capabilities.dialect]
    rows = await connection.execute_query_dict(sql, [now, token_hash])
    if not rows:
        return None
    return uuid.UUID(str(rows[0]["user_id"])), uuid.UUID(str(rows[0]["family_id"]))


# Parameters: 1 = user id, 2 = session id. Both columns hold UUIDs (CHAR(36) text on SQLite).
# No row when the user is gone or the session is unknown, revoked, someone else's, or started
# under an older token epoch than the user's.
_VIEWER_STATE_SQL = (
    'SELECT "users"."role", "users"."is_active", "users"."token_epoch" '
    'FROM "users" JOIN "sessions" ON "sessions"."user_id" = "users"."id" '
    'WHERE "users"."id" = {user_id} AND "sessions"."id" = {session_id} '
    'AND "sessions"."revoked_at" IS NULL AND "sessions"."token_epoch" = "users"."token_epoch"'
)
VIEWER_STATE_SQL = {
    "sqlite": _VIEWER_STATE_SQL.format(user_id="?1", session_id="?2"),
    "postgres": _VIEWER_STATE_SQL.format(user_id="$1", session_id="$2"),
}


async def viewer_state(*, user_id: uuid.UUID, session_id: uuid.UUID) -> dict[str, Any] | None:
    """The user's role, active flag and token epoch, only while the session is live, in one
    statement: every authenticated request runs it, so it is a single round trip."""
    connection = connections.get("default")
    sql = VIEWER_STATE_SQL[connection.capabilities.dialect]
    rows = await connection.execute_query_dict(sql, [str(user_id), str(session_id)])
    return rows[0] if rows else None


async def signed_in_states(*, session_ids: Sequence[uuid.UUID]) -> dict[str, dict[str, Any]]:
    """Session id -> its user's role, active flag and token epoch, for the sessions among
    `session_ids` that are not revoked, in one statement (the live sockets' periodic check)."""
    if not session_ids:
        return {}
    rows = await Session.filter(id__in=list(session_ids), revoked_at__isnull=True).values(
        "id",
        role="user__role",
        is_active="user__is_active",
        token_epoch="user__token_epoch",  # noqa: S106 - a column, not a secret
    )
    return {str(row.pop("id")): row for row in rows}


async def purge_expired(*, now: datetime) -> None:
    """Drop refresh tokens and sessions that could not be used any more anyway."""
    await RefreshToken.filter(expires_at__lt=now).delete()
    await Session.filter(expires_at__lt=now).delete()


async def add_login_failures(*, subjects: Iterable[str]) -> tuple[uuid.UUID, ...]:
    """One row per subject in a single autocommitted INSERT; the new rows' ids."""
    rows = [LoginFailure(subject=subject) for subject in subjects]
    await LoginFailure.bulk_create(rows)
    return tuple(row.id for row in rows)


async def recent_login_failures(
    *, subjects: Iterable[str], since: datetime
) -> dict[str, list[datetime]]:
    """When each of `subjects` failed since `since`, oldest first, in one statement."""
    query = (
        LoginFailure.filter(subject__in=list(subjects), created_at__gte=since)
        .order_by("created_at")
        .values_list("subject", "created_at")
    )
    recent: dict[str, list[datetime]] = {}
    for subject, created_at in cast("list[tuple[str, datetime]]", await query):
        recent.setdefault(subject, []).append(created_at)
    return recent


async def forget_login_failures(*, ids: Iterable[uuid.UUID], subjects: Iterable[str]) -> None:
    """Delete the rows `ids` and every row of `subjects`, in one statement."""
    await LoginFailure.filter(Q(id__in=list(ids)) | Q(subject__in=list(subjects))).delete()


async def purge_login_failures(*, before: datetime) -> None:
    await LoginFailure.filter(created_at__lt=before).delete()
