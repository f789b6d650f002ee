"""Every strawberry and graphql-core name TaskQL relies on that the libraries do not publish.

Each entry says why no public API serves and what a version bump must check again. They were
checked against the versions in CHECKED_SERIES (pinned in pyproject.toml);
tests/test_graphql_internals.py exercises each one, through the real app where it can, and
fails naming the entry when an upgrade moves or changes it. Code elsewhere takes these names
from here, never from the libraries' internal modules or private attributes.

Replaced by public APIs, so not listed here:
- `getattr(resolve, "_is_default", False)`: `strawberry.resolvers.is_default_resolver`;
- `strawberry.extensions.{query_depth_limiter,max_aliases}.create_validator`: the rule classes of
  the public extensions, `QueryDepthLimiter(max_depth=n).validation_rules` and
  `MaxAliasesLimiter(max_alias_count=n).validation_rules`;
- the "strawberry-definition" key read for a field of a known parent type:
  `strawberry.Schema.get_field_for_type(field_name=..., type_name=...)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any, cast

from graphql import GraphQLEnumType, GraphQLResolveInfo, GraphQLSchema

# graphql-core 3.3 names the grouped fields an Executor subclass receives here only; 3.2 had
# no such module. Types for the plain-field executor's signatures.
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet

# strawberry does not export its executor class, but `execution_context_class` must extend it:
# it is what passes operation extensions on to Info (Info.input_extensions).
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.arguments import convert_arguments as _convert_arguments

if TYPE_CHECKING:
    import strawberry
    from graphql import ASTValidationRule
    from strawberry.types.arguments import StrawberryArgument

# The (major, minor) series each name below was checked against; pyproject.toml pins the same.
CHECKED_SERIES = {"strawberry-graphql": (0, 341), "graphql-core": (3, 3)}

ExecutorBase = StrawberryGraphQLCoreExecutionContext

# The methods of graphql-core 3.3's Executor that our executors override or call,
# with the parameters it passes (positionally, in this order). Documented only in the source.
EXECUTOR_HOOKS: Mapping[str, tuple[str, ...]] = {
    "execute_fields": (
        "parent_type",
        "source_value",
        "path",
        "grouped_field_set",
        "position_context",
    ),
    "execute_field": (
        "parent_type",
        "source",
        "field_details_list",
        "path",
        "position_context",
    ),
    "handle_field_error": ("raw_error", "return_type", "field_details_list", "path"),
    "collect_subfields": ("return_type", "field_details_list"),
    "settle_in_background": ("awaitables",),
    # The compiled executor (compiler/executor.py) replaces the operation's execution and
    # builds its result as graphql-core does.
    "execute_operation": ("serially",),
    "build_response": ("data",),
}

# The key of a graphql-core type's or field's `extensions` under which strawberry keeps its own
# definition (StrawberryField, StrawberryObjectDefinition). The executor works on graphql-core
# types only, where Schema.get_field_for_type (public) cannot be reached without the next
# entry's private attribute.
DEFINITION_KEY: str = GraphQLCoreConverter.DEFINITION_BACKREF

# The rules strawberry appends to every validation it runs itself (explicit null for a
# non-nullable Maybe, @oneOf inputs). A document cache that calls graphql-core's `validate`
# directly must add them, or those inputs go unchecked; strawberry's own function that adds them
# (strawberry.schema.schema.validate_document) is not exported either.
STRAWBERRY_VALIDATION_RULES: tuple[type[ASTValidationRule], ...] = (
    MaybeNullValidationRule,
    OneOfInputValidationRule,
)

__all__ = [
    "CHECKED_SERIES",
    "DEFINITION_KEY",
    "EXECUTOR_HOOKS",
    "STRAWBERRY_VALIDATION_RULES",
    "ExecutorBase",
    "FieldDetailsList",
    "GroupedFieldSet",
    "convert_arguments",
    "definition_of",
    "enum_class",
    "graphql_core_schema",
    "raw_info",
]


def raw_info(info: strawberry.Info[Any, Any]) -> GraphQLResolveInfo[Any]:
    """graphql-core's resolve info behind strawberry's Info.

    For `field_nodes` and `fragments`, which strawberry's Info does not expose. Its public
    `selected_fields` carries the same facts, but builds objects for the whole sub-selection on
    every call: dearer than reading the AST on the list hot path (measure with the bench before
    switching).
    """
    return info._raw_info  # noqa: SLF001 - see the docstring


def graphql_core_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema strawberry built, for graphql-core's `validate`.

    strawberry has no public accessor; its own validation step reads this attribute too.
    """
    graphql_schema: GraphQLSchema = schema._schema  # noqa: SLF001 - see the docstring
    return graphql_schema


def definition_of(extensions: Mapping[str, Any] | None) -> Any:
    """strawberry's definition behind a graphql-core type or field, or None (not strawberry's)."""
    return (extensions or {}).get(DEFINITION_KEY)


def enum_class(graphql_type: GraphQLEnumType) -> type[Enum] | None:
    """The Python enum a strawberry enum type serialises from, or None for other enum types.

    graphql-core's public `values` map names to values, not to the members strawberry compares;
    the plain-field executor maps members to names with one dict lookup instead of strawberry's
    scan of every member.
    """
    if not isinstance(graphql_type, CustomGraphQLEnumType):
        return None
    return cast("type[Enum]", graphql_type.wrapped_cls)


def convert_arguments(
    schema: strawberry.Schema,
    coerced: dict[str, Any],
    arguments: list[StrawberryArgument],
) -> dict[str, Any]:
    """Arguments coerced by graphql-core -> the Python values a resolver receives (inputs as
    their strawberry classes, names as in Python), as strawberry converts them for a call.

    strawberry converts arguments only when it calls the resolver itself; reading a nested
    field's arguments ahead of execution (resolvers.lookahead) has no public way to do it.
    """
    return _convert_arguments(
        coerced,
        arguments,
        scalar_registry=schema.schema_converter.scalar_registry,
        config=schema.config,
    )
