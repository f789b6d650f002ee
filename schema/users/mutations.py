"""Root fields that change users: your profile, and the admin's role and status changes."""

from __future__ import annotations

import strawberry

from resolvers.context import Info
from resolvers.users import mutations as user_mutations
from schema.permissions import IsAdmin, IsAuthenticated, requires
from schema.users.types import Role, User
from taskql.limits import USER_DISPLAY_NAME_MAX


@strawberry.type
class UserMutation:
    @strawberry.mutation(
        description=f"Change your display name (1-{USER_DISPLAY_NAME_MAX} characters).",
        extensions=requires(IsAuthenticated()),
    )
    async def update_me(self, info: Info, display_name: str) -> User:
        return User.from_row(
            await user_mutations.update_me(info, display_name), info.context.viewer
        )

    @strawberry.mutation(
        description="Admin only: change a user's role; their tokens stop working at once.",
        extensions=requires(IsAuthenticated(), IsAdmin()),
    )
    async def set_user_role(self, info: Info, id: strawberry.ID, role: Role) -> User:  # noqa: A002
        return User.from_row(
            await user_mutations.set_role(info, id, role.value), info.context.viewer
        )

    @strawberry.mutation(
        description="Admin only: stop a user from signing in; their tokens stop working at once.",
        extensions=requires(IsAuthenticated(), IsAdmin()),
    )
    async def deactivate_user(self, info: Info, id: strawberry.ID) -> User:  # noqa: A002
        return User.from_row(
            await user_mutations.set_active(info, id, active=False), info.context.viewer
        )

    @strawberry.mutation(
        description="Admin only: let a deactivated user sign in again.",
        extensions=requires(IsAuthenticated(), IsAdmin()),
    )
    async def reactivate_user(self, info: Info, id: strawberry.ID) -> User:  # noqa: A002
        return User.from_row(
            await user_mutations.set_active(info, id, active=True), info.context.viewer
        )
