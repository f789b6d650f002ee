"""graphql-core's executor with a short path for plain fields.

A list response is mostly plain fields: `Task.id`, `TaskEdge.node`, `TaskConnection.edges`, fields
that read an attribute and nothing else. graphql-core resolves every one of them by its general
path: a Path, a 16-field resolve info, strawberry's resolver call, the completion dispatch and
three awaitable checks. That machinery, not the database, was most of a list request's CPU.

For a plain field (strawberry's attribute resolver, no arguments, no field extension, no
directive on the selection, no resolver middleware) this executor reads the attribute itself:
a scalar or enum is coerced to the same output graphql-core would give; an object, or a list of
objects, has its sub-selection executed with its real path, so the resolvers below it (and
their errors) see exactly what they would have.

Anything out of the ordinary (null where the type forbids it, a value that does not coerce, an
awaitable, a list item that is null) is handed back to graphql-core's own `execute_field`,
which reads the attribute again and answers or reports exactly as it always does. Responses
and errors are the same with and without this class: tests/test_plain_fields.py compares them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.resolvers import is_default_resolver

from resolvers.context import Context
from taskql.graphql_internals import (
    ExecutorBase,
    FieldDetailsList,
    GroupedFieldSet,
    definition_of,
    enum_class,
)

FieldGroup = FieldDetailsList  # the nodes of one response key (aliases merged)
Plan = tuple["PlannedField", ...]

# What a planned field is; plain ints, compared once per field of every object.
GENERAL = 0  # anything else: graphql-core's execute_field
LEAF = 1  # a scalar or enum attribute
OBJECT = 2  # an object attribute
OBJECT_LIST = 3  # a list of objects attribute


@dataclass(slots=True)
class PlannedField:
    kind: int
    response_name: str
    group: FieldGroup
    attribute: str = ""
    declared_type: Any = None  # the field's type as declared, NonNull included
    non_null: bool = False
    coerce: Callable[[Any], Any] | None = None  # LEAF: value -> output
    object_type: Any = None  # OBJECT, OBJECT_LIST: the GraphQLObjectType
    python_class: type | None = None  # ... and the strawberry class its values usually are
    exact_class_only: bool = False  # ... and only values of exactly that class are plain
    item_type: Any = None  # OBJECT_LIST: the declared item type
    sub_fields: Any = None  # OBJECT, OBJECT_LIST: the grouped sub-selection
    sub_plan: Plan | None = None  # ... and its plan (None: nothing plain there)


class _Fallback:
    """What a plain read returns when only graphql-core's path can handle the value."""


FALLBACK = _Fallback()


class PlainFieldExecutor(ExecutorBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Plans by grouped field set. graphql-core memoises a grouped field set per selection
        # for the executor's lifetime, so all the items of a list share one plan; the set is
        # kept in the value so that its id stays unique while the plan lives.
        self._plans: dict[int, tuple[object, Plan | None]] = {}

    def build_per_event_executor(self, payload: Any) -> Any:
        executor = super().build_per_event_executor(payload)
        context = executor.context_value
        if isinstance(context, Context):
            executor.context_value = context.for_event()
        return executor

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        plan = None if position_context is not None else self._plan(parent_type, grouped_field_set)
        if plan is None:  # @defer delivery, or nothing plain in this selection
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        return self._execute_plan(plan, parent_type, source_value, path)

    def _execute_plan(  # noqa: C901, PLR0912 - the hot loop: leaves are read inline, no call each
        self, plan: Plan, parent_type: GraphQLObjectType, source: Any, path: Path | None
    ) -> Any:
        results: dict[str, Any] = {}
        awaitable_names: list[str] = []
        try:
            for field in plan:
                kind = field.kind
                if kind == LEAF:
                    try:
                        value = getattr(source, field.attribute)
                        if value is None or value is Undefined:
                            if not field.non_null:
                                results[field.response_name] = None
                                continue
                        else:
                            coerced = field.coerce(value)  # type: ignore[misc]
                            if coerced is not None and coerced is not Undefined:
                                results[field.response_name] = coerced
                                continue
                    except Exception:  # noqa: BLE001, S110 - graphql-core's path reports it
                        pass
                    result: Any = FALLBACK
                elif kind == GENERAL:
                    result = FALLBACK
                else:
                    result = self._object(field, parent_type, source, path)
                if result is FALLBACK:
                    result = self.execute_field(
                        parent_type,
                        source,
                        field.group,
                        Path(path, field.response_name, parent_type.name),
                        None,
                    )
                    if result is Undefined:
                        continue
                results[field.response_name] = result
                if type(result) is not dict and self.is_awaitable(result):
                    awaitable_names.append(field.response_name)
        except Exception:
            if awaitable_names:
                self.settle_in_background([results[name] for name in awaitable_names])
            raise
        if not awaitable_names:
            return results
        return _gather_fields(results, awaitable_names)

    def _object(  # noqa: PLR0911 - each early return hands an unusual value back
        self, field: PlannedField, parent_type: GraphQLObjectType, source: Any, path: Path | None
    ) -> Any:
        try:
            value = getattr(source, field.attribute)
        except Exception:  # noqa: BLE001 - graphql-core's path raises and reports it
            return FALLBACK
        if value is None or value is Undefined:
            return FALLBACK if field.non_null else None
        if field.kind == OBJECT and not self._plain_value(field, value):
            return FALLBACK
        field_path = Path(path, field.response_name, parent_type.name)
        try:
            if field.kind == OBJECT:
                completed = self._sub_selection(field, value, field_path)
            else:
                completed = self._object_list(field, field_path, value)
                if completed is FALLBACK:
                    return FALLBACK
        except Exception as error:  # noqa: BLE001 - handled like graphql-core's execute_field
            # Raises again when the field is non-null: the error nulls the parent instead.
            self.handle_field_error(error, field.declared_type, field.group, field_path)
            return None
        if type(completed) is not dict and type(completed) is not list:
            # Some resolver below answered asynchronously.
            return self._await_field(completed, field.declared_type, field.group, field_path)
        return completed

    def _object_list(self, field: PlannedField, path: Path, items: Any) -> Any:
        if type(items) is not list and type(items) is not tuple:
            return FALLBACK
        for item in items:
            if item is None or not self._plain_value(field, item):
                return FALLBACK
        completed_items: list[Any] = []
        awaitable_indices: list[int] = []
        item_type = field.item_type
        try:
            for index, item in enumerate(items):
                item_path = Path(path, index, None)
                try:
                    completed = self._sub_selection(field, item, item_path)
                except Exception as error:  # noqa: BLE001 - as graphql-core's list items
                    # Raises again when items are non-null: the error nulls the list.
                    self.handle_field_error(error, item_type, field.group, item_path)
                    completed = None
                if completed is not None and type(completed) is not dict:
                    completed = self._await_field(completed, item_type, field.group, item_path)
                    awaitable_indices.append(index)
                completed_items.append(completed)
        except Exception:
            if awaitable_indices:
                self.settle_in_background([completed_items[i] for i in awaitable_indices])
            raise
        if not awaitable_indices:
            return completed_items
        return _gather_items(completed_items, awaitable_indices)

    def _sub_selection(self, field: PlannedField, value: Any, path: Path) -> Any:
        if field.sub_plan is not None:
            return self._execute_plan(field.sub_plan, field.object_type, value, path)
        return super().execute_fields(field.object_type, value, path, field.sub_fields, None)

    def _plain_value(self, field: PlannedField, value: Any) -> bool:
        """Whether graphql-core would complete `value` as an object right away: it is not an
        error to raise nor something to await first."""
        if type(value) is field.python_class:
            return True  # a strawberry type that is not awaitable (checked when planned)
        if field.exact_class_only:
            return False  # the type's is_type_of must check it: graphql-core's path
        return (
            value is not Undefined
            and not isinstance(value, Exception)
            and not self.is_awaitable(value)
        )

    async def _await_field(
        self,
        completed: Awaitable[Any],
        declared_type: GraphQLOutputType,
        group: FieldGroup,
        path: Path,
    ) -> Any:
        try:
            return await completed
        except Exception as error:  # noqa: BLE001 - handled like graphql-core's execute_field
            self.handle_field_error(error, declared_type, group, path)
            return None

    # --- planning: once per selection and request -------------------------------------------

    def _plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> Plan | None:
        cached = self._plans.get(id(grouped_field_set))
        if cached is not None:
            return cached[1]
        fields = tuple(
            self._plan_field(parent_type, name, group) for name, group in grouped_field_set.items()
        )
        plan = fields if any(field.kind != GENERAL for field in fields) else None
        self._plans[id(grouped_field_set)] = (grouped_field_set, plan)
        return plan

    def _plan_field(  # noqa: PLR0911 - one return per kind of field
        self, parent_type: GraphQLObjectType, response_name: str, group: FieldGroup
    ) -> PlannedField:
        general = PlannedField(GENERAL, response_name, group)
        field_def = self.schema.get_field(parent_type, group[0].node.name.value)
        attribute = _plain_attribute(field_def)
        if field_def is None or attribute is None:
            return general
        resolve = field_def.resolve
        if self.middleware_manager and (
            self.middleware_manager.get_field_resolver(resolve) is not resolve  # type: ignore[arg-type]
        ):
            return general  # a schema extension wraps every resolver
        if any(details.node.directives or details.node.arguments for details in group):
            return general  # @include, @stream...: graphql-core's path
        declared: Any = field_def.type
        non_null = is_non_null_type(declared)
        named: Any = declared.of_type if non_null else declared
        field = PlannedField(GENERAL, response_name, group, attribute, declared, non_null)
        if is_leaf_type(named):
            field.kind = LEAF
            field.coerce = _output_coercion(named)
            return field
        object_type: Any = named
        item_type: Any = None
        if is_list_type(named):
            item_type = named.of_type
            object_type = item_type.of_type if is_non_null_type(item_type) else item_type
        if not _plain_object(object_type):
            return general
        sub_fields, new_defer_usages, _ = self.collect_subfields(object_type, group)
        if new_defer_usages:
            return general  # @defer below: graphql-core's incremental delivery
        field.kind = OBJECT if item_type is None else OBJECT_LIST
        field.object_type = object_type
        field.python_class = _python_class(object_type)
        field.exact_class_only = object_type.is_type_of is not None
        field.item_type = item_type
        field.sub_fields = sub_fields
        field.sub_plan = self._plan(object_type, sub_fields)
        return field


async def _gather_fields(results: dict[str, Any], names: list[str]) -> dict[str, Any]:
    if len(names) == 1:
        results[names[0]] = await results[names[0]]
    else:
        awaited = await gather_with_cancel(*(results[name] for name in names))
        results.update(zip(names, awaited, strict=True))
    return results


async def _gather_items(items: list[Any], indices: list[int]) -> list[Any]:
    awaited = await gather_with_cancel(*(items[index] for index in indices))
    for index, value in zip(indices, awaited, strict=True):
        items[index] = value
    return items


def _plain_attribute(field_def: GraphQLField | None) -> str | None:
    """The attribute a field reads when strawberry resolves it with its default resolver
    (no resolver function, no field extensions, no arguments), else None."""
    if field_def is None or field_def.args:
        return None
    if field_def.resolve is None or not is_default_resolver(field_def.resolve):
        return None
    definition = definition_of(field_def.extensions)
    if definition is None or definition.default_resolver is not getattr:
        return None
    return str(definition.python_name)


def _plain_object(graphql_type: Any) -> bool:
    """Whether values of this type may skip graphql-core's completion.

    is_type_of is a check graphql-core runs per value. strawberry sets one on every type that
    implements an interface (Task and User are Nodes): an isinstance of the type's class (or
    of its interfaces'), so a value of exactly that class passes it; such a type is planned,
    and `_plain_value` lets only values of exactly its class through. A type declaring its
    own is_type_of is always left to graphql-core."""
    if not is_object_type(graphql_type):
        return False
    if graphql_type.is_type_of is None:
        return True
    definition = definition_of(graphql_type.extensions)
    return (
        definition is not None
        and getattr(definition, "is_type_of", None) is None
        and _python_class(graphql_type) is not None
    )


def _python_class(object_type: GraphQLObjectType) -> type | None:
    definition = definition_of(object_type.extensions)
    origin = getattr(definition, "origin", None)
    if (
        not isinstance(origin, type)
        or issubclass(origin, BaseException)
        or hasattr(origin, "__await__")
    ):
        return None
    return origin


def _output_coercion(leaf_type: Any) -> Callable[[Any], Any]:
    """The leaf type's coerce_output_value; for strawberry's enums, a dict lookup for their
    own members first (strawberry scans every value of the enum for each one). Made per plan,
    so per request: a handful of members, and no cache that outlives a schema."""
    coerce: Callable[[Any], Any] = leaf_type.coerce_output_value
    member_class: Any = enum_class(leaf_type)
    if member_class is None:
        return coerce
    names: dict[Any, Any] = {member: coerce(member) for member in member_class}

    def coerce_member(value: Any) -> Any:
        if type(value) is member_class:
            return names[value]
        return coerce(value)

    return coerce_member
