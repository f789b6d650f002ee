"""The static cost of an operation: what it may make the server do, known before it runs.

The model (README, "Query cost"):
- every field costs its weight: 1, or what its @cost(weight:) annotation says; `__typename`
  costs nothing, `__schema` and `__type` cost 1 whatever they select (off in production);
- a field annotated @cost(multiplier: "first") (a connection) counts the list fields selected
  directly below it (its `edges`) once per row it may return: the argument's value, from the
  document or the variables (graphql.page_size_default when not given, at most
  graphql.page_size_max); connections inside connections multiply;
- a list field annotated @cost(multiplier: "ids") (Query.nodes) counts its whole selection
  once per value of that list argument;
- a field annotated @cost(perItem: "ids") (a bulk mutation) counts its weight and its whole
  selection once per item of that list argument (a literal list, or the variable's list), at
  most graphql.bulk_max_ids (more is the resolver's VALIDATION_ERROR); a lone value counts 1,
  an unknown one graphql.bulk_max_ids;
- @skip/@include take effect (literal or variable conditions); a fragment spread twice in one
  selection set counts once, as graphql-core runs it once; fields repeated under one response
  name count each time (an upper bound).

The cost depends on the variables, so it is computed per request from the cached document,
in time linear in the document: each fragment is costed once per request (memoised), and an
operation whose cost reads no variable is costed once per parsed document.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_operation_ast,
    value_from_ast_untyped,
)

from server.graphql_cost_table import CostTable

# Reported costs stop here: JSON clients read numbers as doubles, and nested multipliers
# can make the exact figure as long as one likes.
MAX_REPORTED_COST = 2**53 - 1


@dataclass(slots=True)
class Part:
    """The cost of a selection set, split for the field that selects it."""

    plain: int = 0  # fields counted once
    listed: int = 0  # list fields: counted once per row when the parent has a multiplier

    def add(self, other: Part) -> None:
        self.plain += other.plain
        self.listed += other.listed


@dataclass(slots=True)
class StaticCosts:
    """Costs of a document's operations that read no variable, kept while the document lives."""

    document: weakref.ref[DocumentNode]
    by_operation: dict[str | None, int] = field(default_factory=dict)


class CostCalculator:
    """One per app. `visits` counts the selections walked, for the tests that prove the
    work linear in the document and the memo effective."""

    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        page_size_default: int,
        page_size_max: int,
        bulk_max_ids: int = 100,
    ) -> None:
        self.schema = schema
        self.table = CostTable(schema)
        self.page_size_default = page_size_default
        self.page_size_max = page_size_max
        self.bulk_max_ids = bulk_max_ids
        self.visits = 0
        # Keyed by id(): a document's own hash walks its whole tree. A weak reference drops
        # the entry with the document, so this holds no more than the document cache does.
        self._static: dict[int, StaticCosts] = {}

    def cost(
        self, document: DocumentNode, operation_name: str | None, variables: object
    ) -> int | None:
        """The operation's cost, or None when the document does not say which operation runs
        (execution reports that)."""
        remembered = self._static.get(id(document))
        if remembered is not None and remembered.document() is document:
            known = remembered.by_operation.get(operation_name)
            if known is not None:
                return known
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return None
        meter = OperationMeter(
            self,
            document,
            operation,
            variables if isinstance(variables, Mapping) else {},
        )
        total = min(meter.total(), MAX_REPORTED_COST)
        self.visits += meter.visits
        if not meter.read_variables:
            self._remember(document, operation_name, total)
        return total

    def _remember(self, document: DocumentNode, operation_name: str | None, total: int) -> None:
        key = id(document)
        entry = self._static.get(key)
        if entry is None or entry.document() is not document:
            entry = StaticCosts(weakref.ref(document, self._forgetter(key)))
            self._static[key] = entry
        entry.by_operation[operation_name] = total

    def _forgetter(self, key: int) -> Callable[[weakref.ref[DocumentNode]], None]:
        def forget(reference: weakref.ref[DocumentNode]) -> None:
            entry = self._static.get(key)
            # The id may already belong to a newer document with an entry of its own.
            if entry is not None and entry.document is reference:
                del self._static[key]

        return forget

    def __len__(self) -> int:
        return len(self._static)


class OperationMeter:
    """Costs one operation for one set of variables; each fragment is costed once."""

    def __init__(
        self,
        calculator: CostCalculator,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = calculator.schema
        self.table = calculator.table
        self.page_size_default = calculator.page_size_default
        self.page_size_max = calculator.page_size_max
        self.bulk_max_ids = calculator.bulk_max_ids
        self.operation = operation
        self.variables = variables
        self.defaults = {
            definition.variable.name.value: value_from_ast_untyped(definition.default_value)
            for definition in operation.variable_definitions or ()
            if definition.default_value is not None
        }
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.fragment_parts: dict[str, Part] = {}
        self.read_variables = False
        self.visits = 0

    def total(self) -> int:
        root = self.schema.get_root_type(self.operation.operation)
        if root is None:
            return 0
        part = self.selection_set(self.operation.selection_set, root)
        return part.plain + part.listed

    def selection_set(self, selection_set: SelectionSetNode, parent: GraphQLNamedType) -> Part:
        part = Part()
        # Inline fragments are flattened into this loop rather than recursed into: their
        # nesting is bounded only by the parser, field depth by graphql.max_depth.
        pending: list[tuple[SelectionSetNode, GraphQLNamedType]] = [(selection_set, parent)]
        spread: set[str] = set()
        while pending:
            current, parent_type = pending.pop()
            for selection in current.selections:
                self.visits += 1
                if not self.included(selection):
                    continue
                if isinstance(selection, FieldNode):
                    cost, is_list = self.field(selection, parent_type)
                    if is_list:
                        part.listed += cost
                    else:
                        part.plain += cost
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    inner_type = self.schema.get_type(condition.name.value) if condition else None
                    pending.append((selection.selection_set, inner_type or parent_type))
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name not in spread:  # graphql-core collects a fragment once per level
                        spread.add(name)
                        part.add(self.fragment(name))
        return part

    def field(self, node: FieldNode, parent: GraphQLNamedType) -> tuple[int, bool]:
        """The field's cost, and whether it returns a list."""
        name = node.name.value
        if name.startswith("__"):
            # __typename is free; __schema and __type are answered from memory, off in
            # production, and not walked (as the depth rule does not walk them either).
            return (0 if name == "__typename" else 1), False
        field = self.table.field(parent.name, name)
        if field is None:  # a field validation would have refused
            return 0, False
        cost = field.weight
        if node.selection_set is not None:
            inner = self.selection_set(node.selection_set, field.output)
            rows = self.multiplier(node, field.multiplier) if field.multiplier else 1
            if field.is_list and field.multiplier:
                # A list field multiplied by a list argument (nodes(ids:)): one item per
                # value, each costing its whole selection.
                cost += rows * (inner.plain + inner.listed)
            else:
                cost += inner.plain + rows * inner.listed
        if field.per_item:
            cost *= self.items(node, field.per_item)
        return cost, field.is_list

    def fragment(self, name: str) -> Part:
        known = self.fragment_parts.get(name)
        if known is not None:
            return known
        definition = self.fragments.get(name)
        type_condition = (
            self.schema.get_type(definition.type_condition.name.value) if definition else None
        )
        # Placeholder first: a cycle (validation refuses those) would then count as nothing.
        self.fragment_parts[name] = Part()
        if definition is None or type_condition is None:
            return self.fragment_parts[name]
        part = self.selection_set(definition.selection_set, type_condition)
        self.fragment_parts[name] = part
        return part

    def multiplier(self, node: FieldNode, argument_name: str) -> int:
        # A connection pages with `first` or with `last` (never both: the resolver refuses
        # that): whichever is given sizes the page.
        names = (argument_name, "last") if argument_name == "first" else (argument_name,)
        value = next(
            (self.value(a.value) for a in node.arguments or () if a.name.value in names),
            None,
        )
        if isinstance(value, list):
            # A list of ids (nodes(ids:)): as many rows as values; over the field's own cap
            # the resolver refuses it, so the count needs no cap here.
            return len(value)
        # Not an integer: execution refuses the value itself, before any resolver.
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if value is None or isinstance(value, bool) or not isinstance(value, int):
            return self.page_size_default
        # A connection never returns more than graphql.page_size_max rows: a larger `first`
        # is the resolver's VALIDATION_ERROR, which names the argument.
        return min(max(value, 0), self.page_size_max)

    def items(self, node: FieldNode, argument_name: str) -> int:
        """How many items a list argument holds, for a bulk mutation's cost: at most
        graphql.bulk_max_ids, which an absent or null list counts (execution refuses those)."""
        argument = next((a for a in node.arguments or () if a.name.value == argument_name), None)
        if argument is None:
            return self.bulk_max_ids
        if isinstance(argument.value, ListValueNode):
            return min(len(argument.value.values), self.bulk_max_ids)
        if isinstance(argument.value, VariableNode):
            value = self.value(argument.value)
            if value is None:
                return self.bulk_max_ids
            if isinstance(value, list):
                return min(len(value), self.bulk_max_ids)
        return 1  # input coercion makes a lone value a list of one

    def included(self, selection: SelectionNode) -> bool:
        for directive in selection.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            condition = next(
                (self.value(a.value) for a in directive.arguments or () if a.name.value == "if"),
                None,
            )
            # An unknown condition (a variable not sent) counts the selection: an upper bound.
            if (name == "skip" and condition is True) or (name == "include" and condition is False):
                return False
        return True

    def value(self, node: ValueNode) -> Any:
        if isinstance(node, VariableNode):
            self.read_variables = True
            name = node.name.value
            if name in self.variables:
                return self.variables[name]
            return self.defaults.get(name)
        if isinstance(node, IntValueNode):
            return int(node.value)
        if isinstance(node, BooleanValueNode):
            return node.value
        if isinstance(node, ListValueNode):
            return list(node.values)  # only its length is read (a list-valued multiplier)
        return None
