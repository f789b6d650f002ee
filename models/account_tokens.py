"""Single-use, expiring account tokens: password reset and email verification links.

Only the SHA-256 of a token is stored (the token is 256 random bits, so a digest is enough
and a database leak hands out nothing). A token is found by its digest through the unique
index, never by comparing secrets in Python, and spent by one conditional UPDATE: of any
number of concurrent uses, on any number of processes, exactly one changes the row.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from tortoise import connections, fields
from tortoise.models import Model

from models.ids import new_id
from models.users import User


class TokenPurpose(StrEnum):
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 - a purpose name, not a secret
    EMAIL_VERIFICATION = "EMAIL_VERIFICATION"


# One mailed link. (A comment, not a docstring: tortoise would copy it into the SQL.)
class AccountToken(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE, db_index=True
    )
    user_id: uuid.UUID  # set by tortoise; declared for the type checker
    purpose = fields.CharEnumField(TokenPurpose, max_length=32)
    # SHA-256 (hex) of the token; unique, so a lookup is one index probe.
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField(db_index=True)
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_tokens"


async def add(
    *, user_id: uuid.UUID, purpose: TokenPurpose, token_hash: str, expires_at: datetime
) -> None:
    await AccountToken.create(
        user_id=user_id, purpose=purpose, token_hash=token_hash, expires_at=expires_at
    )


async def live_user_id(
    *, token_hash: str, purpose: TokenPurpose, now: datetime
) -> uuid.UUID | None:
    """Whose unspent, unexpired token this is (a read: spending is `spend`)."""
    row = (
        await AccountToken.filter(
            token_hash=token_hash, purpose=purpose, used_at=None, expires_at__gt=now
        )
        .first()
        .values_list("user_id", flat=True)
    )
    return None if row is None else uuid.UUID(str(row))


# Parameters: 1 = now, 2 = token hash, 3 = purpose. One statement: the row changes for
# exactly one of concurrent callers (PostgreSQL re-checks the WHERE after a concurrent
# UPDATE commits; SQLite has one writer at a time).
_SPEND_SQL = (
    'UPDATE "account_tokens" SET "used_at" = {now} '
    'WHERE "token_hash" = {hash} AND "purpose" = {purpose} AND "used_at" IS NULL '
    'AND "expires_at" > {now} RETURNING "user_id"'
)
SPEND_SQL = {
    "sqlite": _SPEND_SQL.format(now="?1", hash="?2", purpose="?3"),
    "postgres": _SPEND_SQL.format(now="$1", hash="$2", purpose="$3"),
}


async def spend(*, token_hash: str, purpose: TokenPurpose, now: datetime) -> uuid.UUID | None:
    """Mark a live token used; its user's id, or None when it is unknown, expired or spent.
    Runs on the caller's transaction when there is one."""
    connection = connections.get("default")
    sql = SPEND_SQL[connection.capabilities.dialect]
    rows = await connection.execute_query_dict(sql, [now, token_hash, purpose.value])
    return uuid.UUID(str(rows[0]["user_id"])) if rows else None


async def spend_all(*, user_id: uuid.UUID, purpose: TokenPurpose, now: datetime) -> None:
    """Every other live link of this kind dies with the one just used."""
    await AccountToken.filter(user_id=user_id, purpose=purpose, used_at=None).update(used_at=now)


async def purge_expired(*, now: datetime) -> None:
    await AccountToken.filter(expires_at__lt=now).delete()
