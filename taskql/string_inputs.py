"""Every string a client passes to a field is checked once, before any resolver sees it.

PostgreSQL refuses a NUL byte (and text that is not valid UTF-8, such as a lone surrogate
from a JSON "\\ud800" escape), and an over-long value can overflow a column or an index: left
to the database, each was an INTERNAL_ERROR. Here every string argument, and every string
field of an input object at any depth and in any list, whether written in the document or
supplied by a variable, is held to:
- at most `graphql.max_string_length` characters (a field may declare a lower limit);
- no control characters, no lone surrogates; newline, carriage return and tab only in fields
  declared multi-line (a task's description).
Failures are VALIDATION_ERROR naming the field, like every other input check; the fields' own
rules (trimming, exact lengths, formats) stay with their resolvers.

How: when the app starts, the resolver of every field that takes a string-bearing argument is
wrapped in a check planned from the field's argument types. Fields without such arguments, the
hot plain fields of a list among them, are left exactly as they were; a checked field pays a
walk over the values it received. Declare a field's own rule with `metadata=text_rule(...)` on
its strawberry.field / strawberry.argument.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    default_field_resolver,
    get_named_type,
)

from taskql.errors import ValidationFailed
from taskql.graphql_internals import definition_of

# Key of the rule in a strawberry field's or argument's metadata, and of the arguments check
# in a GraphQL field's extensions (resolvers.lookahead runs it for the fields it reads ahead).
RULE_KEY = "taskql.text_rule"
CHECK_KEY = "taskql.check_arguments"
STRING_SCALARS = frozenset({"String", "ID"})
# C0 and C1 controls and DEL, and the UTF-16 surrogates no UTF-8 text can hold.
SINGLE_LINE_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
MULTI_LINE_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

Check = Callable[[Any], None]
ArgumentsCheck = Callable[[Mapping[str, Any]], None]


def text_rule(*, multiline: bool = False, max_length: int | None = None) -> dict[str, Any]:
    """Metadata for a strawberry field or argument whose text differs from the default rule."""
    return {RULE_KEY: (multiline, max_length)}


def guard_string_inputs(schema: GraphQLSchema, *, max_length: int) -> int:
    """Wrap the resolver of every field that takes text; returns how many fields were wrapped."""
    planner = _Planner(max_length)
    wrapped = 0
    for named_type in schema.type_map.values():
        if not isinstance(named_type, GraphQLObjectType) or named_type.name.startswith("__"):
            continue
        for field in named_type.fields.values():
            if CHECK_KEY in (field.extensions or {}):
                continue  # this schema object was guarded before: check once, not twice
            check = planner.arguments_check(field)
            if check is not None:
                field.extensions = {**(field.extensions or {}), CHECK_KEY: check}
                resolve = field.resolve or default_field_resolver
                field.resolve = _checked_resolver(resolve, check)
                wrapped += 1
    return wrapped


def check_arguments(field: GraphQLField, arguments: Mapping[str, Any]) -> None:
    """Run the field's check on coerced argument values (GraphQL names -> values), for code that
    reads a field's arguments before its resolver runs."""
    check = (field.extensions or {}).get(CHECK_KEY)
    if check is not None:
        check(arguments)


def _checked_resolver(resolve: Any, check: ArgumentsCheck) -> Callable[..., Any]:
    def resolve_checked(source: Any, info: Any, **arguments: Any) -> Any:
        check(arguments)
        return resolve(source, info, **arguments)

    return resolve_checked


class _InvalidText(Exception):
    """Raised by a string check; each enclosing level adds its field name on the way out (the
    path is only built for a value that fails)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str] = []


class _ObjectCheck:
    """The checks of an input object's text-bearing fields; one per input type, so a type that
    contains itself is planned once and checked at every depth."""

    __slots__ = ("fields",)

    def __init__(self) -> None:
        self.fields: list[tuple[str, Check]] = []

    def __call__(self, value: Any) -> None:
        if not isinstance(value, dict):  # graphql-core's coerced input object
            return
        for name, check in self.fields:
            item = value.get(name)
            if item is not None:
                try:
                    check(item)
                except _InvalidText as invalid:
                    invalid.path.insert(0, name)
                    raise


class _Planner:
    def __init__(self, max_length: int) -> None:
        self.max_length = max_length
        self.objects: dict[str, _ObjectCheck] = {}

    def arguments_check(self, field: GraphQLField) -> ArgumentsCheck | None:
        checks = []
        for name, argument in field.args.items():
            check = self.value_check(argument.type, _rule(argument.extensions))
            if check is not None:
                # A top-level `input` object is not named in errors (field="title", not
                # "input.title"), as the resolvers' own checks name its fields.
                named = "" if name == "input" and _is_object(argument.type) else name
                checks.append((name, named, check))
        if not checks:
            return None

        def check_arguments(arguments: Mapping[str, Any]) -> None:
            for name, named, check in checks:
                value = arguments.get(name)
                if value is not None:
                    try:
                        check(value)
                    except _InvalidText as invalid:
                        path = ".".join([named, *invalid.path] if named else invalid.path)
                        raise ValidationFailed(f"{path} {invalid.problem}.", field=path) from None

        return check_arguments

    def value_check(self, type_: GraphQLInputType, rule: tuple[bool, int | None]) -> Check | None:
        while isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            item_check = self.value_check(type_.of_type, rule)
            return None if item_check is None else _list_check(item_check)
        if isinstance(type_, GraphQLInputObjectType):
            return self.object_check(type_)
        if isinstance(type_, GraphQLScalarType) and type_.name in STRING_SCALARS:
            multiline, own_limit = rule
            return _string_check(multiline, min(own_limit or self.max_length, self.max_length))
        return None  # numbers, booleans, enums, datetimes: their own coercion checks them

    def object_check(self, type_: GraphQLInputObjectType) -> Check | None:
        planned = self.objects.get(type_.name)
        if planned is None:
            planned = self.objects[type_.name] = _ObjectCheck()
            for name, field in type_.fields.items():
                check = self.value_check(field.type, _rule(field.extensions))
                if check is not None:
                    planned.fields.append((name, check))
        return planned


def _is_object(type_: GraphQLInputType) -> bool:
    return isinstance(get_named_type(type_), GraphQLInputObjectType)


def _rule(extensions: Mapping[str, Any] | None) -> tuple[bool, int | None]:
    definition = definition_of(extensions)
    metadata = getattr(definition, "metadata", None) or {}
    rule: tuple[bool, int | None] = metadata.get(RULE_KEY, (False, None))
    return rule


def _list_check(item_check: Check) -> Check:
    def check_list(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                if item is not None:
                    item_check(item)
        else:  # a single value given for a list is coerced to a list of one
            item_check(value)

    return check_list


def _string_check(multiline: bool, max_length: int) -> Check:
    forbidden = MULTI_LINE_FORBIDDEN if multiline else SINGLE_LINE_FORBIDDEN
    too_long = f"must have at most {max_length} characters"
    control = "must not contain control characters"
    if multiline:
        control += " other than newline, carriage return and tab"

    def check_string(value: Any) -> None:
        if not isinstance(value, str):
            return
        if len(value) > max_length:
            raise _InvalidText(too_long)
        # isprintable() (a C loop) is False for every control character and surrogate, and
        # True for nearly all real text: the slower search runs only for the rest (newlines,
        # tabs, non-breaking spaces, format characters), to tell which they are.
        if not value.isprintable() and forbidden.search(value) is not None:
            raise _InvalidText(control)

    return check_string
