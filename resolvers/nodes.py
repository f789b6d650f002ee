"""Refetching by global id (Relay's node and nodes): the rows of any mix of task and user ids.

One statement per type at most, whatever the number of ids: the tasks in one scoped
`id IN (...)` read, the users (asked for, plus the tasks' owners when selected) in one batch
through the request's users-by-id loader. Ownership is the same as task(id:) and user(id:):
a task out of the viewer's scope is absent from its read, a user the viewer may not see is
never read; both come back None, exactly like an id that matches nothing.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, NamedTuple

from models import tasks as task_models
from resolvers.loaders import UserRow, load_users
from resolvers.ownership import task_owner_scope
from resolvers.selection import selected_names
from taskql import global_ids
from taskql.errors import ValidationFailed

if TYPE_CHECKING:
    from collections.abc import Sequence

    from resolvers.context import Info


class FoundNode(NamedTuple):
    """A row and its type's name; a task's owner row rides along when the owner is selected."""

    type_name: str
    row: task_models.TaskRow | UserRow
    owner: UserRow | None = None


async def node(info: Info, node_id: str) -> FoundNode | None:
    return (await nodes(info, [node_id], field="id"))[0]


async def nodes(
    info: Info, node_ids: Sequence[str], *, field: str = "ids"
) -> list[FoundNode | None]:
    """What each id names, in the order given (None: missing, or not the viewer's to see)."""
    limit = info.context.settings.graphql.nodes_max
    if len(node_ids) > limit:
        raise ValidationFailed(f"{field} takes at most {limit} ids.", field=field)
    wanted = [_parse(value, field=field, index=index) for index, value in enumerate(node_ids)]
    viewer = info.context.viewer
    task_ids = list(
        dict.fromkeys(str(row_id) for kind, row_id in wanted if kind == global_ids.TASK)
    )
    user_ids = list(
        dict.fromkeys(
            str(row_id)
            for kind, row_id in wanted
            if kind == global_ids.USER and viewer.can_see_user(row_id)
        )
    )
    tasks = {
        row["id"]: row
        for row in await task_models.get_tasks(
            owner_scope=task_owner_scope(viewer), task_ids=task_ids
        )
    }
    owner_ids = (
        [row["owner_id"] for row in tasks.values()] if "owner" in selected_names(info) else []
    )
    # The users asked for and the tasks' owners: one batch (a seen one comes from the cache).
    users = (
        await load_users(info.context.loaders, [*user_ids, *owner_ids])
        if user_ids or owner_ids
        else {}
    )
    visible_users = frozenset(user_ids)
    found: list[FoundNode | None] = []
    for kind, row_id in wanted:
        key = str(row_id)
        if kind == global_ids.TASK:
            task = tasks.get(key)
            owner = users.get(task["owner_id"]) if task is not None and owner_ids else None
            found.append(None if task is None else FoundNode(kind, task, owner))
        else:
            user = users.get(key) if key in visible_users else None
            found.append(None if user is None else FoundNode(kind, user))
    return found


def _parse(value: str, *, field: str, index: int) -> tuple[str, uuid.UUID]:
    decoded = global_ids.decode(value)
    if decoded is None:
        where = field if field == "id" else f"{field}[{index}]"
        raise ValidationFailed(
            f"{where} is not a global id: pass the `id` of a Task or User (a raw uuid does not "
            "say which type it is).",
            field=field,
        )
    return decoded
