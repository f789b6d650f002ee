"""users(first, after): the admin's newest-first list of users, a cursor connection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models import users as user_models
from models.users import Role
from taskql.global_ids import encode_user
from tests.task_factories import signed_in_user

USERS = """query($first: Int, $after: String) { users(first: $first, after: $after) {
  edges { cursor node { id email } } pageInfo { hasNextPage hasPreviousPage endCursor } } }"""


def error_of(body):
    assert body.get("errors"), body
    return body["errors"][0]["extensions"]


@pytest.fixture
async def admin_token(settings):
    _admin, token = await signed_in_user(settings, role=Role.ADMIN)
    return token


async def test_admin_walks_every_user_newest_first(graphql, settings, admin_token):
    """Pages of 3 list every user exactly once, by createdAt then id, descending."""
    for _ in range(6):
        await signed_in_user(settings)
    # Two users sharing a creation time: the id must break the tie.
    shared = datetime.now(UTC)
    await user_models.User.filter(
        id__in=[u.id for u in await user_models.User.all().limit(2)]
    ).update(created_at=shared)
    rows = await user_models.User.all().values("id", "created_at")
    expected = [
        encode_user(str(r["id"]))
        for r in sorted(rows, key=lambda r: (r["created_at"], str(r["id"])), reverse=True)
    ]

    seen, after = [], None
    while True:
        body = await graphql(USERS, {"first": 3, "after": after}, token=admin_token)
        connection = body["data"]["users"]
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]

    assert seen == expected
    assert len(seen) == 7


async def test_admin_sees_emails(graphql, settings, admin_token):
    """Users listed to an admin carry their email."""
    user, _token = await signed_in_user(settings)
    body = await graphql(USERS, {"first": 1}, token=admin_token)
    assert body["data"]["users"]["edges"][0]["node"]["email"] == user.email


async def test_non_admin_is_forbidden(graphql, settings):
    """A signed-in user without the ADMIN role gets FORBIDDEN."""
    _user, token = await signed_in_user(settings)
    body = await graphql(USERS, token=token)
    assert error_of(body)["code"] == "FORBIDDEN"
    assert body["data"] is None


async def test_anonymous_is_unauthenticated(graphql):
    """Without a token the users list answers UNAUTHENTICATED."""
    assert error_of(await graphql(USERS))["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("first", [-1, 101])
async def test_page_size_limits(graphql, admin_token, first):
    """first outside 0..graphql.page_size_max is VALIDATION_ERROR naming first."""
    body = await graphql(USERS, {"first": first}, token=admin_token)
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": "first"}


async def test_a_task_cursor_is_not_a_user_cursor(graphql, settings, admin_token):
    """A cursor issued by the tasks list is refused by the users list."""
    _user, token = await signed_in_user(settings)
    await graphql('mutation { createTask(input: {title: "x"}) { id } }', token=token)
    tasks = await graphql("{ tasks { pageInfo { endCursor } } }", token=token)
    cursor = tasks["data"]["tasks"]["pageInfo"]["endCursor"]
    assert cursor
    body = await graphql(USERS, {"after": cursor}, token=admin_token)
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": "after"}
