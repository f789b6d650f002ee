"""Root fields that change tasks: create, update, set status, delete."""

from __future__ import annotations

import strawberry

from resolvers.context import Info
from resolvers.tasks import mutations as task_mutations
from schema.permissions import IsAuthenticated, requires
from schema.tasks.input import CreateTaskInput, UpdateTaskInput
from schema.tasks.queries import task_of
from schema.tasks.types import Task, TaskStatus

# ruff: noqa: A002 - `id` and `input` are the GraphQL argument names


@strawberry.type
class TaskMutation:
    @strawberry.mutation(
        description="Create a task owned by you. With a clientMutationId, retries return the "
        "task the first call created.",
        extensions=requires(IsAuthenticated()),
    )
    async def create_task(self, info: Info, input: CreateTaskInput) -> Task:
        return task_of(await task_mutations.create_task(info, input), info.context.viewer)

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
        owned = await task_mutations.update_task(info, id, input, expected_version)
        return task_of(owned, info.context.viewer)

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
        owned = await task_mutations.set_task_status(info, id, status, expected_version)
        return task_of(owned, info.context.viewer)

    @strawberry.mutation(
        description="Delete a task; returns its id. With expectedVersion, only if the task is "
        "still at that version (CONFLICT with extensions.currentVersion otherwise).",
        extensions=requires(IsAuthenticated()),
    )
    async def delete_task(
        self, info: Info, id: strawberry.ID, expected_version: int | None = None
    ) -> strawberry.ID:
        return await task_mutations.delete_task(info, id, expected_version)
