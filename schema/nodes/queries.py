"""Query.node and Query.nodes: refetch any Task or User by its global id (Relay)."""

from __future__ import annotations

import strawberry

from resolvers import nodes as node_resolvers
from resolvers.context import Info
from schema.cost import Cost
from schema.nodes.interface import Node
from schema.permissions import IsAuthenticated, requires
from schema.tasks.types import Task
from schema.users.types import User
from taskql import global_ids
from taskql.auth.viewer import Viewer


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="The Task or User with this global id; null when there is none or it is "
        "not yours to see (the two are not told apart). An id that is not a global id is "
        "VALIDATION_ERROR.",
        extensions=requires(IsAuthenticated()),
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:  # noqa: A002 - GraphQL name
        return _node(await node_resolvers.node(info, id), info.context.viewer)

    @strawberry.field(
        description="node(id:) for many ids at once, answered in their order (null where "
        "node would be null), in one read per type. At most graphql.nodes_max ids (100 unless "
        "configured; more is VALIDATION_ERROR).",
        extensions=requires(IsAuthenticated()),
        # Everything selected below counts once per id (server/graphql_cost.py).
        directives=[Cost(multiplier="ids")],
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        viewer = info.context.viewer
        return [_node(found, viewer) for found in await node_resolvers.nodes(info, ids)]


def _node(found: node_resolvers.FoundNode | None, viewer: Viewer) -> Node | None:
    if found is None:
        return None
    if found.type_name == global_ids.TASK:
        owner = None if found.owner is None else User.from_values(found.owner, viewer)
        return Task.from_row(found.row, owner)
    return User.from_values(found.row, viewer)
