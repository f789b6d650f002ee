"""Task rows for tests, inserted in bulk through the task data functions."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from models import tasks as task_models
from models import users as user_models
from models.users import Role
from taskql.settings import Settings
from tests.factories import access_token_for, create_user

_numbers = itertools.count(1)


async def signed_in_user(
    settings: Settings, *, role: Role = Role.USER
) -> tuple[user_models.User, str]:
    """A fresh user and a valid access token for them."""
    user = await create_user(role=role)
    return user, access_token_for(user, settings)


async def create_tasks(
    owner: user_models.User,
    count: int,
    *,
    created_at: datetime | None = None,
    **fields: Any,
) -> list[task_models.Task]:
    """`count` tasks of `owner` in a few statements; `fields` apply to every one of them.

    `created_at` pins the creation time of all of them (e.g. many rows sharing a timestamp).
    """
    tasks = []
    for _ in range(count):
        values = {"title": f"Task {next(_numbers)}", **fields}
        task = task_models.Task(owner_id=owner.id, **values)
        if created_at is not None:
            task.created_at = created_at
        tasks.append(task)
    await task_models.bulk_create_tasks(tasks=tasks)
    return tasks
