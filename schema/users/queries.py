"""Root fields that read users: the viewer, one user, and the admin's list of users."""

from __future__ import annotations

import strawberry

from resolvers.context import Info
from resolvers.users import queries as user_queries
from schema.cost import PAGE
from schema.pagination import given
from schema.permissions import IsAdmin, IsAuthenticated, requires
from schema.users.connection import UserConnection
from schema.users.input import UserFilter, UserOrder
from schema.users.types import User


@strawberry.type
class UserQuery:
    @strawberry.field(description="The signed-in user.", extensions=requires(IsAuthenticated()))
    async def me(self, info: Info) -> User:
        return User.from_row(await user_queries.me(info), info.context.viewer)

    @strawberry.field(
        description="A user by id: yourself, or anyone for an admin; NOT_FOUND otherwise.",
        extensions=requires(IsAuthenticated()),
    )
    async def user(self, info: Info, id: strawberry.ID) -> User:  # noqa: A002 - GraphQL name
        return User.from_row(await user_queries.user(info, id), info.context.viewer)

    @strawberry.field(
        description="Admin only: every user (or those matching `filter`), a page at a time, "
        "newest first unless orderBy says otherwise (the id breaks ties). Paging as "
        "Query.tasks: `first`/`after` forward, `last`/`before` backward.",
        extensions=requires(IsAuthenticated(), IsAdmin()),
        directives=[PAGE],
    )
    async def users(  # noqa: PLR0917 - GraphQL arguments
        self,
        info: Info,
        filter: UserFilter | None = strawberry.UNSET,  # noqa: A002 - the GraphQL name
        order_by: UserOrder | None = strawberry.UNSET,
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
        last: int | None = strawberry.UNSET,
        before: str | None = strawberry.UNSET,
    ) -> UserConnection:
        page, task_pages = await user_queries.users(
            info,
            filter_=given(filter),
            order_by=given(order_by),
            first=given(first),
            after=given(after),
            last=given(last),
            before=given(before),
        )
        return UserConnection.from_page(page, task_pages, info.context.viewer)
