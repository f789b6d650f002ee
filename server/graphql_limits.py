"""Validation rules that refuse documents too costly to run, in time linear in the document.

strawberry's depth and alias limiters expand every fragment spread where it occurs, so
`fragment Fi { ...F(i+1) ...F(i+1) }` costs 2^n. Here each definition is walked once and
each fragment is measured once (memoised), then operations add the fragments' measures up.
A fragment chain is resolved with an explicit stack, so no limit depends on Python's
recursion depth; a cycle counts as nothing (graphql-core's NoFragmentCyclesRule reports it).

What is limited, per operation: field depth, aliases (whole document), fragment spreads once
expanded, how deep spreads nest, and how many fields merge at one response path (what
graphql-core's overlapping-fields rule compares pairwise). Every error carries
QUERY_TOO_COMPLEX itself. The rule that refuses introspection is here too.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    ValidationContext,
    ValidationRule,
)
from graphql.validation import NoSchemaIntrospectionCustomRule

from taskql.errors import ErrorCode
from taskql.settings import GraphQLSettings

INTROSPECTION_DISABLED = "Introspection is disabled on this server."


class QueryTooComplex(GraphQLError):
    """A document over one of the size limits (ours, or the parser's): QUERY_TOO_COMPLEX.

    The type carries the code, so no one tells these errors apart by their message.
    """

    def __init__(
        self,
        message: str,
        nodes: Node | list[Node] | None = None,
        *,
        source: Source | None = None,
        positions: Collection[int] | None = None,
    ) -> None:
        super().__init__(
            message,
            nodes,
            source,
            positions,
            extensions={"code": ErrorCode.QUERY_TOO_COMPLEX.value},
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
    """Stops counting at the first path over the cap; caught in this module."""

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


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_fragment_spreads: int
    max_fragment_depth: int
    max_repeated_fields: int

    @classmethod
    def from_settings(cls, settings: GraphQLSettings) -> Limits:
        return cls(
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_fragment_spreads=settings.max_fragment_spreads,
            max_fragment_depth=settings.max_fragment_depth,
            max_repeated_fields=settings.max_repeated_fields,
        )


class WorkCounter:
    """What the limit rule walked, in total (selections, fragment bodies): tests prove with it
    that the work grows with the document, not with what its fragments expand to."""

    def __init__(self) -> None:
        self.selections = 0
        self.fragments = 0
        self.merged = 0


def document_limits_rule(limits: Limits, counter: WorkCounter) -> type[ValidationRule]:
    """One rule class per app (fixed limits), so cached verdicts stay right."""

    class DocumentLimits(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> Any:
            meter = DocumentMeter(node, limits.max_repeated_fields)
            for error in check(meter, limits):
                self.report_error(error)
            counter.selections += meter.work
            counter.fragments += len(meter.summaries)
            counter.merged += meter.merged
            return self.SKIP  # everything was measured above; no need to visit the nodes

    return DocumentLimits


def check(meter: DocumentMeter, limits: Limits) -> list[GraphQLError]:
    errors: list[GraphQLError] = []
    total_aliases = 0
    for operation in meter.operations:
        measure = meter.measure_operation(operation)
        total_aliases += measure.aliases
        name = operation.name.value if operation.name else "anonymous"
        errors += _check_measure(f"'{name}'", measure, limits, operation)
        if measure.depth > limits.max_depth:
            errors.append(
                QueryTooComplex(
                    f"'{name}' exceeds maximum operation depth of {limits.max_depth}", operation
                )
            )
    # graphql-core validates fragments no operation spreads too: same caps on spreads.
    for name, fragment in meter.fragments.items():
        if name not in meter.measures:
            measure = meter.measure_fragment(name)
            errors += _check_measure(f"Fragment '{name}'", measure, limits, fragment)
    if total_aliases > limits.max_aliases:
        errors.append(
            QueryTooComplex(f"{total_aliases} aliases found. Allowed: {limits.max_aliases}")
        )
    if not errors:
        errors += _check_merged_fields(meter, limits)
    return errors


def _check_measure(what: str, measure: Measure, limits: Limits, node: Node) -> list[GraphQLError]:
    errors: list[GraphQLError] = []
    if measure.spread_depth > limits.max_fragment_depth:
        errors.append(
            QueryTooComplex(
                f"{what} nests fragment spreads {measure.spread_depth} deep. "
                f"Allowed: {limits.max_fragment_depth}",
                node,
            )
        )
    if measure.spreads > limits.max_fragment_spreads:
        errors.append(
            QueryTooComplex(
                f"{what} expands to {measure.spreads} fragment spreads. "
                f"Allowed: {limits.max_fragment_spreads}",
                node,
            )
        )
    return errors


def _check_merged_fields(meter: DocumentMeter, limits: Limits) -> list[GraphQLError]:
    try:
        for name in meter.fragments:
            meter.fragment_tree(name)
        for definition in meter.definitions:
            # Operations, and fragments defined twice under one name (graphql-core sees both).
            if meter.fragments.get(getattr(definition.name, "value", "")) is not definition:
                meter.tree(definition.selection_set)
    except TooManyMerged as too_many:
        return [
            QueryTooComplex(
                f"'{too_many.response_name}' is selected more than "
                f"{limits.max_repeated_fields} times at one place of the response "
                "(repeated parents and fragments included)."
            )
        ]
    return []


class NoIntrospection(NoSchemaIntrospectionCustomRule):
    """graphql-core's rule (`__schema`, `__type`; `__typename` stays), with our code and words."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.reported = False

    def report_error(self, error: GraphQLError) -> None:
        # One error per document is enough; every field below __schema would report again.
        if not self.reported:
            self.reported = True
            super().report_error(
                GraphQLError(
                    INTROSPECTION_DISABLED,
                    error.nodes,
                    extensions={"code": ErrorCode.FORBIDDEN.value},
                )
            )
