"""Server-side token state: refresh tokens, revoked access tokens, failed logins."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from tortoise import connections, fields
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.models import Model

from models.ids import new_id
from models.users import User


class RefreshToken(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE
    )
    user_id: uuid.UUID  # set by tortoise; declared for the type checker
    # All tokens descending from one login share a family; reuse of a spent one kills it.
    family_id = fields.UUIDField(db_index=True)
    # SHA-256 of the opaque token: a database leak does not hand out sessions.
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "refresh_tokens"


class RevokedAccessToken(Model):
    jti = fields.UUIDField(primary_key=True)
    # Kept until the token would have expired anyway; older rows can be purged.
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "revoked_access_tokens"


class LoginFailure(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    # Whose failures these are: an email address or a client address, with a prefix.
    subject = fields.CharField(max_length=400)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "login_failures"
        indexes = (("subject", "created_at"),)


async def add_refresh_token(
    *, user_id: uuid.UUID, family_id: uuid.UUID, token_hash: str, expires_at: datetime
) -> RefreshToken:
    return await RefreshToken.create(
        user_id=user_id, family_id=family_id, token_hash=token_hash, expires_at=expires_at
    )


async def get_refresh_token(*, token_hash: str) -> RefreshToken | None:
    return await RefreshToken.get_or_none(token_hash=token_hash)


async def spend_refresh_token(*, token_id: uuid.UUID, now: datetime) -> bool:
    """Mark a live token used; False when another request spent or revoked it first."""
    spent = await RefreshToken.filter(id=token_id, used_at=None, revoked_at=None).update(
        used_at=now
    )
    return spent == 1


async def revoke_family(*, family_id: uuid.UUID, now: datetime) -> None:
    await RefreshToken.filter(family_id=family_id, revoked_at=None).update(revoked_at=now)


async def revoke_user_refresh_tokens(*, user_id: uuid.UUID, now: datetime) -> None:
    await RefreshToken.filter(user_id=user_id, revoked_at=None).update(revoked_at=now)


# Parameters: 1 = user id, 2 = jti. Both columns hold UUIDs (CHAR(36) text on SQLite).
_VIEWER_STATE_SQL = (
    'SELECT "role", "is_active", "token_epoch", '
    'EXISTS (SELECT 1 FROM "revoked_access_tokens" WHERE "jti" = {jti}) AS "revoked" '
    'FROM "users" WHERE "id" = {user_id}'
)
VIEWER_STATE_SQL = {
    "sqlite": _VIEWER_STATE_SQL.format(user_id="?1", jti="?2"),
    "postgres": _VIEWER_STATE_SQL.format(user_id="$1", jti="$2"),
}


async def viewer_state(*, user_id: uuid.UUID, jti: uuid.UUID) -> dict[str, Any] | None:
    """The user's role, active flag and token epoch, and whether `jti` is revoked, in one
    statement: every authenticated request runs it, so it is a single round trip."""
    connection = connections.get("default")
    sql = VIEWER_STATE_SQL[connection.capabilities.dialect]
    rows = await connection.execute_query_dict(sql, [str(user_id), str(jti)])
    return rows[0] if rows else None


async def purge_expired(*, now: datetime) -> None:
    """Drop revocations and refresh tokens that could not be used any more anyway."""
    await RevokedAccessToken.filter(expires_at__lt=now).delete()
    await RefreshToken.filter(expires_at__lt=now).delete()


async def revoke_access_token(*, jti: uuid.UUID, expires_at: datetime) -> None:
    with contextlib.suppress(IntegrityError):  # already revoked: a second logout is no error
        await RevokedAccessToken.create(jti=jti, expires_at=expires_at)


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
