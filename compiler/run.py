"""Running a plan: the resolvers' reads, then rows straight into the response dicts.

Nothing here reports an error: any surprise raises, and the executor answers the whole
operation through graphql-core instead (compiler/__init__.py says why that is exact)."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import orjson
import strawberry

from compiler.builders import NestedPages, connection
from compiler.json_sql import JsonStatement
from compiler.plan import TASKS_ROOT, ListRead, Plan, RootPlan
from compiler.reasons import Fallback, Reason
from models.sql import Sql
from resolvers.context import Context
from resolvers.pagination import RowPage
from resolvers.tasks.pages import PagesByOwner
from resolvers.tasks.queries import owners_task_pages, tasks_page
from resolvers.users.queries import users_page


class PermissionInfo:
    """What a permission class of ours reads from `info`: the request's context. A class
    that reads more fails on it, and the operation falls back to graphql-core."""

    __slots__ = ("context",)

    def __init__(self, context: Context) -> None:
        self.context = context


async def run(
    plan: Plan, schema: strawberry.Schema, context: Context, variables: Mapping[str, Any]
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    viewer = context.viewer
    for root in plan.roots:
        read = root.read
        if read is None:
            data[root.key] = root.constant
            continue
        arguments = read.arguments.values(schema, variables)
        _permit(read, context, arguments)
        if read.written and (sql := Sql()).postgres:
            statement = JsonStatement(sql, context, schema, variables)
            data[root.key] = await _written(sql, statement, root, arguments)
        elif root.kind == TASKS_ROOT:
            page = await tasks_page(
                context, read.wanted, arguments, owner_columns=read.owner_columns
            )
            data[root.key] = connection(read.connection, page, page.owners, viewer, ())
        else:
            page = await users_page(context.settings, read.wanted, arguments)
            nested = await _nested_pages(read, schema, context, variables, page)
            data[root.key] = connection(read.connection, page, None, viewer, nested)
    return data


async def _written(
    sql: Sql, statement: JsonStatement, root: RootPlan, arguments: Mapping[str, Any]
) -> orjson.Fragment:
    """The list's JSON text, written by one statement (json_sql.py); NULL: graphql-core
    would report something."""
    assert root.read is not None  # noqa: S101 - a list root
    read = root.read
    query = (
        statement.tasks(read, arguments)
        if root.kind == TASKS_ROOT
        else statement.users(read, arguments)
    )
    text = await sql.fetch_value(query)
    if text is None:
        raise Fallback(Reason.ANOMALY)
    return orjson.Fragment(text)


def _permit(read: ListRead, context: Context, arguments: Mapping[str, Any]) -> None:
    """The field's permission classes, once for the request; a denial is graphql-core's to
    report (message, code, path, nulls)."""
    if not read.permissions:
        return
    info = PermissionInfo(context)
    for permission in read.permissions:
        try:
            allowed = permission.has_permission(None, info, **arguments)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - reported by graphql-core's run of the permission
            raise Fallback(Reason.PERMISSION) from None
        if inspect.isawaitable(allowed):
            if inspect.iscoroutine(allowed):
                allowed.close()
            raise Fallback(Reason.PERMISSION)
        if not allowed:
            raise Fallback(Reason.PERMISSION)


async def _nested_pages(
    read: ListRead,
    schema: strawberry.Schema,
    context: Context,
    variables: Mapping[str, Any],
    page: RowPage,
) -> NestedPages:
    owner_ids = [str(row["id"]) for row in page.rows]
    nested: list[tuple[ListRead, PagesByOwner | None]] = []
    for tasks_read in read.nested:
        arguments = tasks_read.arguments.values(schema, variables)
        pages = None
        if owner_ids:
            pages = await owners_task_pages(context, owner_ids, tasks_read.wanted, arguments)
        nested.append((tasks_read, pages))
    return nested
