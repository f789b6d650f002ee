"""Reading users: the viewer, one user by id, and the admin's list (with the users' tasks
read ahead for the whole page)."""

from __future__ import annotations

import uuid
from functools import partial
from typing import TYPE_CHECKING

from models import users as user_models
from resolvers.pagination import page_args
from resolvers.selection import selected_names
from resolvers.tasks.queries import user_task_pages
from resolvers.users import pages as user_pages
from resolvers.users.input import clean_user_filter, parse_user_id
from taskql.errors import NotFound

if TYPE_CHECKING:
    from resolvers.context import Info
    from resolvers.pagination import RowPage
    from resolvers.tasks.pages import PagesByOwner
    from schema.users.input import UserFilter, UserOrder


async def me(info: Info) -> user_models.User:
    return await _existing(viewer_id(info))


async def user(info: Info, user_id: str) -> user_models.User:
    wanted = parse_user_id(user_id)
    # Someone else's account is reported exactly like a missing one.
    if not info.context.viewer.can_see_user(wanted):
        raise NotFound("User not found.")
    return await _existing(wanted)


async def users(
    info: Info,
    *,
    filter_: UserFilter | None = None,
    order_by: UserOrder | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> tuple[RowPage, dict[str | int, PagesByOwner]]:
    """A page of users, and their tasks by User.tasks response key where the operation's
    arguments could be read ahead (the rest User.tasks loads itself)."""
    settings = info.context.settings
    args = page_args(settings, first=first, after=after, last=last, before=before)
    filters = (
        user_models.NO_USER_FILTER
        if filter_ is None
        else clean_user_filter(
            search=filter_.search,
            role=None if filter_.role is None else filter_.role.value,
            is_active=filter_.is_active,
        )
    )
    page = user_pages.page_request(
        settings,
        args,
        sort=None if order_by is None else order_by.field.value,
        descending=None if order_by is None else order_by.direction.value == "DESC",
        filters=filters,
    )
    rows, beyond = await user_models.list_page(page=page)
    result = user_pages.user_page(
        settings,
        selected_names(info),
        rows,
        page=page,
        shown=args.shown,
        beyond_cursor=beyond,
        count=partial(user_models.count_users, filters=filters),
    )
    owner_ids = [str(row["id"]) for row in result.rows]
    return result, await user_task_pages(info, owner_ids, path=("edges", "node"))


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
