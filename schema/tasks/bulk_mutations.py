"""Root fields that change many tasks at once: updateTasks, setTasksStatus, deleteTasks."""

from __future__ import annotations

import strawberry

from resolvers.context import Info
from resolvers.tasks import bulk
from schema.cost import PER_ID
from schema.permissions import IsAuthenticated, requires
from schema.tasks.input import UpdateTaskInput
from schema.tasks.queries import task_of
from schema.tasks.types import Task, TaskStatus

# ruff: noqa: A002 - `input` is the GraphQL argument name

ALL_OR_NOTHING = (
    "At most graphql.bulk_max_ids ids (100 by default), each once (a repeated id is "
    "VALIDATION_ERROR). "
    "All or nothing: an id that is not one of your tasks (admins: any task) fails the whole "
    "call with NOT_FOUND listing it in extensions.ids, and nothing changes. With "
    "expectedVersions (one per id, in the order of ids), nothing changes either unless every "
    "task is still at its version (CONFLICT with extensions.ids and currentVersions). "
)


@strawberry.type
class TaskBulkMutation:
    @strawberry.mutation(
        description="Change the fields given on every task listed, as updateTask does on one "
        "(each version + 1, one audit entry each); returns the tasks in the order of ids. "
        + ALL_OR_NOTHING
        + "Costs its selection once per id.",
        extensions=requires(IsAuthenticated()),
        directives=[PER_ID],
    )
    async def update_tasks(
        self,
        info: Info,
        ids: list[strawberry.ID],
        input: UpdateTaskInput,
        expected_versions: list[int] | None = None,
    ) -> list[Task]:
        owned = await bulk.update_tasks(info, ids, input, expected_versions)
        return [task_of(task, info.context.viewer) for task in owned]

    @strawberry.mutation(
        description="Move every task listed to a status, as setTaskStatus does; returns the "
        "tasks in the order of ids. " + ALL_OR_NOTHING + "Costs its selection once per id.",
        extensions=requires(IsAuthenticated()),
        directives=[PER_ID],
    )
    async def set_tasks_status(
        self,
        info: Info,
        ids: list[strawberry.ID],
        status: TaskStatus,
        expected_versions: list[int] | None = None,
    ) -> list[Task]:
        owned = await bulk.set_tasks_status(info, ids, status, expected_versions)
        return [task_of(task, info.context.viewer) for task in owned]

    @strawberry.mutation(
        description="Delete every task listed; returns their global ids, in the order of ids. "
        + ALL_OR_NOTHING
        + "Costs 1 per id.",
        extensions=requires(IsAuthenticated()),
        directives=[PER_ID],
    )
    async def delete_tasks(
        self, info: Info, ids: list[strawberry.ID], expected_versions: list[int] | None = None
    ) -> list[strawberry.ID]:
        return await bulk.delete_tasks(info, ids, expected_versions)
