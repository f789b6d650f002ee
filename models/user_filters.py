"""Conditions on the admin's users list (users(filter:)), as SQL clauses of bound parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.sql import Sql
from taskql.auth.roles import Role


@dataclass(frozen=True, slots=True)
class UserFilterSpec:
    """All given conditions must hold; None (or empty search) means any."""

    search: str | None = None  # in the email or the display name, letter case ignored
    role: Role | None = None
    is_active: bool | None = None


def user_filter_clauses(sql: Sql, filters: UserFilterSpec) -> list[str]:
    clauses: list[str] = []
    if filters.search:
        # The text is literal: LIKE's wildcards and the escape character itself are escaped.
        escaped = re.sub(r"([\\%_])", r"\\\1", filters.search)
        # SQLite's LIKE ignores case (ASCII only); PostgreSQL needs ILIKE. Emails are stored
        # in lower case, display names as typed.
        operator = "ILIKE" if sql.postgres else "LIKE"
        pattern = f"%{escaped}%"
        clauses.append(
            f"(email {operator} {sql.param(pattern)} ESCAPE '\\'"
            f" OR display_name {operator} {sql.param(pattern)} ESCAPE '\\')"
        )
    if filters.role is not None:
        clauses.append(f"role = {sql.param(filters.role.value)}")
    if filters.is_active is not None:
        clauses.append(f"is_active = {sql.param(filters.is_active)}")
    return clauses
