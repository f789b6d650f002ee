"""The plain-field executor answers exactly as graphql-core's own path, data and errors alike.

Each test sends the same operation through the real app twice, once with the executor the app
runs (server.graphql_execution.PlainFieldExecutor) and once with strawberry's stock one, and
compares the two response bodies whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import strawberry
from graphql import GraphQLResolveInfo, get_introspection_query
from graphql.pyutils import Undefined

from models.tasks import Priority, Status
from models.users import Role
from schema import build_schema
from server.graphql_execution import PlainFieldExecutor
from taskql.graphql_internals import ExecutorBase
from tests.conftest import with_overrides
from tests.task_factories import create_tasks, signed_in_user

OPERATIONS = Path(__file__).resolve().parent.parent / "operations"
# Both answers must carry the same request id, which masked errors quote.
HEADERS = {"X-Request-Id": "plain-fields-test"}


class KeptSchema:
    """A schema factory for make_client that keeps the schema it built, so that a test can
    switch the executor between requests."""

    def __init__(self, factory: Callable[..., strawberry.Schema]) -> None:
        self.factory = factory
        self.schema: strawberry.Schema | None = None

    def __call__(self, **kwargs: Any) -> strawberry.Schema:
        self.schema = self.factory(**kwargs)
        return self.schema


async def answers(
    client: Any,
    kept: KeptSchema,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The body with the plain-field executor, then with strawberry's stock executor."""
    assert kept.schema is not None
    headers = {**HEADERS, **({"Authorization": f"Bearer {token}"} if token else {})}
    bodies = []
    for executor in (PlainFieldExecutor, ExecutorBase):
        kept.schema.execution_context_class = executor
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status == 200, await response.text()
        bodies.append(await response.json())
    return bodies[0], bodies[1]


# --- the real schema ---------------------------------------------------------------------

EVERYTHING = """
query Everything($withCounts: Boolean!, $skipOwner: Boolean!) {
  me { __typename id displayName email role isActive createdAt
       taskCounts { todo inProgress done cancelled total }
       tasks(first: 3) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
                         edges { cursor node { ...TaskFields } } } }
  tasks(first: 50, orderBy: {field: DUE_AT, direction: ASC}) {
    totalCount @include(if: $withCounts)
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      first: node { id }
      node { ...TaskFields owner @skip(if: $skipOwner) { id displayName email } }
    }
  }
  users(first: 5) {
    edges { node {
      id email
      ... on User { recent: tasks(first: 2) { edges { node { id status } } } }
      all: tasks(first: 10, orderBy: {field: PRIORITY, direction: DESC}) {
        edges { node { id priority version dueAt completedAt } }
      }
    } }
  }
}
fragment TaskFields on Task {
  __typename id title description status priority dueAt completedAt version
  clientMutationId createdAt updatedAt
}
"""


@pytest.fixture
async def real_schema(make_client, settings):
    kept = KeptSchema(build_schema)
    # The plain-field executor itself, not compiled plans (tests/test_compiled_execution.py).
    plain = with_overrides(settings, graphql={"compiled_execution": False})
    client = await make_client(plain, schema_factory=kept)
    return client, kept


async def add_rows(settings, users: int = 3) -> str:
    """An admin with tasks and `users` users with dated, done and critical tasks; the admin's
    token."""
    admin, token = await signed_in_user(settings, role=Role.ADMIN)
    await create_tasks(admin, 2, description="mine", priority=Priority.HIGH)
    due = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    for index in range(users):
        user, _ = await signed_in_user(settings)
        await create_tasks(user, 3, due_at=due, status=Status.DONE, completed_at=due)
        await create_tasks(user, 2 + index, priority=Priority.CRITICAL)
    return token


# The list reads (no variables); the session and account operations take variables and are
# answered by plain mutation resolvers, covered by their own tests.
LIST_OPERATIONS = sorted(
    path.stem for path in OPERATIONS.glob("*.graphql") if path.stem.startswith(("tasks", "users"))
)


# Variables a list operation needs (the rest run with none).
OPERATION_VARIABLES = {"tasks_search": {"search": "task"}}


@pytest.mark.parametrize("name", LIST_OPERATIONS)
async def test_frontend_operations_answer_alike(real_schema, settings, name):
    """The frontend's query operations give identical bodies with and without the plain
    path."""
    client, kept = real_schema
    token = await add_rows(settings)
    query = (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")
    variables = await refetch_variables(client, token) if name.startswith("node") else None

    plain, stock = await answers(
        client, kept, query, variables or OPERATION_VARIABLES.get(name), token=token
    )

    assert "errors" not in plain, plain
    assert plain == stock
    if variables is not None and name == "node_refetch":
        assert plain["data"]["node"]["id"] == variables["id"]
    elif variables is not None:
        assert [node["id"] for node in plain["data"]["nodes"]] == variables["ids"]
    else:
        connection = plain["data"]["tasks" if name.startswith("tasks") else "users"]
        assert len(connection["edges"]) >= 4


async def refetch_variables(client, token: str) -> dict[str, Any]:
    """The refetch operations' variables: the global ids of the listed tasks and their owners."""
    response = await client.post(
        "/graphql",
        json={"query": "{ tasks(first: 100) { edges { node { id owner { id } } } } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    edges = (await response.json())["data"]["tasks"]["edges"]
    ids = [edge["node"]["id"] for edge in edges]
    ids += list(dict.fromkeys(edge["node"]["owner"]["id"] for edge in edges))
    return {"id": ids[0], "ids": ids}


async def test_frontend_bulk_mutation_answers_alike(real_schema, settings):
    """UpdateTasks returns its tasks identically with and without the plain path (an input
    without fields, so both runs see the same rows)."""
    client, kept = real_schema
    token = await add_rows(settings)
    listed, _ = await answers(
        client, kept, "{ tasks(first: 5) { edges { node { id } } } }", token=token
    )
    ids = [edge["node"]["id"] for edge in listed["data"]["tasks"]["edges"]]
    query = (OPERATIONS / "update_tasks.graphql").read_text(encoding="utf-8")

    plain, stock = await answers(client, kept, query, {"ids": ids, "input": {}}, token=token)

    assert "errors" not in plain, plain
    assert plain == stock
    assert [task["id"] for task in plain["data"]["updateTasks"]] == ids


@pytest.mark.parametrize("skip_owner", [False, True])
async def test_fragments_aliases_directives_and_resolvers_answer_alike(
    real_schema, settings, skip_owner
):
    """Fragments, aliases, __typename, @include/@skip, cursors, counts and nested
    connections: the same body both ways."""
    client, kept = real_schema
    token = await add_rows(settings)
    variables = {"withCounts": True, "skipOwner": skip_owner}

    plain, stock = await answers(client, kept, EVERYTHING, variables, token=token)

    assert "errors" not in plain, plain
    assert plain == stock
    assert ("owner" in plain["data"]["tasks"]["edges"][0]["node"]) is not skip_owner


async def test_errors_answer_alike(real_schema, settings):
    """A foreign or malformed id and an over-large page fail identically both ways."""
    client, kept = real_schema
    token = await add_rows(settings)
    query = """query($id: ID!) {
      task(id: $id) { id }
      tasks(first: 500) { edges { node { id } } }
      me { id tasks(first: -1) { edges { node { id } } } }
    }"""

    plain, stock = await answers(client, kept, query, {"id": "nope"}, token=token)

    assert plain == stock
    assert {e["extensions"]["code"] for e in plain["errors"]} == {"VALIDATION_ERROR"}


class CountingExecutor(PlainFieldExecutor):
    """Counts the resolve infos graphql-core builds: one per field resolved its general way."""

    infos = 0

    def build_resolve_info(self, *args: Any, **kwargs: Any) -> GraphQLResolveInfo[Any]:
        CountingExecutor.infos += 1
        return super().build_resolve_info(*args, **kwargs)


async def test_plain_fields_skip_graphql_cores_field_machinery(real_schema, settings):
    """In users-with-tasks only the resolvers (users, then tasks per user) go the general way:
    the edges, nodes and scalars of every page are read directly."""
    client, kept = real_schema
    token = await add_rows(settings, users=7)
    assert kept.schema is not None
    kept.schema.execution_context_class = CountingExecutor
    CountingExecutor.infos = 0

    response = await client.post(
        "/graphql",
        json={"query": (OPERATIONS / "users_with_tasks.graphql").read_text(encoding="utf-8")},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = await response.json()

    users = body["data"]["users"]["edges"]
    assert len(users) == 8
    assert sum(len(user["node"]["tasks"]["edges"]) for user in users) > 20
    assert CountingExecutor.infos == 1 + len(users)


# --- unusual values: every fallback to graphql-core's path --------------------------------


class Colour(Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.type
class Leaf:
    name: str
    colour: Colour
    maybe: str | None

    @strawberry.field
    def explode(self) -> str | None:
        raise RuntimeError("SELECT secret FROM leaves")

    @strawberry.field
    async def later(self) -> str:
        await asyncio.sleep(0)
        return f"later {self.name}"


@strawberry.type
class Branch:
    leaf: Leaf
    maybe_leaf: Leaf | None
    leaves: list[Leaf]
    maybe_leaves: list[Leaf | None] | None


def leaf(name: Any = "ok", colour: Any = Colour.RED) -> Leaf:
    return Leaf(name=name, colour=colour, maybe=None)


class Ready:
    """An awaitable that is not a coroutine: one never awaited (its branch nulled first)
    raises no warning."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Generator[None, None, Any]:
        yield from ()
        return self.value


def branches() -> list[Branch]:
    good = leaf()
    return [
        Branch(leaf=good, maybe_leaf=None, leaves=[good, leaf(7)], maybe_leaves=[good, None]),
        # a non-null name that is null: nulls the leaf, which nulls the branch
        Branch(leaf=leaf(None), maybe_leaf=good, leaves=[leaf(None)], maybe_leaves=None),
        # a value that does not coerce, in a nullable object and in a list
        Branch(
            leaf=good,
            maybe_leaf=leaf(colour="GREEN"),
            leaves=[good],
            maybe_leaves=[leaf(object())],
        ),
        # an awaitable object (graphql-core awaits it) and a list that is not a list
        Branch(
            leaf=Ready(leaf("awaited")),  # type: ignore[arg-type]
            maybe_leaf=good,
            leaves=(good,),  # type: ignore[arg-type]
            maybe_leaves=iter([good]),  # type: ignore[arg-type]
        ),
        # graphql-core's "undefined" where values belong: null, as for None
        Branch(
            leaf=Leaf(name="undefined", colour=Colour.BLUE, maybe=Undefined),  # type: ignore[arg-type]
            maybe_leaf=Undefined,  # type: ignore[arg-type]
            leaves=[good],
            maybe_leaves=[Undefined, good],  # type: ignore[list-item]
        ),
    ]


@strawberry.type
class Garden:
    @strawberry.field
    def branches(self) -> list[Branch | None]:
        return list(branches())

    @strawberry.field
    def strict_branches(self) -> list[Branch]:
        return branches()


@strawberry.type
class GardenQuery:
    @strawberry.field
    def garden(self) -> Garden:
        return Garden()


def garden_schema(**kwargs: Any) -> strawberry.Schema:
    return strawberry.Schema(query=GardenQuery, **kwargs)


LEAF = "{ name colour maybe explode later }"
GARDEN = f"""{{ garden {{
  branches {{ leaf {LEAF} maybeLeaf {LEAF} leaves {LEAF} maybeLeaves {LEAF} }}
}} }}"""
# A null name in a non-null list of non-null items nulls everything up to `garden`.
STRICT_GARDEN = f"{{ garden {{ strictBranches {{ maybeLeaf {LEAF} leaves {{ name }} }} }} }}"


@pytest.mark.parametrize("query", [GARDEN, STRICT_GARDEN], ids=["nullable", "non-null"])
async def test_unusual_values_answer_alike(make_client, settings, query):
    """Nulls in non-null fields, values that do not coerce, resolver errors, awaitable
    objects, tuples and iterators: the same data and the same errors both ways."""
    kept = KeptSchema(garden_schema)
    client = await make_client(settings, schema_factory=kept)

    plain, stock = await answers(client, kept, query)

    assert plain == stock
    assert plain["errors"]
    assert all("SELECT" not in error["message"] for error in plain["errors"])


async def test_introspection_answers_alike(real_schema):
    """GraphiQL's introspection query: the same schema description both ways."""
    client, kept = real_schema

    plain, stock = await answers(client, kept, get_introspection_query(descriptions=True))

    assert "errors" not in plain, plain
    assert plain == stock
    assert any(t["name"] == "TaskConnection" for t in plain["data"]["__schema"]["types"])
