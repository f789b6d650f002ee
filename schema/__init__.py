"""The GraphQL surface: root types merged from one class per domain, and the Schema."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import strawberry
from strawberry.extensions import SchemaExtension

from schema.server_info import ServerInfoQuery


@strawberry.type
class Query(ServerInfoQuery):
    pass


def build_schema(
    *, extensions: Sequence[type[SchemaExtension] | Callable[[], SchemaExtension]] = ()
) -> strawberry.Schema:
    return strawberry.Schema(query=Query, extensions=list(extensions))
