"""Compiled answers straight from the HTTP body (server/compiled_http.py): a learned
operation answers with the same bytes, headers and statements as the full path, and every
check that depends on the request still applies.

The differential harness (tests/differential.py) sends each of its operations to the
compiled app a second time as well, so the whole corpus, the generated operations and the
fault cases cover this path against graphql-core's answers."""

from __future__ import annotations

from typing import Any

import pytest

from compiler import Reason
from server.compiled_execution import COMPILED_ANSWERS, COMPILER
from server.operations_manifest import MANIFEST_FILE, load_manifest
from tests.conftest import with_overrides
from tests.test_compiled_execution import COMPILED_OPERATIONS, expected_statements
from tests.test_plain_fields import OPERATIONS, add_rows
from tests.test_trusted_documents import persisted

REQUEST_ID = "compiled-http-test"
# Headers that differ between any two responses, whichever path made them.
PER_RESPONSE = {"Date"}
PAGE = "query Page($first: Int!) { tasks(first: $first) { edges { node { id title } } } }"


async def post(
    client: Any, body: dict[str, Any], token: str | None = None, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    headers = {"X-Request-Id": REQUEST_ID, **headers}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = await client.post("/graphql", json=body, headers=headers)
    kept = {k: v for k, v in response.headers.items() if k not in PER_RESPONSE}
    return response.status, kept, await response.read()


def answered(client: Any) -> int:
    return int(client.app[COMPILED_ANSWERS].answered)


@pytest.mark.parametrize("name", sorted(COMPILED_OPERATIONS))
async def test_a_learned_operation_answers_alike_from_the_body(
    client, settings, sql_statements, name
):
    token = await add_rows(settings)
    body = {"query": (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")}

    sql_statements.reset()
    full = await post(client, body, token)
    full_statements = list(sql_statements.statements)
    assert answered(client) == 0
    sql_statements.reset()
    direct = await post(client, body, token)

    assert answered(client) == 1
    assert direct == full
    assert b'"errors"' not in direct[2]
    # The bearer check and the plan's reads: the same statements, in the same order.
    assert sql_statements.statements == full_statements
    assert len(full_statements) == 1 + expected_statements(name)


async def test_the_access_log_line_is_the_full_paths(client, settings, logs):
    token = await add_rows(settings)
    body = {"query": (OPERATIONS / "tasks_with_owners.graphql").read_text(encoding="utf-8")}
    await post(client, body, token)
    await post(client, body, token)

    full, direct = [r for r in logs.records if r.get("logger") == "taskql.access"][-2:]

    assert answered(client) == 1
    for line in (full, direct):
        del line["duration_ms"], line["timestamp"]
    assert direct == full
    assert direct["operation"] == "TasksWithOwners"
    assert direct["user_id"] is not None


async def test_variables_are_coerced_for_every_request(client, settings):
    token = await add_rows(settings)
    await post(client, {"query": PAGE, "variables": {"first": 2}}, token)

    _, _, three = await post(client, {"query": PAGE, "variables": {"first": 3}}, token)
    assert answered(client) == 1
    assert three.count(b'"node"') == 3

    status, _, refused = await post(client, {"query": PAGE, "variables": {"first": "x"}}, token)
    assert answered(client) == 1  # the full path reports the variable
    assert status == 200
    assert b"Variable '$first'" in refused
    assert b'"data":null' in refused


async def test_the_cost_limit_refuses_a_learned_operation(make_client, settings):
    client = await make_client(with_overrides(settings, graphql={"max_cost": 30}))
    token = await add_rows(settings)
    await post(client, {"query": PAGE, "variables": {"first": 2}}, token)

    _, _, refused = await post(client, {"query": PAGE, "variables": {"first": 100}}, token)

    assert answered(client) == 0
    assert b"QUERY_TOO_COMPLEX" in refused


async def test_a_cost_to_report_takes_the_full_path(client, settings):
    token = await add_rows(settings)
    body = {"query": PAGE, "variables": {"first": 2}}
    await post(client, body, token)

    _, _, reported = await post(client, body, token, **{"X-TaskQL-Cost": "1"})

    assert answered(client) == 0
    assert b'"extensions":{"cost":' in reported


async def test_a_revoked_session_is_refused_at_once(client, settings, sql_statements):
    token = await add_rows(settings)
    body = {"query": PAGE, "variables": {"first": 2}}
    await post(client, body, token)
    await post(client, body, token)
    assert answered(client) == 1
    logout = await post(client, {"query": "mutation { logout }"}, token)
    assert b'"logout":true' in logout[2]

    sql_statements.reset()
    _, _, refused = await post(client, body, token)

    assert b"UNAUTHENTICATED" in refused
    assert b'"data":null' in refused
    # One bearer check, made once for both paths; nothing read.
    assert len(sql_statements.statements) == 1


async def test_a_denied_permission_falls_back_once(client, settings, sql_statements):
    token = await add_rows(settings)
    body = {"query": PAGE, "variables": {"first": 2}}
    await post(client, body, token)
    counters = client.app[COMPILER].counters
    fallbacks = counters.fallbacks[Reason.PERMISSION]

    sql_statements.reset()
    _, _, refused = await post(client, body)  # anonymous

    assert b"UNAUTHENTICATED" in refused
    assert counters.fallbacks[Reason.PERMISSION] == fallbacks + 1
    assert sql_statements.statements == []


async def test_a_failing_read_is_answered_by_graphql_core(client, settings, sql_statements):
    """A bad cursor stops the compiled run; graphql-core answers the same request with the
    error, and the plan is not run a second time."""
    token = await add_rows(settings)
    query = "query Page($after: String) { tasks(first: 2, after: $after) { edges { cursor } } }"
    await post(client, {"query": query}, token)

    sql_statements.reset()
    _, _, refused = await post(client, {"query": query, "variables": {"after": "bogus"}}, token)

    assert answered(client) == 0
    assert b'"errors"' in refused
    assert client.app[COMPILER].counters.fallbacks[Reason.ARGUMENT] == 1
    assert len(sql_statements.statements) == 1  # the bearer check alone


async def test_trusted_documents_are_answered_by_hash(make_client, settings):
    client = await make_client(with_overrides(settings, graphql={"trusted_documents_only": True}))
    token = await add_rows(settings)
    manifest = load_manifest(MANIFEST_FILE)
    sha = next(sha for sha, text in manifest.items() if "query TasksWithOwners " in text)
    by_hash = {"extensions": persisted(sha)}

    first = await post(client, by_hash, token)
    second = await post(client, by_hash, token)
    as_text = await post(client, {"query": manifest[sha]}, token)
    status, _, other = await post(client, {"query": PAGE, "variables": {"first": 1}}, token)

    assert answered(client) == 2
    assert second == first == as_text
    assert status == 400
    assert b"TRUSTED_DOCUMENT_REQUIRED" in other


async def test_learned_operations_are_bounded(make_client, settings):
    client = await make_client(with_overrides(settings, graphql={"compiled_plan_cache_size": 2}))
    token = await add_rows(settings)
    for first in (1, 2, 3):
        await post(
            client, {"query": f"{{ tasks(first: {first}) {{ edges {{ cursor }} }} }}"}, token
        )

    assert len(client.app[COMPILED_ANSWERS]) == 2


async def test_switched_off_with_compiled_execution(make_client, settings):
    client = await make_client(with_overrides(settings, graphql={"compiled_execution": False}))

    assert COMPILED_ANSWERS not in client.app


async def test_a_compiled_page_joins_only_the_owner_columns_it_shows(
    make_client, settings, sql_statements
):
    """A plan knows what its owners show; graphql-core's path reads whole user rows (a User
    is made from all of them)."""
    clients = {
        compiled: await make_client(
            with_overrides(settings, graphql={"compiled_execution": compiled})
        )
        for compiled in (True, False)
    }
    token = await add_rows(settings)
    body = {"query": "{ tasks(first: 5) { edges { node { id owner { id displayName } } } } }"}
    joined = {}
    for compiled, client in clients.items():
        sql_statements.reset()
        status, _, answer = await post(client, body, token)
        assert status == 200
        assert b'"errors"' not in answer
        [joined[compiled]] = [s for s in sql_statements.statements if "JOIN users" in s]

    assert "owner.display_name" in joined[True]
    assert "owner.email" in joined[True]  # the join's mark of a found owner
    assert "owner.created_at" not in joined[True]
    assert "owner.created_at" in joined[False]
