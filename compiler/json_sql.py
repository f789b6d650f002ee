"""On PostgreSQL, a compiled list is one statement that writes the list's JSON text itself.

Why. With the rows read, most of a compiled answer's CPU went to decoding them and to building
the response dicts that orjson then encoded again (about 7 µs a row). PostgreSQL can write
the text where the rows are: the page's own statement (the resolvers', in the same scope,
built by the same functions as for the row builders) becomes a subquery, and an aggregate
around it writes the connection, each response key in plan order and each value as
graphql-core outputs it. The answer embeds that text as it is (orjson.Fragment). A users page
with its users' tasks is one statement too: each user's page is a subquery of its row.

What is written here. A connection's `edges` and `__typename`; an edge's `node` and
`__typename`; a node's plain fields whose output is known below (String, ID, Int, Boolean,
DateTime, the enums, Relay global ids), User.email under viewer.can_see_user's rule,
Task.owner of the root tasks list (joined, as models.tasks.list_tasks joins it) and User.tasks
below the users list (without its tasks' owners). Cursors and pageInfo are signed or worked out
in Python: such a plan keeps the row builders (builders.py), as every plan does on SQLite.

Why it is the same answer. Each leaf is written as graphql-core writes it: a string by
to_json (PostgreSQL and orjson escape text alike, tests/test_json_sql.py), a DateTime as
datetime.isoformat writes an aware UTC datetime, an enum by the schema's own map of stored
values. Anything graphql-core would report instead (a NULL where the type forbids one, a
stored value the enum does not know, a missing owner) is written as SQL NULL, which every
concatenation and every list (by its count of elements) passes up, so the statement's value
is NULL: the run raises Fallback and graphql-core answers the whole operation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from compiler.kinds import EDGES, EMAIL, NODE, OWNER, TYPENAME, USER_TASKS, VALUE
from compiler.reasons import Fallback, Reason
from models.task_page_sql import OWNER_PREFIX
from resolvers.tasks.queries import tasks_page_query
from resolvers.users.queries import users_page_query

if TYPE_CHECKING:
    import strawberry

    from compiler.plan import FieldPlan, ListRead
    from models.sql import PageQuery, Sql
    from resolvers.context import Context


class Expr(str):
    """A piece of written JSON that is SQL to evaluate (a plain str piece is literal text)."""

    __slots__ = ()


# The pieces of a JSON text, concatenated in order (concat() turns them into one SQL text).
Pieces = list[str]
# A leaf's column reference -> the pieces of its JSON text (NULL: graphql-core would report).
Leaf = Callable[[str], Pieces]
ObjectPlan = tuple["FieldPlan", ...]
# A node's field name -> the column holding it, in the statement being written.
Columns = Callable[[str], str]

# The kinds a written node may hold.
_NODE_KINDS = frozenset({TYPENAME, VALUE, EMAIL, OWNER, USER_TASKS})


def literal(text: str) -> str:
    """A SQL string literal of `text` (only our own constants and GraphQL names reach it)."""
    return "'" + text.replace("'", "''") + "'"


def concat(pieces: Pieces) -> str:
    """One SQL text expression of the pieces, adjacent literal pieces merged: each || copies
    the text so far, and a row of Q1's shape has some forty pieces."""
    parts: list[str] = []
    text = ""
    for piece in pieces:
        if isinstance(piece, Expr):
            if text:
                parts.append(literal(text))
                text = ""
            parts.append(piece)
        else:
            text += piece
    if text or not parts:
        parts.append(literal(text))
    return " || ".join(parts)


def json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def global_id_leaf(type_name: str) -> Leaf:
    """taskql.global_ids' encoding: base64url of "<Type>:<uuid>" without its padding. The
    text is ASCII, so a cast makes its bytes, and replace() maps the two URL-unsafe digits
    (translate() cost three times as much)."""
    prefix = literal(f"{type_name}:")
    return lambda column: [
        '"',
        Expr(
            f"replace(replace(rtrim(encode(({prefix} || {column}::text)::bytea, 'base64'), '='),"
            " '+', '-'), '/', '_')"
        ),
        '"',
    ]


def enum_leaf(outputs: Mapping[Any, str]) -> Leaf:
    """Stored value -> its enum value's name; another stored value writes NULL."""
    cases = " ".join(
        f"WHEN {value if isinstance(value, int) else literal(str(value))}"
        f" THEN {literal(json_text(name))}"
        for value, name in outputs.items()
    )
    return lambda column: [Expr(f"CASE {column} {cases} END")]


def _datetime(column: str) -> Pieces:
    # datetime.isoformat of the aware UTC datetime: the microseconds only when not zero.
    written = f"to_char(({column} AT TIME ZONE 'UTC'), 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
    return ['"', Expr(f"replace({written}, '.000000', '')"), '+00:00"']


SCALAR_LEAVES: dict[str, Leaf] = {
    "String": lambda column: [Expr(f"to_json({column})::text")],
    "ID": lambda column: [Expr(f"to_json({column})::text")],
    # GraphQL's Int is 32 bits: graphql-core reports a value beyond, so NULL is written.
    "Int": lambda column: [
        Expr(f"CASE WHEN {column} BETWEEN -2147483648 AND 2147483647 THEN {column}::text END")
    ],
    "Boolean": lambda column: [Expr(f"CASE WHEN {column} THEN 'true' ELSE 'false' END")],
    "DateTime": _datetime,
}


def writable(read: ListRead, *, owners: bool) -> bool:
    """Whether this list can be written by one statement; `owners`: its nodes' Task.owner
    can be joined (the root tasks list)."""
    for field in read.connection:
        if field.kind == EDGES:
            for edge in field.sub:
                if edge.kind == NODE and not _node_writable(edge.sub, read, owners=owners):
                    return False
                if edge.kind not in {NODE, TYPENAME}:
                    return False
        elif field.kind != TYPENAME:
            return False
    return True


def _node_writable(plan: ObjectPlan, read: ListRead, *, owners: bool) -> bool:
    for field in plan:
        if field.kind not in _NODE_KINDS:
            return False
        if field.kind in {VALUE, EMAIL} and field.sql is None:
            return False
        if field.kind == OWNER and not (owners and _node_writable(field.sub, read, owners=False)):
            return False
        if field.kind == USER_TASKS and not writable(read.nested[field.index], owners=False):
            return False
    return True


class JsonStatement:
    """Writes one root list's statement for one request: its parameters go into `sql`."""

    def __init__(
        self,
        sql: Sql,
        context: Context,
        schema: strawberry.Schema,
        variables: Mapping[str, Any],
    ) -> None:
        self.sql = sql
        self.context = context
        self.schema = schema
        self.variables = variables

    def tasks(self, read: ListRead, arguments: Mapping[str, Any]) -> str:
        """The root tasks list's statement, for its `arguments` as the resolver takes them."""
        query, shown = tasks_page_query(
            self.context, self.sql, read.wanted, arguments, owner_columns=read.owner_columns
        )
        return self._connection(read, query, shown, depth=0)

    def users(self, read: ListRead, arguments: Mapping[str, Any]) -> str:
        """The users list's statement, its users' User.tasks pages included."""
        query, shown = users_page_query(self.context.settings, self.sql, arguments)
        return self._connection(read, query, shown, depth=0)

    def _owner_tasks(self, read: ListRead, owner_reference: str, depth: int) -> str:
        arguments = read.arguments.values(self.schema, self.variables)
        query, shown = tasks_page_query(
            self.context, self.sql, read.wanted, arguments, owner_reference=owner_reference
        )
        return self._connection(read, query, shown, depth=depth)

    def _connection(self, read: ListRead, query: PageQuery, shown: int, *, depth: int) -> str:
        """SELECT of the connection's JSON text over the page's shown rows."""
        alias = f"l{depth}"
        order = query.page_order(f"{alias}.")
        rows = query.shown_rows(shown)
        columns: Columns = lambda name: f"{alias}.{name}"  # noqa: E731 - a short map
        edges: list[str] = []
        values: list[Pieces] = []
        for field in read.connection:
            if field.kind == EDGES:
                edge = f"{alias}.e{len(edges)}"
                edges.append(concat(self._object(field.sub, read, columns, depth)))
                values.append(
                    [
                        Expr(
                            f"CASE WHEN count(*) = count({edge}) THEN '[' ||"
                            f" coalesce(string_agg({edge}, ',' ORDER BY {order}), '') || ']' END"
                        )
                    ]
                )
            else:
                values.append(self._value(field, read, columns, depth))
        made = "".join(f", {edge} AS e{index}" for index, edge in enumerate(edges))
        # OFFSET 0 keeps this a subquery of its own: pulled up, each edge would be written
        # once per aggregate that reads it (the count, then string_agg).
        source = f"SELECT {alias}.*{made} FROM ({rows}) AS {alias} OFFSET 0"  # noqa: S608
        body = concat(_joined(read.connection, values))
        return f"SELECT {body} FROM ({source}) AS {alias}"  # noqa: S608 - fixed parts

    def _object(self, plan: ObjectPlan, read: ListRead, columns: Columns, depth: int) -> Pieces:
        return _joined(plan, [self._value(field, read, columns, depth) for field in plan])

    def _value(self, field: FieldPlan, read: ListRead, columns: Columns, depth: int) -> Pieces:
        kind = field.kind
        if kind == TYPENAME:
            return [json_text(field.constant)]
        if kind == NODE:
            return self._object(field.sub, read, columns, depth)
        if kind == VALUE:
            return _leaf(field, columns(field.name))
        if kind == EMAIL:
            return self._email(field, columns)
        if kind == OWNER:
            return self._owner(field, read, columns, depth)
        if kind != USER_TASKS:
            raise Fallback(Reason.FIELD)  # writable() admits no other kind
        nested = read.nested[field.index]
        return [Expr(f"({self._owner_tasks(nested, columns('id'), depth + 1)})")]

    def _email(self, field: FieldPlan, columns: Columns) -> Pieces:
        """User.email under viewer.can_see_user's rule, as builders.may_read applies it."""
        seen = self.context.viewer.can_see_user_sql(columns("id"), self.sql.param)
        if seen == "TRUE":
            return _leaf(field, columns("email"))
        hidden = "NULL" if field.non_null else "'null'"
        written = concat(_leaf(field, columns("email")))
        return [Expr(f"CASE WHEN {seen} THEN {written} ELSE {hidden} END")]

    def _owner(self, field: FieldPlan, read: ListRead, columns: Columns, depth: int) -> Pieces:
        """Task.owner from the owner columns joined to the page (models.tasks.page_query)."""
        owner: Columns = lambda name: columns(  # noqa: E731 - a short map
            "owner_id" if name == "id" else OWNER_PREFIX + name
        )
        missing = "NULL" if field.non_null else "'null'"
        written = concat(self._object(field.sub, read, owner, depth))
        return [Expr(f"CASE WHEN {owner('email')} IS NULL THEN {missing} ELSE {written} END")]


def _leaf(field: FieldPlan, column: str) -> Pieces:
    assert field.sql is not None  # noqa: S101 - writable() checked it
    written = field.sql(column)
    if field.non_null:
        return written
    return [Expr(f"CASE WHEN {column} IS NULL THEN 'null' ELSE {concat(written)} END")]


def _joined(plan: ObjectPlan, values: list[Pieces]) -> Pieces:
    """{"key": value, "key2": value2} as pieces, in plan order."""
    pieces: Pieces = []
    for index, (field, value) in enumerate(zip(plan, values, strict=True)):
        pieces.append(("{" if index == 0 else ",") + json_text(field.key) + ":")
        pieces.extend(value)
    pieces.append("}" if pieces else "{}")
    return pieces
