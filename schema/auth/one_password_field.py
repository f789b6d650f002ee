"""The validation rule that allows one password-hashing field per operation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
)
from graphql.language.visitor import SKIP, VisitorAction
from strawberry.extensions import AddValidationRules, SchemaExtension

if TYPE_CHECKING:
    from collections.abc import Iterator

ONE_HASHING_FIELD_MESSAGE = (
    "An operation may contain only one field that checks or sets a password "
    "(register, login, changePassword); send the others in separate requests."
)


class OnePasswordFieldPerOperation(ValidationRule):
    """At most one password-hashing mutation field per operation, refused before anything runs.

    Each such field costs an argon2 hash, so aliases (`a: register … b: register …`) would
    multiply the cost of one small request. A field hashes a password when it takes an
    argument, or an input field, named like "password": future ones are covered too.
    """

    def enter_operation_definition(
        self, node: OperationDefinitionNode, *_args: Any
    ) -> VisitorAction:
        mutation_type = self.context.schema.mutation_type
        if node.operation is OperationType.MUTATION and mutation_type is not None:
            hashing = password_fields(mutation_type)
            # Fields of one response key are merged into one execution: count keys.
            keys = {key for key, name in self._root_fields(node.selection_set) if name in hashing}
            if len(keys) > 1:
                self.report_error(
                    GraphQLError(
                        ONE_HASHING_FIELD_MESSAGE, node, extensions={"code": "QUERY_TOO_COMPLEX"}
                    )
                )
        return SKIP

    def _root_fields(self, selection_set: SelectionSetNode) -> Iterator[tuple[str, str]]:
        """(response key, field name) of the root fields, each fragment visited once."""
        seen_fragments: set[str] = set()
        pending = [selection_set]
        while pending:
            for selection in pending.pop().selections:
                if isinstance(selection, FieldNode):
                    key = selection.alias or selection.name
                    yield key.value, selection.name.value
                elif isinstance(selection, InlineFragmentNode):
                    pending.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.context.get_fragment(name)
                    if name not in seen_fragments and fragment is not None:
                        seen_fragments.add(name)
                        pending.append(fragment.selection_set)


def password_fields(mutation_type: GraphQLObjectType) -> frozenset[str]:
    """Names of the mutation fields taking a password, directly or in an input object."""

    def is_password(name: str) -> bool:
        return "password" in name.lower()

    def takes_password(argument_name: str, argument_type: Any) -> bool:
        named = get_named_type(argument_type)
        if isinstance(named, GraphQLInputObjectType):
            return any(is_password(name) for name in named.fields)
        return is_password(argument_name)

    return frozenset(
        name
        for name, field in mutation_type.fields.items()
        if any(takes_password(arg_name, arg.type) for arg_name, arg in field.args.items())
    )


def password_field_limit() -> SchemaExtension:
    """The schema extension that adds OnePasswordFieldPerOperation to validation."""
    return AddValidationRules([OnePasswordFieldPerOperation])
