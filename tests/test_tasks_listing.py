"""tasks(filter, orderBy, first, after): every filter, every ordering, keyset pages, cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models import tasks as task_models
from models.tasks import Priority, Status
from taskql.global_ids import encode_task
from tests.task_factories import create_tasks, signed_in_user

LIST = """query($filter: TaskFilter, $orderBy: [TaskOrder!], $first: Int, $after: String) {
  tasks(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    edges { cursor node { id title } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
NOW = datetime.now(UTC)
ORDER_COLUMNS = {
    "CREATED_AT": "created_at",
    "UPDATED_AT": "updated_at",
    "DUE_AT": "due_at",
    "PRIORITY": "priority",
}


@pytest.fixture
async def viewer(settings):
    return await signed_in_user(settings)


async def listing(graphql, token, **variables):
    body = await graphql(LIST, variables, token=token)
    assert "errors" not in body, body
    return body["data"]["tasks"]


def titles(connection):
    return {edge["node"]["title"] for edge in connection["edges"]}


def error_of(body):
    assert body.get("errors"), body
    return body["errors"][0]["extensions"]


@pytest.fixture
async def varied(viewer):
    user, token = viewer
    specs = [
        ("Buy Milk", Status.TODO, Priority.LOW, NOW - timedelta(days=2)),
        ("milk shake", Status.DONE, Priority.HIGH, NOW - timedelta(days=1)),
        ("100% done_ish", Status.IN_PROGRESS, Priority.CRITICAL, NOW + timedelta(days=3)),
        ("Call mom", Status.CANCELLED, Priority.MEDIUM, None),
    ]
    for title, status, priority, due_at in specs:
        await create_tasks(user, 1, title=title, status=status, priority=priority, due_at=due_at)
    return token


@pytest.mark.parametrize(
    ("task_filter", "expected"),
    [
        ({"status": ["TODO", "DONE"]}, {"Buy Milk", "milk shake"}),
        ({"priority": ["HIGH", "CRITICAL"]}, {"milk shake", "100% done_ish"}),
        ({"dueBefore": NOW.isoformat()}, {"Buy Milk", "milk shake"}),
        ({"dueAfter": NOW.isoformat()}, {"100% done_ish"}),
        ({"overdue": True}, {"Buy Milk"}),
        ({"overdue": False}, {"milk shake", "100% done_ish", "Call mom"}),
        ({"titleContains": "MILK"}, {"Buy Milk", "milk shake"}),
        ({"titleContains": "%"}, {"100% done_ish"}),
        ({"titleContains": "_"}, {"100% done_ish"}),
        ({"status": ["TODO"], "titleContains": "milk"}, {"Buy Milk"}),
        ({"status": [], "priority": []}, {"Buy Milk", "milk shake", "100% done_ish", "Call mom"}),
    ],
)
async def test_each_filter_selects_the_matching_tasks(graphql, varied, task_filter, expected):
    """Each filter (and their combination) lists exactly the tasks meeting it; totalCount agrees."""
    connection = await listing(graphql, varied, filter=task_filter)
    assert titles(connection) == expected
    assert connection["totalCount"] == len(expected)


@pytest.mark.parametrize("name", ["dueBefore", "dueAfter"])
async def test_naive_filter_datetimes_are_refused(graphql, viewer, name):
    """A due-date filter without a timezone is VALIDATION_ERROR naming the filter field."""
    _user, token = viewer
    body = await graphql(LIST, {"filter": {name: "2030-01-01T00:00:00"}}, token=token)
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": f"filter.{name}"}


@pytest.fixture
async def crowded(viewer):
    """19 tasks, most sharing one created_at, a few priorities and due dates, some undated."""
    user, token = viewer
    shared = NOW - timedelta(hours=1)
    dues = [None, NOW + timedelta(days=1), NOW + timedelta(days=1), NOW - timedelta(days=1)]
    for index in range(19):
        await create_tasks(
            user,
            1,
            title=f"t{index:02}",
            created_at=shared if index % 5 else shared - timedelta(minutes=index),
            priority=Priority(index % 3 + 1),
            due_at=dues[index % 4],
        )
    rows = await task_models.Task.filter(owner_id=user.id).values(
        "id", "title", "created_at", "updated_at", "due_at", "priority"
    )
    return token, rows


def expected_order(rows, column, descending):
    """The documented order: column, then id, same direction; tasks without dueAt last."""
    present = [r for r in rows if r[column] is not None]
    absent = [r for r in rows if r[column] is None]
    present.sort(key=lambda r: (r[column], str(r["id"])), reverse=descending)
    absent.sort(key=lambda r: str(r["id"]), reverse=descending)
    return [r["title"] for r in present + absent]


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("field", list(ORDER_COLUMNS))
async def test_each_ordering_sorts_with_the_id_as_tie_breaker(graphql, crowded, field, direction):
    """Every orderBy field and direction returns the documented order in one page."""
    token, rows = crowded
    connection = await listing(
        graphql, token, orderBy={"field": field, "direction": direction}, first=100
    )
    got = [edge["node"]["title"] for edge in connection["edges"]]
    assert got == expected_order(rows, ORDER_COLUMNS[field], direction == "DESC")


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("field", list(ORDER_COLUMNS))
async def test_walking_all_pages_returns_every_task_once(graphql, crowded, field, direction):
    """Pages of 4 with `after` visit every task exactly once, in order, despite shared values."""
    token, rows = crowded
    order = {"field": field, "direction": direction}
    seen, after, pages = [], None, 0
    while True:
        page = await listing(graphql, token, orderBy=order, first=4, after=after)
        seen += [edge["node"]["title"] for edge in page["edges"]]
        pages += 1
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert seen == expected_order(rows, ORDER_COLUMNS[field], direction == "DESC")
    assert pages == 5


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_user_tasks_pages_by_due_date_cover_every_task_once(graphql, crowded, direction):
    """me.tasks ordered by dueAt walks dated then undated tasks once each (batched loader SQL)."""
    token, rows = crowded
    query = """query($after: String, $order: [TaskOrder!]) { me { tasks(first: 4, after: $after,
        orderBy: $order) { edges { node { title } } pageInfo { hasNextPage endCursor } } } }"""
    order = {"field": "DUE_AT", "direction": direction}
    seen, after = [], None
    while True:
        body = await graphql(query, {"after": after, "order": order}, token=token)
        page = body["data"]["me"]["tasks"]
        seen += [edge["node"]["title"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected_order(rows, "due_at", direction == "DESC")


async def test_default_order_is_newest_first_and_default_page_size_applies(
    graphql, viewer, settings
):
    """Without arguments: createdAt descending, graphql.page_size_default rows."""
    user, token = viewer
    await create_tasks(user, settings.graphql.page_size_default + 3)
    connection = await listing(graphql, token)
    assert len(connection["edges"]) == settings.graphql.page_size_default
    assert connection["pageInfo"]["hasNextPage"] is True
    newest = await task_models.Task.filter(owner_id=user.id).order_by("-created_at", "-id").first()
    assert newest is not None
    assert connection["edges"][0]["node"]["id"] == encode_task(str(newest.id))


@pytest.mark.parametrize("first", [-1, 101, 10_000])
async def test_first_outside_the_limits_is_refused(graphql, viewer, first):
    """A negative first or one above graphql.page_size_max (100) is VALIDATION_ERROR."""
    _user, token = viewer
    body = await graphql(LIST, {"first": first}, token=token)
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": "first"}
    assert body["errors"][0]["message"] == "first must be between 0 and 100."


async def test_the_schema_describes_the_page_size_limit_as_enforced(graphql, viewer):
    """Query.tasks' description says what `first` above the maximum does (an error), not that
    it is silently capped: the words and the behaviour agree."""
    _user, token = viewer
    body = await graphql('{ __type(name: "Query") { fields { name description } } }', token=token)
    [tasks] = [f for f in body["data"]["__type"]["fields"] if f["name"] == "tasks"]
    assert "capped" not in tasks["description"]
    assert "more is VALIDATION_ERROR" in tasks["description"]


async def test_first_at_the_limits(graphql, viewer):
    """first: 0 gives an empty page that knows more exist; first: 100 is allowed."""
    user, token = viewer
    await create_tasks(user, 3)
    empty = await listing(graphql, token, first=0)
    assert empty["edges"] == []
    assert empty["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": None,
    }
    assert len((await listing(graphql, token, first=100))["edges"]) == 3


async def test_tampered_cursor_is_refused(graphql, viewer):
    """Changing one character of a cursor (payload or signature) is VALIDATION_ERROR."""
    user, token = viewer
    await create_tasks(user, 3)
    cursor = (await listing(graphql, token, first=1))["pageInfo"]["endCursor"]
    payload, signature = cursor.split(".")
    for forged in (
        f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}",
        f"{payload}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        "not-a-cursor",
        "é.é",
        "",
    ):
        body = await graphql(LIST, {"after": forged}, token=token)
        assert error_of(body) == {"code": "VALIDATION_ERROR", "field": "after"}, forged


async def test_cursor_is_bound_to_its_ordering(graphql, viewer):
    """A cursor from one ordering is refused under another ordering or direction."""
    user, token = viewer
    await create_tasks(user, 3)
    cursor = (await listing(graphql, token, first=1))["pageInfo"]["endCursor"]
    for order in ({"field": "PRIORITY"}, {"field": "CREATED_AT", "direction": "ASC"}):
        body = await graphql(LIST, {"after": cursor, "orderBy": order}, token=token)
        assert error_of(body) == {"code": "VALIDATION_ERROR", "field": "after"}


async def test_another_users_cursor_reveals_nothing_of_theirs(graphql, viewer, settings):
    """A cursor taken from B's list, used by A, pages A's own tasks only."""
    user, token = viewer
    other, other_token = await signed_in_user(settings)
    await create_tasks(user, 2)
    await create_tasks(other, 2)
    cursor = (await listing(graphql, other_token, first=1))["pageInfo"]["endCursor"]
    page = await listing(graphql, token, after=cursor)
    own = {encode_task(str(t.id)) for t in await task_models.Task.filter(owner_id=user.id)}
    assert {edge["node"]["id"] for edge in page["edges"]} <= own


async def test_user_tasks_take_the_same_arguments(graphql, viewer):
    """me.tasks filters, orders and pages like Query.tasks."""
    user, token = viewer
    for priority in Priority:
        await create_tasks(user, 2, priority=priority)
    query = """query($after: String) { me { tasks(first: 3, after: $after,
        filter: {priority: [HIGH, CRITICAL]}, orderBy: {field: PRIORITY, direction: DESC}) {
        totalCount edges { node { priority } } pageInfo { hasNextPage endCursor } } } }"""
    first = (await graphql(query, token=token))["data"]["me"]["tasks"]
    second = (await graphql(query, {"after": first["pageInfo"]["endCursor"]}, token=token))["data"][
        "me"
    ]["tasks"]
    priorities = [e["node"]["priority"] for e in first["edges"] + second["edges"]]
    assert priorities == ["CRITICAL", "CRITICAL", "HIGH", "HIGH"]
    assert first["totalCount"] == 4
    assert (first["pageInfo"]["hasNextPage"], second["pageInfo"]["hasNextPage"]) == (True, False)


async def test_task_counts_by_status(graphql, viewer):
    """taskCounts counts the viewer's tasks per status, zero for statuses without any."""
    user, token = viewer
    await create_tasks(user, 3, status=Status.TODO)
    await create_tasks(user, 2, status=Status.DONE)
    body = await graphql(
        "{ me { taskCounts { todo inProgress done cancelled total } } }", token=token
    )
    assert body["data"]["me"]["taskCounts"] == {
        "todo": 3,
        "inProgress": 0,
        "done": 2,
        "cancelled": 0,
        "total": 5,
    }


async def test_malformed_owner_filter_is_a_validation_error(graphql, viewer):
    """An ownerId filter that is not a UUID names filter.ownerId."""
    _user, token = viewer
    body = await graphql(LIST, {"filter": {"ownerId": "me"}}, token=token)
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": "filter.ownerId"}


async def test_a_malformed_due_date_filter_names_the_field(graphql, viewer):
    """filter.dueBefore text that is not a date-time is VALIDATION_ERROR naming the field."""
    _user, token = viewer
    body = await graphql(LIST, {"filter": {"dueBefore": "soon"}}, token=token)
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": "filter.dueBefore"}
    assert "ISO 8601" in body["errors"][0]["message"]
