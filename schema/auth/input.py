"""What the sign-up mutation takes."""

from __future__ import annotations

import strawberry

from taskql.limits import PASSWORD_MAX, PASSWORD_MIN, USER_DISPLAY_NAME_MAX


@strawberry.input(description="What a new account needs.")
class RegisterInput:
    email: str = strawberry.field(description="Sign-in email; letter case is ignored.")
    password: str = strawberry.field(
        description=f"{PASSWORD_MIN} to {PASSWORD_MAX} characters, not the email address."
    )
    display_name: str = strawberry.field(description=f"1 to {USER_DISPLAY_NAME_MAX} characters.")
