"""Root fields that read tasks: one task, the task list."""

from __future__ import annotations

import strawberry

from resolvers.context import Info
from resolvers.tasks import queries as task_queries
from resolvers.tasks.queries import OwnedTask
from schema.cost import PAGE
from schema.pagination import given
from schema.permissions import IsAuthenticated, requires
from schema.tasks.connection import TaskConnection
from schema.tasks.input import TaskFilter, TaskOrder
from schema.tasks.types import Task
from schema.users.types import User
from taskql.auth.viewer import Viewer

# ruff: noqa: A002 - `id`, `input` and `filter` are the GraphQL argument names


@strawberry.type
class TaskQuery:
    @strawberry.field(
        description="One of your tasks (any task for an admin); NOT_FOUND otherwise.",
        extensions=requires(IsAuthenticated()),
    )
    async def task(self, info: Info, id: strawberry.ID) -> Task | None:
        return task_of(await task_queries.task(info, id), info.context.viewer)

    @strawberry.field(
        description="Your tasks (every user's for an admin), a page at a time. `first` "
        "(or `last`) is 0 to graphql.page_size_max (100 unless configured; more is "
        "VALIDATION_ERROR), graphql.page_size_default (20) when omitted; `after` and `before` "
        "take cursors of this list in the same order and search. `first`/`after` page "
        "forward, `last`/`before` backward; first and last together are VALIDATION_ERROR. "
        "orderBy: keys most significant first, the id breaking ties (createdAt DESC when "
        "omitted).",
        extensions=requires(IsAuthenticated()),
        directives=[PAGE],
    )
    async def tasks(  # noqa: PLR0917 - GraphQL arguments
        self,
        info: Info,
        filter: TaskFilter | None = strawberry.UNSET,
        order_by: list[TaskOrder] | None = strawberry.UNSET,
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
        last: int | None = strawberry.UNSET,
        before: str | None = strawberry.UNSET,
    ) -> TaskConnection:
        page = await task_queries.tasks(
            info,
            filter_=given(filter),
            order_by=given(order_by),
            first=given(first),
            after=given(after),
            last=given(last),
            before=given(before),
        )
        return TaskConnection.from_page(page, User.index(page.owners, info.context.viewer))


def task_of(owned: OwnedTask, viewer: Viewer) -> Task:
    """The Task of a row with its owner's row (None: the owner is not selected)."""
    owner = None if owned.owner is None else User.from_values(owned.owner, viewer)
    return Task.from_row(owned.row, owner)
