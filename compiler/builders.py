"""Rows into response dicts: each edge and node plan becomes one generated function.

A plan's field kinds are known when it is compiled, so instead of looping over the fields of
every row and branching on their kind (a third of the run's CPU on a 50-row page), each
object plan is written out once as straight-line Python: one local per field, one dict
literal. Only response keys and column names (through repr) and indices into the plan's own
values reach the source; the values themselves (converters, constants, nested builders) are
passed in by name. Any surprise raises Fallback, as in run.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from graphql import Undefined

from compiler.kinds import (
    CURSOR,
    EDGES,
    EMAIL,
    NODE,
    OWNER,
    PAGE_INFO,
    TYPENAME,
    USER_NODE,
    USER_TASKS,
    VALUE,
    same_text,
)
from compiler.reasons import Fallback, Reason
from schema.permissions import may_read_email

if TYPE_CHECKING:
    from compiler.plan import FieldPlan, ListRead
    from resolvers.pagination import RowPage
    from resolvers.tasks.pages import PagesByOwner
    from taskql.auth.viewer import Viewer

Row = Mapping[str, Any]
ObjectPlan = tuple["FieldPlan", ...]
# Per User.tasks read of a users list: the read and its pages (None: no users).
NestedPages = Sequence[tuple["ListRead", "PagesByOwner | None"]]
# (row, the page's owners, viewer, nested pages) -> the node's response dict.
NodeBuilder = Callable[
    [Row, "Mapping[str, Row | None] | None", "Viewer", NestedPages], dict[str, Any]
]
EdgesBuilder = Callable[
    ["RowPage", "Mapping[str, Row | None] | None", "Viewer", NestedPages], list[dict[str, Any]]
]


def anomaly() -> Fallback:
    return Fallback(Reason.ANOMALY)


def _raise_anomaly() -> Any:
    raise anomaly()


def connection(
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
            assert field.build is not None  # noqa: S101 - set with every EDGES plan
            out[field.key] = field.build(page, owners, viewer, nested)
        elif kind == PAGE_INFO:
            out[field.key] = _page_info(field.sub, page)
        else:
            out[field.key] = field.constant
    return out


def _page_info(plan: ObjectPlan, page: RowPage) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in plan:
        if field.kind != VALUE:
            out[field.key] = field.constant
            continue
        out[field.key] = leaf(field.convert, field.non_null, getattr(page, field.name))
    return out


def leaf(convert: Any, non_null: bool, value: Any) -> Any:
    if value is None:
        if non_null:
            raise anomaly()
        return None
    converted = convert(value)
    if converted is None or converted is Undefined:
        raise anomaly()
    return converted


# Parsing a uuid costs 1.3 µs, more than the rest of a user's fields: a list's users recur
# from request to request, and may_read_email takes the uuid the schema's types pass it.
_user_pk = lru_cache(maxsize=4096)(uuid.UUID)


def may_read(viewer: Viewer, user_id: Any) -> bool:
    return may_read_email(viewer, user_id if isinstance(user_id, uuid.UUID) else _user_pk(user_id))


def user_tasks(field: FieldPlan, row: Row, viewer: Viewer, nested: NestedPages) -> dict[str, Any]:
    tasks_read, pages = nested[field.index]
    if pages is None:
        raise anomaly()
    page = pages.pages[str(row["id"])]
    return connection(tasks_read.connection, page, pages.owners, viewer, ())


def edges(plan: ObjectPlan) -> EdgesBuilder:
    """The function making a page's edges for this edge plan."""
    values: dict[str, Any] = {"zip": zip, "no_cursor": _raise_anomaly}
    items = []
    for index, field in enumerate(plan):
        if field.kind == NODE:
            values[f"node{index}"] = _node(field.sub, user=field.name == USER_NODE)
            items.append(f"{field.key!r}: node{index}(row, owners, viewer, nested)")
        elif field.kind == CURSOR:  # "" when not made: never sent (run.py's reason)
            items.append(f"{field.key!r}: cursor or no_cursor()")
        else:
            values[f"constant{index}"] = field.constant
            items.append(f"{field.key!r}: constant{index}")
    source = [
        "def edges(page, owners, viewer, nested):",
        "    return [",
        f"        {{{', '.join(items)}}}",
        "        for cursor, row in zip(page.cursors, page.rows, strict=True)",
        "    ]",
    ]
    built: EdgesBuilder = _define("edges", source, values)
    return built


def _node(plan: ObjectPlan, *, user: bool) -> NodeBuilder:
    """A Task's or User's response dict from its row (User.tasks only below a users list)."""
    values: dict[str, Any] = {
        "Undefined": Undefined,
        "anomaly": anomaly,
        "may_read": may_read,
        "user_tasks": user_tasks,
    }
    lines = ["def node(row, owners, viewer, nested):"]
    items = []
    for index, field in enumerate(plan):
        local = f"v{index}"
        items.append(f"{field.key!r}: {local}")
        if field.kind in (VALUE, EMAIL):
            values[f"convert{index}"] = field.convert
            if field.kind == VALUE:
                lines.append(f"    {local} = row[{field.name!r}]")
            else:
                lines.append(f"    {local} = row['email'] if may_read(viewer, row['id']) else None")
            lines += [
                f"    if {local} is None:",
                "        raise anomaly()" if field.non_null else "        pass",
            ]
            if field.text is not None:  # a str skips the converter's own checks
                values[f"text{index}"] = field.text
                same = field.text is same_text
                lines += [
                    f"    elif type({local}) is str:",
                    "        pass" if same else f"        {local} = text{index}({local})",
                ]
            lines += [
                "    else:",
                f"        {local} = convert{index}({local})",
                f"        if {local} is None or {local} is Undefined:",
                "            raise anomaly()",
            ]
        elif field.kind == OWNER:
            values[f"owner{index}"] = _node(field.sub, user=True)
            lines += [
                "    owner = None if owners is None else owners.get(row['owner_id'])",
                "    if owner is None:",  # Task.owner is non-null: graphql-core's bubbling
                "        raise anomaly()",
                f"    {local} = owner{index}(owner, None, viewer, ())",
            ]
        elif field.kind == USER_TASKS and user:
            values[f"field{index}"] = field
            lines.append(f"    {local} = user_tasks(field{index}, row, viewer, nested)")
        elif field.kind == TYPENAME:
            values[f"constant{index}"] = field.constant
            lines.append(f"    {local} = constant{index}")
        else:
            raise Fallback(Reason.FIELD)  # a kind the compiler never puts in a node
    lines.append(f"    return {{{', '.join(items)}}}")
    built: NodeBuilder = _define("node", lines, values)
    return built


def _define(name: str, lines: list[str], values: dict[str, Any]) -> Any:
    namespace = dict(values)
    code = compile("\n".join(lines) + "\n", f"<compiled {name}>", "exec")
    exec(code, namespace)  # noqa: S102 - generated from the plan only (module docstring)
    return namespace[name]
