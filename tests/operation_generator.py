"""Random query operations over whatever schema the app serves (hypothesis strategies).

Everything is read from the schema through graphql-core's public API (types, fields,
arguments, input fields, enum values, possible types), so fields and arguments added later
are generated without a change here. Only argument *values* lean on conventions: `first` and
`last` get page sizes around the limits, `after` and `before` get cursors the app handed out
earlier (and a bad one), IDs come from real rows, DateTime from instants around the data.

An operation has random selections with aliases, repeated fields that merge, named and
inline fragments, arguments inline or as variables (some declared and left unset),
@skip/@include with literals and variables, __typename, and nested connections with their own
arguments. Response keys are tracked per selection set so that fields that share a key always
merge (same field, same arguments): most generated operations are valid, and the few that
exceed a limit (depth, cost, aliases) are compared all the same.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_abstract_type,
    is_enum_type,
    is_input_object_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    is_required_argument,
    is_required_input_field,
)
from hypothesis import strategies as st

from tests.differential_data import Dataset

PAGE_SIZES = (0, 1, 2, 3, 5, 10, 50, 100, 101, -1)
BAD_CURSORS = ("not-a-cursor", "", "AAAA", "eyJ4IjogMX0=")
BAD_IDS = ("nope", "00000000-0000-7000-8000-000000000000")
MAX_DEPTH = 6  # object levels; the server's own depth limit is tried now and then anyway
MAX_FIELDS = 4  # selections drawn per selection set
MAX_SELECTIONS = 40  # in the whole operation: within the server's alias and token limits
MAX_FRAGMENT_NESTING = 2
# Examples per CI run (fixed seed): ~15 s per database on a quiet box.
CI_EXAMPLES = 200


@dataclass(frozen=True)
class GeneratedOperation:
    text: str
    variables: dict[str, Any]
    operation_name: str | None


@dataclass
class _Key:
    """A response key taken in one selection set: what it selects, and the keys below it."""

    field_name: str
    arguments: str
    children: dict[str, _Key] = field(default_factory=dict)


class _Builder:
    def __init__(self, schema: GraphQLSchema, dataset: Dataset, draw: Any) -> None:
        self.schema = schema
        self.dataset = dataset
        self.draw = draw
        self.variables: dict[str, Any] = {}
        self.declarations: list[str] = []
        self.fragments: list[str] = []
        self.numbers = itertools.count()
        self.budget = draw(st.integers(2, MAX_SELECTIONS))
        self.fragment_nesting = 0

    # --- selections --------------------------------------------------------------------

    def selection_set(self, parent: GraphQLNamedType, depth: int, keys: dict[str, _Key]) -> str:
        count = self.draw(st.integers(1, MAX_FIELDS if depth < 3 else 2))
        count = max(1, min(count, self.budget))
        self.budget -= count
        parts = [self.selection(parent, depth, keys) for _ in range(count)]
        return "{ " + " ".join(part for part in parts if part) + " }"

    def selection(self, parent: GraphQLNamedType, depth: int, keys: dict[str, _Key]) -> str:
        kind = self.draw(
            st.sampled_from(("field", "field", "field", "field", "typename", "inline", "named"))
        )
        if kind == "typename" or depth >= MAX_DEPTH + 2:
            return f"{self.alias_prefix(keys, '__typename')}__typename{self.directives()}"
        if kind in {"inline", "named"} and self.fragment_nesting < MAX_FRAGMENT_NESTING:
            self.fragment_nesting += 1
            try:
                if kind == "inline":
                    return self.inline_fragment(parent, depth, keys)
                return self.named_fragment(parent, depth, keys)
            finally:
                self.fragment_nesting -= 1
        fields = self.fields_of(parent)
        if not fields:
            return "__typename"
        if depth >= MAX_DEPTH or self.budget <= 0:
            leaves = {name: f for name, f in fields.items() if is_leaf_type(get_named_type(f.type))}
            fields = leaves or fields
        name = self.draw(st.sampled_from(sorted(fields)))
        return self.field(name, fields[name], depth, keys)

    def field(self, name: str, definition: GraphQLField, depth: int, keys: dict[str, _Key]) -> str:
        reusable = [k for k, taken in keys.items() if taken.field_name == name]
        if reusable and self.draw(st.booleans()):
            # The same response key again: it must select the same field with the same
            # arguments, and its sub-selections merge.
            key = self.draw(st.sampled_from(reusable))
            taken = keys[key]
            arguments = taken.arguments
        else:
            own_name = name not in keys and self.draw(st.integers(0, 3)) > 0
            key = name if own_name else self.fresh_alias()
            arguments = self.arguments(definition)
            taken = keys.setdefault(key, _Key(name, arguments))
        prefix = "" if key == name else f"{key}: "
        text = f"{prefix}{name}{arguments}{self.directives()}"
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return text
        return f"{text} {self.selection_set(named, depth + 1, taken.children)}"

    def inline_fragment(self, parent: GraphQLNamedType, depth: int, keys: dict[str, _Key]) -> str:
        condition, keys = self.condition(parent, keys)
        on = f" on {condition.name}" if condition is not parent or self.draw(st.booleans()) else ""
        return f"...{on}{self.directives()} {self.selection_set(condition, depth, keys)}"

    def named_fragment(self, parent: GraphQLNamedType, depth: int, keys: dict[str, _Key]) -> str:
        condition, keys = self.condition(parent, keys)
        name = f"F{next(self.numbers)}"
        body = self.selection_set(condition, depth, keys)
        self.fragments.append(f"fragment {name} on {condition.name} {body}")
        spread = f"...{name}{self.directives()}"
        # A fragment spread twice in one selection set merges with itself.
        return f"{spread} ...{name}" if self.draw(st.integers(0, 5)) == 0 else spread

    def condition(
        self, parent: GraphQLNamedType, keys: dict[str, _Key]
    ) -> tuple[GraphQLNamedType, dict[str, _Key]]:
        """The type a fragment is on: the parent, or one of its possible object types, whose
        fields get keys of their own (fields of two types under one key need not merge)."""
        if not is_abstract_type(parent):
            return parent, keys
        possible = sorted(self.schema.get_possible_types(parent), key=lambda t: t.name)
        if not possible:
            return parent, keys
        chosen = self.draw(st.sampled_from(possible))
        return chosen, {}

    def fields_of(self, parent: GraphQLNamedType) -> dict[str, GraphQLField]:
        fields = getattr(parent, "fields", {})
        return {name: f for name, f in fields.items() if not name.startswith("__")}

    def alias_prefix(self, keys: dict[str, _Key], name: str) -> str:
        if self.draw(st.integers(0, 3)) > 0:
            return ""
        alias = self.fresh_alias()
        keys[alias] = _Key(name, "")
        return f"{alias}: "

    def fresh_alias(self) -> str:
        return f"a{next(self.numbers)}"

    # --- directives and arguments -----------------------------------------------------

    def directives(self) -> str:
        choice = self.draw(st.integers(0, 9))
        if choice > 1:
            return ""
        directive = "skip" if choice == 0 else "include"
        if self.draw(st.booleans()):
            return f" @{directive}(if: {self.draw(st.sampled_from(('true', 'false')))})"
        return f" @{directive}(if: {self.variable('Boolean!', self.draw(st.booleans()))})"

    def arguments(self, definition: GraphQLField) -> str:
        parts = []
        for name in sorted(definition.args):
            argument = definition.args[name]
            if not is_required_argument(argument) and self.draw(st.integers(0, 2)) == 0:
                continue
            value = self.value(argument.type, name)
            if self.draw(st.integers(0, 2)) == 0:
                declared = str(argument.type)
                if not is_non_null_type(argument.type) and self.draw(st.integers(0, 4)) == 0:
                    # Declared but not sent: the argument counts as absent.
                    parts.append(f"{name}: {self.variable(declared, None, send=False)}")
                else:
                    parts.append(f"{name}: {self.variable(declared, value)}")
            else:
                parts.append(f"{name}: {literal(value, argument.type)}")
        return f"({', '.join(parts)})" if parts else ""

    def variable(self, declared: str, value: Any, *, send: bool = True) -> str:
        name = f"v{next(self.numbers)}"
        self.declarations.append(f"${name}: {declared}")
        if send:
            self.variables[name] = value
        return f"${name}"

    def value(self, input_type: GraphQLInputType, hint: str) -> Any:
        if is_non_null_type(input_type):
            return self.value(input_type.of_type, hint)
        if self.draw(st.integers(0, 14)) == 0:
            return None
        if is_list_type(input_type):
            item = input_type.of_type
            size = self.draw(st.integers(0, 3))
            return [self.value(item, hint) for _ in range(size)]
        if is_input_object_type(input_type):
            return self.input_object(input_type)
        if is_enum_type(input_type):
            enum: GraphQLEnumType = input_type
            return self.draw(st.sampled_from(sorted(enum.values)))
        return self.scalar(get_named_type(input_type).name, hint)

    def input_object(self, input_type: GraphQLInputObjectType) -> dict[str, Any]:
        values = {}
        for name in sorted(input_type.fields):
            input_field = input_type.fields[name]
            if is_required_input_field(input_field) or self.draw(st.integers(0, 2)) == 0:
                values[name] = self.value(input_field.type, name)
        return values

    def scalar(self, type_name: str, hint: str) -> Any:  # noqa: PLR0911
        pools = self.dataset
        if type_name == "Int":
            if hint in {"first", "last"}:
                return self.draw(st.sampled_from(PAGE_SIZES))
            return self.draw(st.integers(-1, 5))
        if type_name == "Float":
            return self.draw(st.sampled_from((0.0, 1.5, -2.0)))
        if type_name == "Boolean":
            return self.draw(st.booleans())
        if type_name == "ID":
            return self.draw(st.sampled_from((*pools.ids, *BAD_IDS)))
        if type_name == "DateTime":
            return self.draw(st.sampled_from(pools.instants))
        if hint in {"after", "before"}:
            return self.draw(st.sampled_from((*pools.cursors, *BAD_CURSORS)))
        if type_name == "String":
            return self.draw(st.sampled_from(pools.texts))
        return self.draw(st.sampled_from(pools.texts))  # another custom scalar: a string

    # --- the operation ---------------------------------------------------------------------

    def operation(self) -> GeneratedOperation:
        query_type = self.schema.query_type
        assert query_type is not None
        body = self.selection_set(query_type, 0, {})
        name = self.draw(st.sampled_from((None, "Generated")))
        header = "query" if name is None else f"query {name}"
        if self.declarations:
            header += f"({', '.join(self.declarations)})"
        elif name is None and self.draw(st.booleans()):
            header = ""  # the shorthand form
        text = "\n".join(part for part in (f"{header} {body}".strip(), *self.fragments) if part)
        return GeneratedOperation(text, dict(self.variables), name)


def literal(value: Any, input_type: Any) -> str:  # noqa: PLR0911 - one return per kind
    """`value` (as JSON would carry it) written as a GraphQL literal of `input_type`."""
    if value is None:
        return "null"
    if is_non_null_type(input_type):
        return literal(value, input_type.of_type)
    if is_list_type(input_type):
        return "[" + ", ".join(literal(item, input_type.of_type) for item in value) + "]"
    if is_input_object_type(input_type):
        fields = input_type.fields
        return "{" + ", ".join(f"{k}: {literal(v, fields[k].type)}" for k, v in value.items()) + "}"
    if is_enum_type(input_type):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return orjson.dumps(value).decode()


@st.composite
def operations(draw: Any, schema: GraphQLSchema, dataset: Dataset) -> GeneratedOperation:
    return _Builder(schema, dataset, draw).operation()


def object_types(schema: GraphQLSchema) -> list[GraphQLObjectType]:
    """The object types reachable from the query root, for coverage checks."""
    seen: dict[str, GraphQLObjectType] = {}
    query_type = schema.query_type
    pending: list[Any] = [query_type] if query_type is not None else []
    while pending:
        current = pending.pop()
        if current.name in seen or current.name.startswith("__"):
            continue
        seen[current.name] = current
        for child in current.fields.values():
            named = get_named_type(child.type)
            if is_object_type(named):
                pending.append(named)
            elif is_abstract_type(named):
                pending.extend(schema.get_possible_types(named))
    return list(seen.values())
