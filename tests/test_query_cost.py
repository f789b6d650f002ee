"""The static query cost: the model, the graphql.max_cost limit, and extensions.cost.

Costs are read from the answers (`X-TaskQL-Cost: 1`), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from models.users import Role
from server.graphql_cost_limits import COST_CALCULATOR
from taskql.settings import ConfigError, load_settings
from tests.conftest import with_overrides
from tests.task_factories import create_tasks, signed_in_user
from tests.test_hostile_inputs import UNCAPPED, doubling_fragments

OPERATIONS = Path(__file__).resolve().parent.parent / "operations"
ASK = {"X-TaskQL-Cost": "1"}

# The operations frontends ship and what each costs: changing one is a contract change
# (README "Query cost" lists them too).
FRONTEND_COSTS = {
    "tasks_with_owners": 501,  # 1 + 50 x (edges 1 + node 1 + 5 fields + owner 3)
    "tasks_with_owners_email": 551,
    "users_with_tasks": 881,  # 1 + 20 x (edges 1 + node 1 + id 1 + tasks(10) 41)
    "users_with_tasks_email": 1101,
}

NODE_IDS = "edges { node { id } }"


async def cost_of(graphql, query: str, variables: dict[str, Any] | None = None, **kw) -> int:
    body = await graphql(query, variables, headers=ASK, **kw)
    assert "errors" not in body, body
    cost: int = body["extensions"]["cost"]
    return cost


@pytest.fixture
async def admin_token(settings) -> str:
    _admin, token = await signed_in_user(settings, role=Role.ADMIN)
    return token


@pytest.mark.parametrize(("name", "cost"), FRONTEND_COSTS.items())
async def test_frontend_operations_costs_are_pinned(graphql, settings, admin_token, name, cost):
    """Each operation in operations/ costs exactly its pinned figure, with data to return."""
    user, _token = await signed_in_user(settings)
    await create_tasks(user, 3)
    query = (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")
    assert await cost_of(graphql, query, token=admin_token) == cost
    assert cost <= settings.graphql.max_cost


async def test_cost_is_reported_only_when_asked(graphql, admin_token):
    """Outside development extensions.cost appears only with the X-TaskQL-Cost header."""
    query = "{ serverInfo { version } }"
    assert "extensions" not in await graphql(query, token=admin_token)
    assert (await graphql(query, headers=ASK))["extensions"] == {"cost": 2}
    assert "extensions" not in await graphql(query, headers={"X-TaskQL-Cost": "0"})


async def test_report_cost_setting_reports_every_answer(make_client, settings):
    """graphql.report_cost (on in development) puts extensions.cost in every answer."""
    client = await make_client(with_overrides(settings, graphql={"report_cost": True}))
    response = await client.post("/graphql", json={"query": "{ serverInfo { version } }"})
    assert (await response.json())["extensions"] == {"cost": 2}
    assert load_settings("development").graphql.report_cost is True
    assert load_settings("test").graphql.report_cost is False


@pytest.mark.parametrize(
    ("variables", "rows"),
    [({"n": 7}, 7), ({}, 5), ({"n": None}, 20), ({"n": 0}, 0)],
    ids=["variable", "variable-default", "null-is-page-default", "zero"],
)
async def test_a_connection_multiplies_its_edges_by_first(graphql, admin_token, variables, rows):
    """`first` from the variables (or the variable's default; graphql.page_size_default
    for null) multiplies the edges: tasks 1 + rows x (edges, node, id)."""
    query = f"query($n: Int = 5) {{ tasks(first: $n) {{ {NODE_IDS} }} }}"
    assert await cost_of(graphql, query, variables, token=admin_token) == 1 + rows * 3


async def test_literal_and_absent_first(graphql, admin_token):
    """A literal `first` multiplies; an absent one counts graphql.page_size_default (20)."""
    literal = await cost_of(graphql, f"{{ tasks(first: 3) {{ {NODE_IDS} }} }}", token=admin_token)
    absent = await cost_of(graphql, f"{{ tasks {{ {NODE_IDS} }} }}", token=admin_token)
    assert (literal, absent) == (1 + 3 * 3, 1 + 20 * 3)


async def test_last_multiplies_like_first(graphql, admin_token):
    """A backward page's `last` multiplies its edges as `first` does (no way around the cost
    by paging from the end), also on users."""
    tasks = await cost_of(graphql, f"{{ tasks(last: 7) {{ {NODE_IDS} }} }}", token=admin_token)
    users = await cost_of(graphql, f"{{ users(last: 4) {{ {NODE_IDS} }} }}", token=admin_token)
    assert (tasks, users) == (1 + 7 * 3, 1 + 4 * 3)


async def test_page_info_and_total_count_are_counted_once(graphql, admin_token):
    """Only the list below a connection is multiplied; totalCount weighs 10 (@cost)."""
    query = "{ tasks(first: 50) { totalCount pageInfo { hasNextPage endCursor } } }"
    assert await cost_of(graphql, query, token=admin_token) == 1 + 10 + 3


async def test_nested_connections_multiply(graphql, admin_token):
    """users(first: 3) of tasks(first: 4): the inner connection's cost is paid per user."""
    query = (
        f"{{ users(first: 3) {{ edges {{ node {{ taskCounts {{ total }} "
        f"tasks(first: 4) {{ {NODE_IDS} }} }} }} }} }}"
    )
    inner = 1 + 4 * 3
    node = 1 + (5 + 1) + inner  # taskCounts weighs 5 (@cost), plus its field
    assert await cost_of(graphql, query, token=admin_token) == 1 + 3 * (1 + node)


async def test_fragments_cost_what_they_select(graphql, admin_token):
    """Named and inline fragments cost what the same fields would cost written out; a
    fragment spread twice in one selection set counts once, as graphql-core runs it once;
    __typename is free."""
    written_out = f"{{ tasks(first: 4) {{ {NODE_IDS} }} serverInfo {{ version }} }}"
    with_fragments = (
        "query { ...Page ...Page ... on Query { serverInfo { ...Info } } __typename }\n"
        "fragment Page on Query { tasks(first: 4) { edges { node { ... on Task { id } } } } }\n"
        "fragment Info on ServerInfo { version __typename }"
    )
    expected = await cost_of(graphql, written_out, token=admin_token)
    assert await cost_of(graphql, with_fragments, token=admin_token) == expected == 13 + 2


@pytest.mark.parametrize(
    ("directive", "variables", "counted"),
    [
        ("@skip(if: true)", {}, False),
        ("@skip(if: false)", {}, True),
        ("@include(if: $on)", {"on": False}, False),
        ("@include(if: $on)", {"on": True}, True),
        ("@skip(if: $on)", {"on": True}, False),
    ],
)
async def test_skipped_selections_cost_nothing(graphql, admin_token, directive, variables, counted):
    """@skip/@include, with literal or variable conditions, on fields and fragments."""
    declared = "($on: Boolean = true)" if "$on" in directive else ""
    query = (
        f"query{declared} {{ serverInfo {{ version }} "
        f"tasks(first: 10) {directive} {{ {NODE_IDS} }} ...F {directive} }}\n"
        "fragment F on Query { me { id } }"
    )
    extra = (1 + 10 * 3) + 2 if counted else 0
    assert await cost_of(graphql, query, variables, token=admin_token) == 2 + extra


async def test_over_max_cost_is_refused_before_any_resolver(make_client, settings, sql_statements):
    """Over graphql.max_cost: QUERY_TOO_COMPLEX with cost and maxCost, no data, and no SQL
    but the viewer's own statement; the same document with a smaller `first` runs."""
    client = await make_client(with_overrides(settings, graphql={"max_cost": 100}))
    _admin, token = await signed_in_user(settings, role=Role.ADMIN)
    query = f"query($n: Int!) {{ tasks(first: $n) {{ {NODE_IDS} }} }}"
    headers = {"Authorization": f"Bearer {token}"}

    sql_statements.reset()
    refused = await client.post(
        "/graphql", json={"query": query, "variables": {"n": 50}}, headers=headers
    )
    statements = list(sql_statements.statements)
    body = await refused.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "cost": 151, "maxCost": 100}
    assert "151" in error["message"]
    assert len(statements) == 1  # authentication only: no resolver ran
    assert not any("tasks" in statement for statement in statements)

    allowed = await client.post(
        "/graphql", json={"query": query, "variables": {"n": 33}}, headers=headers
    )
    assert (await allowed.json())["data"] == {"tasks": {"edges": []}}


async def test_first_counts_at_most_the_page_size_max(graphql, admin_token):
    """A `first` over graphql.page_size_max (100) counts as 100: alone, the resolver's
    VALIDATION_ERROR names the argument; nested, the cost still refuses the operation."""
    single = f"query($n: Int!) {{ tasks(first: $n) {{ {NODE_IDS} }} }}"
    body = await graphql(single, {"n": 2_000_000_000}, headers=ASK, token=admin_token)
    assert body["errors"][0]["extensions"] == {"code": "VALIDATION_ERROR", "field": "first"}
    assert body["extensions"] == {"cost": 1 + 100 * 3}

    nested = (
        "query($n: Int!) { tasks(first: $n) { edges { node { owner { "
        f"tasks(first: $n) {{ {NODE_IDS} }} }} }} }} }} }}"
    )
    body = await graphql(nested, {"n": 2_000_000_000}, token=admin_token)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["cost"] == 1 + 100 * (1 + 1 + 1 + (1 + 100 * 3))


async def test_cost_work_is_linear_in_the_document(make_client, settings):
    """Doubling fragments (2^n spreads once expanded) are costed with work linear in n: each
    fragment once per request, and the cost stays that of what graphql-core runs."""
    client = await make_client(with_overrides(settings, graphql=UNCAPPED))
    calculator = client.app[COST_CALCULATOR]
    visits = {}
    for n in (10, 20, 40):
        before = calculator.visits
        response = await client.post(
            "/graphql",
            json={"query": doubling_fragments(n, leaf="serverInfo { version }")},
            headers=ASK,
        )
        body = await response.json()
        assert body["extensions"] == {"cost": 2}, body
        visits[n] = calculator.visits - before
    # The operation's spread, three selections per doubling fragment, the leaf's two.
    assert visits == {n: 1 + 3 * n + 2 for n in (10, 20, 40)}


async def test_variable_free_costs_are_memoised_per_document(client):
    """A document whose cost reads no variable is walked once; one whose `first` is a
    variable is walked on every request, as its cost may differ."""
    calculator = client.app[COST_CALCULATOR]
    fixed = "{ serverInfo { version environment } }"
    variable = f"query($n: Int) {{ tasks(first: $n) {{ {NODE_IDS} }} }}"

    async def walked(query, variables):
        before = calculator.visits
        await client.post("/graphql", json={"query": query, "variables": variables})
        return calculator.visits - before

    assert [await walked(fixed, {}) for _ in range(3)] == [3, 0, 0]
    assert [await walked(variable, {"n": n}) for n in (1, 2, 3)] == [4, 4, 4]


async def test_memoised_costs_live_only_as_long_as_their_documents(client):
    """Documents too big for the document cache are costed and then forgotten: the memo
    never holds more documents than the cache does."""
    calculator = client.app[COST_CALCULATOR]
    small = "{ serverInfo { version } }"
    await client.post("/graphql", json={"query": small})
    remembered = len(calculator)
    for i in range(20):
        big = f"# {i} " + "padding " * 12_500 + "\n" + small
        response = await client.post("/graphql", json={"query": big}, headers=ASK)
        assert (await response.json())["extensions"] == {"cost": 2}
    gc.collect()
    assert len(calculator) == remembered


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"TASKQL_GRAPHQL__MAX_COST": "0"}, "graphql.max_cost"),
        ({"TASKQL_RATELIMIT__COST_BUDGET": "100"}, "ratelimit.cost_budget"),
        ({"TASKQL_RATELIMIT__BACKEND": "disk"}, "ratelimit.backend"),
        ({"TASKQL_RATELIMIT__REDIS_URL": "http://cache:6379"}, "ratelimit.redis_url"),
        (
            {
                "TASKQL_RATELIMIT__COST_BUDGET": "50000",
                "TASKQL_DATABASE__URL": "postgres://taskql@db:5432/taskql",
            },
            "ratelimit.backend",
        ),
        (
            {
                "TASKQL_RATELIMIT__COST_BUDGET": "50000",
                "TASKQL_DATABASE__URL": "sqlite://data/x.sqlite3",
                "TASKQL_SERVER__WORKERS": "2",
            },
            "ratelimit.backend",
        ),
    ],
    ids=["max-cost", "budget-below-max-cost", "backend", "redis-url", "memory-on-pg", "workers"],
)
def test_cost_settings_are_validated(monkeypatch, overrides, setting):
    """A cost setting that cannot work stops the start, naming the setting: in particular
    in-process budgets anywhere but SQLite with one worker."""
    for name, value in overrides.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        load_settings("test")
    assert refused.value.setting == setting


# The frontend operations that take variables: (variables, cost). nodes_refetch counts its
# selection once per id (13 each), node_refetch both fragments once.
FRONTEND_COSTS_WITH_VARIABLES = {
    "node_refetch": ({"id": "VGFzazo"}, 15),
    "nodes_refetch": ({"ids": ["VGFzazo"] * 100}, 1 + 100 * 13),
    "nodes_refetch_10": ({"ids": ["VGFzazo"] * 10}, 1 + 10 * 13),
    "users_search": ({"search": "a", "first": 20}, 184),
}


@pytest.mark.parametrize(("name", "pinned"), FRONTEND_COSTS_WITH_VARIABLES.items())
async def test_frontend_operations_with_variables_costs_are_pinned(
    graphql, admin_token, name, pinned
):
    """Each operation taking variables costs exactly its pinned figure for those variables,
    known before it runs (the ids here are not even valid: no resolver is reached first)."""
    variables, cost = pinned
    query = (OPERATIONS / f"{name.removesuffix('_10')}.graphql").read_text(encoding="utf-8")
    body = await graphql(query, variables, headers=ASK, token=admin_token)
    assert body["extensions"]["cost"] == cost
    assert cost <= 5000
