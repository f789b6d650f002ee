"""The task list's connection, built from a page of rows (resolvers.pagination.RowPage)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

import strawberry

from schema.cost import Cost
from schema.pagination import PageInfo, page_info
from schema.tasks.types import Task

if TYPE_CHECKING:
    from resolvers.pagination import RowPage
    from schema.users.types import User


@strawberry.type
class TaskEdge:
    cursor: str
    node: Task


@strawberry.type(description="A page of tasks (Relay cursor connection).")
class TaskConnection:
    edges: list[TaskEdge]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @classmethod
    def from_page(cls, page: RowPage, owners: Mapping[str, User | None] | None) -> TaskConnection:
        """The connection of a page; `owners` (id -> User) when the operation selects owners."""
        from_row = Task.from_row
        if owners is None:
            nodes = [from_row(row, None) for row in page.rows]
        else:
            nodes = [from_row(row, owners[row["owner_id"]]) for row in page.rows]
        edges = [TaskEdge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)]
        count = page.count
        if count is None:  # every task page carries its count (resolvers.tasks.pages)
            raise TypeError("a task page without its count")
        return cls(edges=edges, page_info=page_info(page), count=count)

    @strawberry.field(
        description="Tasks matching the filter over all pages; costs one COUNT when selected.",
        # A COUNT over every matching row, not just one page.
        directives=[Cost(weight=10)],
    )
    async def total_count(self) -> int:
        return await self.count()
