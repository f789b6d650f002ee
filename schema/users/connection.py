"""The admin's list of users, a cursor connection built from a page of rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import strawberry

from schema.cost import Cost
from schema.pagination import PageInfo, page_info
from schema.tasks.connection import TaskConnection
from schema.users.types import User

if TYPE_CHECKING:
    from resolvers.pagination import RowPage
    from resolvers.tasks.pages import PagesByOwner
    from taskql.auth.viewer import Viewer


@strawberry.type
class UserEdge:
    cursor: str
    node: User


@strawberry.type(description="A page of users (Relay cursor connection).")
class UserConnection:
    edges: list[UserEdge]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]] | None]

    @strawberry.field(
        description="Users over all pages; costs one COUNT when selected.",
        directives=[Cost(weight=10)],
    )
    async def total_count(self) -> int:
        if self.count is None:  # every users page carries its count (resolvers.users)
            raise TypeError("a users page without its count")
        return await self.count()

    @classmethod
    def from_page(
        cls, page: RowPage, task_pages: dict[str | int, PagesByOwner], viewer: Viewer
    ) -> UserConnection:
        """The users of a page, each with the tasks read ahead for it (by response key)."""
        from_values = User.from_values
        edges = [
            UserEdge(cursor=cursor, node=from_values(row, viewer))
            for cursor, row in zip(page.cursors, page.rows, strict=True)
        ]
        for key, pages in task_pages.items():
            owners = User.index(pages.owners, viewer)  # one User per owner for all the pages
            for edge in edges:
                node = edge.node
                node.task_pages[key] = TaskConnection.from_page(pages.pages[node.pk], owners)
        return cls(edges=edges, page_info=page_info(page), count=page.count)
