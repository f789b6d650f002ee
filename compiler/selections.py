"""Field collection over the AST, as graphql-core's collect_fields does it: response keys in
the order of their first appearance, the field nodes of each key (aliases merged), fragments
expanded in place, @skip/@include decided with the variable values the plan is made for."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    NamedTypeNode,
    SelectionSetNode,
    VariableNode,
)

from compiler.reasons import Fallback, Reason

Fragments = Mapping[str, FragmentDefinitionNode]
Grouped = dict[str, list[FieldNode]]  # response key -> its field nodes, in document order


def condition_variables(
    selection_sets: Iterable[SelectionSetNode], fragments: Fragments
) -> tuple[str, ...]:
    """The variables @skip/@include read anywhere in these selections and in the fragments:
    their values pick the plan (a plan is made per combination)."""
    names: dict[str, None] = {}
    pending = [*selection_sets, *(fragment.selection_set for fragment in fragments.values())]
    while pending:
        for selection in pending.pop().selections:
            for directive in selection.directives or ():
                for argument in directive.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        names[argument.value.name.value] = None
            selection_set = getattr(selection, "selection_set", None)
            if selection_set is not None:
                pending.append(selection_set)
    return tuple(sorted(names))


def collect(
    type_name: str,
    selection_sets: Iterable[SelectionSetNode],
    fragments: Fragments,
    conditions: Mapping[str, Any],
) -> Grouped:
    """The grouped fields of these selection sets (of one object type `type_name`)."""
    grouped: Grouped = {}
    visited: set[str] = set()
    for selection_set in selection_sets:
        _collect(type_name, selection_set, fragments, conditions, grouped, visited)
    return grouped


def sub_selections(nodes: list[FieldNode]) -> list[SelectionSetNode]:
    return [node.selection_set for node in nodes if node.selection_set is not None]


def _collect(  # noqa: PLR0917 - the recursion's state
    type_name: str,
    selection_set: SelectionSetNode,
    fragments: Fragments,
    conditions: Mapping[str, Any],
    grouped: Grouped,
    visited: set[str],
) -> None:
    for selection in selection_set.selections:
        if not _included(selection.directives, conditions):
            continue
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            grouped.setdefault(key, []).append(selection)
        elif isinstance(selection, InlineFragmentNode):
            _check_type_condition(selection.type_condition, type_name)
            _collect(type_name, selection.selection_set, fragments, conditions, grouped, visited)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in visited:
                continue
            visited.add(name)
            if getattr(selection, "arguments", None):
                raise Fallback(Reason.ARGUMENT)  # fragment arguments (experimental)
            fragment = fragments[name]
            _check_type_condition(fragment.type_condition, type_name)
            _collect(type_name, fragment.selection_set, fragments, conditions, grouped, visited)
        else:  # pragma: no cover - graphql-core has no other selection
            raise Fallback(Reason.DIRECTIVE)


def _check_type_condition(condition: NamedTypeNode | None, type_name: str) -> None:
    # Compiled types are object types: a validated fragment on another type names an
    # interface or union containing this one.
    if condition is not None and condition.name.value != type_name:
        raise Fallback(Reason.ABSTRACT)


def _included(directives: tuple[DirectiveNode, ...] | None, conditions: Mapping[str, Any]) -> bool:
    if not directives:
        return True
    included = True
    for directive in directives:
        name = directive.name.value
        if name not in {"skip", "include"}:
            raise Fallback(Reason.DIRECTIVE)
        value = _if_value(directive, conditions)
        if (name == "skip" and value) or (name == "include" and not value):
            included = False
    return included


def _if_value(directive: DirectiveNode, conditions: Mapping[str, Any]) -> bool:
    for argument in directive.arguments or ():
        if argument.name.value != "if":
            continue
        node = argument.value
        if isinstance(node, BooleanValueNode):
            return node.value
        if isinstance(node, VariableNode):
            value = conditions.get(node.name.value)
            if type(value) is bool:
                return value
    raise Fallback(Reason.DIRECTIVE)  # not what a validated document has: let graphql-core say
