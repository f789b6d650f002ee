from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.models import Model
from tortoise.transactions import in_transaction

from models import audit
from models.ids import new_id
from models.sql import SIDE, PageQuery, ReadKey, Sql
from models.user_filters import UserFilterSpec as UserFilterSpec  # noqa: PLC0414 - re-exported
from models.user_filters import user_filter_clauses

# Re-exported: the role is a core value now, and callers still name it models.users.Role.
from taskql.auth.roles import Role as Role  # noqa: PLC0414
from taskql.limits import USER_DISPLAY_NAME_MAX, USER_EMAIL_MAX


class User(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    # Stored normalised (trimmed, lower case), so the unique index is case-insensitive.
    email = fields.CharField(max_length=USER_EMAIL_MAX, unique=True)
    display_name = fields.CharField(max_length=USER_DISPLAY_NAME_MAX)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=16, default=Role.USER)
    is_active = fields.BooleanField(default=True)
    # Bumped whenever every token the user holds must die (password, role, deactivation).
    token_epoch = fields.IntField(default=0)
    # When the user proved they read this address (a verification or password-reset link).
    email_verified_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "users"
        indexes = (("created_at", "id"),)


class EmailTaken(Exception):
    """Another user already has this (normalised) email."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def get_by_id(*, user_id: uuid.UUID) -> User | None:
    return await User.get_or_none(id=user_id)


async def get_by_email(*, email: str) -> User | None:
    return await User.get_or_none(email=normalise_email(email))


async def create(
    *, email: str, display_name: str, password_hash: str, role: Role = Role.USER
) -> User:
    try:
        async with in_transaction():
            user = await User.create(
                email=normalise_email(email),
                display_name=display_name,
                password_hash=password_hash,
                role=role,
            )
            await _audit(audit.AuditAction.USER_CREATED, user, audit.created(_audited(user)))
            return user
    except IntegrityError as error:
        # The existence check ran first; this is the race of two registrations at once.
        raise EmailTaken from error


async def set_password_hash(*, user_id: uuid.UUID, password_hash: str) -> None:
    """Store a re-computed hash of the same password (parameter upgrade): tokens stay valid."""
    await User.filter(id=user_id).update(password_hash=password_hash)


async def change_password(*, user_id: uuid.UUID, password_hash: str) -> User | None:
    """New password and a new token epoch, so every token issued before dies."""
    action = audit.AuditAction.USER_PASSWORD_CHANGED
    return await _audited_update(user_id, action, bump=True, password_hash=password_hash)


async def reset_password(*, user_id: uuid.UUID, password_hash: str) -> User | None:
    """change_password through a mailed link: the same new epoch, its own audit action."""
    action = audit.AuditAction.USER_PASSWORD_RESET
    return await _audited_update(user_id, action, bump=True, password_hash=password_hash)


async def mark_email_verified(*, user_id: uuid.UUID, now: datetime) -> bool:
    """Record a verified address once (an audit row the first time); False if done before."""
    async with in_transaction():
        changed = await User.filter(id=user_id, email_verified_at=None).update(
            email_verified_at=now
        )
        if changed:
            await audit.record(
                audit.AuditAction.USER_EMAIL_VERIFIED,
                target_type=audit.TargetType.USER,
                target_id=user_id,
                changes=[{"field": "email_verified", "old": False, "new": True}],
            )
    return changed == 1


async def set_role(*, user_id: uuid.UUID, role: Role) -> User | None:
    action = audit.AuditAction.USER_ROLE_CHANGED
    return await _audited_update(user_id, action, bump=True, role=role)


async def set_active(*, user_id: uuid.UUID, active: bool) -> User | None:
    action = audit.AuditAction.USER_REACTIVATED if active else audit.AuditAction.USER_DEACTIVATED
    return await _audited_update(user_id, action, bump=True, is_active=active)


async def set_display_name(*, user_id: uuid.UUID, display_name: str) -> User | None:
    action = audit.AuditAction.USER_UPDATED
    return await _audited_update(user_id, action, bump=False, display_name=display_name)


# Columns an audit entry of a user reports; the password appears by name only, as redacted.
AUDITED_COLUMNS = ("email", "display_name", "role", "is_active")
SECRET_COLUMNS = {"password_hash": "password"}


async def _audited_update(
    user_id: uuid.UUID, action: audit.AuditAction, *, bump: bool, **values: Any
) -> User | None:
    """Change a user with an audit entry, in one transaction: read and lock the row (the old
    values), UPDATE, audit INSERT. `bump`: a new token epoch, so every token issued before
    dies. Returns the user as changed, or None when there is no such user.

    Unlike a task update (one UPDATE, versions only), this keeps the locked read: user changes
    are rare admin or account actions, and their entry is worth the old values."""
    async with in_transaction():
        user = await User.select_for_update().get_or_none(id=user_id)
        if user is None:
            return None
        before, now = _audited(user), _now()
        epoch = {"token_epoch": F("token_epoch") + 1} if bump else {}
        await User.filter(id=user_id).update(**values, **epoch, updated_at=now)
        # The row is locked: what it holds now is the read row with these values applied.
        for column, value in values.items():
            setattr(user, column, value)
        user.token_epoch += 1 if bump else 0
        user.updated_at = now
        changes = audit.changed(before, _audited(user), AUDITED_COLUMNS)
        changes += [audit.redacted(SECRET_COLUMNS[c]) for c in values if c in SECRET_COLUMNS]
        await _audit(action, user, changes)
        return user


def _audited(user: User) -> dict[str, Any]:
    return {column: getattr(user, column) for column in AUDITED_COLUMNS}


async def _audit(action: audit.AuditAction, user: User, changes: list[audit.Change]) -> None:
    await audit.record(
        action, target_type=audit.TargetType.USER, target_id=user.id, changes=changes
    )


def _now() -> datetime:
    # QuerySet.update() skips auto_now, so updated_at is set by hand.
    return datetime.now(UTC)


# Lean reads for lists and dataloaders: dicts of the columns the User type shows, no hydration.
USER_COLUMNS = (
    "id",
    "email",
    "display_name",
    "role",
    "is_active",
    "created_at",
    "updated_at",
    "email_verified_at",
)


NO_USER_FILTER = UserFilterSpec()
_SELECT_USERS = f"SELECT {', '.join(USER_COLUMNS)} FROM users"  # noqa: S608 - fixed columns
# Parsed from SQLite's text (models.sql); email_verified_at is read as stored.
USER_DATETIME_COLUMNS = ("created_at", "updated_at")


async def get_many(*, user_ids: Sequence[uuid.UUID | str]) -> list[dict[str, Any]]:
    """The users with these ids, in no particular order (missing ids are simply absent)."""
    if not user_ids:
        return []
    sql = Sql()
    placeholders = sql.params([str(user_id) for user_id in user_ids])
    return await _fetch(sql, f"{_SELECT_USERS} WHERE id IN ({placeholders})")


class UserSort(StrEnum):
    CREATED_AT = "created_at"
    EMAIL = "email"  # unique, so the id never decides


@dataclass(frozen=True, slots=True)
class UserPage:
    """One page of the users list. Rows come back in read order: page order forward, reversed
    backward (`last`), with one look-ahead row (see models.task_page_sql)."""

    sort: UserSort
    descending: bool
    # Page-order bounds (exclusive): (sort value, id) of the rows the page lies between.
    after: tuple[Any, uuid.UUID] | None
    before: tuple[Any, uuid.UUID] | None
    backward: bool
    limit: int
    # Only the users matching these (users(filter:)): the page, its probe and its count.
    filters: UserFilterSpec = NO_USER_FILTER


async def list_page(*, page: UserPage) -> tuple[list[dict[str, Any]], bool]:
    """The page's rows in read order, and whether a row exists at or beyond the cursor it
    starts at (`after` forward, `before` backward), read by the same statement."""
    sql = Sql()
    query = page_query(sql, page=page)
    rows = await _fetch(sql, query.text)
    if not query.probe:
        return rows, False
    beyond = bool(rows) and rows[-1][SIDE] == 1
    if beyond:
        rows.pop()
    for row in rows:
        del row[SIDE]
    return rows, beyond


def page_query(sql: Sql, *, page: UserPage) -> PageQuery:
    """list_page's statement, also as part of a larger one (compiler/json_sql.py)."""
    descending = page.descending != page.backward  # the read direction
    keys = (ReadKey(page.sort.value, descending, None), ReadKey("id", descending, None))
    start, end = (page.before, page.after) if page.backward else (page.after, page.before)
    where = []
    if start is not None:
        where.append(_beyond(sql, page.sort, start, descending=descending, inclusive=False))
    if end is not None:
        where.append(_beyond(sql, page.sort, end, descending=not descending, inclusive=False))
    where += user_filter_clauses(sql, page.filters)
    main = _SELECT_USERS + _where(where) + _order(sql, page.sort, descending, page.limit)
    if start is None:
        return PageQuery(main, probe=False, read_keys=keys, backward=page.backward)
    probe_where = [
        _beyond(sql, page.sort, start, descending=not descending, inclusive=True),
        *user_filter_clauses(sql, page.filters),
    ]
    probe = _SELECT_USERS + _where(probe_where) + _order(sql, page.sort, not descending, 1)
    columns = ", ".join(USER_COLUMNS)
    direction = "DESC" if descending else "ASC"
    text = (
        f"SELECT {columns}, 0 AS {SIDE} FROM ({main}) AS page UNION ALL"  # noqa: S608 - fixed
        f" SELECT {columns}, 1 AS {SIDE} FROM ({probe}) AS probe"
        f" ORDER BY {SIDE}, {page.sort.value} {direction}, id {direction}"
    )
    return PageQuery(text, probe=True, read_keys=keys, backward=page.backward)


async def count_users(*, filters: UserFilterSpec = NO_USER_FILTER) -> int:
    sql = Sql()
    where = _where(user_filter_clauses(sql, filters))
    rows = await sql.fetch_raw(f"SELECT COUNT(*) AS n FROM users{where}")  # noqa: S608 - fixed parts
    return int(rows[0]["n"])


def _beyond(
    sql: Sql, sort: UserSort, keyset: tuple[Any, uuid.UUID], *, descending: bool, inclusive: bool
) -> str:
    value, user_id = keyset
    operator = ("<" if descending else ">") + ("=" if inclusive else "")
    if sort is UserSort.EMAIL:  # unique: the email alone bounds the unique index's scan
        return f"email {operator} {sql.param(value)}"
    return f"({sort.value}, id) {operator} ({sql.param(value)}, {sql.param(str(user_id))})"


def _where(clauses: list[str]) -> str:
    return f" WHERE {' AND '.join(clauses)}" if clauses else ""


def _order(sql: Sql, sort: UserSort, descending: bool, limit: int) -> str:
    direction = "DESC" if descending else "ASC"
    return f" ORDER BY {sort.value} {direction}, id {direction} LIMIT {sql.limit(limit)}"


async def _fetch(sql: Sql, query: str) -> list[dict[str, Any]]:
    rows = await sql.fetch(query, id_columns=("id",), datetime_columns=USER_DATETIME_COLUMNS)
    if not sql.postgres:
        for row in rows:
            row["is_active"] = bool(row["is_active"])
    return rows
