"""Reading users: the viewer, one user by id, and the admin's list (with the users' tasks
read ahead for the whole page)."""

from __future__ import annotations

import uuid
from functools import partial
from typing import TYPE_CHECKING, Any

from models import users as user_models
from resolvers.pagination import page_args
from resolvers.selection import selected_names
from resolvers.tasks.queries import user_task_pages
from resolvers.users import pages as user_pages
from resolvers.users.input import clean_user_filter, parse_user_id
from taskql.errors import NotFound

if TYPE_CHECKING:
    from collections.abc import Mapping

    from models.sql import PageQuery, Sql
    from resolvers.context import Info
    from resolvers.pagination import RowPage
    from resolvers.tasks.pages import PagesByOwner
    from schema.users.input import UserFilter, UserOrder
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
    arguments = {
        "filter_": filter_,
        "order_by": order_by,
        "first": first,
        "after": after,
        "last": last,
        "before": before,
    }
    result = await users_page(info.context.settings, selected_names(info), arguments)
    owner_ids = [str(row["id"]) for row in result.rows]
    return result, await user_task_pages(info, owner_ids, path=("edges", "node"))


async def users_page(
    settings: Settings, wanted: frozenset[str], arguments: Mapping[str, Any]
) -> RowPage:
    """A page of users for the names `wanted` below the connection and its `arguments` (by
    Python name, absent ones None): shared by the resolver and the compiled plans
    (compiler/)."""
    page, shown = _page_request(settings, arguments)
    rows, beyond = await user_models.list_page(page=page)
    return user_pages.user_page(
        settings,
        wanted,
        rows,
        page=page,
        shown=shown,
        beyond_cursor=beyond,
        count=partial(user_models.count_users, filters=page.filters),
    )


def users_page_query(
    settings: Settings, sql: Sql, arguments: Mapping[str, Any]
) -> tuple[PageQuery, int]:
    """users_page's statement as part of a larger one (a compiled plan's, compiler/json_sql),
    and how many of its rows the page shows."""
    page, shown = _page_request(settings, arguments)
    return user_models.page_query(sql, page=page), shown


def _page_request(
    settings: Settings, arguments: Mapping[str, Any]
) -> tuple[user_models.UserPage, int]:
    order_by = arguments.get("order_by")
    filter_ = arguments.get("filter_")
    filters = (
        user_models.NO_USER_FILTER
        if filter_ is None
        else clean_user_filter(
            search=filter_.search,
            role=None if filter_.role is None else filter_.role.value,
            is_active=filter_.is_active,
        )
    )
    args = page_args(
        settings,
        first=arguments.get("first"),
        after=arguments.get("after"),
        last=arguments.get("last"),
        before=arguments.get("before"),
    )
    page = user_pages.page_request(
        settings,
        args,
        sort=None if order_by is None else order_by.field.value,
        descending=None if order_by is None else order_by.direction.value == "DESC",
        filters=filters,
    )
    return page, args.shown


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
