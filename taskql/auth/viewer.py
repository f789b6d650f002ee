"""The viewer: who makes this request, resolved once per request from the bearer token."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from taskql.auth.roles import Role


@dataclass(frozen=True, slots=True)
class Viewer:
    """An authenticated user, or the anonymous viewer (`user_id` None): never `None` itself."""

    user_id: uuid.UUID | None = None
    role: Role | None = None
    jti: uuid.UUID | None = None
    # The session the access token belongs to (its `sid`): what logout ends.
    session_id: uuid.UUID | None = None
    # Why a presented token was refused, so UNAUTHENTICATED can say so; None when no token.
    token_problem: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def can_see_user(self, user_id: uuid.UUID) -> bool:
        """The self-or-admin rule."""
        return self.is_admin or (self.user_id is not None and self.user_id == user_id)

    def can_see_user_sql(self, id_column: str, param: Callable[[object], str]) -> str:
        """can_see_user as a SQL condition on a users id column (a compiled statement that
        writes User.email itself, compiler/json_sql.py); `param` binds a value."""
        if self.is_admin:
            return "TRUE"
        if self.user_id is None:
            return "FALSE"
        return f"{id_column} = {param(str(self.user_id))}"


ANONYMOUS = Viewer()
