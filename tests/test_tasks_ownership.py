"""Ownership matrix: a user reaches only their own tasks, an admin every task, and another
user's task is NOT_FOUND (never FORBIDDEN) for reads and writes alike."""

from __future__ import annotations

import pytest

from models import tasks as task_models
from models.users import Role
from taskql.global_ids import decode, encode_task, encode_user
from tests.task_factories import create_tasks, signed_in_user

READ = "query($id: ID!) { task(id: $id) { id title version } }"
UPDATE = """mutation($id: ID!) { updateTask(id: $id, input: {title: "changed"}) { id title } }"""
UPDATE_VERSIONED = """mutation($id: ID!) {
  updateTask(id: $id, input: {title: "changed"}, expectedVersion: 99) { id } }"""
SET_STATUS = "mutation($id: ID!) { setTaskStatus(id: $id, status: DONE) { id status } }"
SET_STATUS_VERSIONED = """mutation($id: ID!) {
  setTaskStatus(id: $id, status: DONE, expectedVersion: 99) { id } }"""
DELETE = "mutation($id: ID!) { deleteTask(id: $id) }"
DELETE_VERSIONED = "mutation($id: ID!) { deleteTask(id: $id, expectedVersion: 99) }"
OPERATIONS = {
    "task": READ,
    "updateTask": UPDATE,
    "updateTask+expectedVersion": UPDATE_VERSIONED,
    "setTaskStatus": SET_STATUS,
    "setTaskStatus+expectedVersion": SET_STATUS_VERSIONED,
    "deleteTask": DELETE,
    "deleteTask+expectedVersion": DELETE_VERSIONED,
}
LIST = "query($filter: TaskFilter) { tasks(filter: $filter, first: 100) { edges { node { id } } } }"


@pytest.fixture
async def people(settings):
    """User A with 3 tasks, user B with 2, and an admin with none."""
    a, a_token = await signed_in_user(settings)
    b, b_token = await signed_in_user(settings)
    _admin, admin_token = await signed_in_user(settings, role=Role.ADMIN)
    a_tasks = await create_tasks(a, 3)
    b_tasks = await create_tasks(b, 2)
    return {
        "a": a,
        "b": b,
        "a_token": a_token,
        "b_token": b_token,
        "admin_token": admin_token,
        # The global ids the API hands out (and takes back).
        "a_ids": {encode_task(str(t.id)) for t in a_tasks},
        "b_ids": {encode_task(str(t.id)) for t in b_tasks},
    }


async def stored(task_id: str) -> task_models.Task | None:
    decoded = decode(task_id)
    assert decoded is not None
    return await task_models.Task.get_or_none(id=decoded[1])


@pytest.mark.parametrize("operation", list(OPERATIONS))
async def test_another_users_task_is_not_found_and_untouched(graphql, people, operation):
    """User B gets NOT_FOUND on A's task for every task operation, and A's row is unchanged."""
    task_id = min(people["a_ids"])
    before = await stored(task_id)
    assert before is not None

    body = await graphql(OPERATIONS[operation], {"id": task_id}, token=people["b_token"])

    assert body["errors"][0]["extensions"] == {"code": "NOT_FOUND"}
    assert body["errors"][0]["message"] == "Task not found."
    after = await stored(task_id)
    assert after is not None
    assert (after.title, after.status, after.version) == (before.title, before.status, 1)


@pytest.mark.parametrize("operation", ["task", "updateTask", "setTaskStatus", "deleteTask"])
@pytest.mark.parametrize("who", ["owner", "admin"])
async def test_owner_and_admin_may_use_every_operation(graphql, people, operation, who):
    """The owner and an admin can read, update, set the status of and delete A's task."""
    task_id = min(people["a_ids"])
    token = people["a_token"] if who == "owner" else people["admin_token"]

    body = await graphql(OPERATIONS[operation], {"id": task_id}, token=token)

    assert "errors" not in body, body
    after = await stored(task_id)
    if operation == "deleteTask":
        assert after is None
    elif operation == "task":
        assert body["data"]["task"]["id"] == task_id
    else:
        assert after is not None
        assert after.version == 2


async def test_missing_and_foreign_tasks_look_the_same(graphql, people):
    """A task id that does not exist answers exactly like another user's task."""
    foreign = await graphql(READ, {"id": min(people["a_ids"])}, token=people["b_token"])
    missing = await graphql(
        READ, {"id": "01a20000-0000-7000-8000-000000000000"}, token=people["b_token"]
    )
    assert foreign["errors"][0]["message"] == missing["errors"][0]["message"]
    assert foreign["errors"][0]["extensions"] == missing["errors"][0]["extensions"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [("a_token", "a_ids"), ("b_token", "b_ids"), ("admin_token", "all")],
)
async def test_tasks_lists_only_what_the_viewer_may_see(graphql, people, who, expected):
    """tasks lists a user's own tasks only, and every task for an admin."""
    body = await graphql(LIST, token=people[who])
    ids = {edge["node"]["id"] for edge in body["data"]["tasks"]["edges"]}
    wanted = people["a_ids"] | people["b_ids"] if expected == "all" else people[expected]
    assert ids == wanted


async def test_admin_may_filter_by_owner(graphql, people):
    """An admin's ownerId filter narrows the list to that user's tasks."""
    body = await graphql(
        LIST, {"filter": {"ownerId": str(people["a"].id)}}, token=people["admin_token"]
    )
    assert {e["node"]["id"] for e in body["data"]["tasks"]["edges"]} == people["a_ids"]


async def test_owner_filter_cannot_widen_a_users_scope(graphql, people):
    """A user filtering by another owner's id gets an empty list, not their tasks."""
    body = await graphql(
        LIST, {"filter": {"ownerId": str(people["a"].id)}}, token=people["b_token"]
    )
    assert body["data"]["tasks"]["edges"] == []


async def test_user_tasks_and_counts_follow_the_same_rule(graphql, people):
    """me.tasks shows one's own tasks; an admin reads A's tasks and counts through user(id)."""
    own = await graphql(
        "{ me { tasks { edges { node { id } } } taskCounts { todo total } } }",
        token=people["b_token"],
    )
    assert {e["node"]["id"] for e in own["data"]["me"]["tasks"]["edges"]} == people["b_ids"]
    assert own["data"]["me"]["taskCounts"] == {"todo": 2, "total": 2}

    query = """query($id: ID!) { user(id: $id) { tasks { totalCount edges { node { id } } }
        taskCounts { total } } }"""
    admin_view = await graphql(query, {"id": str(people["a"].id)}, token=people["admin_token"])
    user = admin_view["data"]["user"]
    assert {e["node"]["id"] for e in user["tasks"]["edges"]} == people["a_ids"]
    assert user["tasks"]["totalCount"] == 3
    assert user["taskCounts"]["total"] == 3


async def test_owner_of_a_task_is_visible_to_its_reader(graphql, people):
    """An admin reading A's task sees A as its owner, email included."""
    body = await graphql(
        "query($id: ID!) { task(id: $id) { owner { id email } } }",
        {"id": min(people["a_ids"])},
        token=people["admin_token"],
    )
    assert body["data"]["task"]["owner"] == {
        "id": encode_user(str(people["a"].id)),
        "email": people["a"].email,
    }
