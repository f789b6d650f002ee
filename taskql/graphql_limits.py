"""Validation rules that refuse documents too costly to run, in time linear in the document.

strawberry's depth and alias limiters expand every fragment spread where it occurs, so
`fragment Fi { ...F(i+1) ...F(i+1) }` costs 2^n. Here each definition is walked once and
each fragment is measured once (memoised), then operations add the fragments' measures up.
A fragment chain is resolved with an explicit stack, so no limit depends on Python's
recursion depth; a cycle counts as nothing (graphql-core's NoFragmentCyclesRule reports it).
"""

from __future__ import annotations

from collections import Counter
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
    ValidationContext,
    ValidationRule,
)
from graphql.validation import NoSchemaIntrospectionCustomRule

from taskql.errors import ErrorCode
from taskql.settings import GraphQLSettings

INTROSPECTION_DISABLED = "Introspection is disabled on this server."


def too_complex(message: str, nodes: Node | list[Node] | None = None) -> GraphQLError:
    return GraphQLError(message, nodes, extensions={"code": ErrorCode.QUERY_TOO_COMPLEX.value})


@dataclass(slots=True)
class Summary:
    """What one definition holds by itself; spreads are kept as references."""

    depth: int = 0  # field levels below the root, strawberry's way: a leaf field is 0
    aliases: int = 0
    # (fragment name, field levels above the spread inside this definition)
    spreads: list[tuple[str, int]] = field(default_factory=list)
    repeated_field: tuple[str, FieldNode] | None = None  # the first over the limit


@dataclass(frozen=True, slots=True)
class Measure:
    """A definition with its fragments expanded (a fragment spread twice counts twice)."""

    depth: int
    aliases: int
    spreads: int
    spread_depth: int  # the longest chain of spreads inside spreads


NOTHING = Measure(depth=0, aliases=0, spreads=0, spread_depth=0)


class DocumentMeter:
    """Measures the operations of one document; `work` counts the selections walked."""

    def __init__(self, document: DocumentNode, max_repeated_fields: int) -> None:
        self.max_repeated_fields = max_repeated_fields
        self.operations = [
            d for d in document.definitions if isinstance(d, OperationDefinitionNode)
        ]
        self.fragment_definitions = [
            d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        ]
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.summaries: dict[str, Summary] = {}
        self.measures: dict[str, Measure] = {}
        self.repeated_fields: list[tuple[str, FieldNode]] = []
        self.work = 0

    def summarise(self, selection_set: SelectionSetNode) -> Summary:
        summary = Summary()
        self._walk(selection_set, 0, summary, Counter())
        if summary.repeated_field is not None:
            self.repeated_fields.append(summary.repeated_field)
        return summary

    def _walk(
        self, selection_set: SelectionSetNode, level: int, summary: Summary, names: Counter[str]
    ) -> None:
        # Recursion follows the nesting of the text only, which the parser already bounded.
        for selection in selection_set.selections:
            self.work += 1
            if isinstance(selection, FieldNode):
                self._walk_field(selection, level, summary, names)
            elif isinstance(selection, InlineFragmentNode):
                # Its fields merge into the enclosing selection set: same level, same names.
                self._walk(selection.selection_set, level, summary, names)
            elif isinstance(selection, FragmentSpreadNode):
                summary.spreads.append((selection.name.value, level))

    def _walk_field(
        self, node: FieldNode, level: int, summary: Summary, names: Counter[str]
    ) -> None:
        if node.alias:
            summary.aliases += 1
        response_name = (node.alias or node.name).value
        names[response_name] += 1
        if names[response_name] > self.max_repeated_fields and summary.repeated_field is None:
            summary.repeated_field = (response_name, node)
        # Introspection fields are not counted, as strawberry's limiter did: GraphiQL's
        # introspection query is deeper than any operation (and off in production).
        if node.selection_set is None or node.name.value.startswith("__"):
            return
        summary.depth = max(summary.depth, level + 1)
        self._walk(node.selection_set, level + 1, summary, Counter())

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

    def walk_unreached_fragments(self) -> None:
        """graphql-core validates fragments no operation spreads (and duplicates of a name)
        too, so their repeated fields are looked at as well."""
        for definition in self.fragment_definitions:
            name = definition.name.value
            if name not in self.summaries or self.fragments[name] is not definition:
                self.summarise(definition.selection_set)

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


def document_limits_rule(limits: Limits, counter: WorkCounter) -> type[ValidationRule]:
    """One rule class per app (fixed limits), so cached verdicts stay right."""

    class DocumentLimits(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> Any:
            meter = DocumentMeter(node, limits.max_repeated_fields)
            for error in check(meter, limits):
                self.report_error(error)
            counter.selections += meter.work
            counter.fragments += len(meter.summaries)
            return self.SKIP  # everything was measured above; no need to visit the nodes

    return DocumentLimits


def check(meter: DocumentMeter, limits: Limits) -> list[GraphQLError]:
    errors: list[GraphQLError] = []
    total_aliases = 0
    for operation in meter.operations:
        measure = meter.measure_operation(operation)
        name = operation.name.value if operation.name else "anonymous"
        total_aliases += measure.aliases
        if measure.spread_depth > limits.max_fragment_depth:
            errors.append(
                too_complex(
                    f"'{name}' nests fragment spreads {measure.spread_depth} deep. "
                    f"Allowed: {limits.max_fragment_depth}",
                    operation,
                )
            )
        if measure.spreads > limits.max_fragment_spreads:
            errors.append(
                too_complex(
                    f"'{name}' expands to {measure.spreads} fragment spreads. "
                    f"Allowed: {limits.max_fragment_spreads}",
                    operation,
                )
            )
        if measure.depth > limits.max_depth:
            errors.append(
                too_complex(
                    f"'{name}' exceeds maximum operation depth of {limits.max_depth}", operation
                )
            )
    meter.walk_unreached_fragments()
    if total_aliases > limits.max_aliases:
        errors.append(too_complex(f"{total_aliases} aliases found. Allowed: {limits.max_aliases}"))
    for response_name, node in meter.repeated_fields[:1]:
        errors.append(
            too_complex(
                f"'{response_name}' is selected more than {limits.max_repeated_fields} times "
                "in one selection set.",
                node,
            )
        )
    return errors


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
