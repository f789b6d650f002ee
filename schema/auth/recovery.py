"""Password reset and email verification by mailed links."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.auth import recovery
from resolvers.context import Info
from schema.permissions import IsAuthenticated, requires
from taskql.auth.link_tokens import MAX_TOKEN_LENGTH
from taskql.limits import USER_EMAIL_MAX
from taskql.string_inputs import text_rule

Email = Annotated[str, strawberry.argument(metadata=text_rule(max_length=USER_EMAIL_MAX))]
LinkToken = Annotated[str, strawberry.argument(metadata=text_rule(max_length=MAX_TOKEN_LENGTH))]


@strawberry.type
class RecoveryMutation:
    @strawberry.mutation(
        description="Mail a password-reset link to this address if it has an account. Always "
        "true, whether it has one or not (the answer reveals nothing); RATE_LIMITED after too "
        "many requests for one email or from one client address."
    )
    async def request_password_reset(self, info: Info, email: Email) -> bool:
        return await recovery.request_password_reset(info, email=email)

    @strawberry.mutation(
        description="Set a new password with the token of a reset link. The link works once "
        "and expires; every session of the account ends (sign in again). VALIDATION_ERROR on "
        "`token` for an invalid, expired or used link, on `newPassword` for a weak password."
    )
    async def reset_password(self, info: Info, token: LinkToken, new_password: str) -> bool:
        return await recovery.reset_password(info, token=token, new_password=new_password)

    @strawberry.mutation(
        description="Mail yourself a link that confirms your address (nothing is sent when it "
        "is confirmed already: see User.emailVerified). RATE_LIMITED when asked too often.",
        extensions=requires(IsAuthenticated()),
    )
    async def request_email_verification(self, info: Info) -> bool:
        return await recovery.request_email_verification(info)

    @strawberry.mutation(
        description="Confirm your address with the token of a verification link; works "
        "signed in or not. VALIDATION_ERROR on `token` for an invalid, expired or used link."
    )
    async def verify_email(self, info: Info, token: LinkToken) -> bool:
        return await recovery.verify_email(info, token=token)
