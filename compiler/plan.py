"""Compiling an operation: the schema knowledge. Each selection becomes a field plan that says
which read feeds it and how its value is made; anything unknown raises Fallback."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    Undefined,
    get_named_type,
    is_enum_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    value_from_ast,
)
from graphql.language import Visitor, visit
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.resolvers import is_default_resolver
from strawberry.types.field import StrawberryField

from compiler import builders, json_sql
from compiler.kinds import (
    CURSOR,
    EDGES,
    EMAIL,
    NODE,
    OWNER,
    PAGE_INFO,
    TASK_NODE,
    TYPENAME,
    USER_NODE,
    USER_TASKS,
    VALUE,
    same_text,
)
from compiler.reasons import Fallback, Reason
from compiler.selections import Fragments, Grouped, collect, sub_selections
from resolvers.selection import names_below
from resolvers.tasks.pages import OPTIONAL_COLUMNS
from schema.tasks.queries import TaskQuery
from schema.tasks.types import PRIORITY_MEMBERS, STATUS_MEMBERS
from schema.users.queries import UserQuery
from schema.users.types import ROLE_MEMBERS, User
from taskql.errors import ValidationFailed
from taskql.global_ids import TASK, USER, encode_task, encode_user
from taskql.graphql_internals import convert_arguments, definition_of
from taskql.string_inputs import check_arguments

# What a root plan reads.
TYPENAME_ROOT, TASKS_ROOT, USERS_ROOT = "typename", "tasks", "users"

# The resolvers the compiler knows: root lists and User.tasks, by their functions.
PAGING = frozenset({"first", "after", "last", "before"})
KNOWN_ARGUMENTS = {
    TaskQuery.tasks: frozenset({"filter", "orderBy", *PAGING}),
    UserQuery.users: frozenset({"orderBy", *PAGING}),
    User.tasks: frozenset({"filter", "orderBy", *PAGING}),
}
TASK_COLUMNS = frozenset({"id", *OPTIONAL_COLUMNS.values()})
USER_COLUMNS = frozenset({"id", "display_name", "role", "is_active", "created_at", "updated_at"})
# The type a global id encoder names (json_sql writes the same encoding).
GLOBAL_ID_TYPES: dict[Callable[[str], str], str] = {encode_task: TASK, encode_user: USER}
PAGE_INFO_ATTRIBUTES = frozenset(
    {"has_next_page", "has_previous_page", "start_cursor", "end_cursor"}
)


@dataclass(slots=True)
class FieldPlan:
    kind: int
    key: str
    name: str = ""  # VALUE, EMAIL: the row column or page attribute; NODE: TASK/USER_NODE
    convert: Callable[[Any], Any] | None = None
    non_null: bool = False
    constant: str = ""  # TYPENAME
    sub: tuple[FieldPlan, ...] = ()  # OWNER, EDGES, PAGE_INFO, NODE
    index: int = 0  # USER_TASKS: which of the users list's nested reads
    # What `convert` makes of a str, where that is simpler (the builders inline it).
    text: Callable[[str], Any] | None = None
    # EDGES: the generated function making the edges of a page (builders.py).
    build: Callable[..., Any] | None = None
    # VALUE, EMAIL: what writes this leaf's JSON text in SQL (json_sql.py); None: nothing.
    sql: json_sql.Leaf | None = None


ObjectPlan = tuple[FieldPlan, ...]


@dataclass(slots=True)
class Arguments:
    """A field's arguments: converted once when they are literals, else per request."""

    field_def: GraphQLField
    definition: StrawberryField
    nodes: tuple[Any, ...]
    constant: dict[str, Any] | None = None

    def values(self, schema: strawberry.Schema, variables: Mapping[str, Any]) -> dict[str, Any]:
        if self.constant is not None:
            return self.constant
        return _convert(schema, self.field_def, self.definition, self.nodes, variables)


@dataclass(slots=True)
class ListRead:
    """One read of a list (root tasks or users, or User.tasks for all users of a page)."""

    key: str
    arguments: Arguments
    wanted: frozenset[str]  # the names selected below the field, as the resolvers see them
    permissions: tuple[BasePermission, ...]
    connection: ObjectPlan
    nested: tuple[ListRead, ...] = ()  # users: the User.tasks reads below its nodes
    # tasks: the owner columns its nodes read (models.tasks.list_tasks joins only those).
    owner_columns: tuple[str, ...] | None = None
    # On PostgreSQL, one statement writes the list's JSON text (json_sql.py).
    written: bool = False


@dataclass(slots=True)
class RootPlan:
    key: str
    kind: str  # TYPENAME_ROOT, TASKS_ROOT, USERS_ROOT
    read: ListRead | None = None
    constant: str = ""  # TYPENAME_ROOT: the query type's name


@dataclass(slots=True)
class Plan:
    roots: tuple[RootPlan, ...]
    # SQL statements a run with the row builders sends, fixed at compile time (the bearer
    # check not included); on PostgreSQL a written list sends one.
    statements: int = 0


class PlanCompiler:
    """Compiles one operation against the schema; knows the compiled types and fields."""

    def __init__(
        self,
        schema: strawberry.Schema,
        graphql_schema: GraphQLSchema,
        fragments: Fragments,
        conditions: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.graphql_schema = graphql_schema
        self.fragments = fragments
        self.conditions = conditions
        self.statements = 0

    def compile(self, operation: OperationDefinitionNode) -> Plan:
        if operation.operation is OperationType.MUTATION:
            raise Fallback(Reason.MUTATION)
        if operation.operation is not OperationType.QUERY:
            raise Fallback(Reason.SUBSCRIPTION)
        if operation.directives:
            raise Fallback(Reason.DIRECTIVE)
        query = self.graphql_schema.query_type
        assert query is not None  # noqa: S101 - a schema has a query type
        grouped = collect(query.name, [operation.selection_set], self.fragments, self.conditions)
        roots = []
        for key, nodes in grouped.items():
            name = nodes[0].name.value
            if name == "__typename":
                roots.append(RootPlan(key, TYPENAME_ROOT, constant=query.name))
            elif name in {"__schema", "__type"}:
                raise Fallback(Reason.INTROSPECTION)
            else:
                field_def = query.fields[name]
                function = _resolver_function(field_def)
                if function is TaskQuery.tasks:
                    roots.append(RootPlan(key, TASKS_ROOT, self._task_list(key, field_def, nodes)))
                elif function is UserQuery.users:
                    roots.append(RootPlan(key, USERS_ROOT, self._user_list(key, field_def, nodes)))
                else:
                    raise Fallback(Reason.FIELD)
        return Plan(tuple(roots), self.statements)

    # --- lists -----------------------------------------------------------------------------

    def _task_list(
        self, key: str, field_def: GraphQLField, nodes: list[FieldNode], *, nested: bool = False
    ) -> ListRead:
        connection_type = _object_type(field_def)
        grouped = self._grouped(connection_type, nodes)
        owner_selected = "owner" in (wanted := _wanted(nodes, self.fragments))
        # A root list reads its owners in its own statement (models.tasks.list_tasks); the
        # pages below a users list read theirs in one more.
        self.statements += 1 + (1 if owner_selected and nested else 0)
        connection = self._connection(connection_type, grouped, self._task, TASK_NODE)
        read = ListRead(
            key=key,
            arguments=self._arguments(field_def, nodes),
            wanted=wanted,
            permissions=() if nested else _permissions(field_def),
            connection=connection,
            owner_columns=_owner_columns(connection) if owner_selected else None,
        )
        read.written = not nested and json_sql.writable(read, owners=True)
        return read

    def _user_list(self, key: str, field_def: GraphQLField, nodes: list[FieldNode]) -> ListRead:
        connection_type = _object_type(field_def)
        grouped = self._grouped(connection_type, nodes)
        self.statements += 1
        nested: list[ListRead] = []
        connection = self._connection(
            connection_type, grouped, lambda t, g: self._user(t, g, nested=nested), USER_NODE
        )
        read = ListRead(
            key=key,
            arguments=self._arguments(field_def, nodes),
            wanted=_wanted(nodes, self.fragments),
            permissions=_permissions(field_def),
            connection=connection,
            nested=tuple(nested),
        )
        read.written = json_sql.writable(read, owners=False)
        return read

    def _connection(
        self,
        connection_type: GraphQLObjectType,
        grouped: Grouped,
        node_plan: Callable[[GraphQLObjectType, Grouped], ObjectPlan],
        node_kind: str,
    ) -> ObjectPlan:
        plans = []
        for key, nodes in grouped.items():
            name = nodes[0].name.value
            if name == "__typename":
                plans.append(FieldPlan(TYPENAME, key, constant=connection_type.name))
                continue
            field_def = connection_type.fields[name]
            python_name = _plain_attribute(field_def)
            if python_name == "edges":
                edge_type = _object_type(field_def)
                edge = self._edge(edge_type, self._grouped(edge_type, nodes), node_plan, node_kind)
                plans.append(FieldPlan(EDGES, key, sub=edge, build=builders.edges(edge)))
            elif python_name == "page_info":
                info_type = _object_type(field_def)
                sub = self._page_info(info_type, self._grouped(info_type, nodes))
                plans.append(FieldPlan(PAGE_INFO, key, sub=sub))
            else:
                raise Fallback(Reason.FIELD)  # totalCount and anything new
        return tuple(plans)

    def _edge(
        self,
        edge_type: GraphQLObjectType,
        grouped: Grouped,
        node_plan: Callable[[GraphQLObjectType, Grouped], ObjectPlan],
        node_kind: str,
    ) -> ObjectPlan:
        plans = []
        for key, nodes in grouped.items():
            name = nodes[0].name.value
            if name == "__typename":
                plans.append(FieldPlan(TYPENAME, key, constant=edge_type.name))
                continue
            field_def = edge_type.fields[name]
            python_name = _plain_attribute(field_def)
            if python_name == "cursor":
                plans.append(FieldPlan(CURSOR, key))
            elif python_name == "node":
                node_type = _object_type(field_def)
                sub = node_plan(node_type, self._grouped(node_type, nodes))
                plans.append(FieldPlan(NODE, key, name=node_kind, sub=sub))
            else:
                raise Fallback(Reason.FIELD)
        return tuple(plans)

    def _page_info(self, info_type: GraphQLObjectType, grouped: Grouped) -> ObjectPlan:
        plans = []
        for key, nodes in grouped.items():
            name = nodes[0].name.value
            if name == "__typename":
                plans.append(FieldPlan(TYPENAME, key, constant=info_type.name))
                continue
            field_def = info_type.fields[name]
            python_name = _plain_attribute(field_def)
            if python_name not in PAGE_INFO_ATTRIBUTES:
                raise Fallback(Reason.FIELD)
            plans.append(_value(key, python_name, field_def))
        return tuple(plans)

    # --- objects ---------------------------------------------------------------------------

    def _task(self, task_type: GraphQLObjectType, grouped: Grouped) -> ObjectPlan:
        plans = []
        for key, nodes in grouped.items():
            name = nodes[0].name.value
            if name == "__typename":
                plans.append(FieldPlan(TYPENAME, key, constant=task_type.name))
                continue
            field_def = task_type.fields[name]
            python_name = _plain_attribute(field_def)
            if python_name == "owner":
                owner_type = _object_type(field_def)
                sub = self._user(owner_type, self._grouped(owner_type, nodes), nested=None)
                plans.append(FieldPlan(OWNER, key, sub=sub, non_null=_non_null(field_def)))
            elif python_name == "id":
                plans.append(_value(key, "id", field_def, global_id=encode_task))
            elif python_name in TASK_COLUMNS:
                plans.append(_value(key, python_name, field_def))
            else:
                raise Fallback(Reason.FIELD)
        return tuple(plans)

    def _user(
        self, user_type: GraphQLObjectType, grouped: Grouped, *, nested: list[ListRead] | None
    ) -> ObjectPlan:
        """A User's plan; `nested` collects its User.tasks reads (None: not readable here,
        Task.owner's user, whose tasks would need a read per page of owners)."""
        plans = []
        for key, nodes in grouped.items():
            name = nodes[0].name.value
            if name == "__typename":
                plans.append(FieldPlan(TYPENAME, key, constant=user_type.name))
                continue
            field_def = user_type.fields[name]
            python_name = _plain_attribute(field_def)
            if python_name == "email":
                plans.append(_value(key, "email", field_def, kind=EMAIL))
            elif python_name == "id":
                plans.append(_value(key, "id", field_def, global_id=encode_user))
            elif python_name in USER_COLUMNS:
                plans.append(_value(key, python_name, field_def))
            elif nested is not None and _resolver_function(field_def) is User.tasks:
                plans.append(FieldPlan(USER_TASKS, key, index=len(nested)))
                nested.append(self._task_list(key, field_def, nodes, nested=True))
            else:
                raise Fallback(Reason.FIELD)
        return tuple(plans)

    # --- helpers ---------------------------------------------------------------------------

    def _grouped(self, object_type: GraphQLObjectType, nodes: list[FieldNode]) -> Grouped:
        if object_type.is_type_of is not None and not _interface_check_only(object_type):
            raise Fallback(Reason.ABSTRACT)
        return collect(object_type.name, sub_selections(nodes), self.fragments, self.conditions)

    def _arguments(self, field_def: GraphQLField, nodes: list[FieldNode]) -> Arguments:
        definition = definition_of(field_def.extensions)
        if not isinstance(definition, StrawberryField):
            raise Fallback(Reason.FIELD)
        known = KNOWN_ARGUMENTS.get(_resolver_function(field_def), frozenset())
        # Validation made the occurrences of one response key take the same arguments.
        argument_nodes = tuple(nodes[0].arguments or ())
        if any(argument.name.value not in known for argument in argument_nodes):
            raise Fallback(Reason.ARGUMENT)
        arguments = Arguments(field_def, definition, argument_nodes)
        if not _has_variables(argument_nodes):
            try:
                arguments.constant = _convert(
                    self.schema, field_def, definition, argument_nodes, {}
                )
            except ValidationFailed:
                raise Fallback(Reason.ARGUMENT) from None
        return arguments


def _convert(
    schema: strawberry.Schema,
    field_def: GraphQLField,
    definition: StrawberryField,
    nodes: tuple[Any, ...],
    variables: Mapping[str, Any],
) -> dict[str, Any]:
    """Arguments as the resolver receives them: coerced by graphql-core, held to the string
    rules (taskql.string_inputs), converted by strawberry (as resolvers.lookahead does)."""
    coerced: dict[str, Any] = {}
    for argument in nodes:
        argument_type = field_def.args[argument.name.value].type
        value = value_from_ast(argument.value, argument_type, dict(variables))
        if value is not Undefined:  # an absent variable: the argument is absent too
            coerced[argument.name.value] = value
    check_arguments(field_def, coerced)
    return convert_arguments(schema, coerced, definition.arguments)


def _owner_columns(connection: ObjectPlan) -> tuple[str, ...]:
    """The user columns the owners below a task connection show (their id is the task's
    owner_id); `email` always, the join's mark of a found owner."""
    columns = {"email"}
    for edges in connection:
        for node in edges.sub if edges.kind == EDGES else ():
            for owner in node.sub if node.kind == NODE else ():
                for field in owner.sub if owner.kind == OWNER else ():
                    if field.kind == VALUE and field.name != "id":
                        columns.add(field.name)
    return tuple(sorted(columns))


def _has_variables(nodes: tuple[Any, ...]) -> bool:
    found = False

    class FindVariables(Visitor):
        def enter_variable(self, *_: Any) -> None:
            nonlocal found
            found = True

    for node in nodes:
        visit(node, FindVariables())
    return found


def _wanted(nodes: list[FieldNode], fragments: Fragments) -> frozenset[str]:
    # The same names resolvers.selection.selected_names gives the field's resolver.
    return names_below(sub_selections(nodes), fragments)


def _permissions(field_def: GraphQLField) -> tuple[BasePermission, ...]:
    """The field's permission classes; Fallback when it has another field extension or a
    permission the compiler cannot run once for the request."""
    definition = definition_of(field_def.extensions)
    permissions: list[BasePermission] = []
    for extension in getattr(definition, "extensions", ()):
        if not isinstance(extension, PermissionExtension) or extension.fail_silently:
            raise Fallback(Reason.PERMISSION)
        for permission in extension.permissions:
            if inspect.iscoroutinefunction(permission.has_permission):
                raise Fallback(Reason.PERMISSION)
            permissions.append(permission)
    return tuple(permissions)


def _resolver_function(field_def: GraphQLField) -> Any:
    definition = definition_of(field_def.extensions)
    resolver = getattr(definition, "base_resolver", None)
    return getattr(resolver, "wrapped_func", None)


def _plain_attribute(field_def: GraphQLField) -> str | None:
    """The attribute a field reads when it has no resolver, arguments or extension."""
    if field_def.args or field_def.resolve is None or not is_default_resolver(field_def.resolve):
        return None
    definition = definition_of(field_def.extensions)
    if definition is None or definition.default_resolver is not getattr or definition.extensions:
        return None
    return str(definition.python_name)


def _object_type(field_def: GraphQLField) -> GraphQLObjectType:
    named = get_named_type(field_def.type)
    if not is_object_type(named):
        raise Fallback(Reason.ABSTRACT)
    return named


def _non_null(field_def: GraphQLField) -> bool:
    return is_non_null_type(field_def.type)


def _value(
    key: str,
    name: str,
    field_def: GraphQLField,
    *,
    kind: int = VALUE,
    global_id: Callable[[str], str] | None = None,
) -> FieldPlan:
    """A leaf; `global_id`: an id, output as the global id this function makes of it."""
    declared: Any = field_def.type
    non_null = is_non_null_type(declared)
    leaf = declared.of_type if non_null else declared
    if not is_leaf_type(leaf) or is_list_type(leaf):
        raise Fallback(Reason.FIELD)
    text: Callable[[str], Any] | None
    sql: json_sql.Leaf | None
    if global_id is not None:
        convert, text = _global_id(global_id), global_id
        sql = json_sql.global_id_leaf(GLOBAL_ID_TYPES[global_id])
    elif is_enum_type(leaf):
        outputs = _enum_outputs(name, leaf)
        convert, text, sql = outputs.__getitem__, None, json_sql.enum_leaf(outputs)
    else:
        convert = _converter(leaf)
        text = same_text if leaf.name in {"String", "ID"} else None
        sql = json_sql.SCALAR_LEAVES.get(leaf.name)
    return FieldPlan(kind, key, name=name, convert=convert, non_null=non_null, text=text, sql=sql)


def _global_id(encode: Callable[[str], str]) -> Callable[[Any], str]:
    """The row's uuid -> its global id, by the function Task.from_row / User.from_values use
    (an ID is output as the string itself)."""
    return lambda value: encode(value if type(value) is str else str(value))


def _interface_check_only(object_type: GraphQLObjectType) -> bool:
    """strawberry gives a type that implements an interface (Task and User: Node) an
    isinstance check, which graphql-core runs on every object it completes; the resolvers
    always build the type itself, so it always passes. A type's own is_type_of does not."""
    definition = definition_of(object_type.extensions)
    return (
        bool(object_type.interfaces)
        and definition is not None
        and getattr(definition, "is_type_of", None) is None
    )


def _enum_outputs(name: str, leaf: Any) -> dict[Any, Any]:
    """Stored value -> output, through the schema's own output coercion (an unknown stored
    value is not a key: graphql-core reports it)."""
    enums: dict[str, Mapping[Any, Any]] = {
        "status": STATUS_MEMBERS,
        "priority": PRIORITY_MEMBERS,
        "role": ROLE_MEMBERS,
    }
    members = enums.get(name)
    if members is None:
        raise Fallback(Reason.FIELD)
    return {stored: leaf.coerce_output_value(member) for stored, member in members.items()}


def _converter(leaf: Any) -> Callable[[Any], Any]:
    """Stored value -> output, through the schema's own output coercion."""
    coerce: Callable[[Any], Any] = leaf.coerce_output_value
    if leaf.name in {"String", "ID"}:
        return lambda value: value if type(value) is str else coerce(value)
    return coerce
