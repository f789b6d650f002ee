"""Relay paging both ways: first/after and last/before under every ordering (one key and
several, mixed directions), on Query.tasks, User.tasks (loaded and read ahead) and users,
compared with a full ordered read computed here from the rows."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

import pytest

from models import tasks as task_models
from models.tasks import Priority, Status
from models.users import Role
from taskql.global_ids import decode, encode_task, encode_user
from tests.task_factories import create_tasks, signed_in_user

PAGE = """query($orderBy: [TaskOrder!], $first: Int, $after: String, $last: Int,
    $before: String, $filter: TaskFilter) {
  tasks(orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before,
        filter: $filter) {
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
# The same page with each task's owner: read in the page's own statement (a join that orders
# the page again), so it must keep every ordering too.
PAGE_WITH_OWNERS = PAGE.replace("node { id }", "node { id owner { id } }")
ME_PAGE = """query($orderBy: [TaskOrder!], $first: Int, $after: String, $last: Int,
    $before: String) {
  me { tasks(orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  } }
}"""
COLUMNS = {
    "CREATED_AT": "created_at",
    "UPDATED_AT": "updated_at",
    "DUE_AT": "due_at",
    "PRIORITY": "priority",
    "TITLE": "title",
    "STATUS": "status",
}
SINGLE = [[(field, direction)] for field in COLUMNS for direction in ("ASC", "DESC")]
MULTI = [
    [("PRIORITY", "DESC"), ("DUE_AT", "ASC")],
    [("STATUS", "ASC"), ("PRIORITY", "DESC"), ("TITLE", "ASC")],
    [("DUE_AT", "DESC"), ("CREATED_AT", "ASC")],
    [("TITLE", "ASC"), ("DUE_AT", "DESC")],
    [("PRIORITY", "ASC"), ("CREATED_AT", "DESC")],
]
NOW = datetime.now(UTC).replace(microsecond=0)


def order_arg(keys):
    return [{"field": field, "direction": direction} for field, direction in keys]


def expected_ids(rows, keys):
    """The documented order, computed here: keys in turn (NULL due dates last in either
    direction), then the id in the last key's direction."""
    last_descending = keys[-1][1] == "DESC"

    def compare(a, b):
        for field, direction in keys:
            column = COLUMNS[field]
            x, y = a[column], b[column]
            if x == y:
                continue
            if x is None or y is None:
                return 1 if x is None else -1
            result = -1 if x < y else 1
            return -result if direction == "DESC" else result
        x, y = str(a["id"]), str(b["id"])
        result = (x > y) - (x < y)
        return -result if last_descending else result

    # The ids the API answers with are the global ids of the rows.
    ordered = sorted(rows, key=functools.cmp_to_key(compare))
    return [encode_task(str(row["id"])) for row in ordered]


@pytest.fixture
async def crowded(settings):
    """19 tasks of one user sharing created_at, priorities, titles, statuses and due dates
    (a quarter undated), so every key has ties for the next key or the id to break."""
    user, token = await signed_in_user(settings)
    shared = NOW - timedelta(hours=1)
    dues = [None, NOW + timedelta(days=1), NOW + timedelta(days=1), NOW - timedelta(days=1)]
    statuses = list(Status)
    for index in range(19):
        await create_tasks(
            user,
            1,
            title=["alpha", "beta", "gamma"][index % 3],
            created_at=shared if index % 5 else shared - timedelta(minutes=index),
            priority=Priority(index % 2 + 1),
            status=statuses[index % 4],
            due_at=dues[index % 4],
        )
    rows = await task_models.Task.filter(owner_id=user.id).values("id", *COLUMNS.values())
    return user, token, rows


async def page_of(graphql, token, query, path, **variables):
    body = await graphql(query, variables, token=token)
    assert "errors" not in body, body
    for key in path:
        body = body[key]
    return body


async def walk_forward(graphql, token, query, path, keys, *, size=4):
    seen, after, pages = [], None, []
    while True:
        page = await page_of(
            graphql, token, query, path, orderBy=order_arg(keys), first=size, after=after
        )
        pages.append(page)
        seen += [edge["node"]["id"] for edge in page["edges"]]
        # Rows precede every page but the first.
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None), (keys, len(pages))
        if not page["pageInfo"]["hasNextPage"]:
            return seen, pages
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]


async def walk_backward(graphql, token, query, path, keys, *, size=4):
    seen: list[str] = []
    before, pages = None, []
    while True:
        page = await page_of(
            graphql, token, query, path, orderBy=order_arg(keys), last=size, before=before
        )
        pages.append(page)
        seen = [edge["node"]["id"] for edge in page["edges"]] + seen
        # Rows follow every page but the last one of the list.
        assert page["pageInfo"]["hasNextPage"] is (before is not None), (keys, len(pages))
        if not page["pageInfo"]["hasPreviousPage"]:
            return seen, pages
        before = page["pageInfo"]["startCursor"]
        assert before == page["edges"][0]["cursor"]


@pytest.mark.parametrize("query", [PAGE, PAGE_WITH_OWNERS], ids=["tasks", "with_owners"])
@pytest.mark.parametrize("keys", SINGLE + MULTI, ids=lambda keys: "+".join(map("-".join, keys)))
async def test_all_pages_forward_and_backward_match_the_full_order(graphql, crowded, keys, query):
    """Pages of 4 forward (first/after) and backward (last/before) each visit every task once,
    in the independently computed order, with exact hasPreviousPage/hasNextPage."""
    _user, token, rows = crowded
    expected = expected_ids(rows, keys)
    forward, pages = await walk_forward(graphql, token, query, ("data", "tasks"), keys)
    backward, back_pages = await walk_backward(graphql, token, query, ("data", "tasks"), keys)
    assert forward == expected
    assert backward == expected
    assert len(pages) == len(back_pages) == 5
    # The last backward page is the first three tasks; its start knows nothing precedes it.
    assert [e["node"]["id"] for e in back_pages[-1]["edges"]] == expected[:3]


@pytest.mark.parametrize("keys", [SINGLE[4], SINGLE[5], *MULTI[:2]])
async def test_before_a_forward_pages_start_is_the_page_before_it(graphql, crowded, keys):
    """last/before the startCursor of forward page 3 returns forward page 2, and after the
    endCursor of a backward page returns what follows it: the two directions agree."""
    _user, token, rows = crowded
    expected = expected_ids(rows, keys)
    _forward, pages = await walk_forward(graphql, token, PAGE, ("data", "tasks"), keys)
    previous = await page_of(
        graphql,
        token,
        PAGE,
        ("data", "tasks"),
        orderBy=order_arg(keys),
        last=4,
        before=pages[2]["pageInfo"]["startCursor"],
    )
    assert [e["node"]["id"] for e in previous["edges"]] == expected[4:8]
    assert previous["pageInfo"]["hasPreviousPage"] is True
    assert previous["pageInfo"]["hasNextPage"] is True
    following = await page_of(
        graphql,
        token,
        PAGE,
        ("data", "tasks"),
        orderBy=order_arg(keys),
        first=2,
        after=previous["pageInfo"]["endCursor"],
    )
    assert [e["node"]["id"] for e in following["edges"]] == expected[8:10]


@pytest.mark.parametrize("keys", [SINGLE[0], SINGLE[4], MULTI[0]])
async def test_user_tasks_page_both_ways(graphql, crowded, keys):
    """me.tasks (the batched per-owner SQL) walks forward and backward like Query.tasks."""
    _user, token, rows = crowded
    expected = expected_ids(rows, keys)
    path = ("data", "me", "tasks")
    forward, _ = await walk_forward(graphql, token, ME_PAGE, path, keys, size=5)
    backward, _ = await walk_backward(graphql, token, ME_PAGE, path, keys, size=5)
    assert forward == backward == expected


@pytest.mark.parametrize("keys", [SINGLE[4], SINGLE[5], MULTI[0]])
async def test_read_ahead_user_tasks_page_both_ways(graphql, settings, crowded, keys):
    """users { tasks(last, before) } (read ahead for the whole page of users in one
    statement) pages each user's tasks backward with exact page info."""
    user, _token, rows = crowded
    _admin, admin_token = await signed_in_user(settings, role=Role.ADMIN)
    expected = expected_ids(rows, keys)
    query = """query($orderBy: [TaskOrder!], $last: Int, $before: String) {
      users(first: 5) { edges { node { id tasks(orderBy: $orderBy, last: $last,
        before: $before) { edges { node { id } }
        pageInfo { hasNextPage hasPreviousPage startCursor } } } } } }"""
    seen: list[str] = []
    before = None
    while True:
        body = await graphql(
            query, {"orderBy": order_arg(keys), "last": 6, "before": before}, token=admin_token
        )
        assert "errors" not in body, body
        [node] = [
            e["node"]
            for e in body["data"]["users"]["edges"]
            if e["node"]["id"] == encode_user(str(user.id))
        ]
        page = node["tasks"]
        seen = [e["node"]["id"] for e in page["edges"]] + seen
        assert page["pageInfo"]["hasNextPage"] is (before is not None)
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert seen == expected


async def test_has_previous_page_is_exact(graphql, crowded):
    """hasPreviousPage after a cursor says whether rows really precede the page: false once
    every earlier task is deleted, though `after` was given."""
    _user, token, rows = crowded
    keys = [("TITLE", "ASC")]
    expected = expected_ids(rows, keys)
    first = await page_of(graphql, token, PAGE, ("data", "tasks"), orderBy=order_arg(keys), first=4)
    after = first["pageInfo"]["endCursor"]
    earlier = [row_id(i) for i in expected[:4]]
    # Not .delete()'s count: on SQLite tortoise counts total_changes, which includes the
    # search index rows the triggers change.
    await task_models.Task.filter(id__in=earlier).delete()
    assert await task_models.Task.filter(id__in=earlier).count() == 0
    second = await page_of(
        graphql, token, PAGE, ("data", "tasks"), orderBy=order_arg(keys), first=4, after=after
    )
    assert [e["node"]["id"] for e in second["edges"]] == expected[4:8]
    assert second["pageInfo"]["hasPreviousPage"] is False
    assert second["pageInfo"]["hasNextPage"] is True
    # And backward: before the first remaining task nothing is left.
    start = second["pageInfo"]["startCursor"]
    empty = await page_of(
        graphql, token, PAGE, ("data", "tasks"), orderBy=order_arg(keys), last=4, before=start
    )
    assert empty["edges"] == []
    assert empty["pageInfo"]["hasNextPage"] is True
    assert empty["pageInfo"]["hasPreviousPage"] is False


async def test_last_without_before_is_the_end_of_the_list(graphql, crowded):
    """last: 3 alone is the final three tasks: hasNextPage false, hasPreviousPage true."""
    _user, token, rows = crowded
    keys = [("PRIORITY", "DESC"), ("DUE_AT", "ASC")]
    page = await page_of(graphql, token, PAGE, ("data", "tasks"), orderBy=order_arg(keys), last=3)
    assert [e["node"]["id"] for e in page["edges"]] == expected_ids(rows, keys)[-3:]
    assert page["pageInfo"]["hasNextPage"] is False
    assert page["pageInfo"]["hasPreviousPage"] is True


async def test_after_and_before_together_bound_the_page(graphql, crowded):
    """first with both after and before returns only the rows between the two cursors."""
    _user, token, rows = crowded
    keys = [("CREATED_AT", "DESC")]
    expected = expected_ids(rows, keys)
    _forward, pages = await walk_forward(graphql, token, PAGE, ("data", "tasks"), keys)
    between = await page_of(
        graphql,
        token,
        PAGE,
        ("data", "tasks"),
        orderBy=order_arg(keys),
        first=10,
        after=pages[0]["pageInfo"]["endCursor"],
        before=pages[2]["pageInfo"]["startCursor"],
    )
    assert [e["node"]["id"] for e in between["edges"]] == expected[4:8]
    assert between["pageInfo"]["hasNextPage"] is False


async def test_first_and_last_together_are_refused(graphql, crowded):
    """first and last in one request is VALIDATION_ERROR naming last."""
    _user, token, _rows = crowded
    body = await graphql(PAGE, {"first": 2, "last": 2}, token=token)
    assert body["errors"][0]["extensions"] == {"code": "VALIDATION_ERROR", "field": "last"}


@pytest.mark.parametrize("last", [-1, 101])
async def test_last_outside_the_limits_is_refused(graphql, crowded, last):
    """last obeys the same limits as first, naming last."""
    _user, token, _rows = crowded
    body = await graphql(PAGE, {"last": last}, token=token)
    assert body["errors"][0]["extensions"] == {"code": "VALIDATION_ERROR", "field": "last"}
    assert body["errors"][0]["message"] == "last must be between 0 and 100."


async def test_cursors_are_bound_to_the_whole_ordering(graphql, crowded):
    """A cursor of one ordering is refused, as after and as before, under another ordering:
    another key list, another direction of any key, or the keys in another order."""
    _user, token, _rows = crowded
    keys = [("PRIORITY", "DESC"), ("DUE_AT", "ASC")]
    page = await page_of(graphql, token, PAGE, ("data", "tasks"), orderBy=order_arg(keys), first=2)
    cursor = page["pageInfo"]["endCursor"]
    others = [
        [("PRIORITY", "DESC")],
        [("PRIORITY", "DESC"), ("DUE_AT", "DESC")],
        [("DUE_AT", "ASC"), ("PRIORITY", "DESC")],
        [("PRIORITY", "DESC"), ("DUE_AT", "ASC"), ("TITLE", "ASC")],
    ]
    for other in others:
        for argument in ("after", "before"):
            body = await graphql(
                PAGE, {"orderBy": order_arg(other), argument: cursor, "first": 2}, token=token
            )
            assert body["errors"][0]["extensions"] == {
                "code": "VALIDATION_ERROR",
                "field": argument,
            }, (other, argument)


async def test_a_single_order_object_is_a_list_of_one(graphql, crowded):
    """orderBy given one object (not a list) still works: GraphQL input coercion."""
    _user, token, rows = crowded
    body = await graphql(
        "{ tasks(first: 100, orderBy: {field: TITLE, direction: ASC}) { edges { node { id } } } }",
        token=token,
    )
    ids = [e["node"]["id"] for e in body["data"]["tasks"]["edges"]]
    assert ids == expected_ids(rows, [("TITLE", "ASC")])


async def test_a_field_twice_in_order_by_is_refused(graphql, crowded):
    """orderBy naming one field twice is VALIDATION_ERROR naming orderBy."""
    _user, token, _rows = crowded
    keys = [("TITLE", "ASC"), ("TITLE", "DESC")]
    body = await graphql(PAGE, {"orderBy": order_arg(keys)}, token=token)
    assert body["errors"][0]["extensions"] == {"code": "VALIDATION_ERROR", "field": "orderBy"}


USERS = """query($orderBy: UserOrder, $first: Int, $after: String, $last: Int, $before: String) {
  users(orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id email } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


@pytest.mark.parametrize("field", ["CREATED_AT", "EMAIL"])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_users_page_both_ways_in_every_order(graphql, settings, field, direction):
    """The admin's users list walks forward and backward by createdAt (shared timestamps) or
    email, matching the full order; totalCount counts them all."""
    admin, token = await signed_in_user(settings, role=Role.ADMIN)
    for _ in range(8):
        await signed_in_user(settings)
    shared = NOW - timedelta(days=1)
    from models import users as user_models  # noqa: PLC0415 - the ORM, for the test data

    everyone = await user_models.User.all().order_by("id")
    for user in everyone[1::2]:  # half of them registered at one instant
        await user_models.User.filter(id=user.id).update(created_at=shared)
    rows = await user_models.User.all().values("id", "email", "created_at")
    column = {"CREATED_AT": "created_at", "EMAIL": "email"}[field]
    descending = direction == "DESC"
    expected = [
        encode_user(str(r["id"]))
        for r in sorted(rows, key=lambda r: (r[column], str(r["id"])), reverse=descending)
    ]
    order = {"field": field, "direction": direction}
    path = ("data", "users")
    seen, after = [], None
    while True:
        page = await page_of(graphql, token, USERS, path, orderBy=order, first=3, after=after)
        assert page["totalCount"] == len(rows)
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    back: list[str] = []
    before = None
    while True:
        page = await page_of(graphql, token, USERS, path, orderBy=order, last=3, before=before)
        assert page["pageInfo"]["hasNextPage"] is (before is not None)
        back = [e["node"]["id"] for e in page["edges"]] + back
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert seen == back == expected
    assert encode_user(str(admin.id)) in seen


async def test_users_cursor_of_one_order_is_refused_under_another(graphql, settings):
    """A users cursor made under EMAIL ASC is refused under the default order."""
    _admin, token = await signed_in_user(settings, role=Role.ADMIN)
    await signed_in_user(settings)
    page = await page_of(
        graphql,
        token,
        USERS,
        ("data", "users"),
        orderBy={"field": "EMAIL", "direction": "ASC"},
        first=1,
    )
    body = await graphql(USERS, {"before": page["pageInfo"]["endCursor"]}, token=token)
    assert body["errors"][0]["extensions"] == {"code": "VALIDATION_ERROR", "field": "before"}


async def test_users_list_and_its_count_stay_admin_only(graphql, settings):
    """A normal user asking for users (with totalCount) is FORBIDDEN, no data."""
    _user, token = await signed_in_user(settings)
    body = await graphql(USERS, {"last": 2}, token=token)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def row_id(global_id: str) -> str:
    """The row's uuid of a global id the API returned."""
    decoded = decode(global_id)
    assert decoded is not None
    return str(decoded[1])
