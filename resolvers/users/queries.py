"""Reading users: the viewer, one user by id, and the admin's list (with the users' tasks
read ahead for the whole page)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from models import users as user_models
from resolvers.pagination import page_size
from resolvers.selection import selected_names
from resolvers.tasks.queries import user_task_pages
from resolvers.users.input import parse_user_id
from resolvers.users.pages import keyset_of, user_page
from taskql.errors import NotFound

if TYPE_CHECKING:
    from resolvers.context import Info
    from resolvers.pagination import RowPage
    from resolvers.tasks.pages import PagesByOwner
    from taskql.settings import Settings


async def me(info: Info) -> user_models.User:
    return await _existing(viewer_id(info))


async def user(info: Info, user_id: str) -> user_models.User:
    wanted = parse_user_id(user_id)
    # Someone else's account is reported exactly like a missing one.
    if not info.context.viewer.can_see_user(wanted):
        raise NotFound("User not found.")
    return await _existing(wanted)


async def users(
    info: Info, *, first: int | None, after: str | None
) -> tuple[RowPage, dict[str | int, PagesByOwner]]:
    """A page of users, and their tasks by User.tasks response key where the operation's
    arguments could be read ahead (the rest User.tasks loads itself)."""
    page = await users_page(info.context.settings, selected_names(info), first=first, after=after)
    owner_ids = [str(row["id"]) for row in page.rows]
    return page, await user_task_pages(info, owner_ids, path=("edges", "node"))


async def users_page(
    settings: Settings, wanted: frozenset[str], *, first: int | None, after: str | None
) -> RowPage:
    """A page of users for the names `wanted` below the connection: shared by the resolver
    and the compiled plans (compiler/)."""
    shown = page_size(first, settings)
    keyset = keyset_of(settings, after)
    rows = await user_models.list_page(after=keyset, limit=shown + 1)
    return user_page(settings, wanted, rows, shown=shown, after_given=keyset is not None)


def viewer_id(info: Info) -> uuid.UUID:
    user_id = info.context.viewer.user_id
    if user_id is None:  # the field's IsAuthenticated guard makes this unreachable
        raise NotFound("User not found.")
    return user_id


def found(user: user_models.User | None) -> user_models.User:
    if user is None:
        raise NotFound("User not found.")
    return user


async def _existing(user_id: uuid.UUID) -> user_models.User:
    return found(await user_models.get_by_id(user_id=user_id))
