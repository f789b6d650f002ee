"""Relay's Node: anything a client can refetch by its global id alone (Query.node)."""

from __future__ import annotations

import strawberry


@strawberry.interface(
    description="An object with a global id: pass it to Query.node or Query.nodes to refetch it."
)
class Node:
    id: strawberry.ID = strawberry.field(
        description="Global id: opaque, unique across all types, accepted by every id argument."
    )
