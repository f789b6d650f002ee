"""Root fields of signing up, in and out: register, login, refreshTokens, logout,
changePassword."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.auth import mutations as auth_mutations
from resolvers.context import Info
from schema.auth.input import RegisterInput
from schema.auth.types import AuthPayload
from schema.permissions import IsAuthenticated, requires
from taskql.limits import USER_EMAIL_MAX
from taskql.string_inputs import text_rule


@strawberry.type
class AuthMutation:
    @strawberry.mutation(
        description=(
            "Create an account and sign in. CONFLICT if the email is taken; RATE_LIMITED "
            "after too many accounts from one client address. One password field per request."
        )
    )
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:  # noqa: A002
        pair = await auth_mutations.register(
            info, email=input.email, password=input.password, display_name=input.display_name
        )
        return AuthPayload.from_pair(pair)

    @strawberry.mutation(
        description=(
            "Sign in. A wrong email or password gives UNAUTHENTICATED; repeated failures give "
            "RATE_LIMITED with extensions.retryAfterSeconds; the right password of a disabled "
            "account gives ACCOUNT_DISABLED. When the server is too busy checking passwords, "
            "SERVICE_UNAVAILABLE with extensions.retryAfterSeconds."
        )
    )
    async def login(
        self,
        info: Info,
        # An address longer than any we store is refused before the rate limiter records it.
        email: Annotated[str, strawberry.argument(metadata=text_rule(max_length=USER_EMAIL_MAX))],
        password: str,
    ) -> AuthPayload:
        return AuthPayload.from_pair(
            await auth_mutations.login(info, email=email, password=password)
        )

    @strawberry.mutation(
        description=(
            "Trade a refresh token for a new pair. Each refresh token works once; "
            "presenting a used one ends the whole session."
        )
    )
    async def refresh_tokens(self, info: Info, refresh_token: str) -> AuthPayload:
        return AuthPayload.from_pair(
            await auth_mutations.refresh_tokens(info, refresh_token=refresh_token)
        )

    @strawberry.mutation(
        description="End this session: the access token and its refresh tokens stop working.",
        extensions=requires(IsAuthenticated()),
    )
    async def logout(self, info: Info) -> bool:
        return await auth_mutations.logout(info)

    @strawberry.mutation(
        description=(
            "Change your password: every token you hold dies; a new pair is returned. "
            "Wrong current passwords count like failed sign-ins (RATE_LIMITED)."
        ),
        extensions=requires(IsAuthenticated()),
    )
    async def change_password(
        self, info: Info, current_password: str, new_password: str
    ) -> AuthPayload:
        pair = await auth_mutations.change_password(
            info, current_password=current_password, new_password=new_password
        )
        return AuthPayload.from_pair(pair)
