"""Read a nested field's arguments and selection before execution reaches it.

A list resolver that knows what every row's child field will ask for can load all the
children in its own batch, so the child resolvers only pick their part. This module answers
"which occurrences of field F sit at path P below this field, with which arguments and which
sub-selection". Arguments are coerced by graphql-core and converted by strawberry exactly as for
the child's own resolver, so both see the same values.

It is an optimisation, never the only way: it leaves out what it cannot decide before
execution (a field under @skip/@include), and the child resolver then loads its own data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLObjectType,
    InlineFragmentNode,
    Undefined,
    get_named_type,
    value_from_ast,
)
from strawberry.types.field import StrawberryField

from resolvers.context import Info
from resolvers.selection import names_below
from taskql.errors import ValidationFailed
from taskql.graphql_internals import convert_arguments, definition_of, raw_info
from taskql.string_inputs import check_arguments


@dataclass(frozen=True, slots=True)
class NestedField:
    response_key: str
    # Python argument names -> values, as the field's resolver receives them.
    arguments: dict[str, Any]
    # Names of the fields selected anywhere below this one.
    selected: frozenset[str]


def nested_fields(info: Info, path: Sequence[str], name: str) -> list[NestedField]:
    """The occurrences of field `name` reached from this field through the fields in `path`.

    A response key is left out when any of its occurrences sits under a directive, or when
    two occurrences differ in arguments or selection (possible under two aliases of a parent:
    the rows are shared, so one prefetched answer could not serve both).
    """
    raw = raw_info(info)  # graphql-core's info: AST, fragments, schema
    parent_type = get_named_type(raw.return_type)
    # This field runs, so its own directives (if any) included it.
    found = [(node, False) for node in raw.field_nodes]
    for step in [*path, name]:
        if not isinstance(parent_type, GraphQLObjectType) or step not in parent_type.fields:
            return []
        found = list(_fields_named(found, step, raw.fragments))
        field_def = parent_type.fields[step]
        parent_type = get_named_type(field_def.type)
    occurrences: dict[str, NestedField | None] = {}
    for node, directed in found:
        key = node.alias.value if node.alias else name
        occurrence = None if directed else _occurrence(info, field_def, node, key, raw.fragments)
        if key in occurrences and occurrences[key] != occurrence:
            occurrence = None
        occurrences[key] = occurrence
    return [occurrence for occurrence in occurrences.values() if occurrence is not None]


def _occurrence(
    info: Info,
    field_def: GraphQLField,
    node: FieldNode,
    key: str,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> NestedField | None:
    coerced: dict[str, Any] = {}
    for argument in node.arguments or ():
        value = value_from_ast(
            argument.value, field_def.args[argument.name.value].type, info.variable_values
        )
        if value is not Undefined:  # an absent variable: the argument is absent too
            coerced[argument.name.value] = value
    try:
        check_arguments(field_def, coerced)
    except ValidationFailed:
        return None  # not read ahead: the field's own resolver reports it at its path
    strawberry_field = definition_of(field_def.extensions)
    if not isinstance(strawberry_field, StrawberryField):
        return None
    arguments = convert_arguments(info.schema, coerced, strawberry_field.arguments)
    below = [node.selection_set] if node.selection_set is not None else []
    return NestedField(key, arguments, names_below(below, fragments))


def _fields_named(
    parents: list[tuple[FieldNode, bool]],
    name: str,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> Iterator[tuple[FieldNode, bool]]:
    """The `name` fields selected by these fields, through fragments, each with whether a
    directive on the way (the parent's included) may skip it."""
    pending = [
        (node.selection_set, directed)
        for node, directed in parents
        if node.selection_set is not None
    ]
    while pending:
        selection_set, directed = pending.pop()
        for selection in selection_set.selections:
            here = directed or bool(selection.directives)
            if isinstance(selection, FieldNode):
                if selection.name.value == name:
                    yield selection, here
            elif isinstance(selection, InlineFragmentNode):
                pending.append((selection.selection_set, here))
            elif isinstance(selection, FragmentSpreadNode):
                pending.append((fragments[selection.name.value].selection_set, here))
