"""The GraphQL surface: root types merged from one class per domain, and the Schema."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import strawberry
from graphql.execution import Executor as GraphQLExecutionContext
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter

from resolvers.datetimes import parse_datetime_input
from schema.audit import AuditQuery
from schema.auth.mutations import AuthMutation
from schema.auth.one_password_field import password_field_limit
from schema.auth.recovery import RecoveryMutation
from schema.auth.sessions import SessionMutation, SessionQuery
from schema.nodes.queries import NodeQuery
from schema.server_info import ServerInfoQuery
from schema.tasks.bulk_mutations import TaskBulkMutation
from schema.tasks.events import TaskSubscription
from schema.tasks.mutations import TaskMutation
from schema.tasks.queries import TaskQuery
from schema.users.mutations import UserMutation
from schema.users.queries import UserQuery


@strawberry.type
class Query(UserQuery, TaskQuery, ServerInfoQuery, AuditQuery, SessionQuery, NodeQuery):
    pass


@strawberry.type
class Mutation(
    AuthMutation, UserMutation, TaskMutation, SessionMutation, RecoveryMutation, TaskBulkMutation
):
    pass


@strawberry.type
class Subscription(TaskSubscription):
    pass


class CachedNameConverter(NameConverter):
    """strawberry's snake_case -> camelCase naming, remembered.

    strawberry also names each argument of a resolver on every call (to match the GraphQL
    arguments to the Python ones): User.tasks, resolved once per user of a list, would
    otherwise re-run the same string conversion each time.
    """

    @lru_cache(maxsize=1024)  # noqa: B019 - one converter per schema, kept for its lifetime
    def apply_naming_config(self, name: str) -> str:
        return super().apply_naming_config(name)


def build_schema(
    *,
    extensions: Sequence[type[SchemaExtension] | Callable[[], SchemaExtension]] = (),
    execution_context_class: type[GraphQLExecutionContext[Any]] | None = None,
) -> strawberry.Schema:
    """The schema; the app passes its extensions and executor (server.app)."""
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        # The password-field limit belongs to the schema: every app serving it gets it.
        extensions=[password_field_limit, *extensions],
        execution_context_class=execution_context_class,
        config=StrawberryConfig(name_converter=CachedNameConverter()),
        scalar_overrides={datetime: DATETIME},
    )


# strawberry's DateTime (same name, description, output and accepted text), except that
# malformed input text reaches the resolver, whose error names the field (resolvers.datetimes).
DATETIME = strawberry.scalar(
    name="DateTime",
    description="Date with time (isoformat)",
    serialize=datetime.isoformat,
    parse_value=parse_datetime_input,
)
