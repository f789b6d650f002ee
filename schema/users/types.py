"""The User type and how it is built from a row (the email shown only to whom may read it)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Mapping
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, cast

import strawberry

from resolvers.context import Info
from resolvers.tasks import queries as task_queries
from schema.cost import PAGE, Cost
from schema.nodes.interface import Node
from schema.pagination import given
from schema.permissions import may_read_email
from schema.tasks.connection import TaskConnection
from schema.tasks.input import TaskFilter, TaskOrder
from schema.tasks.types import TaskCounts
from taskql.global_ids import encode_user

if TYPE_CHECKING:
    from models import users as user_models
    from resolvers.pagination import RowPage
    from taskql.auth.viewer import Viewer


@strawberry.enum(description="What a user may do. ADMIN manages users and sees every task.")
class Role(Enum):
    USER = "USER"
    ADMIN = "ADMIN"


@strawberry.type(description="Someone who signs in and owns tasks.")
class User(Node):
    id: strawberry.ID = strawberry.field(
        description="Global id (Relay): opaque; pass it to node(id:) or any user id argument."
    )
    # The row's uuid text: what loaders and task pages are keyed by.
    pk: strawberry.Private[str]
    display_name: str = strawberry.field(description="The name shown to people.")
    role: Role = strawberry.field(description="USER or ADMIN.")
    is_active: bool = strawberry.field(description="False once an admin deactivated the user.")
    created_at: datetime = strawberry.field(description="When the user registered.")
    updated_at: datetime = strawberry.field(description="Last change to this user.")
    # Null unless the viewer may read it: decided when the User is built (from_row,
    # from_values), which needs the viewer, so no code path can hand it out unchecked.
    email: str | None = strawberry.field(
        description=(
            "Sign-in email, lower case. Visible only to the user themself and to admins; "
            "null for everyone else."
        )
    )
    email_verified: bool | None = strawberry.field(
        description=(
            "Whether the user confirmed their email (verifyEmail, or a password reset). "
            "Visible, like email, only to the user themself and to admins."
        )
    )
    # User.tasks answers by response key (info.path.key), filled by a parent that loaded
    # them for a whole list of users (UserConnection.from_page, from the pages of
    # resolvers.tasks.queries.user_task_pages).
    task_pages: strawberry.Private[dict[str | int, TaskConnection]]

    @strawberry.field(
        description="This user's tasks, a page at a time (arguments as Query.tasks). Only "
        "your own tasks unless you are an admin.",
        directives=[PAGE],
    )
    def tasks(  # noqa: PLR0917 - GraphQL arguments
        self,
        info: Info,
        filter: TaskFilter | None = strawberry.UNSET,  # noqa: A002 - the GraphQL argument name
        order_by: list[TaskOrder] | None = strawberry.UNSET,
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
        last: int | None = strawberry.UNSET,
        before: str | None = strawberry.UNSET,
    ) -> TaskConnection:
        preloaded = self.task_pages.get(info.path.key)
        if preloaded is not None:
            return preloaded
        # Not preloaded: load it. graphql-core awaits an awaitable that a plain resolver
        # returns; an async resolver would cost a coroutine to every preloaded user too.
        loading = task_queries.user_tasks(
            info,
            self.pk,
            filter_=given(filter),
            order_by=given(order_by),
            first=given(first),
            after=given(after),
            last=given(last),
            before=given(before),
        )
        return cast("TaskConnection", _connection_later(loading, info.context.viewer))

    @strawberry.field(
        description="How many tasks this user has in each status.",
        # A grouped count over the user's tasks (batched for a list of users).
        directives=[Cost(weight=5)],
    )
    async def task_counts(self, info: Info) -> TaskCounts:
        return TaskCounts.from_statuses(await task_queries.user_task_counts(info, self.pk))

    @classmethod
    def from_row(cls, row: user_models.User, viewer: Viewer, *, reveal_email: bool = False) -> User:
        """From a model instance (single-user reads and writes). `reveal_email`: the payload
        goes to the holder of this user's new tokens (register, login), whose request is
        itself still anonymous."""
        user = cls.from_values({column: getattr(row, column) for column in _COLUMNS}, viewer)
        if reveal_email:
            user.email = row.email
        return user

    @classmethod
    def from_values(cls, values: Mapping[str, Any], viewer: Viewer) -> User:
        """From a lean row dict (lists, dataloaders): the hot path, a few dict lookups."""
        user_id = values["id"]
        pk = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(user_id)  # for the rule
        text = str(user_id)
        return cls(
            id=strawberry.ID(encode_user(text)),
            pk=text,
            display_name=values["display_name"],
            role=_ROLES[values["role"]],
            is_active=values["is_active"],
            created_at=values["created_at"],
            updated_at=values["updated_at"],
            email=values["email"] if may_read_email(viewer, pk) else None,
            email_verified=(
                values["email_verified_at"] is not None if may_read_email(viewer, pk) else None
            ),
            task_pages={},
        )

    @classmethod
    def index(
        cls, rows: Mapping[str, Mapping[str, Any] | None] | None, viewer: Viewer
    ) -> dict[str, User | None] | None:
        """Users by id from rows by id (a page's task owners); None stays None (not selected)."""
        if rows is None:
            return None
        return {
            user_id: None if row is None else cls.from_values(row, viewer)
            for user_id, row in rows.items()
        }


async def _connection_later(loading: Awaitable[RowPage], viewer: Viewer) -> TaskConnection:
    page = await loading
    return TaskConnection.from_page(page, User.index(page.owners, viewer))


_COLUMNS = (
    "id",
    "email",
    "display_name",
    "role",
    "is_active",
    "created_at",
    "updated_at",
    "email_verified_at",
)
# Stored role -> GraphQL enum. The model's role is a StrEnum, so its members hash and compare
# like their text: one dict serves rows from the ORM and raw rows alike.
_ROLES = {role.value: role for role in Role}
