"""Types of the admin's list of users, a cursor connection (the field is in user_list.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.pagination import PageInfo

if TYPE_CHECKING:
    from schema.users import User


@strawberry.type
class UserEdge:
    cursor: str
    node: Annotated[User, strawberry.lazy("schema.users")]


@strawberry.type(description="A page of users (Relay cursor connection).")
class UserConnection:
    edges: list[UserEdge]
    page_info: PageInfo
