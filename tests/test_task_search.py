"""filter.search: title and description through the full-text index (FTS5 on SQLite, a
tsvector + GIN on PostgreSQL), kept in sync on every write, ranked by RELEVANCE, safe with
hostile text."""

from __future__ import annotations

import pytest

from models import tasks as task_models
from models.users import Role
from tests.task_factories import create_tasks, signed_in_user

SEARCH = """query($search: String, $orderBy: [TaskOrder!], $first: Int, $after: String,
    $last: Int, $before: String, $titleContains: String) {
  tasks(filter: {search: $search, titleContains: $titleContains}, orderBy: $orderBy,
        first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { id title } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
RELEVANCE = [{"field": "RELEVANCE", "direction": "DESC"}]


@pytest.fixture
async def viewer(settings):
    return await signed_in_user(settings)


@pytest.fixture
async def shop(viewer):
    user, token = viewer
    specs = [
        ("Buy milk", "Oat milk, and milk for the milkshake"),
        ("Groceries", "bread, MILK, eggs"),
        ("Call the plumber", "the sink leaks"),
        ("Milkshake recipe", None),
        ("Bake bread", "with the oat flour"),
    ]
    for title, description in specs:
        await create_tasks(user, 1, title=title, description=description)
    return token


async def search(graphql, token, **variables):
    body = await graphql(SEARCH, {"first": 100, **variables}, token=token)
    assert "errors" not in body, body
    return body["data"]["tasks"]


def titles(connection):
    return [edge["node"]["title"] for edge in connection["edges"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("milk", {"Buy milk", "Groceries", "Milkshake recipe"}),  # title, description, prefix
        ("MILK oat", {"Buy milk"}),  # every word, any case
        ("bread", {"Groceries", "Bake bread"}),
        ("sink", {"Call the plumber"}),  # description only
        ("plumb", {"Call the plumber"}),  # a word's start
        ("lumber", set()),  # not a word's start
        ("oat-flour", {"Bake bread"}),  # punctuation separates words
        ("nothing-like-it", set()),
    ],
)
async def test_search_matches_title_and_description_words(graphql, shop, text, expected):
    """search lists the tasks whose title or description holds every word (as a word start),
    ignoring case; totalCount agrees."""
    connection = await search(graphql, shop, search=text)
    assert set(titles(connection)) == expected
    assert connection["totalCount"] == len(expected)


async def test_search_combines_with_title_contains(graphql, shop):
    """titleContains keeps working, alone and together with search."""
    assert set(titles(await search(graphql, shop, titleContains="MILK"))) == {
        "Buy milk",
        "Milkshake recipe",
    }
    both = await search(graphql, shop, search="milk", titleContains="buy")
    assert titles(both) == ["Buy milk"]


async def test_search_follows_every_write(graphql, viewer):
    """The index follows createTask, updateTask (title and description) and deleteTask."""
    _user, token = viewer
    created = await graphql(
        'mutation { createTask(input: {title: "Water plants", description: "fern"}) { id } }',
        token=token,
    )
    task_id = created["data"]["createTask"]["id"]
    assert titles(await search(graphql, token, search="fern")) == ["Water plants"]
    updated = await graphql(
        """mutation($id: ID!) { updateTask(id: $id, input: {title: "Feed cat",
        description: "tuna"}) { id } }""",
        {"id": task_id},
        token=token,
    )
    assert "errors" not in updated, updated
    assert titles(await search(graphql, token, search="fern")) == []
    assert titles(await search(graphql, token, search="water")) == []
    assert titles(await search(graphql, token, search="tuna cat")) == ["Feed cat"]
    deleted = await graphql(
        "mutation($id: ID!) { deleteTask(id: $id) }", {"id": task_id}, token=token
    )
    assert deleted["data"] == {"deleteTask": task_id}
    assert titles(await search(graphql, token, search="tuna")) == []


async def test_search_sees_only_the_viewers_tasks(graphql, shop, settings):
    """Another user's matching tasks never appear in a search."""
    other, other_token = await signed_in_user(settings)
    await create_tasks(other, 1, title="milk for them")
    assert titles(await search(graphql, other_token, search="milk")) == ["milk for them"]
    assert "milk for them" not in titles(await search(graphql, shop, search="milk"))


async def test_relevance_ranks_more_mentions_first(graphql, shop):
    """RELEVANCE DESC puts the task mentioning the word most first, ASC last."""
    ranked = titles(await search(graphql, shop, search="milk", orderBy=RELEVANCE))
    assert ranked[0] == "Buy milk"
    assert set(ranked) == {"Buy milk", "Groceries", "Milkshake recipe"}
    ascending = titles(
        await search(
            graphql, shop, search="milk", orderBy=[{"field": "RELEVANCE", "direction": "ASC"}]
        )
    )
    assert ascending == list(reversed(ranked))


async def test_relevance_pages_both_ways_cover_every_match_once(graphql, viewer):
    """Paging by RELEVANCE (ties broken by id) forward and backward yields the one-page
    order, each match once, with exact page info."""
    user, token = viewer
    for index in range(11):
        # Equal ranks in groups, so the id must break ties across page ends.
        await create_tasks(user, 1, title=f"pear {'pear ' * (index % 3)}", description="fruit")
    await create_tasks(user, 3, title="apple")
    order = [{"field": "RELEVANCE", "direction": "DESC"}, {"field": "CREATED_AT"}]
    whole = [
        e["node"]["id"]
        for e in (await search(graphql, token, search="pear", orderBy=order))["edges"]
    ]
    assert len(whole) == 11
    forward, after = [], None
    while True:
        page = await search(graphql, token, search="pear", orderBy=order, first=3, after=after)
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        forward += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    backward: list[str] = []
    before = None
    while True:
        page = await search(
            graphql, token, search="pear", orderBy=order, first=None, last=3, before=before
        )
        assert page["pageInfo"]["hasNextPage"] is (before is not None)
        backward = [e["node"]["id"] for e in page["edges"]] + backward
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert forward == backward == whole


async def test_relevance_needs_a_search(graphql, shop):
    """Ordering by RELEVANCE without filter.search is VALIDATION_ERROR naming orderBy."""
    body = await graphql(SEARCH, {"orderBy": RELEVANCE}, token=shop)
    assert body["errors"][0]["extensions"] == {"code": "VALIDATION_ERROR", "field": "orderBy"}


async def test_a_relevance_cursor_is_bound_to_its_words(graphql, shop):
    """A RELEVANCE cursor of one search is refused under another search (ranks differ)."""
    page = await search(graphql, shop, search="milk", orderBy=RELEVANCE, first=1)
    body = await graphql(
        SEARCH,
        {"search": "bread", "orderBy": RELEVANCE, "after": page["pageInfo"]["endCursor"]},
        token=shop,
    )
    assert body["errors"][0]["extensions"] == {"code": "VALIDATION_ERROR", "field": "after"}


HOSTILE = [
    '"',
    "'",
    'milk" OR "bread',
    "milk OR bread",
    "NEAR(milk bread)",
    "milk*",
    "*",
    "^milk",
    "-milk",
    "title:milk",
    "description : milk",
    "milk AND",
    "(((((",
    ")",
    "\\",
    "%_",
    "!!!",
    "':*|&!",
    "milk & !bread | (oat <-> eggs)",
    "'milk':* & 'bread'",
    "{milk}",
    "milk\u00a0bread",
    "🥛 milk",
    '"' * 200,
    "a " * 100,
    "x" * 200,
]


MILK = {"Buy milk", "Groceries", "Milkshake recipe"}
# What some of them find: operators are words like any other (OR must itself appear, so no
# union; a leading - or ^ is a separator, so no negation or anchoring).
EXPECTED = {
    'milk" OR "bread': set(),
    "milk OR bread": set(),
    "-milk": MILK,
    "^milk": MILK,
    "milk*": MILK,
    "{milk}": MILK,
    "🥛 milk": MILK,
    "'milk':* & 'bread'": {"Groceries"},
    "milk & !bread | (oat <-> eggs)": set(),
    "milk\u00a0bread": {"Groceries"},
    "!!!": set(),
    "(((((": set(),
}


@pytest.mark.parametrize("text", HOSTILE)
async def test_hostile_search_text_is_plain_words(graphql, shop, text):
    """Query operators, quotes and brackets of either index's syntax are plain separators or
    words: no error, no operator effect, the same rows with and without RELEVANCE."""
    plain = await search(graphql, shop, search=text)
    ranked = await search(graphql, shop, search=text, orderBy=RELEVANCE)
    assert set(titles(plain)) == set(titles(ranked))
    if text in EXPECTED:
        assert set(titles(plain)) == EXPECTED[text]


async def test_a_search_without_words_matches_nothing(graphql, shop):
    """A text of punctuation only holds no word: nothing matches (not everything)."""
    assert titles(await search(graphql, shop, search="?! -- ...")) == []
    assert (await search(graphql, shop, search=""))["totalCount"] == 0


async def test_too_long_a_search_is_refused(graphql, shop):
    """search over 200 characters is VALIDATION_ERROR naming filter.search."""
    body = await graphql(SEARCH, {"search": "m" * 201}, token=shop)
    assert body["errors"][0]["extensions"] == {"code": "VALIDATION_ERROR", "field": "filter.search"}


async def test_search_reads_through_the_index(graphql, shop, sql_statements, settings):
    """The statement a search sends reads the index (FTS5 table or the tsvector column)."""
    sql_statements.reset()
    await search(graphql, shop, search="milk")
    [statement] = [s for s in sql_statements.statements if "FROM tasks" in s and "COUNT" not in s]
    marker = "search_vector @@" if settings.database.dialect == "postgres" else "tasks_fts MATCH"
    assert marker in statement
    assert await task_models.Task.all().count() >= 5


async def test_user_tasks_search_and_rank_like_the_task_list(graphql, shop, settings):
    """me.tasks and users { tasks } (per-owner SQL: LATERAL / UNION ALL) search and rank a
    user's tasks exactly as Query.tasks does, both directions."""
    listed = titles(await search(graphql, shop, search="milk", orderBy=RELEVANCE))
    mine = await graphql(
        """{ me { tasks(filter: {search: "milk"}, orderBy: [{field: RELEVANCE, direction: DESC}])
        { edges { node { title } } } } }""",
        token=shop,
    )
    assert titles(mine["data"]["me"]["tasks"]) == listed
    _admin, admin_token = await signed_in_user(settings, role=Role.ADMIN)
    body = await graphql(
        """{ users(first: 10) { edges { node { tasks(last: 5, filter: {search: "milk"},
        orderBy: [{field: RELEVANCE, direction: DESC}]) { edges { node { title } } } } } } }""",
        token=admin_token,
    )
    pages = [titles(edge["node"]["tasks"]) for edge in body["data"]["users"]["edges"]]
    assert listed in pages
