"""Per-request dataloaders: built in get_context, so their cache lives for one request.

Each batch function issues one statement per batch (per distinct arguments for task pages)
and answers in key order by dict lookup. Loaders of task rows apply the viewer's ownership
scope inside their SQL, through the task data functions.

They cache rows, not schema objects: schema/ builds its types from what resolvers return.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from strawberry.dataloader import DataLoader

from models import tasks as task_models
from models import users as user_models
from resolvers.ownership import task_owner_scope
from taskql.auth.viewer import Viewer

UserRow = dict[str, Any]

TaskPageKey = tuple[str, task_models.TaskPage]
TaskCountKey = tuple[str, task_models.TaskFilterSpec]


class Loaders:
    """The request's loaders, each made when first used: most requests need none of them,
    and a DataLoader costs more to build than a compiled answer's whole context."""

    __slots__ = (
        "_task_count_by_owner",
        "_task_counts_by_owner",
        "_tasks_by_owner",
        "selections",
        "users_by_id",
        "viewer",
    )

    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        # Not a loader but the same lifetime: per-request memo of selection facts by path.
        self.selections: dict[tuple[str, ...], frozenset[str]] = {}
        # The users load_users read (id string, the form task rows carry owner_id in -> row,
        # None when there is no such user). A plain dict, not a DataLoader: only load_users
        # reads it, always whole batches, and a loader's future per primed row cost more than
        # the batch.
        self.users_by_id: dict[str, UserRow | None] = {}
        self._tasks_by_owner: DataLoader[TaskPageKey, task_models.TaskRows] | None = None
        self._task_count_by_owner: DataLoader[TaskCountKey, int] | None = None
        self._task_counts_by_owner: DataLoader[str, dict[str, int]] | None = None

    @property
    def tasks_by_owner(self) -> DataLoader[TaskPageKey, task_models.TaskRows]:
        if self._tasks_by_owner is None:
            self._tasks_by_owner = DataLoader(load_fn=partial(_load_task_pages, self.viewer))
        return self._tasks_by_owner

    @property
    def task_count_by_owner(self) -> DataLoader[TaskCountKey, int]:
        if self._task_count_by_owner is None:
            self._task_count_by_owner = DataLoader(load_fn=partial(_load_task_totals, self.viewer))
        return self._task_count_by_owner

    @property
    def task_counts_by_owner(self) -> DataLoader[str, dict[str, int]]:
        if self._task_counts_by_owner is None:
            self._task_counts_by_owner = DataLoader(
                load_fn=partial(_load_status_counts, self.viewer)
            )
        return self._task_counts_by_owner


def build_loaders(viewer: Viewer) -> Loaders:
    return Loaders(viewer)


def remember_users(loaders: Loaders, rows: Mapping[str, UserRow]) -> None:
    """User rows read with something else (a page's owners): load_users answers from them."""
    loaders.users_by_id.update(rows)


async def load_users(loaders: Loaders, ids: Sequence[str]) -> dict[str, UserRow | None]:
    """The user rows of these ids (a list's owners), read in one batch except those the
    request has read already."""
    cache = loaders.users_by_id
    wanted = dict.fromkeys(ids)
    missing = [user_id for user_id in wanted if user_id not in cache]
    if missing:
        found = {str(row["id"]): row for row in await user_models.get_many(user_ids=missing)}
        for user_id in missing:
            cache[user_id] = found.get(user_id)
    return {user_id: cache[user_id] for user_id in wanted}


async def _load_task_pages(
    viewer: Viewer, keys: Sequence[TaskPageKey]
) -> list[task_models.TaskRows]:
    scope = task_owner_scope(viewer)
    owners_by_page: dict[task_models.TaskPage, list[str]] = {}
    for owner_id, page in keys:
        owners_by_page.setdefault(page, []).append(owner_id)
    found: dict[TaskPageKey, task_models.TaskRows] = {}
    for page, owner_ids in owners_by_page.items():
        grouped = await task_models.list_tasks_for_owners(
            owner_scope=scope, owner_ids=owner_ids, page=page
        )
        for owner_id in owner_ids:
            empty = task_models.TaskRows(rows=[], beyond_cursor=False)
            found[owner_id, page] = grouped.get(owner_id, empty)
    return [found[key] for key in keys]


async def _load_task_totals(viewer: Viewer, keys: Sequence[TaskCountKey]) -> list[int]:
    scope = task_owner_scope(viewer)
    owners_by_filter: dict[task_models.TaskFilterSpec, list[str]] = {}
    for owner_id, filters in keys:
        owners_by_filter.setdefault(filters, []).append(owner_id)
    found: dict[TaskCountKey, int] = {}
    for filters, owner_ids in owners_by_filter.items():
        counts = await task_models.count_tasks_for_owners(
            owner_scope=scope, owner_ids=owner_ids, filters=filters
        )
        for owner_id in owner_ids:
            found[owner_id, filters] = counts.get(owner_id, 0)
    return [found[key] for key in keys]


async def _load_status_counts(viewer: Viewer, owner_ids: Sequence[str]) -> list[dict[str, int]]:
    counts = await task_models.count_by_status_for_owners(
        owner_scope=task_owner_scope(viewer), owner_ids=owner_ids
    )
    return [counts.get(owner_id, {}) for owner_id in owner_ids]
