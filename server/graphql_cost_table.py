"""The cost of each field, read once from the schema's @cost directives (server/graphql_cost.py
walks operations with it)."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)

from schema.cost import Cost
from taskql.graphql_internals import definition_of


@dataclass(frozen=True, slots=True)
class FieldCost:
    """What the cost walk needs of a field, looked up once per selection."""

    weight: int
    multiplier: str | None  # the argument that multiplies the list fields below
    output: GraphQLNamedType
    is_list: bool
    per_item: str | None = None  # the list argument whose length multiplies the whole field


class CostTable:
    """Every field of every object and interface type with its weight and multiplier, read
    once from the schema's @cost directives (the same annotations the SDL prints)."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.types: dict[str, dict[str, FieldCost]] = {}
        for named_type in schema.type_map.values():
            if isinstance(named_type, GraphQLObjectType | GraphQLInterfaceType):
                self.types[named_type.name] = {
                    name: _field_cost(definition) for name, definition in named_type.fields.items()
                }

    def field(self, type_name: str, field_name: str) -> FieldCost | None:
        return self.types.get(type_name, {}).get(field_name)


def _field_cost(definition: GraphQLField) -> FieldCost:
    weight, multiplier, per_item = 1, None, None
    strawberry_field = definition_of(definition.extensions)
    for directive in getattr(strawberry_field, "directives", None) or ():
        if isinstance(directive, Cost):
            weight = directive.weight if isinstance(directive.weight, int) else 1
            multiplier = directive.multiplier if isinstance(directive.multiplier, str) else None
            per_item = directive.per_item if isinstance(directive.per_item, str) else None
    output = definition.type
    if isinstance(output, GraphQLNonNull):
        output = output.of_type
    return FieldCost(
        weight=weight,
        multiplier=multiplier,
        output=get_named_type(output),
        is_list=isinstance(output, GraphQLList),
        per_item=per_item,
    )
