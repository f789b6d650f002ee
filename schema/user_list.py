"""Root field of the admin's list of users."""

from __future__ import annotations

import strawberry

from resolvers import user_connection as user_connection_resolvers
from resolvers.context import Info
from schema.cost import PAGE
from schema.pagination import given
from schema.permissions import IsAdmin, IsAuthenticated, requires
from schema.user_connection import UserConnection


@strawberry.type
class UserListQuery:
    @strawberry.field(
        description="Admin only: every user, newest first (createdAt, then id, descending).",
        extensions=requires(IsAuthenticated(), IsAdmin()),
        directives=[PAGE],
    )
    async def users(
        self, info: Info, first: int | None = strawberry.UNSET, after: str | None = strawberry.UNSET
    ) -> UserConnection:
        return await user_connection_resolvers.users(info, first=given(first), after=given(after))
