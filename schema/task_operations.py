"""Root fields of the task domain: the task queries and mutations."""

from __future__ import annotations

import strawberry

from resolvers import tasks as task_resolvers
from resolvers.context import Info
from schema.cost import PAGE
from schema.pagination import given
from schema.permissions import IsAuthenticated, requires
from schema.tasks import (
    CreateTaskInput,
    Task,
    TaskConnection,
    TaskFilter,
    TaskOrder,
    TaskStatus,
    UpdateTaskInput,
)

# ruff: noqa: A002 - `id`, `input` and `filter` are the GraphQL argument names


@strawberry.type
class TaskQuery:
    @strawberry.field(
        description="One of your tasks (any task for an admin); NOT_FOUND otherwise.",
        extensions=requires(IsAuthenticated()),
    )
    async def task(self, info: Info, id: strawberry.ID) -> Task | None:
        return await task_resolvers.task(info, id)

    @strawberry.field(
        description="Your tasks (every user's for an admin), a page at a time. `first` is "
        "0 to graphql.page_size_max (100 unless configured; more is VALIDATION_ERROR), "
        "graphql.page_size_default (20) when omitted; `after` takes a cursor of this list in "
        "the same order.",
        extensions=requires(IsAuthenticated()),
        directives=[PAGE],
    )
    async def tasks(
        self,
        info: Info,
        filter: TaskFilter | None = strawberry.UNSET,
        order_by: TaskOrder | None = strawberry.UNSET,
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
    ) -> TaskConnection:
        return await task_resolvers.tasks(
            info,
            filter_=given(filter),
            order_by=given(order_by),
            first=given(first),
            after=given(after),
        )


@strawberry.type
class TaskMutation:
    @strawberry.mutation(
        description="Create a task owned by you. With a clientMutationId, retries return the "
        "task the first call created.",
        extensions=requires(IsAuthenticated()),
    )
    async def create_task(self, info: Info, input: CreateTaskInput) -> Task:
        return await task_resolvers.create_task(info, input)

    @strawberry.mutation(
        description="Change the fields given; every change bumps the version. Without "
        "expectedVersion the change always applies (the last writer wins); with it, nothing is "
        "written unless the task is still at that version (CONFLICT with "
        "extensions.currentVersion).",
        extensions=requires(IsAuthenticated()),
    )
    async def update_task(
        self,
        info: Info,
        id: strawberry.ID,
        input: UpdateTaskInput,
        expected_version: int | None = None,
    ) -> Task:
        return await task_resolvers.update_task(info, id, input, expected_version)

    @strawberry.mutation(
        description="Move a task to a status; DONE records completedAt, leaving DONE clears it. "
        "expectedVersion works as in updateTask.",
        extensions=requires(IsAuthenticated()),
    )
    async def set_task_status(
        self,
        info: Info,
        id: strawberry.ID,
        status: TaskStatus,
        expected_version: int | None = None,
    ) -> Task:
        return await task_resolvers.set_task_status(info, id, status, expected_version)

    @strawberry.mutation(
        description="Delete a task; returns its id. With expectedVersion, only if the task is "
        "still at that version (CONFLICT with extensions.currentVersion otherwise).",
        extensions=requires(IsAuthenticated()),
    )
    async def delete_task(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> strawberry.ID:
        return await task_resolvers.delete_task(info, id, expected_version)
