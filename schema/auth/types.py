"""What the sign-in mutations return."""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from schema.users.types import User
from taskql.auth.viewer import ANONYMOUS

if TYPE_CHECKING:
    from resolvers.auth.sessions import TokenPair


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
