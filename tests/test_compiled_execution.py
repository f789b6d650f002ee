"""Compiled execution (compiler/): the same bodies as graphql-core's path, plans cached and
bounded, fallbacks counted with their reason, and the setting that turns it off.

Each comparison sends one operation through the real app twice: with the app's own executor
(compiled plans) and with strawberry's stock executor, and compares the response bytes.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from tortoise import connections

from compiler import Reason
from schema import build_schema
from server.compiled_execution import COMPILED_ANSWERS, COMPILER
from taskql.global_ids import encode_user
from taskql.graphql_internals import ExecutorBase
from taskql.settings import ConfigError, load_settings
from tests.conftest import base_settings, with_overrides
from tests.test_plain_fields import (
    EVERYTHING,
    OPERATION_VARIABLES,
    OPERATIONS,
    KeptSchema,
    add_rows,
    refetch_variables,
)

HEADERS = {"X-Request-Id": "compiled-test"}


async def compiled_app(make_client, settings):
    """(client, the kept schema, its compiling executor class): `both` switches executors."""
    kept = KeptSchema(build_schema)
    client = await make_client(settings, schema_factory=kept)
    assert kept.schema is not None
    return client, kept, kept.schema.execution_context_class


@pytest.fixture
async def app(make_client, settings):
    return await compiled_app(make_client, settings)


async def both(app, query: str, variables=None, *, token=None) -> tuple[bytes, bytes]:
    """The response bytes with compiled plans, then with strawberry's stock executor."""
    client, kept, compiled = app
    headers = {**HEADERS, **({"Authorization": f"Bearer {token}"} if token else {})}
    bodies = []
    for executor in (compiled, ExecutorBase):
        kept.schema.execution_context_class = executor
        # A learned operation would be answered without the executor (server/compiled_http.py).
        client.app[COMPILED_ANSWERS].forget()
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status == 200, await response.text()
        bodies.append(await response.read())
    kept.schema.execution_context_class = compiled
    return bodies[0], bodies[1]


def counters(app) -> Any:
    return app[0].app[COMPILER].counters


# The frontend's query operations the compiler answers, with the statements a run sends
# (one per list level, one for the owners of User.tasks pages when selected; the bearer check
# not included).
COMPILED_OPERATIONS = {
    "tasks_by_urgency": 1,
    "tasks_previous_page": 1,
    "tasks_with_owners": 1,
    "tasks_with_owners_email": 1,
    "users_with_tasks": 2,
    "users_with_tasks_email": 2,
}
# Those whose lists one PostgreSQL statement writes as JSON (compiler/json_sql.py): one
# statement each there, whatever the levels. The others select cursors or pageInfo.
WRITTEN_OPERATIONS = frozenset(
    {"tasks_with_owners", "tasks_with_owners_email", "users_with_tasks", "users_with_tasks_email"}
)
POSTGRES = base_settings().database.dialect == "postgres"


def expected_statements(name: str) -> int:
    """The statements a compiled run of this operation sends here, the bearer check not
    included."""
    return 1 if POSTGRES and name in WRITTEN_OPERATIONS else COMPILED_OPERATIONS[name]


# The other query operations, left to graphql-core, and why (totalCount, users(filter:), node
# and mySessions are fields the compiler does not know). Mutations and subscriptions are
# never compiled (test_fallbacks_answer_alike_and_name_their_reason) and change data, so
# they are not sent twice here.
FALLBACK_OPERATIONS = {
    "tasks_search": Reason.FIELD,
    "users_by_email": Reason.FIELD,
    "users_search": Reason.ARGUMENT,
    "node_refetch": Reason.FIELD,
    "nodes_refetch": Reason.FIELD,
    "my_sessions": Reason.FIELD,
}


def test_every_query_operation_is_either_compiled_or_a_named_fallback():
    queries = {
        path.stem
        for path in OPERATIONS.glob("*.graphql")
        if "\nquery " in "\n" + path.read_text(encoding="utf-8")
    }
    assert queries == COMPILED_OPERATIONS.keys() | FALLBACK_OPERATIONS.keys()


async def operation_variables(app, name: str, token: str) -> dict[str, Any] | None:
    if name.startswith("node"):
        return await refetch_variables(app[0], token)
    return OPERATION_VARIABLES.get(name)


@pytest.mark.parametrize("name", sorted(COMPILED_OPERATIONS))
async def test_frontend_operations_are_compiled_and_answer_alike(app, settings, name):
    token = await add_rows(settings)
    query = (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")

    compiled, stock = await both(app, query, token=token)

    assert compiled == stock
    assert b'"errors"' not in compiled
    assert counters(app).compiled == 1
    assert not counters(app).fallbacks


@pytest.mark.parametrize("name", sorted(FALLBACK_OPERATIONS))
async def test_other_frontend_queries_fall_back_and_answer_alike(app, settings, name):
    token = await add_rows(settings)
    query = (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")
    variables = await operation_variables(app, name, token)
    counters(app).compiled = 0  # the refetch variables' list read was compiled

    compiled, stock = await both(app, query, variables, token=token)

    assert compiled == stock
    assert b'"errors"' not in compiled
    assert counters(app).compiled == 0
    assert dict(counters(app).fallbacks) == {FALLBACK_OPERATIONS[name]: 1}


@pytest.mark.parametrize("name", sorted(COMPILED_OPERATIONS))
async def test_a_plan_sends_the_statements_fixed_when_it_was_compiled(
    app, settings, sql_statements, name
):
    """One per list level and one for owners when selected, plus the bearer check."""
    token = await add_rows(settings, users=6)
    client = app[0]
    query = (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")
    headers = {"Authorization": f"Bearer {token}"}
    await client.post("/graphql", json={"query": query}, headers=headers)  # compiles

    sql_statements.reset()
    response = await client.post("/graphql", json={"query": query}, headers=headers)

    assert "errors" not in await response.json()
    (entry,) = client.app[COMPILER].plans._entries.values()
    (plan,) = entry.variants.values()
    assert plan.statements == COMPILED_OPERATIONS[name]
    assert [root.read.written for root in plan.roots] == [name in WRITTEN_OPERATIONS]
    assert len(sql_statements.statements) == 1 + expected_statements(name)


SHAPES = """
query Shapes($first: Int, $after: String, $withOwner: Boolean!, $skipEmail: Boolean!) {
  __typename
  list: tasks(first: $first, after: $after, orderBy: {field: PRIORITY, direction: ASC}) {
    __typename
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename }
    edges {
      cursor
      ... on TaskEdge { node { ...TaskFields } }
      node { id owner @include(if: $withOwner) { id email @skip(if: $skipEmail) role } }
    }
  }
  tasks(filter: {status: [DONE]}, first: 3) { edges { node { id status completedAt } } }
  users(first: 5) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      __typename id email displayName role isActive createdAt updatedAt
      recent: tasks(first: 2) { edges { node { id status owner { id email } } } }
      all: tasks(first: 10, orderBy: {field: DUE_AT, direction: DESC}) {
        pageInfo { hasNextPage }
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


@pytest.mark.parametrize(
    ("with_owner", "skip_email", "first"), [(True, False, 4), (False, True, None), (True, True, 0)]
)
async def test_aliases_fragments_directives_and_arguments_answer_alike(
    app, settings, with_owner, skip_email, first
):
    token = await add_rows(settings)
    variables = {"first": first, "withOwner": with_owner, "skipEmail": skip_email}

    compiled, stock = await both(app, SHAPES, variables, token=token)

    assert compiled == stock
    assert b'"errors"' not in compiled
    assert counters(app).compiled == 1, counters(app).fallbacks


async def test_a_page_after_a_cursor_answers_alike(app, settings, graphql):
    token = await add_rows(settings)
    first = await graphql(SHAPES, {"first": 2, "withOwner": True, "skipEmail": False}, token=token)
    cursor = first["data"]["list"]["pageInfo"]["endCursor"]
    variables = {"first": 2, "after": cursor, "withOwner": True, "skipEmail": False}

    compiled, stock = await both(app, SHAPES, variables, token=token)

    assert compiled == stock
    assert b'"hasPreviousPage":true' in compiled


async def test_a_plain_user_sees_only_their_own_rows(app, settings):
    """The ownership scope is part of every compiled read; emails of others stay null."""
    await add_rows(settings)
    from tests.task_factories import create_tasks, signed_in_user  # noqa: PLC0415

    user, token = await signed_in_user(settings)
    await create_tasks(user, 3)
    query = "{ tasks(first: 50) { edges { node { id owner { id email } } } } }"

    compiled, stock = await both(app, query, token=token)

    assert compiled == stock
    assert compiled.count(b'"id":"' + encode_user(str(user.id)).encode()) == 3
    assert counters(app).compiled == 1


@pytest.mark.parametrize(
    ("query", "variables", "reason"),
    [
        ('mutation { updateMe(displayName: "Same") { displayName } }', None, Reason.MUTATION),
        ("{ __schema { queryType { name } } }", None, Reason.INTROSPECTION),
        ("{ me { id } }", None, Reason.FIELD),
        ("{ tasks { totalCount } }", None, Reason.FIELD),
        ("{ users { edges { node { taskCounts { total } } } } }", None, Reason.FIELD),
        (
            "{ tasks { edges { node { owner { tasks { edges { node { id } } } } } } } }",
            None,
            Reason.FIELD,
        ),
        ("{ tasks(first: 500) { edges { node { id } } } }", None, Reason.ARGUMENT),
        (
            "query($f: Int) { tasks(first: $f) { edges { node { id } } } }",
            {"f": -1},
            Reason.ARGUMENT,
        ),
        ('{ tasks(after: "bogus") { edges { node { id } } } }', None, Reason.ARGUMENT),
        ("{ users { edges { node { id } } } }", None, Reason.PERMISSION),
    ],
)
async def test_fallbacks_answer_alike_and_name_their_reason(
    app, settings, query, variables, reason
):
    from models.users import Role  # noqa: PLC0415
    from tests.task_factories import signed_in_user  # noqa: PLC0415

    await add_rows(settings)
    _, token = await signed_in_user(settings, role=Role.USER)

    compiled, stock = await both(app, query, variables, token=token)

    assert compiled == stock
    assert counters(app).compiled == 0
    assert dict(counters(app).fallbacks) == {reason: 1}


async def test_anonymous_callers_get_graphql_cores_error(app):
    compiled, stock = await both(app, "{ tasks { edges { node { id } } } }")

    assert compiled == stock
    assert b"UNAUTHENTICATED" in compiled
    assert dict(counters(app).fallbacks) == {Reason.PERMISSION: 1}


async def test_a_value_that_does_not_convert_falls_back_to_graphql_cores_error(app, settings):
    """A stored status the schema does not know is a runtime anomaly: graphql-core reports
    it (and nulls the non-null parents) exactly as without compiled plans."""
    token = await add_rows(settings)
    await connections.get("default").execute_query("UPDATE tasks SET status = 'ARCHIVED'")
    query = "{ tasks(first: 50) { edges { node { id status } } } }"

    compiled, stock = await both(app, query, token=token)

    assert compiled == stock
    assert b'"data":null' in compiled
    assert dict(counters(app).fallbacks) == {Reason.ANOMALY: 1}


async def test_plans_are_cached_per_operation_and_bounded(make_client, settings):
    small = with_overrides(settings, graphql={"compiled_plan_cache_size": 2})
    client = await make_client(small)
    token = await add_rows(small)
    compiler = client.app[COMPILER]
    headers = {"Authorization": f"Bearer {token}"}
    queries = [f"{{ tasks(first: {n}) {{ edges {{ node {{ id }} }} }} }}" for n in (1, 2, 3)]

    for query in [queries[0], queries[0], queries[1], queries[2]]:
        response = await client.post("/graphql", json={"query": query}, headers=headers)
        assert "errors" not in await response.json()

    assert compiler.counters.compiled == 4
    assert len(compiler.plans) == 2  # the first evicted: least recently used


async def test_skip_include_variables_pick_one_plan_per_combination(app, settings):
    token = await add_rows(settings)
    client = app[0]
    compiler = client.app[COMPILER]
    for with_owner, skip_email in [(True, False), (False, True), (True, False)]:
        variables = {"first": 3, "withOwner": with_owner, "skipEmail": skip_email}
        response = await client.post(
            "/graphql",
            json={"query": SHAPES, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        body = await response.json()
        assert "errors" not in body
        assert ("owner" in body["data"]["list"]["edges"][0]["node"]) is with_owner

    (entry,) = compiler.plans._entries.values()
    assert entry.conditions == ("skipEmail", "withOwner")
    assert len(entry.variants) == 2
    assert compiler.counters.compiled == 3


async def test_the_setting_turns_compilation_off(make_client, settings):
    off = with_overrides(settings, graphql={"compiled_execution": False})
    client = await make_client(off)
    token = await add_rows(off)

    response = await client.post(
        "/graphql",
        json={"query": (OPERATIONS / "tasks_with_owners.graphql").read_text()},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert "errors" not in await response.json()
    assert COMPILER not in client.app


async def test_everything_of_the_plain_field_tests_answers_alike(app, settings):
    """The plain-field executor's own test operation (me, counts, totalCount) falls back."""
    token = await add_rows(settings)

    compiled, stock = await both(
        app, EVERYTHING, {"withCounts": True, "skipOwner": False}, token=token
    )

    assert compiled == stock
    assert dict(counters(app).fallbacks) == {Reason.FIELD: 1}


BACKWARD = """
query Backward($last: Int, $before: String, $filter: TaskFilter, $order: [TaskOrder!]) {
  tasks(last: $last, before: $before, orderBy: [{field: STATUS, direction: ASC}, {field: TITLE}]) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id title status owner { displayName } } }
  }
  users(orderBy: {field: EMAIL, direction: ASC}, last: 3) {
    pageInfo { hasNextPage hasPreviousPage startCursor }
    edges { node { id email tasks(last: 2, orderBy: [{field: PRIORITY}]) {
      pageInfo { hasPreviousPage } edges { cursor node { id priority } } }
      filtered: tasks(filter: $filter, orderBy: $order) { edges { node { id status } } } } }
  }
}
"""
FILTERED = {"filter": {"status": ["DONE", "TODO"]}, "order": [{"field": "DUE_AT"}]}


async def test_backward_pages_and_order_lists_answer_alike(app, settings):
    """last/before and orderBy lists go through the resolvers' own page requests."""
    token = await add_rows(settings)
    client = app[0]
    response = await client.post(
        "/graphql",
        json={"query": BACKWARD, "variables": {"last": 3, **FILTERED}},
        headers={"Authorization": f"Bearer {token}"},
    )
    before = (await response.json())["data"]["tasks"]["pageInfo"]["startCursor"]

    variables = {"last": 2, "before": before, **FILTERED}
    compiled, stock = await both(app, BACKWARD, variables, token=token)

    assert compiled == stock
    assert b'"errors"' not in compiled
    assert b'"hasNextPage":true' in compiled
    assert counters(app).compiled == 2
    assert not counters(app).fallbacks


SEARCH = """
query Search($search: String, $order: [TaskOrder!]) {
  tasks(first: 20, filter: {search: $search}, orderBy: $order) {
    edges { cursor node { id title owner { id } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
RELEVANCE = [{"field": "RELEVANCE", "direction": "DESC"}]


@pytest.mark.parametrize(
    ("variables", "reason"),
    [
        ({"search": "task", "order": RELEVANCE}, None),
        ({"search": None, "order": RELEVANCE}, Reason.ARGUMENT),  # RELEVANCE needs a search
    ],
)
async def test_search_and_relevance_answer_alike(app, settings, variables, reason):
    """filter.search and RELEVANCE go through the resolvers' own reads; what they refuse is
    graphql-core's to report."""
    token = await add_rows(settings)

    compiled, stock = await both(app, SEARCH, variables, token=token)

    assert compiled == stock
    if reason is None:
        assert b'"errors"' not in compiled
        assert compiled.count(b'"cursor"') >= 4
        assert counters(app).compiled == 1
    else:
        assert b"VALIDATION_ERROR" in compiled
        assert dict(counters(app).fallbacks) == {reason: 1}


async def test_plans_keep_no_more_text_than_the_document_cache(make_client, settings):
    """A plan holds its operation's syntax tree: distinct large documents are evicted by
    the same text budget as the document cache, not kept up to the entry count."""
    budget = with_overrides(
        settings, graphql={"document_cache_text_bytes": 2000, "compiled_plan_cache_size": 100}
    )
    client = await make_client(budget)
    token = await add_rows(budget)
    compiler = client.app[COMPILER]
    padding = "#" + "x" * 450 + "\n"  # a comment: about 450 characters of text each

    for n in range(10):
        query = f"{{ tasks(first: {n}) {{ edges {{ node {{ {padding} id }} }} }} }}"
        response = await client.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )
        assert "errors" not in await response.json()

    assert compiler.counters.compiled == 10
    assert 2 <= len(compiler.plans) <= 4
    assert compiler.plans.text_size <= 2000


async def test_executions_are_counted_in_prometheus_and_logged_at_debug(
    make_client, settings, logs
):
    from tests.test_metrics import metrics_settings, scrape, value  # noqa: PLC0415

    configured, port = metrics_settings(settings, max_seen_operation_names=0)
    client = await make_client(configured)
    # DEBUG for this logger only (logging.level = DEBUG turns it on for every logger).
    compiler_log = logging.getLogger("taskql.compiler")
    level = compiler_log.level
    compiler_log.setLevel(logging.DEBUG)
    token = await add_rows(configured)
    query = (OPERATIONS / "tasks_with_owners.graphql").read_text(encoding="utf-8")
    before = await scrape(port)
    logs.clear()

    try:
        for headers in ({"Authorization": f"Bearer {token}"}, {}):
            response = await client.post("/graphql", json={"query": query}, headers=headers)
            assert response.status == 200
    finally:
        compiler_log.setLevel(level)

    after = await scrape(port)
    name = "taskql_graphql_executions_total"
    for path, reason in (("compiled", "none"), ("fallback", "permission")):
        assert value(after, name, path=path, reason=reason) == (
            value(before, name, path=path, reason=reason) + 1
        )
    executions = [r for r in logs.records if r.get("event") == "graphql execution"]
    assert [(r["path"], r.get("reason")) for r in executions] == [
        ("compiled", None),
        ("fallback", "permission"),
    ]
    assert {r["level"] for r in executions} == {"debug"}


@pytest.mark.parametrize(
    ("name", "value"),
    [("COMPILED_PLAN_CACHE_SIZE", "-7"), ("COMPILED_EXECUTION", "maybe")],
)
def test_bad_compiled_execution_settings_are_refused_by_name(monkeypatch, name, value):
    monkeypatch.setenv(f"TASKQL_GRAPHQL__{name}", value)

    with pytest.raises(ConfigError, match=f"graphql.{name.lower()}") as refused:
        load_settings("test")

    assert value not in str(refused.value).replace(f"graphql.{name.lower()}", "")
