"""Sign-up, sign-in and session mutations, and the token pair they return."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from resolvers import auth as auth_resolvers
from resolvers.context import Info
from resolvers.user_input import MAX_EMAIL_LENGTH
from schema.permissions import IsAuthenticated, requires
from schema.users import User
from taskql.auth.viewer import ANONYMOUS
from taskql.string_inputs import text_rule

if TYPE_CHECKING:
    from taskql.auth.sessions import TokenPair


@strawberry.type(description="A fresh token pair and the user it belongs to.")
class AuthPayload:
    access_token: str = strawberry.field(
        description="Short-lived JWT: send it as `Authorization: Bearer <token>`."
    )
    refresh_token: str = strawberry.field(
        description="Single-use opaque token for refreshTokens; keep it secret."
    )
    token_type: str = strawberry.field(description='Always "Bearer".')
    expires_in: int = strawberry.field(description="Seconds until the access token expires.")
    user: User

    @classmethod
    def from_pair(cls, pair: TokenPair) -> AuthPayload:
        return cls(
            access_token=pair.access.token,
            refresh_token=pair.refresh_token,
            token_type="Bearer",  # noqa: S106 - the OAuth token type, not a secret
            expires_in=pair.access.expires_in,
            user=User.from_row(pair.user, ANONYMOUS, reveal_email=True),
        )


@strawberry.input(description="What a new account needs.")
class RegisterInput:
    email: str = strawberry.field(description="Sign-in email; letter case is ignored.")
    password: str = strawberry.field(description="12 to 1024 characters, not the email address.")
    display_name: str = strawberry.field(description="1 to 100 characters.")


@strawberry.type
class AuthMutation:
    @strawberry.mutation(
        description="Create an account and sign in. CONFLICT if the email is taken."
    )
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:  # noqa: A002
        pair = await auth_resolvers.register(
            info, email=input.email, password=input.password, display_name=input.display_name
        )
        return AuthPayload.from_pair(pair)

    @strawberry.mutation(
        description=(
            "Sign in. A wrong email or password gives UNAUTHENTICATED; repeated failures give "
            "RATE_LIMITED with extensions.retryAfterSeconds."
        )
    )
    async def login(
        self,
        info: Info,
        # An address longer than any we store is refused before the rate limiter records it.
        email: Annotated[str, strawberry.argument(metadata=text_rule(max_length=MAX_EMAIL_LENGTH))],
        password: str,
    ) -> AuthPayload:
        return AuthPayload.from_pair(
            await auth_resolvers.login(info, email=email, password=password)
        )

    @strawberry.mutation(
        description=(
            "Trade a refresh token for a new pair. Each refresh token works once; "
            "presenting a used one ends the whole session."
        )
    )
    async def refresh_tokens(self, info: Info, refresh_token: str) -> AuthPayload:
        return AuthPayload.from_pair(
            await auth_resolvers.refresh_tokens(info, refresh_token=refresh_token)
        )

    @strawberry.mutation(
        description="End this session: the access token and its refresh tokens stop working.",
        extensions=requires(IsAuthenticated()),
    )
    async def logout(self, info: Info) -> bool:
        return await auth_resolvers.logout(info)

    @strawberry.mutation(
        description="Change your password: every token you hold dies; a new pair is returned.",
        extensions=requires(IsAuthenticated()),
    )
    async def change_password(
        self, info: Info, current_password: str, new_password: str
    ) -> AuthPayload:
        pair = await auth_resolvers.change_password(
            info, current_password=current_password, new_password=new_password
        )
        return AuthPayload.from_pair(pair)
