"""Inputs of the admin's users list."""

from __future__ import annotations

from enum import Enum

import strawberry

from schema.pagination import OrderDirection


@strawberry.enum(description="What the users list is sorted by; the user id breaks ties.")
class UserOrderField(Enum):
    CREATED_AT = "CREATED_AT"
    EMAIL = "EMAIL"


@strawberry.input(description="Sort order of the users list.")
class UserOrder:
    field: UserOrderField = UserOrderField.CREATED_AT
    direction: OrderDirection = OrderDirection.DESC
