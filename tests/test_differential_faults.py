"""Faults answer byte for byte alike, compiled or not: errors, nulls and their bubbling.

Each case sets up something that goes wrong (a row the database was made to leave
inconsistent, a permission denied, another user's rows, a bad cursor, a statement failing
after others succeeded, the database away) and sends the same operations to both apps of the
differential pair (tests/differential.py). Every case also checks that the fault happened, so
that an equal answer is not an equally irrelevant one.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from tortoise import connections

from taskql import global_ids
from taskql.settings import Settings
from tests.database_faults import DatabaseFault, fault_for
from tests.differential import Pair, live_schema, start_pair
from tests.differential_data import Dataset, build_dataset, collect_pools

OWNERS = """
query Owners($first: Int) {
  tasks(first: $first) { edges { cursor node { id title owner { id displayName } } } }
}"""
# The same without cursors: on PostgreSQL one statement writes its JSON (compiler/json_sql.py).
WRITTEN_OWNERS = OWNERS.replace("edges { cursor node", "edges { node")
NESTED = """
query Nested {
  users(first: 5) {
    edges { node { id displayName tasks(first: 2) { edges { node { id title status } } } } }
  }
}"""


@pytest.fixture
async def faulty(make_client, settings) -> tuple[Pair, Dataset]:
    pair = await start_pair(make_client, settings)
    dataset = await build_dataset(settings)
    await collect_pools(pair, await live_schema(pair.stock), dataset)
    return pair, dataset


def body_of(answer: Any) -> dict[str, Any]:
    return orjson.loads(answer.body)  # type: ignore[no-any-return]


def codes(body: dict[str, Any]) -> set[str]:
    return {error["extensions"]["code"] for error in body.get("errors", [])}


async def _execute_script(settings: Settings, script: str) -> None:
    await connections.get("default").execute_script(script)


async def _without_foreign_keys(settings: Settings, statement: str) -> None:
    """Run `statement` with foreign keys unchecked, as a bad restore or a manual fix would."""
    if settings.database.dialect == "sqlite":
        script = f"PRAGMA foreign_keys = OFF; {statement}; PRAGMA foreign_keys = ON;"
    else:
        script = (
            "SET session_replication_role = replica; "
            f"{statement}; SET session_replication_role = DEFAULT;"
        )
    await _execute_script(settings, script)


async def test_null_in_a_non_null_field_bubbles_alike(faulty, settings):
    """Tasks whose owner row is gone (the database made to leave them behind): `owner: User!`
    is null, the error bubbles up to the nearest nullable parent, identically."""
    pair, dataset = faulty
    admin = dataset.viewer("admin")
    bob_answer = await pair.compare("{ me { id } }", viewer=dataset.viewer("bob"))
    bob_id = body_of(bob_answer)["data"]["me"]["id"]
    bob_task = body_of(
        await pair.compare(
            "query Of($id: ID!) { tasks(first: 1, filter: {ownerId: $id}) "
            "{ edges { node { id } } } }",
            {"id": bob_id},
            viewer=admin,
        )
    )["data"]["tasks"]["edges"][0]["node"]["id"]
    # The id came from our own app (a global id naming a UUID), not from outside.
    decoded = global_ids.decode(bob_id)
    assert decoded is not None
    bob_pk = decoded[1]
    await _without_foreign_keys(settings, f"DELETE FROM users WHERE id = '{bob_pk}'")  # noqa: S608

    for query in (OWNERS, WRITTEN_OWNERS):
        answer = await pair.compare(query, {"first": 50}, viewer=admin)
        assert body_of(answer)["data"] is None  # Task.owner -> node -> edges -> tasks -> data
    single = await pair.compare(
        "query One($id: ID!) { task(id: $id) { id title owner { id } } serverInfo { version } }",
        {"id": bob_task},
        viewer=admin,
    )
    assert body_of(single)["data"]["task"] is None  # Query.task is nullable: it stops there
    assert body_of(single)["data"]["serverInfo"]
    await pair.compare(NESTED, viewer=admin)


async def test_a_value_the_schema_does_not_know_fails_alike(faulty, settings):
    """A status the enum does not have (written behind the application's back) fails the
    same way in both."""
    pair, dataset = faulty
    await _execute_script(
        settings,
        "UPDATE tasks SET status = 'ARCHIVED' WHERE id IN "
        "(SELECT id FROM tasks ORDER BY created_at DESC LIMIT 2)",
    )
    for query in (OWNERS, WRITTEN_OWNERS):
        answer = await pair.compare(
            query.replace("title", "title status"), {"first": 10}, viewer=dataset.viewer("admin")
        )
        assert body_of(answer).get("errors")
    await pair.compare(NESTED, viewer=dataset.viewer("admin"))


async def test_denied_permissions_answer_alike(faulty):
    """Admin-only fields asked by a user and by nobody: FORBIDDEN and UNAUTHENTICATED, with
    the same partial data beside them."""
    pair, dataset = faulty
    for viewer in (dataset.viewer("alice"), dataset.viewer("anonymous")):
        answer = await pair.compare(
            "query Mixed { serverInfo { version } users(first: 3) { edges { node { id } } } "
            "auditEvents(first: 3) { edges { node { id action } } } }",
            viewer=viewer,
        )
        assert codes(body_of(answer)) & {"FORBIDDEN", "UNAUTHENTICATED"}
        await pair.compare("{ me { id email } }", viewer=viewer)


async def test_other_users_rows_answer_alike(faulty):
    """Alice asks for Bob: his user (NOT_FOUND), his task (null), his tasks by owner filter
    (her own scope only), and the admin sees his email where she sees null."""
    pair, dataset = faulty
    alice, bob, admin = (dataset.viewer(name) for name in ("alice", "bob", "admin"))
    bob_id = body_of(await pair.compare("{ me { id } }", viewer=bob))["data"]["me"]["id"]
    bob_tasks = body_of(
        await pair.compare("{ tasks(first: 3) { edges { node { id } } } }", viewer=bob)
    )["data"]["tasks"]["edges"]
    query = """
    query Other($user: ID!, $task: ID!) {
      user(id: $user) { id email displayName }
      task(id: $task) { id title }
      tasks(first: 5, filter: {ownerId: $user}) { totalCount edges { node { id } } }
    }"""
    variables = {"user": bob_id, "task": bob_tasks[0]["node"]["id"]}
    denied = body_of(await pair.compare(query, variables, viewer=alice))
    assert "NOT_FOUND" in codes(denied)
    allowed = body_of(await pair.compare(query, variables, viewer=admin))
    assert allowed["data"]["user"]["email"]
    await pair.compare(
        "query Email($id: ID!) { user(id: $id) { email } }", {"id": bob_id}, viewer=admin
    )


async def test_bad_cursors_answer_alike(faulty):
    """Cursors that are garbage, from another ordering, from another list or tampered with
    are refused alike."""
    pair, dataset = faulty
    admin = dataset.viewer("admin")
    query = """
    query Page($after: String, $order: [TaskOrder!]) {
      tasks(first: 2, after: $after, orderBy: $order) { edges { node { id } } }
    }"""
    user_cursor = body_of(
        await pair.compare("{ users(first: 1) { edges { cursor } } }", viewer=admin)
    )["data"]["users"]["edges"][0]["cursor"]
    task_cursor = dataset.cursors[0]
    tampered = base64.urlsafe_b64encode(b'["tasks:created_at:desc","x","y"]').decode()
    bad = ["garbage", "", user_cursor, tampered, task_cursor[:-3] + "AAA"]
    refused = 0
    for after in bad:
        answer = await pair.compare(query, {"after": after}, viewer=admin)
        refused += bool(body_of(answer).get("errors"))
    answer = await pair.compare(
        query, {"after": task_cursor, "order": {"field": "PRIORITY"}}, viewer=admin
    )
    assert refused >= 4


async def test_a_statement_failing_mid_request_answers_alike(faulty, settings):
    """The users page is read, then the tasks statement fails (the table renamed away
    meanwhile): the same masked error and the same partial nulls in both."""
    pair, dataset = faulty
    await _execute_script(settings, "ALTER TABLE tasks RENAME TO tasks_away")
    try:
        answer = await pair.compare(NESTED, viewer=dataset.viewer("admin"))
        body = body_of(answer)
        assert "INTERNAL_ERROR" in codes(body)
        await pair.compare(
            "{ me { id displayName taskCounts { total } } serverInfo { version } }",
            viewer=dataset.viewer("alice"),
        )
    finally:
        await _execute_script(settings, "ALTER TABLE tasks_away RENAME TO tasks")


@pytest.fixture
async def fault(settings, tmp_path) -> AsyncIterator[DatabaseFault]:
    # Requested before make_client: closed after the rows are wiped through it.
    fault = fault_for(settings, tmp_path)
    await fault.restore()
    yield fault
    await fault.close()


async def test_the_database_away_answers_alike(fault, make_client):
    """With the database gone both apps answer the same 503 SERVICE_UNAVAILABLE."""
    pair = await start_pair(make_client, fault.settings)
    dataset = await build_dataset(fault.settings)
    await fault.cut()
    try:
        answer = await pair.compare(OWNERS, {"first": 5}, viewer=dataset.viewer("alice"))
    finally:
        await fault.restore()
    assert answer.status == 503
    assert b"SERVICE_UNAVAILABLE" in answer.body
    # Back again: both reconnect and answer alike (and the rows can be wiped through them).
    back = await pair.compare("{ me { id } }", viewer=dataset.viewer("alice"))
    assert back.status == 200, back.describe()
