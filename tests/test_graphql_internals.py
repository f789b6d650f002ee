"""The unpublished strawberry / graphql-core names in taskql/graphql_internals.py still work.

A failure here names the entry an upgrade broke: check it again (its docstring says what to
look for), or replace it with the public API that has appeared since.
"""

from __future__ import annotations

import inspect
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import strawberry
from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLSchema,
    parse,
    parse_value,
    validate,
    value_from_ast,
)
from graphql.execution import Executor
from strawberry.resolvers import is_default_resolver
from strawberry.types.field import StrawberryField

from schema import Query, build_schema
from schema.tasks.input import TaskFilter
from schema.tasks.types import Task, TaskStatus
from taskql import graphql_internals as internals

ROOT = Path(__file__).resolve().parent.parent
SOURCE_FOLDERS = (
    "taskql",
    "server",
    "compiler",
    "schema",
    "resolvers",
    "models",
    "bench",
    "tests",
)
# Spellings of the unpublished names, as they appear in code that uses them directly.
PRIVATE_SPELLINGS = re.compile(
    r"\._raw_info\b|\._schema\b|\._strawberry_schema\b|[\"']_is_default[\"']"
    r"|DEFINITION_BACKREF|[\"']strawberry-definition[\"']|\bwrapped_cls\b|\.schema_converter\b"
    r"|StrawberryGraphQLCoreExecutionContext|CustomGraphQLEnumType|GraphQLCoreConverter"
    r"|strawberry\.types\.arguments|strawberry\.schema\.validation_rules"
    r"|graphql\.execution\.collect_fields"
    r"|strawberry\.extensions\.(query_depth_limiter|max_aliases)\b"
)


@strawberry.type
class ProbedQuery(Query):
    @strawberry.field
    def probe(self, info: strawberry.Info) -> list[str]:
        """What graphql-core's info says about this field: its selection and the fragments."""
        raw = internals.raw_info(info)
        selected = [
            selection.name.value
            for node in raw.field_nodes
            for selection in (node.selection_set.selections if node.selection_set else ())
            if isinstance(selection, FieldNode)
        ]
        return [*(node.name.value for node in raw.field_nodes), *selected, *sorted(raw.fragments)]


def probed_schema(*, extensions=(), execution_context_class=None):
    return strawberry.Schema(
        query=ProbedQuery,
        extensions=list(extensions),
        execution_context_class=execution_context_class,
    )


def test_installed_versions_are_the_checked_series():
    """The installed strawberry and graphql-core, and the pins in pyproject.toml, are the
    series the unpublished names were checked against; a bump must check them again."""
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    dependencies = " ".join(pins["project"]["dependencies"])
    for package, series in internals.CHECKED_SERIES.items():
        installed = tuple(int(part) for part in version(package).split(".")[:2])
        assert installed == series, f"{package} {version(package)}: check graphql_internals"
        low, high = f"{series[0]}.{series[1]}", f"{series[0]}.{series[1] + 1}"
        assert re.search(
            rf"{re.escape(package)}(\[[^\]]*\])?>={re.escape(low)}[\d.]*,<"
            rf"{re.escape(high)}\b",
            dependencies,
        ), f"pyproject pin of {package}"


async def test_raw_info_gives_field_nodes_and_fragments(make_client, settings):
    """raw_info reaches graphql-core's info, with the field's nodes and the operation's
    fragments, in a resolver served by the real app."""
    client = await make_client(settings, schema_factory=probed_schema)
    query = "query Probe { probe ...F } fragment F on ProbedQuery { serverInfo { version } }"
    response = await client.post("/graphql", json={"query": query})
    assert response.status == 200
    body = await response.json()
    assert body["data"]["probe"] == ["probe", "F"]


def test_graphql_core_schema_is_the_built_one():
    """graphql_core_schema returns the graphql-core schema strawberry built from our types."""
    graphql_schema = internals.graphql_core_schema(build_schema())
    assert isinstance(graphql_schema, GraphQLSchema)
    assert graphql_schema.query_type is not None
    assert "tasks" in graphql_schema.query_type.fields


def test_definitions_lead_back_to_our_classes_and_fields():
    """The definition key finds the strawberry class behind a graphql-core type and the field
    behind a graphql-core field; strawberry marks attribute fields as default-resolved."""
    graphql_schema = internals.graphql_core_schema(build_schema())
    task_type = graphql_schema.type_map["Task"]
    assert internals.definition_of(task_type.extensions).origin is Task
    title = task_type.fields["title"]  # type: ignore[attr-defined]
    field = internals.definition_of(title.extensions)
    assert isinstance(field, StrawberryField)
    assert (field.python_name, field.default_resolver) == ("title", getattr)
    assert is_default_resolver(title.resolve)
    assert not is_default_resolver(graphql_schema.query_type.fields["tasks"].resolve)  # type: ignore[union-attr]
    assert internals.definition_of(None) is None


def test_enum_class_is_our_enum():
    """enum_class finds the Python enum behind strawberry's enum type, and only there."""
    graphql_schema = internals.graphql_core_schema(build_schema())
    assert internals.enum_class(graphql_schema.type_map["TaskStatus"]) is TaskStatus  # type: ignore[arg-type]
    assert internals.enum_class(GraphQLEnumType("Plain", {"A": 1})) is None


def test_convert_arguments_builds_our_input_classes():
    """Arguments coerced by graphql-core convert to the resolver's Python values, input
    objects as their strawberry classes, as strawberry passes them to the resolver."""
    schema = build_schema()
    field = schema.get_field_for_type(field_name="tasks", type_name="Query")
    assert field is not None
    graphql_field = internals.graphql_core_schema(schema).query_type.fields["tasks"]  # type: ignore[union-attr]
    literal = parse_value('{status: [DONE], titleContains: "x"}')
    coerced = {"filter": value_from_ast(literal, graphql_field.args["filter"].type), "first": 3}
    converted = internals.convert_arguments(schema, coerced, field.arguments)
    assert converted["first"] == 3
    assert isinstance(converted["filter"], TaskFilter)
    assert converted["filter"].status == [TaskStatus.DONE]
    assert converted["filter"].title_contains == "x"


@strawberry.input
class Rename:
    name: strawberry.Maybe[str]


@strawberry.input(one_of=True)
class Lookup:
    id: strawberry.ID | None = strawberry.UNSET
    email: str | None = strawberry.UNSET


@strawberry.type
class RuleQuery:
    @strawberry.field
    def rename(self, rename: Rename) -> bool:
        return rename.name is not None

    @strawberry.field
    def lookup(self, by: Lookup) -> bool:
        return by is not None


def test_strawberry_validation_rules_refuse_what_strawberry_refuses():
    """The rules strawberry adds to its own validation still refuse an explicit null for a
    non-nullable Maybe and a @oneOf input with two fields, when run by graphql-core."""
    graphql_schema = internals.graphql_core_schema(strawberry.Schema(query=RuleQuery))
    rules = internals.STRAWBERRY_VALIDATION_RULES
    for document in ("{ rename(rename: {name: null}) }", '{ lookup(by: {id: "1", email: "a"}) }'):
        assert validate(graphql_schema, parse(document), rules), document
    for document in ('{ rename(rename: {name: "x"}) }', '{ lookup(by: {id: "1"}) }'):
        assert validate(graphql_schema, parse(document), rules) == [], document


@pytest.mark.parametrize("name", sorted(internals.EXECUTOR_HOOKS))
def test_executor_hooks_keep_their_parameters(name):
    """The Executor methods the plain-field executor overrides or calls still take the
    parameters it passes, in that order; strawberry's executor still extends Executor."""
    parameters = list(inspect.signature(getattr(Executor, name)).parameters)
    assert tuple(parameters[1:]) == internals.EXECUTOR_HOOKS[name]
    assert issubclass(internals.ExecutorBase, Executor)


def test_unpublished_names_are_used_only_through_this_module():
    """No module spells an unpublished strawberry / graphql-core name itself: each use goes
    through taskql.graphql_internals, where this file tests it."""
    found: dict[str, int] = {}
    for folder in SOURCE_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in ("taskql/graphql_internals.py", "tests/test_graphql_internals.py"):
                continue
            count = len(PRIVATE_SPELLINGS.findall(path.read_text(encoding="utf-8")))
            if count:
                found[relative] = count
    assert not found, f"take these names from taskql.graphql_internals instead: {found}"
