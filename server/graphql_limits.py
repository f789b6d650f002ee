"""Validation rules that refuse documents too costly to run, in time linear in the document.

strawberry's depth and alias limiters expand every fragment spread where it occurs, so
`fragment Fi { ...F(i+1) ...F(i+1) }` costs 2^n. Here each definition is walked once and
each fragment is measured once (memoised, by server.document_meter), then operations add the
fragments' measures up. A fragment chain is resolved with an explicit stack, so no limit depends
on Python's recursion depth; a cycle counts as nothing (NoFragmentCyclesRule reports it).

What is limited, per operation: field depth, aliases (whole document), fragment spreads once
expanded, how deep spreads nest, and how many fields merge at one response path (what
graphql-core's overlapping-fields rule compares pairwise). Every error carries
QUERY_TOO_COMPLEX itself. The rule that refuses introspection is here too.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    Node,
    Source,
    ValidationContext,
    ValidationRule,
)
from graphql.validation import NoSchemaIntrospectionCustomRule

from server.document_meter import DocumentMeter, Measure, TooManyMerged
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
