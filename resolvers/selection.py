"""Which fields of interest an operation selects below the current field.

Resolvers use it to skip work nobody asked for: columns not selected, owners not selected,
cursors (an HMAC each) not selected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

from resolvers.context import Info
from taskql.graphql_internals import raw_info

# The names whose values are signed cursors (an HMAC each).
CURSOR_NAMES = frozenset({"cursor", "startCursor", "endCursor"})


def selected_names(info: Info) -> frozenset[str]:
    """The names of the fields selected anywhere below this field (nested ones included).

    Memoised per request by response path without list indices: User.tasks resolves once
    per user with the same selection.
    """
    memo = info.context.loaders.selections
    key = tuple(part for part in info.path.as_list() if isinstance(part, str))
    names = memo.get(key)
    if names is None:
        raw = raw_info(info)  # graphql-core's info: the AST and its fragments
        names = memo[key] = names_below(
            [node.selection_set for node in raw.field_nodes if node.selection_set],
            raw.fragments,
        )
    return names


def names_below(
    selection_sets: Iterable[SelectionSetNode], fragments: Mapping[str, FragmentDefinitionNode]
) -> frozenset[str]:
    """Field names anywhere in these selection sets, through fragments, from the AST directly
    (cheaper than strawberry's `info.selected_fields`, which builds objects for all of it)."""
    names: set[str] = set()
    pending = list(selection_sets)
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
                if selection.selection_set is not None:
                    pending.append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                pending.append(fragments[selection.name.value].selection_set)
    return frozenset(names)
