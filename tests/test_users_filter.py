"""users(filter: {search, role, isActive}): the admin's list narrowed, on both databases."""

from __future__ import annotations

import pytest

from models.users import Role
from taskql.global_ids import encode_user
from taskql.limits import USER_SEARCH_MAX
from tests.factories import access_token_for, create_user

USERS = """query($filter: UserFilter, $first: Int, $after: String) {
  users(filter: $filter, first: $first, after: $after) {
    edges { node { id email displayName role isActive } }
    pageInfo { hasNextPage endCursor } } }"""


@pytest.fixture
async def people(settings):
    """An admin and a handful of users with names and emails worth searching."""
    admin = await create_user(email="root@corp.example", display_name="Root Admin", role=Role.ADMIN)
    users = {
        "ada": await create_user(email="ada@math.example", display_name="Ada Lovelace"),
        "grace": await create_user(
            email="grace@navy.example", display_name="Grace HOPPER", role=Role.ADMIN
        ),
        "alan": await create_user(
            email="alan@math.example", display_name="Alan Turing", active=False
        ),
        "percent": await create_user(email="pct@odd.example", display_name="100% sure"),
        "under": await create_user(email="under_score@odd.example", display_name="Under"),
        "slash": await create_user(email="back@odd.example", display_name="back\\slash"),
    }
    return {"token": access_token_for(admin, settings), "admin": admin, **users}


async def listed(graphql, people, filter_, first=100):
    body = await graphql(USERS, {"filter": filter_, "first": first}, token=people["token"])
    assert "errors" not in body, body
    return {edge["node"]["email"] for edge in body["data"]["users"]["edges"]}


async def test_search_matches_email_or_name_ignoring_case(graphql, people):
    """search finds text in the email or in the display name, whatever its letter case."""
    assert await listed(graphql, people, {"search": "MATH"}) == {
        "ada@math.example",
        "alan@math.example",
    }
    assert await listed(graphql, people, {"search": "hopper"}) == {"grace@navy.example"}
    assert await listed(graphql, people, {"search": "lOVE"}) == {"ada@math.example"}
    assert await listed(graphql, people, {"search": "nobody"}) == set()


async def test_role_and_is_active_filters(graphql, people):
    """role and isActive narrow the list; together with search all must hold."""
    assert await listed(graphql, people, {"role": "ADMIN"}) == {
        "root@corp.example",
        "grace@navy.example",
    }
    assert await listed(graphql, people, {"isActive": False}) == {"alan@math.example"}
    assert len(await listed(graphql, people, {"isActive": True})) == 6
    assert await listed(graphql, people, {"search": "math", "isActive": True}) == {
        "ada@math.example"
    }
    assert await listed(graphql, people, {"search": "a", "role": "ADMIN", "isActive": True}) == {
        "root@corp.example",
        "grace@navy.example",
    }
    assert await listed(graphql, people, {"search": "math", "role": "ADMIN"}) == set()


async def test_empty_or_absent_filter_lists_everyone(graphql, people):
    """An empty search, or no filter at all, lists all seven users."""
    assert len(await listed(graphql, people, {"search": ""})) == 7
    assert len(await listed(graphql, people, {})) == 7
    assert len(await listed(graphql, people, None)) == 7


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("%", {"pct@odd.example"}),
        ("0% s", {"pct@odd.example"}),
        ("_", {"under_score@odd.example"}),
        ("\\", {"back@odd.example"}),
        ("k\\s", {"back@odd.example"}),
        ("' OR '1'='1", set()),
        ('") OR 1=1 --', set()),
        ("%%'; DROP TABLE users; --", set()),
        ("\u00e9\u202e\U0001f600", set()),
    ],
)
async def test_hostile_search_text_is_literal(graphql, people, text, expected):
    """LIKE wildcards, the escape character, quotes and SQL are plain text to search."""
    assert await listed(graphql, people, {"search": text}) == expected
    assert len(await listed(graphql, people, None)) == 7  # nothing was harmed


@pytest.mark.parametrize("text", ["x" * (USER_SEARCH_MAX + 1), "nul\u0000byte"])
async def test_too_long_or_control_search_is_a_validation_error(graphql, people, text):
    """A search over the limit, or with a control character, is VALIDATION_ERROR naming
    filter.search."""
    body = await graphql(USERS, {"filter": {"search": text}}, token=people["token"])
    assert body["errors"][0]["extensions"] == {
        "code": "VALIDATION_ERROR",
        "field": "filter.search",
    }


async def test_filtered_pages_walk_only_matching_users(graphql, people):
    """Pages of 1 through a filtered list reach each match once, then stop."""
    seen, after = [], None
    while True:
        body = await graphql(
            USERS,
            {"filter": {"search": "example", "isActive": True}, "first": 1, "after": after},
            token=people["token"],
        )
        connection = body["data"]["users"]
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 6
    assert encode_user(str(people["alan"].id)) not in seen


async def test_non_admins_are_forbidden_whatever_the_filter(graphql, settings, people):
    """A user asking for the users list, filtered or not, gets FORBIDDEN and no rows."""
    token = access_token_for(people["ada"], settings)
    for filter_ in (None, {"search": "a"}, {"role": "USER"}):
        body = await graphql(USERS, {"filter": filter_}, token=token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert body["data"] is None


async def test_filtered_list_costs_one_statement(graphql, people, sql_statements):
    """Every filter at once is still one statement besides the viewer's."""
    sql_statements.reset()
    emails = await listed(graphql, people, {"search": "o", "role": "USER", "isActive": True})
    assert emails == {
        "ada@math.example",
        "pct@odd.example",
        "under_score@odd.example",
        "back@odd.example",
    }
    assert len(sql_statements.statements) == 2


async def test_filter_with_order_backward_paging_and_total_count(graphql, people):
    """The filter holds for orderBy, last/before and totalCount too: backward pages by email
    reach exactly the matching users, hasPreviousPage is exact, totalCount counts matches."""
    query = """query($filter: UserFilter, $last: Int, $before: String) {
      users(filter: $filter, orderBy: {field: EMAIL, direction: ASC}, last: $last,
            before: $before) {
        totalCount edges { node { email } } pageInfo { hasPreviousPage startCursor } } }"""
    wanted = {"search": ".example", "role": "USER", "isActive": True}
    back: list[str] = []
    before = None
    while True:
        body = await graphql(
            query, {"filter": wanted, "last": 2, "before": before}, token=people["token"]
        )
        assert "errors" not in body, body
        connection = body["data"]["users"]
        assert connection["totalCount"] == 4
        back = [edge["node"]["email"] for edge in connection["edges"]] + back
        if not connection["pageInfo"]["hasPreviousPage"]:
            break
        before = connection["pageInfo"]["startCursor"]
    assert back == sorted(
        ["ada@math.example", "pct@odd.example", "under_score@odd.example", "back@odd.example"]
    )
