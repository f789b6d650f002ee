"""Types shared by every cursor connection (tasks, users)."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, TypeVar

import strawberry

if TYPE_CHECKING:
    from resolvers.pagination import RowPage

T = TypeVar("T")


@strawberry.enum(description="Sort direction.")
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.type(description="Where a page sits in the whole list (Relay cursor connections).")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="Rows follow this page: with `first`, more than `first` rows were left; "
        "with `last`, a row exists at or after `before` (false without `before`)."
    )
    has_previous_page: bool = strawberry.field(
        description="Rows precede this page: with `last`, more than `last` rows were left; "
        "with `first`, a row exists at or before `after` (false without `after`)."
    )
    start_cursor: str | None = strawberry.field(
        description="Cursor of the first edge: pass it as `before` for the previous page."
    )
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last edge: pass it as `after` for the next page."
    )


def given(value: T) -> T | None:
    """An optional argument's value, or None when the client left it out.

    Optional arguments default to strawberry.UNSET rather than None: an argument with no
    default value is absent from the arguments graphql-core passes on when the client omits
    it, so nothing is converted for it. That is measurably cheaper for User.tasks, resolved
    once per user of a list.
    """
    return None if value is strawberry.UNSET else value


def page_info(page: RowPage) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=page.start_cursor,
        end_cursor=page.end_cursor,
    )
