"""Inputs of the admin's users list: its order and what it can be narrowed by."""

from __future__ import annotations

from enum import Enum

import strawberry

from schema.pagination import OrderDirection
from schema.users.types import Role


@strawberry.enum(description="What the users list is sorted by; the user id breaks ties.")
class UserOrderField(Enum):
    CREATED_AT = "CREATED_AT"
    EMAIL = "EMAIL"


@strawberry.input(description="Sort order of the users list.")
class UserOrder:
    field: UserOrderField = UserOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.DESC


@strawberry.input(description="Users matching all the given conditions.")
class UserFilter:
    search: str | None = strawberry.field(
        default=None,
        description="Text in the email or the display name, letter case ignored (up to 200 "
        "characters; `%` and `_` are plain characters).",
    )
    role: Role | None = None
    is_active: bool | None = strawberry.field(
        default=None, description="true: active users only; false: deactivated ones only."
    )
