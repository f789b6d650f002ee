"""User.tasks under users(): read ahead for the whole page of users, one statement per way
it is asked for; answers identical to User.tasks resolved on its own (user(id) { tasks })."""

from __future__ import annotations

from typing import Any

import pytest

from models.task_page_sql import SQLITE_UNION_MAX_OWNERS
from models.tasks import Status
from models.users import Role
from tests.conftest import with_overrides
from tests.task_factories import create_tasks, signed_in_user

VIEWER = 1
FRAGMENT = """
fragment UserTasks on User {
  id
  a: tasks(first: $first, filter: {status: $statuses}) {
    edges { node { id title status } }
    pageInfo { hasNextPage }
  }
  b: tasks(first: 1, orderBy: {field: CREATED_AT, direction: ASC}) {
    totalCount
    edges { cursor node { id owner { id } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
VARIABLES = {"first": 2, "statuses": ["TODO", "DONE"]}


@pytest.fixture
async def admin_token(settings):
    admin, token = await signed_in_user(settings, role=Role.ADMIN)
    await create_tasks(admin, 2, status=Status.DONE)
    for statuses in ([Status.TODO] * 3, [Status.DONE, Status.CANCELLED], []):
        user, _token = await signed_in_user(settings)
        for status in statuses:
            await create_tasks(user, 1, status=status)
    return token


async def per_user_answers(graphql, token, user_ids):
    query = (
        "query($id: ID!, $first: Int, $statuses: [TaskStatus!]) {"
        " user(id: $id) { ...UserTasks } }" + FRAGMENT
    )
    answers = {}
    for user_id in user_ids:
        body = await graphql(query, {"id": user_id, **VARIABLES}, token=token)
        assert "errors" not in body, body
        answers[user_id] = body["data"]["user"]
    return answers


async def test_aliases_fragments_and_variables_match_per_user_answers(
    graphql, admin_token, sql_statements
):
    """Two aliased User.tasks, in a fragment, with variables: per-user answers, 5 statements."""
    query = (
        "query($first: Int, $statuses: [TaskStatus!]) {"
        " users(first: 10) { edges { node { ...UserTasks } } } }" + FRAGMENT
    )
    sql_statements.reset()
    body = await graphql(query, VARIABLES, token=admin_token)
    assert "errors" not in body, body
    # viewer + users + one page read per alias + b's owners + b's totals
    assert len(sql_statements.statements) == VIEWER + 5, sql_statements.statements

    listed = {edge["node"]["id"]: edge["node"] for edge in body["data"]["users"]["edges"]}
    assert len(listed) == 4
    assert any(node["a"]["edges"] for node in listed.values())
    assert listed == await per_user_answers(graphql, admin_token, listed)


async def test_a_directive_leaves_user_tasks_to_load_itself(graphql, admin_token):
    """@include/@skip on User.tasks: it is not read ahead, and the answer is the same."""
    query = """query($yes: Boolean!) { users(first: 10) { edges { node { id
        shown: tasks(first: 5) @include(if: $yes) { edges { node { id } } }
        hidden: tasks(first: 1) @skip(if: $yes) { edges { node { id } } } } } } }"""
    body = await graphql(query, {"yes": True}, token=admin_token)
    assert "errors" not in body, body
    nodes = [edge["node"] for edge in body["data"]["users"]["edges"]]
    assert all("hidden" not in node for node in nodes)

    plain = """{ users(first: 10) { edges { node { id
        shown: tasks(first: 5) { edges { node { id } } } } } } }"""
    expected = await graphql(plain, token=admin_token)
    assert nodes == [edge["node"] for edge in expected["data"]["users"]["edges"]]


async def test_two_parents_asking_differently_get_their_own_pages(graphql, admin_token):
    """The same users under two aliases of edges, with different User.tasks arguments."""
    query = """{ users(first: 10) {
        few: edges { node { tasks(first: 1) { edges { node { id } } } } }
        many: edges { node { tasks(first: 3) { edges { node { id } } } } } } }"""
    body = await graphql(query, token=admin_token)
    assert "errors" not in body, body
    users = body["data"]["users"]
    few = [len(edge["node"]["tasks"]["edges"]) for edge in users["few"]]
    many = [len(edge["node"]["tasks"]["edges"]) for edge in users["many"]]
    assert max(few) == 1
    assert max(many) == 3


async def test_invalid_nested_arguments_are_reported_at_user_tasks(graphql, admin_token):
    """A bad `first` on User.tasks is VALIDATION_ERROR at that field's path, not users'."""
    query = """{ users(first: 1) { edges { node { id
        tasks(first: -1) { edges { node { id } } } } } } }"""
    body = await graphql(query, token=admin_token)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "VALIDATION_ERROR"
    assert error["extensions"]["field"] == "first"
    assert error["path"] == ["users", "edges", 0, "node", "tasks"]


@pytest.mark.parametrize(
    "paging",
    ["first: 2", "last: 2", "first: 2, after: $cursor", "last: 2, before: $cursor"],
)
async def test_more_owners_than_one_union_joins_answer_the_same(
    make_client, settings, sql_statements, paging
):
    """A users page with more owners than SQLite's UNION ALL of per-owner pages may join
    (a window function answers then) gives each user the page that small pages give, in
    both directions, with the same page info."""
    owners = SQLITE_UNION_MAX_OWNERS + 5
    roomy = with_overrides(settings, graphql={"page_size_max": owners + 1})
    client = await make_client(roomy)
    _admin, token = await signed_in_user(roomy, role=Role.ADMIN)
    for index in range(owners):
        user, _token = await signed_in_user(roomy)
        await create_tasks(user, index % 4, status=Status.TODO if index % 2 else Status.DONE)
    listed = await client.post(
        "/graphql",
        json={"query": "{ tasks(first: 150) { pageInfo { endCursor } } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    cursor = (await listed.json())["data"]["tasks"]["pageInfo"]["endCursor"]
    query = """query($first: Int!, $after: String DECLARE) {
        users(first: $first, after: $after) {
        pageInfo { hasNextPage endCursor }
        edges { node { id tasks(PAGING, filter: {status: [TODO]}) {
            edges { node { id title } } pageInfo { hasNextPage hasPreviousPage } } } } } }"""
    query = query.replace("PAGING", paging)
    query = query.replace("DECLARE", ", $cursor: String" if "$cursor" in paging else "")

    async def pages(first: int) -> dict[str, Any]:
        answers: dict[str, Any] = {}
        after = None
        while True:
            response = await client.post(
                "/graphql",
                json={
                    "query": query,
                    "variables": {"first": first, "after": after}
                    | ({"cursor": cursor} if "$cursor" in paging else {}),
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            body = await response.json()
            assert "errors" not in body, body
            users = body["data"]["users"]
            answers.update({edge["node"]["id"]: edge["node"]["tasks"] for edge in users["edges"]})
            if not users["pageInfo"]["hasNextPage"]:
                return answers
            after = users["pageInfo"]["endCursor"]

    sql_statements.reset()
    at_once = await pages(owners + 1)
    assert len(sql_statements.statements) == VIEWER + 2, sql_statements.statements
    in_small_pages = await pages(30)

    assert len(at_once) == owners + 1  # and the admin
    # A cursor splits the owners (their tasks were written in turn): fewer pages hold rows.
    assert sum(bool(tasks["edges"]) for tasks in at_once.values()) > (
        owners // 8 if "$cursor" in paging else owners // 3
    )
    assert at_once == in_small_pages
