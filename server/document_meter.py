"""Measures a GraphQL document in time linear in its size: each definition walked once, each
fragment measured once (memoised), a fragment chain followed with an explicit stack.

What server.graphql_limits compares with the limits: per definition its field depth, aliases,
fragment spreads once expanded and how deep spreads nest, and how many fields merge at one
response path. A cycle of fragments counts as nothing (graphql-core's NoFragmentCyclesRule
reports it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)


@dataclass(slots=True)
class Summary:
    """What one definition holds by itself; spreads are kept as references."""

    depth: int = 0  # field levels below the root, strawberry's way: a leaf field is 0
    aliases: int = 0
    # (fragment name, field levels above the spread inside this definition)
    spreads: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Measure:
    """A definition with its fragments expanded (a fragment spread twice counts twice)."""

    depth: int
    aliases: int
    spreads: int
    spread_depth: int  # the longest chain of spreads inside spreads


NOTHING = Measure(depth=0, aliases=0, spreads=0, spread_depth=0)

# Response name -> [fields merged at this path, the tree below it].
Tree = dict[str, list[Any]]


class TooManyMerged(Exception):
    """Stops counting at the first path over the cap; caught by server.graphql_limits."""

    def __init__(self, response_name: str) -> None:
        super().__init__(response_name)
        self.response_name = response_name


class DocumentMeter:
    """Measures the definitions of one document, each once; `work` and `merged` count what
    it walked, for the tests that prove it linear."""

    def __init__(self, document: DocumentNode, max_repeated_fields: int) -> None:
        self.max_repeated_fields = max_repeated_fields
        self.operations = [
            d for d in document.definitions if isinstance(d, OperationDefinitionNode)
        ]
        self.definitions = [
            d
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)
        ]
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.summaries: dict[str, Summary] = {}
        self.measures: dict[str, Measure] = {}
        self.trees: dict[str, Tree] = {}
        self.work = 0  # selections walked
        self.merged = 0  # merged-field nodes counted

    def summarise(self, selection_set: SelectionSetNode) -> Summary:
        summary = Summary()
        self._walk(selection_set, 0, summary)
        return summary

    def _walk(self, selection_set: SelectionSetNode, level: int, summary: Summary) -> None:
        # Recursion follows the nesting of the text only, which the parser already bounded.
        for selection in selection_set.selections:
            self.work += 1
            if isinstance(selection, FieldNode):
                self._walk_field(selection, level, summary)
            elif isinstance(selection, InlineFragmentNode):
                self._walk(selection.selection_set, level, summary)
            elif isinstance(selection, FragmentSpreadNode):
                summary.spreads.append((selection.name.value, level))

    def _walk_field(self, node: FieldNode, level: int, summary: Summary) -> None:
        if node.alias:
            summary.aliases += 1
        # Introspection fields are not counted, as strawberry's limiter did: GraphiQL's
        # introspection query is deeper than any operation (and off in production).
        if node.selection_set is None or node.name.value.startswith("__"):
            return
        summary.depth = max(summary.depth, level + 1)
        self._walk(node.selection_set, level + 1, summary)

    def fragment_summary(self, name: str) -> Summary:
        summary = self.summaries.get(name)
        if summary is None:
            summary = self.summarise(self.fragments[name].selection_set)
            self.summaries[name] = summary
        return summary

    def measure_fragment(self, name: str) -> Measure:
        """Measure a fragment and everything it spreads, each fragment exactly once."""
        stack = [name]
        expanding: set[str] = set()
        while stack:
            current = stack[-1]
            if current in self.measures:
                stack.pop()
                continue
            summary = self.fragment_summary(current)
            if current not in expanding:
                expanding.add(current)
                stack.extend(
                    spread
                    for spread, _ in summary.spreads
                    if spread in self.fragments
                    and spread not in self.measures
                    and spread not in expanding
                )
                continue
            # Every fragment spread here is measured now, except those still being expanded
            # further down the stack: they spread this one back (a cycle), and count as nothing.
            self.measures[current] = self.combine(summary)
            stack.pop()
        return self.measures[name]

    def combine(self, summary: Summary) -> Measure:
        depth, aliases, spreads, spread_depth = summary.depth, summary.aliases, 0, 0
        for name, level in summary.spreads:
            inner = self.measures.get(name, NOTHING)
            depth = max(depth, level + inner.depth)
            aliases += inner.aliases
            spreads += 1 + inner.spreads
            spread_depth = max(spread_depth, 1 + inner.spread_depth)
        return Measure(depth=depth, aliases=aliases, spreads=spreads, spread_depth=spread_depth)

    # --- fields merged at one response path -------------------------------------------
    # graphql-core's OverlappingFieldsCanBeMergedRule compares the fields that answer at one
    # response path pairwise, then their sub-selections pairwise, level after level: seven
    # `users` each with seven `edges` each with seven `node` (4 KB) took it seconds. So the
    # count that matters is how many fields merge at one path, fragments expanded. It is
    # counted on a tree of response names (one node per path, fragments' trees memoised),
    # only for documents within the other limits, and stops at the first path over the cap.

    def fragment_tree(self, name: str) -> Tree:
        stack = [name]
        expanding: set[str] = set()
        while stack:
            current = stack[-1]
            if current in self.trees:
                stack.pop()
                continue
            if current not in expanding:
                expanding.add(current)
                stack.extend(
                    spread
                    for spread, _ in self.fragment_summary(current).spreads
                    if spread in self.fragments
                    and spread not in self.trees
                    and spread not in expanding
                )
                continue
            self.trees[current] = self.tree(self.fragments[current].selection_set)
            stack.pop()
        return self.trees[name]

    def tree(self, selection_set: SelectionSetNode) -> Tree:
        """Raises TooManyMerged at the first path more than the cap of fields merge into."""
        tree: Tree = {}
        self._into(tree, selection_set)
        return tree

    def _into(self, tree: Tree, selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                node = self._count((selection.alias or selection.name).value, 1, tree)
                if selection.selection_set is not None:
                    self._into(node[1], selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                self._into(tree, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                # A fragment being expanded (a cycle) or unknown adds nothing.
                self._merge(tree, self.trees.get(selection.name.value, {}))

    def _merge(self, into: Tree, tree: Tree) -> None:
        stack = [(into, tree)]
        while stack:
            target, source = stack.pop()
            for name, (count, children) in source.items():
                node = self._count(name, count, target)
                if children:
                    stack.append((node[1], children))

    def _count(self, name: str, count: int, tree: Tree) -> list[Any]:
        self.merged += 1
        node = tree.get(name)
        if node is None:
            node = tree[name] = [0, {}]
        node[0] += count
        if node[0] > self.max_repeated_fields:
            raise TooManyMerged(name)
        return node

    def measure_operation(self, operation: OperationDefinitionNode) -> Measure:
        summary = self.summarise(operation.selection_set)
        for name, _ in summary.spreads:
            if name in self.fragments:
                self.measure_fragment(name)
        return self.combine(summary)
