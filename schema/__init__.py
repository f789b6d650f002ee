"""The GraphQL surface: root types merged from one class per domain, and the Schema."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import strawberry
from strawberry.extensions import SchemaExtension

from schema.auth import AuthMutation
from schema.server_info import ServerInfoQuery
from schema.task_operations import TaskMutation, TaskQuery
from schema.user_list import UserListQuery
from schema.users import UserMutation, UserQuery


@strawberry.type
class Query(UserQuery, UserListQuery, TaskQuery, ServerInfoQuery):
    pass


@strawberry.type
class Mutation(AuthMutation, UserMutation, TaskMutation):
    pass


def build_schema(
    *, extensions: Sequence[type[SchemaExtension] | Callable[[], SchemaExtension]] = ()
) -> strawberry.Schema:
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=list(extensions))
