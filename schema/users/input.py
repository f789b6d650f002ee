"""What the admin's users list can be narrowed by."""

from __future__ import annotations

import strawberry

from schema.users.types import Role


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
