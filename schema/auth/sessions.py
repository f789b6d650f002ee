"""Your sessions (mySessions, revokeSession, logoutEverywhere) and the admin's
revokeUserSessions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import strawberry

from resolvers.auth import session_list
from resolvers.context import Info
from schema.cost import Cost
from schema.permissions import IsAdmin, IsAuthenticated, requires

if TYPE_CHECKING:
    from models.credentials import Session as SessionRow


@strawberry.type(description="One sign-in of yours: a device or app holding tokens.")
class Session:
    id: strawberry.ID = strawberry.field(description="Pass it to revokeSession.")
    user_agent: str | None = strawberry.field(
        description="The User-Agent the sign-in came with (at most 255 printable characters)."
    )
    client_address: str | None = strawberry.field(
        description="The client address of the sign-in (behind a trusted proxy, the client's)."
    )
    created_at: datetime = strawberry.field(description="When you signed in.")
    last_used_at: datetime = strawberry.field(
        description="The last token refresh (about every access-token lifetime while the app "
        "is open); the sign-in time before the first. Requests themselves are not recorded."
    )
    current: bool = strawberry.field(description="True for the session making this request.")

    @classmethod
    def from_row(cls, row: SessionRow, info: Info) -> Session:
        return cls(
            id=strawberry.ID(str(row.id)),
            user_agent=row.user_agent,
            client_address=row.client_address,
            created_at=row.created_at,
            last_used_at=row.last_used_at or row.created_at,
            current=row.id == info.context.viewer.session_id,
        )


@strawberry.type
class SessionQuery:
    @strawberry.field(
        description="Your live sessions, most recently used first (at most 100).",
        extensions=requires(IsAuthenticated()),
        directives=[Cost(weight=5)],
    )
    async def my_sessions(self, info: Info) -> list[Session]:
        return [Session.from_row(row, info) for row in await session_list.my_sessions(info)]


@strawberry.type
class SessionMutation:
    @strawberry.mutation(
        description="End one of your sessions (this one too, if you like): its tokens stop "
        "working at once. NOT_FOUND for an ended, unknown or someone else's session.",
        extensions=requires(IsAuthenticated()),
    )
    async def revoke_session(self, info: Info, id: strawberry.ID) -> bool:  # noqa: A002
        return await session_list.revoke_session(info, str(id))

    @strawberry.mutation(
        description="End every session of yours, this one included: sign in again afterwards. "
        "Returns how many were live.",
        extensions=requires(IsAuthenticated()),
    )
    async def logout_everywhere(self, info: Info) -> int:
        return await session_list.logout_everywhere(info)

    @strawberry.mutation(
        description="Admin only: end every session of a user (they stay able to sign in). "
        "Returns how many were live; NOT_FOUND for an unknown user.",
        extensions=requires(IsAuthenticated(), IsAdmin()),
    )
    async def revoke_user_sessions(self, info: Info, user_id: strawberry.ID) -> int:
        return await session_list.revoke_user_sessions(info, str(user_id))
