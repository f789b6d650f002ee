"""Running a plan: the resolvers' reads, then rows straight into the response dicts.

Nothing here reports an error: any surprise raises, and the executor answers the whole
operation through graphql-core instead (compiler/__init__.py says why that is exact)."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import strawberry
from graphql import Undefined

from compiler.plan import (
    CURSOR,
    EDGES,
    EMAIL,
    NODE,
    OWNER,
    PAGE_INFO,
    TASKS_ROOT,
    USER_NODE,
    USER_TASKS,
    VALUE,
    ListRead,
    ObjectPlan,
    Plan,
)
from compiler.reasons import Fallback, Reason
from resolvers.context import Context
from resolvers.pagination import RowPage
from resolvers.tasks.pages import PagesByOwner
from resolvers.tasks.queries import owners_task_pages, tasks_page
from resolvers.users.queries import users_page
from schema.permissions import may_read_email
from taskql.auth.viewer import Viewer

Row = Mapping[str, Any]
# Per User.tasks read of a users list: the read and its pages (None: no users).
NestedPages = Sequence[tuple[ListRead, PagesByOwner | None]]


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
        if root.kind == TASKS_ROOT:
            page = await tasks_page(context, read.wanted, arguments)
            data[root.key] = _connection(read.connection, page, page.owners, viewer, ())
        else:
            page = await users_page(context.settings, read.wanted, arguments)
            nested = await _nested_pages(read, schema, context, variables, page)
            data[root.key] = _connection(read.connection, page, None, viewer, nested)
    return data


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


def _anomaly() -> Fallback:
    return Fallback(Reason.ANOMALY)


def _connection(
    plan: ObjectPlan,
    page: RowPage,
    owners: Mapping[str, Row | None] | None,
    viewer: Viewer,
    nested: NestedPages,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in plan:
        kind = field.kind
        if kind == EDGES:
            out[field.key] = _edges(field.sub, page, owners, viewer, nested)
        elif kind == PAGE_INFO:
            out[field.key] = _page_info(field.sub, page)
        else:
            out[field.key] = field.constant
    return out


def _edges(
    plan: ObjectPlan,
    page: RowPage,
    owners: Mapping[str, Row | None] | None,
    viewer: Viewer,
    nested: NestedPages,
) -> list[dict[str, Any]]:
    edges = []
    for cursor, row in zip(page.cursors, page.rows, strict=True):
        edge: dict[str, Any] = {}
        for field in plan:
            kind = field.kind
            if kind == NODE:
                if field.name == USER_NODE:
                    edge[field.key] = _user(field.sub, row, viewer, nested)
                else:
                    edge[field.key] = _task(field.sub, row, owners, viewer)
            elif kind == CURSOR:
                if not cursor:  # made only when selected
                    raise _anomaly()
                edge[field.key] = cursor
            else:
                edge[field.key] = field.constant
        edges.append(edge)
    return edges


def _page_info(plan: ObjectPlan, page: RowPage) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in plan:
        if field.kind != VALUE:
            out[field.key] = field.constant
            continue
        value = getattr(page, field.name)
        out[field.key] = _leaf(field.convert, field.non_null, value)
    return out


def _leaf(convert: Any, non_null: bool, value: Any) -> Any:
    if value is None:
        if non_null:
            raise _anomaly()
        return None
    converted = convert(value)
    if converted is None or converted is Undefined:
        raise _anomaly()
    return converted


def _task(
    plan: ObjectPlan, row: Row, owners: Mapping[str, Row | None] | None, viewer: Viewer
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in plan:
        kind = field.kind
        if kind == VALUE:
            value = row[field.name]
            if value is None:
                if field.non_null:
                    raise _anomaly()
                out[field.key] = None
            else:
                converted = field.convert(value)  # type: ignore[misc]
                if converted is None or converted is Undefined:
                    raise _anomaly()
                out[field.key] = converted
        elif kind == OWNER:
            owner = None if owners is None else owners.get(row["owner_id"])
            if owner is None:
                raise _anomaly()  # Task.owner is non-null: graphql-core's bubbling
            out[field.key] = _user(field.sub, owner, viewer, ())
        else:
            out[field.key] = field.constant
    return out


def _user(plan: ObjectPlan, row: Row, viewer: Viewer, nested: NestedPages) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in plan:
        kind = field.kind
        if kind == VALUE:
            out[field.key] = _leaf(field.convert, field.non_null, row[field.name])
        elif kind == EMAIL:
            user_id = row["id"]
            pk = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(user_id)
            email = row["email"] if may_read_email(viewer, pk) else None
            out[field.key] = _leaf(field.convert, field.non_null, email)
        elif kind == USER_TASKS:
            tasks_read, pages = nested[field.index]
            if pages is None:
                raise _anomaly()
            page = pages.pages[str(row["id"])]
            out[field.key] = _connection(tasks_read.connection, page, pages.owners, viewer, ())
        else:
            out[field.key] = field.constant
    return out
