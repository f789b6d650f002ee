"""Hostile inputs through the real HTTP app: each is refused with a stable code, never a 500.

Runs on both databases; PostgreSQL is the one that refuses a NUL byte, so a value that reaches
it unchecked shows up there as INTERNAL_ERROR.
"""

from __future__ import annotations

import asyncio
import collections
import os
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from models import tasks as task_models
from models import users as user_models
from models.users import Role
from server.graphql_documents import DOCUMENTS
from taskql.auth.passwords import password_work
from taskql.settings import load_settings
from tests.cli import GOOD_SECRET, free_port, serving, taskql_env
from tests.conftest import with_overrides
from tests.factories import DEFAULT_PASSWORD, access_token_for, create_user
from tests.task_factories import create_tasks, signed_in_user
from tests.test_auth_tokens import assert_refused, claims_for, sign

NUL = "bad\x00value"
OVERSIZE = "x" * 10_001  # graphql.max_string_length is 10,000
TASK_FIELDS = "id title description version"
CREATE = f"mutation($input: CreateTaskInput!) {{ createTask(input: $input) {{ {TASK_FIELDS} }} }}"
UPDATE = f"""mutation($id: ID!, $input: UpdateTaskInput!) {{
  updateTask(id: $id, input: $input) {{ {TASK_FIELDS} }} }}"""
REGISTER = """mutation($input: RegisterInput!) { register(input: $input) { accessToken } }"""
LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken } }"""
UPDATE_ME = "mutation($name: String!) { updateMe(displayName: $name) { displayName } }"
SEARCH = "query($filter: TaskFilter) { tasks(filter: $filter) { edges { node { id } } } }"
NESTED_SEARCH = """query($filter: TaskFilter) { users(first: 5) { edges { node {
  tasks(filter: $filter) { edges { node { id } } } } } } }"""
CHANGE_PASSWORD = """mutation($p: String!) {
  changePassword(currentPassword: "x", newPassword: $p) { accessToken } }"""
REGISTRATION = {"email": "new@example.test", "password": "long enough password", "displayName": "N"}


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    extensions: dict[str, Any] = body["errors"][0]["extensions"]
    return extensions


@pytest.fixture
async def owner(settings):
    """A user with one task: (user, token, task id)."""
    user, token = await signed_in_user(settings)
    [task] = await create_tasks(user, 1, title="Original")
    return user, token, str(task.id)


def cases(value: str) -> list[tuple[str, str, dict[str, Any], str]]:
    """(case name, query, variables, field named in the error) for every text input, with
    `value` in the tested field; "{task}" in variables stands for the owner's task id."""
    return [
        ("register.email", REGISTER, {"input": {**REGISTRATION, "email": value}}, "email"),
        (
            "register.displayName",
            REGISTER,
            {"input": {**REGISTRATION, "displayName": value}},
            "displayName",
        ),
        ("login.email", LOGIN, {"email": value, "password": "whatever it is"}, "email"),
        ("updateMe.displayName", UPDATE_ME, {"name": value}, "displayName"),
        ("createTask.title", CREATE, {"input": {"title": value}}, "title"),
        (
            "createTask.description",
            CREATE,
            {"input": {"title": "t", "description": value}},
            "description",
        ),
        (
            "createTask.clientMutationId",
            CREATE,
            {"input": {"title": "t", "clientMutationId": value}},
            "clientMutationId",
        ),
        ("updateTask.title", UPDATE, {"id": "{task}", "input": {"title": value}}, "title"),
        (
            "updateTask.description",
            UPDATE,
            {"id": "{task}", "input": {"description": value}},
            "description",
        ),
        (
            "tasks.titleContains",
            SEARCH,
            {"filter": {"titleContains": value}},
            "filter.titleContains",
        ),
    ]


async def send_case(graphql, owner, query: str, variables: dict[str, Any]) -> Any:
    _user, token, task_id = owner
    if variables.get("id") == "{task}":
        variables = {**variables, "id": task_id}
    return await graphql(query, variables, token=token)


async def nothing_written(owner) -> None:
    user, _token, task_id = owner
    assert await task_models.Task.filter(owner_id=user.id).count() == 1
    task = await task_models.Task.get(id=task_id)
    assert (task.title, task.version) == ("Original", 1)
    assert task.description is None
    assert await user_models.User.filter(email="new@example.test").count() == 0
    assert (await user_models.User.get(id=user.id)).display_name == user.display_name


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [case[1:] for case in cases(NUL)],
    ids=[case[0] for case in cases(NUL)],
)
async def test_a_nul_byte_in_any_text_input_is_a_validation_error(
    graphql, owner, query, variables, field
):
    """A NUL byte in any string argument or input field (here through variables) answers
    VALIDATION_ERROR naming the field, on PostgreSQL too, and writes nothing."""
    body = await send_case(graphql, owner, query, variables)
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": field}
    assert "control characters" in body["errors"][0]["message"]
    await nothing_written(owner)


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [case[1:] for case in cases(OVERSIZE)],
    ids=[case[0] for case in cases(OVERSIZE)],
)
async def test_an_oversize_text_input_is_a_validation_error(
    graphql, owner, query, variables, field
):
    """Any text over graphql.max_string_length (or a field's own lower limit) answers
    VALIDATION_ERROR naming the field, and writes nothing."""
    body = await send_case(graphql, owner, query, variables)
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": field}
    await nothing_written(owner)


@pytest.mark.parametrize(
    "query",
    [
        'mutation { createTask(input: {title: "bad\\u0000title"}) { id } }',
        'mutation { updateMe(displayName: "tab\\tinside") { displayName } }',
        '{ tasks(filter: {titleContains: "bell\\u0007"}) { edges { node { id } } } }',
    ],
    ids=["createTask.title", "updateMe.displayName", "tasks.titleContains"],
)
async def test_control_characters_written_in_the_document_are_refused_too(graphql, owner, query):
    """A control character in a literal of the document (not a variable) is refused alike."""
    _user, token, _task = owner
    body = await graphql(query, token=token)
    assert error_of(body)["code"] == "VALIDATION_ERROR"
    await nothing_written(owner)


@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        (
            "mutation($t: String!) { refreshTokens(refreshToken: $t) { accessToken } }",
            "t",
            "refreshToken",
        ),
        (CHANGE_PASSWORD, "p", "newPassword"),
        ("query($id: ID!) { user(id: $id) { id } }", "id", "id"),
        ("query($id: ID!) { task(id: $id) { id } }", "id", "id"),
        ("query($a: String) { tasks(after: $a) { edges { node { id } } } }", "a", "after"),
    ],
    ids=["refreshTokens", "changePassword", "user.id", "task.id", "tasks.after"],
)
async def test_every_text_argument_is_checked_not_only_the_listed_ones(
    graphql, owner, query, variables, field
):
    """The check is generic: tokens, passwords, ids and cursors with a NUL byte are refused
    alike, before any resolver or statement sees them."""
    _user, token, _task = owner
    body = await graphql(query, {variables: NUL}, token=token)
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": field}


async def test_a_nul_byte_in_a_nested_field_read_ahead_is_a_validation_error(graphql, settings):
    """User.tasks' filter is read ahead by users(...) to batch it; a NUL byte there answers
    VALIDATION_ERROR at User.tasks, and no statement carries it to the database."""
    admin, token = await signed_in_user(settings, role=Role.ADMIN)
    await create_tasks(admin, 2)
    body = await graphql(NESTED_SEARCH, {"filter": {"titleContains": NUL}}, token=token)
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": "filter.titleContains"}
    assert body["errors"][0]["path"][-1] == "tasks"
    assert {error["extensions"]["code"] for error in body["errors"]} == {"VALIDATION_ERROR"}


async def test_a_description_may_span_lines_but_a_title_may_not(graphql, owner):
    """Newline, carriage return and tab are kept in a description, refused in a title."""
    _user, token, _task = owner
    text = "line one\r\nline two\tindented"
    body = await graphql(CREATE, {"input": {"title": "t", "description": text}}, token=token)
    assert body["data"]["createTask"]["description"] == text
    body = await graphql(CREATE, {"input": {"title": "two\nlines"}}, token=token)
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": "title"}


async def test_a_huge_login_email_is_refused_and_not_logged(graphql, logs):
    """A 200 KB login email (PostgreSQL once failed on anything over ~394 characters) answers
    VALIDATION_ERROR naming the email, and no log line carries the value."""
    email = f"{'a' * 200_000}@example.test"
    body = await graphql(LOGIN, {"email": email, "password": "whatever it is"})
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": "email"}
    assert "a" * 1000 not in logs.text


async def test_a_login_email_just_over_the_stored_length_is_a_validation_error(graphql):
    """An email longer than any account can have (320) is VALIDATION_ERROR before the
    failed-login counter would try to store it."""
    body = await graphql(LOGIN, {"email": f"{'a' * 400}@example.test", "password": "x" * 12})
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": "email"}


async def test_long_values_are_cut_in_every_log_line(graphql, logs):
    """A client-chosen value that reaches a log line (here the operation name in the access
    log) is cut to a bounded length, with the number of characters cut."""
    name = "Op" + "x" * 5000
    await graphql(f"query {name} {{ serverInfo {{ version }} }}")
    [access] = [record for record in logs.records if record.get("event") == "request"]
    assert access["operation"].startswith("Opxxx")
    assert access["operation"].endswith("... [4502 characters cut]")
    assert max(len(line) for line in logs.text.splitlines()) < 2000


async def test_a_lone_surrogate_is_refused_without_a_server_error(client, owner):
    """JSON text escaping half of a UTF-16 pair (not encodable as UTF-8) is a client error."""
    _user, token, _task = owner
    response = await client.post(
        "/graphql",
        data=b'{"query": "mutation($t: String!) { createTask(input: {title: $t}) { id } }",'
        b' "variables": {"t": "a\\ud800b"}}',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert 400 <= response.status < 500
    await nothing_written(owner)


async def test_token_living_longer_than_the_configured_lifetime_is_refused(graphql, settings):
    """exp - iat may not exceed the access-token lifetime plus leeway, however well signed:
    ten years out is refused, as is an hour-long token issued an hour ago, and a short one
    claiming to be issued ten years from now (nbf now), which would stretch it as far."""
    user = await create_user()
    now = int(time.time())
    ten_years = claims_for(user, settings, exp=now + 10 * 365 * 24 * 3600)
    await assert_refused(graphql, sign(ten_years, settings))
    backdated = claims_for(user, settings, iat=now - 3600, nbf=now - 3600, exp=now + 60)
    await assert_refused(graphql, sign(backdated, settings))
    future = now + 10 * 365 * 24 * 3600
    postdated = claims_for(user, settings, iat=future, nbf=now, exp=future + 600)
    await assert_refused(graphql, sign(postdated, settings))


# Not limited by fragment spreads: the limit rule itself must stay linear without the caps.
UNCAPPED = {
    "max_fragment_spreads": 10**30,
    "max_fragment_depth": 10_000,
    "max_repeated_fields": 10**30,
}
PRODUCTION_GRAPHQL = {"introspection": False, "field_suggestions": False}


def doubling_fragments(n: int, leaf: str = "__typename") -> str:
    """`{ ...F0 }` where each Fi spreads F(i+1) twice: 2^n spreads once expanded."""
    fragments = [
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} __typename }}" for i in range(n)
    ]
    return "\n".join(["{ ...F0 }", *fragments, f"fragment F{n} on Query {{ {leaf} }}"])


async def post(client: Any, query: str, variables: Any = None, **extra: Any) -> dict[str, Any]:
    payload = {"query": query, "variables": variables or {}, **extra}
    response = await client.post("/graphql", json=payload)
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


def codes(body: dict[str, Any]) -> set[str]:
    return {error["extensions"]["code"] for error in body.get("errors", [])}


# --- 1. fragment spreads -------------------------------------------------------------------


@pytest.mark.parametrize("n", [10, 20, 40, 60])
async def test_exponential_fragment_spreads_are_refused_after_linear_work(client, n):
    """The 1 KB document that expands to 2^n spreads is QUERY_TOO_COMPLEX, each fragment is
    measured once, and /livez answers alongside it."""
    documents = client.app[DOCUMENTS]
    before_selections, before_fragments = documents.work.selections, documents.work.fragments
    body, livez = await asyncio.gather(post(client, doubling_fragments(n)), client.get("/livez"))
    assert livez.status == 200
    assert "data" not in body or body["data"] is None
    assert codes(body) == {"QUERY_TOO_COMPLEX"}
    messages = " ".join(error["message"] for error in body["errors"])
    assert f"nests fragment spreads {n + 1} deep. Allowed: 10" in messages
    assert f"expands to {2 ** (n + 1) - 1} fragment spreads. Allowed: 200" in messages
    assert documents.work.fragments - before_fragments == n + 1
    assert documents.work.selections - before_selections == 3 * n + 2


async def test_thirty_concurrent_hostile_documents_stay_linear(client):
    """30 distinct n=60 documents at once are all refused after 61 fragment measurements
    each, and /livez answers while they are in flight."""
    documents = client.app[DOCUMENTS]
    before = documents.work.fragments
    hostile = [post(client, doubling_fragments(60, leaf=f"a{i}: __typename")) for i in range(30)]
    *bodies, livez = await asyncio.gather(*hostile, client.get("/livez"))
    assert livez.status == 200
    assert all(codes(body) == {"QUERY_TOO_COMPLEX"} for body in bodies)
    assert documents.work.fragments - before == 30 * 61


async def test_limit_rule_work_grows_linearly_without_the_spread_caps(make_client, settings):
    """With the spread caps lifted, the depth and alias rule still walks each fragment once:
    its work grows by the same amount per fragment for n = 10, 20, 40, 60, and the document
    runs."""
    client = await make_client(with_overrides(settings, graphql=UNCAPPED))
    documents = client.app[DOCUMENTS]
    work: dict[int, tuple[int, int, int]] = {}
    for n in (10, 20, 40, 60):
        counter = documents.work
        before = (counter.selections, counter.fragments, counter.merged)
        body = await post(client, doubling_fragments(n))
        assert body == {"data": {"__typename": "Query"}}
        after = (counter.selections, counter.fragments, counter.merged)
        work[n] = (after[0] - before[0], after[1] - before[1], after[2] - before[2])
    assert {n: fragments for n, (_, fragments, _) in work.items()} == {
        10: 11,
        20: 21,
        40: 41,
        60: 61,
    }
    pairs = [(10, 20), (20, 40), (40, 60)]
    # The same work per extra fragment, whatever n: selections walked, merged-field counts.
    assert {(work[b][0] - work[a][0]) / (b - a) for a, b in pairs} == {3.0}
    assert len({(work[b][2] - work[a][2]) / (b - a) for a, b in pairs}) == 1
    assert (await client.get("/livez")).status == 200


async def test_fragment_expanding_to_many_aliases_counts_every_spread(make_client, settings):
    """Aliases reached through fragments count once per spread (as execution would see
    them), computed without expanding: 2^6 aliases from 6 doubling fragments."""
    client = await make_client(with_overrides(settings, graphql=UNCAPPED))
    body = await post(client, doubling_fragments(6, leaf="a: __typename"))
    assert codes(body) == {"QUERY_TOO_COMPLEX"}
    assert body["errors"][0]["message"] == "64 aliases found. Allowed: 30"


async def test_deep_nesting_through_fragments_is_refused(client):
    """Depth is counted across fragment spreads: three fragments of four levels each go
    past graphql.max_depth (10)."""
    fragments = [
        f"fragment U{i} on User {{ tasks {{ edges {{ node {{ owner {{ ...U{i + 1} }} }} }} }} }}"
        for i in range(3)
    ]
    query = "\n".join(["{ me { ...U0 } }", *fragments, "fragment U3 on User { id }"])
    body = await post(client, query)
    assert codes(body) == {"QUERY_TOO_COMPLEX"}
    assert body["errors"][0]["message"] == "'anonymous' exceeds maximum operation depth of 10"


@pytest.mark.parametrize(
    "query",
    [
        "{ " + "me { " * 400 + "id" + " }" * 401,
        "query($x: [Int] = " + "[" * 600 + "]" * 600 + ") { __typename }",
    ],
    ids=["selections", "list-values"],
)
async def test_documents_nested_beyond_the_parser_are_query_too_complex(client, query):
    """Nesting deeper than the parser follows is QUERY_TOO_COMPLEX, not a 500."""
    body = await post(client, query)
    assert codes(body) == {"QUERY_TOO_COMPLEX"}


async def test_fragment_cycles_are_reported_by_graphql_core(client):
    """A cycle (even one that doubles) neither loops nor recurses: the limit rule counts it
    as nothing and graphql-core names it."""
    query = (
        "{ ...A } fragment A on Query { ...B ...B __typename } "
        "fragment B on Query { ...A ...A __typename }"
    )
    body = await post(client, query)
    assert codes(body) == {"VALIDATION_ERROR"}
    assert any("Cannot spread fragment 'A' within itself" in e["message"] for e in body["errors"])


async def test_many_distinct_fragments_stop_at_the_caps(client):
    """Distinct fragments selecting one field side by side: ten run; 200 merge too many
    fields at one place; 201 are over graphql.max_fragment_spreads. graphql-core never
    compares them pairwise."""

    def distinct(count: int) -> str:
        spreads = " ".join(f"...F{i}" for i in range(count))
        fragments = " ".join(f"fragment F{i} on Query {{ __typename }}" for i in range(count))
        return f"{{ {spreads} }} {fragments}"

    assert await post(client, distinct(10)) == {"data": {"__typename": "Query"}}
    body = await post(client, distinct(200))
    assert codes(body) == {"QUERY_TOO_COMPLEX"}
    assert "'__typename' is selected more than 10 times" in body["errors"][0]["message"]
    body = await post(client, distinct(201))
    assert codes(body) == {"QUERY_TOO_COMPLEX"}
    assert "expands to 201 fragment spreads. Allowed: 200" in body["errors"][0]["message"]


async def test_one_field_repeated_hundreds_of_times_is_refused(client):
    """The same field 400 times in one selection set (quadratic for graphql-core's
    overlapping-fields rule) is refused by our linear rule first."""
    documents = client.app[DOCUMENTS]
    before = documents.work.selections
    body = await post(client, "{ " + "serverInfo { version } " * 400 + "}")
    assert codes(body) == {"QUERY_TOO_COMPLEX"}
    assert body["errors"][0]["message"] == (
        "'serverInfo' is selected more than 10 times at one place of the response "
        "(repeated parents and fragments included)."
    )
    assert documents.work.selections - before == 800
    ten = await post(client, "{ " + "serverInfo { version } " * 10 + "}")
    assert ten["data"]["serverInfo"]["version"]


async def test_fields_merged_across_repeated_parents_are_refused(client):
    """Seven `users`, each with seven `edges`, each with seven `node` (4 KB) merge 49 fields
    at users.edges: graphql-core's overlapping-fields rule took seconds on it; refused first."""
    edges = "edges { " + "node { id } " * 7 + "} "
    body = await post(client, "{ " + ("users { " + edges * 7 + "} ") * 7 + "}")
    assert codes(body) == {"QUERY_TOO_COMPLEX"}
    assert "is selected more than 10 times at one place" in body["errors"][0]["message"]


async def test_fields_merged_through_fragments_are_counted(client):
    """Ten fragments each selecting serverInfo, spread side by side: 11 fields merge at
    serverInfo, refused; ten of them run."""
    fragments = " ".join(
        f"fragment F{i} on Query {{ serverInfo {{ version }} }}" for i in range(11)
    )
    spreads = " ".join(f"...F{i}" for i in range(11))
    body = await post(client, f"{{ serverInfo {{ version }} {spreads} }} {fragments}")
    assert codes(body) == {"QUERY_TOO_COMPLEX"}
    fewer = " ".join(f"...F{i}" for i in range(9))
    fragments = " ".join(f"fragment F{i} on Query {{ serverInfo {{ version }} }}" for i in range(9))
    body = await post(client, f"{{ serverInfo {{ version }} {fewer} }} {fragments}")
    assert body["data"]["serverInfo"]["version"]


async def test_repeated_fields_in_a_fragment_no_operation_spreads_are_refused(client):
    """graphql-core validates unused fragments too, so the limit rule walks them as well."""
    unused = "fragment Unused on Query { " + "serverInfo { version } " * 400 + "}"
    body = await post(client, "{ __typename } " + unused)
    assert codes(body) == {"QUERY_TOO_COMPLEX"}


# --- other hostile shapes -----------------------------------------------------------------


async def test_many_operations_in_one_document_run_only_the_named_one(client):
    """Hundreds of operations in one document: the named one runs, never all of them; with
    no operationName the request is refused (GraphQL over HTTP), not the first one run."""
    query = " ".join(f"query Q{i} {{ __typename }}" for i in range(300))
    assert await post(client, query, operationName="Q7") == {"data": {"__typename": "Query"}}
    response = await client.post("/graphql", json={"query": query})
    assert response.status == 400
    assert "operationName" in (await response.json())["errors"][0]["message"]
    response = await client.post("/graphql", json={"query": query, "operationName": "Q300"})
    assert response.status == 400
    assert codes(await response.json()) == {"BAD_REQUEST"}


async def test_directive_repeated_many_times_is_a_bounded_validation_error(client):
    """One directive repeated 150 times gives validation errors, capped by graphql-core."""
    body = await post(client, "{ __typename " + "@skip(if: false) " * 150 + "}")
    assert codes(body) == {"VALIDATION_ERROR"}
    assert len(body["errors"]) <= 101


async def test_very_long_names_are_validation_errors_and_not_cached(client, logs):
    """A 200 KB field name is an unknown field; the document is too big to be cached, and
    the logs do not copy it."""
    documents = client.app[DOCUMENTS]
    cached = len(documents)
    logs.clear()
    body = await post(client, "{ " + "x" * 200_000 + " }")
    assert codes(body) == {"VALIDATION_ERROR"}
    assert len(documents) == cached
    assert len(logs.text) < 10_000


async def test_huge_variable_objects_are_refused_per_variable(client):
    """A variable holding a 20,000-key object or 500-deep lists is a coercion error."""
    huge = {f"key{i}": i for i in range(20_000)}
    body = await post(client, "query($x: String) { __typename }", {"x": huge})
    assert codes(body) == {"VALIDATION_ERROR"}
    nested: Any = "x"
    for _ in range(500):
        nested = [nested]
    body = await post(client, "query($x: [String]) { __typename }", {"x": nested})
    assert codes(body) == {"VALIDATION_ERROR"}
    unknown_fields = {"title": "t", **{f"extra{i}": 1 for i in range(5_000)}}
    body = await post(
        client,
        "mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }",
        {"i": unknown_fields},
    )
    assert codes(body) == {"VALIDATION_ERROR"}
    assert len(body["errors"]) <= 51  # graphql-core stops coercing after 50 errors


async def test_json_nested_beyond_the_decoder_is_a_400(client):
    """Variables nested 5,000 lists deep stop the JSON decoder: a 400, not a 500."""
    body = '{"query": "query($x: [String]) { __typename }", "variables": {"x": '
    body += "[" * 5_000 + "]" * 5_000 + "}}"
    response = await client.post(
        "/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert codes(await response.json()) == {"BAD_REQUEST"}


# --- 3. the document cache -------------------------------------------------------------


async def test_document_cache_is_bounded_by_the_bytes_of_its_texts(make_client, settings):
    """Distinct documents are kept up to graphql.document_cache_text_bytes of text, the oldest
    dropped first; a repeated document is kept once."""
    client = await make_client(
        with_overrides(settings, graphql={"document_cache_text_bytes": 2_000})
    )
    documents = client.app[DOCUMENTS]
    texts = [f"query Q{i:03d} {{ serverInfo {{ version }} }}" for i in range(100)]
    for text in texts:
        body = await post(client, text)
        assert body["data"]["serverInfo"]["version"]
    size = len(texts[0])
    assert documents.cached_bytes <= 2_000
    assert len(documents) == 2_000 // size
    assert documents.cached_bytes == len(documents) * size
    await post(client, texts[-1])
    assert len(documents) == 2_000 // size


async def test_big_documents_are_answered_but_never_cached(client):
    """Distinct documents over graphql.document_cache_max_text_bytes (100 KB comments
    here) run as usual and leave the cache as it was: they cannot fill the memory."""
    documents = client.app[DOCUMENTS]
    small = "{ serverInfo { version } }"
    await post(client, small)
    cached, cached_bytes = len(documents), documents.cached_bytes
    for i in range(20):
        big = f"# {i} " + "padding " * 12_500 + "\n" + small
        assert (await post(client, big))["data"]["serverInfo"]["version"]
    assert (len(documents), documents.cached_bytes) == (cached, cached_bytes)


# --- 4. WebSocket ---------------------------------------------------------------------------


@pytest.mark.parametrize("protocols", [("graphql-ws",), (), ("chat",)])
async def test_websocket_upgrade_is_refused_without_graphql_transport_ws(client, protocols):
    """Only graphql-transport-ws is served (the legacy graphql-ws protocol is off by default):
    any other handshake is refused (no 101), so nothing runs outside the HTTP rules."""
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/graphql", protocols=protocols)
    assert refused.value.status == 400


async def test_get_with_an_upgrade_header_runs_nothing(client):
    """A GET that asks for an upgrade is refused before any query runs (it would otherwise
    escape the request timeout)."""
    response = await client.get(
        "/graphql",
        params={"query": "{ __typename }"},
        headers={"Upgrade": "websocket", "Connection": "Upgrade"},
    )
    assert response.status == 400
    body = await response.json()
    assert body["errors"][0]["message"] == (
        "WebSocket upgrades are accepted for graphql-transport-ws only."
    )
    assert codes(body) == {"BAD_REQUEST"}


# --- 5. introspection and suggestions ------------------------------------------------------


def test_introspection_and_suggestions_are_off_in_production_only(monkeypatch):
    """graphql.introspection and graphql.field_suggestions default to off in production and
    on in development and test."""
    monkeypatch.setenv("TASKQL_AUTH__JWT_SECRET", "k" * 16 + "Q9v2" * 8)
    production = load_settings("production").graphql
    assert (production.introspection, production.field_suggestions) == (False, False)
    for environment in ("development", "test"):
        graphql = load_settings(environment).graphql
        assert (graphql.introspection, graphql.field_suggestions) == (True, True)


@pytest.mark.parametrize(
    "query",
    [
        "{ __schema { types { name } } }",
        '{ __type(name: "User") { name fields { name } } }',
        "query Sneaky { ...S } fragment S on Query { __schema { queryType { name } } }",
    ],
    ids=["schema", "type", "via-fragment"],
)
async def test_introspection_is_refused_when_off(make_client, settings, query):
    """With introspection off, __schema and __type are FORBIDDEN with one stable error, the
    second time too (the refusal is part of the cached verdict)."""
    client = await make_client(with_overrides(settings, graphql=PRODUCTION_GRAPHQL))
    for _ in range(2):
        body = await post(client, query)
        assert body.get("data") is None
        assert body["errors"] == [
            {
                "message": "Introspection is disabled on this server.",
                "locations": body["errors"][0]["locations"],
                "extensions": {"code": "FORBIDDEN"},
            }
        ]


async def test_typename_still_answers_with_introspection_off(make_client, settings):
    """__typename is not introspection of the schema: clients (and caches) rely on it."""
    client = await make_client(with_overrides(settings, graphql=PRODUCTION_GRAPHQL))
    body = await post(client, "{ __typename serverInfo { __typename version } }")
    assert body["data"]["__typename"] == "Query"
    assert body["data"]["serverInfo"]["__typename"] == "ServerInfo"


async def test_introspection_answers_when_on(client):
    """In test (as in development) GraphiQL's introspection works."""
    body = await post(client, "{ __schema { queryType { name } } }")
    assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ serverInfo { versio } }", None),
        (
            'mutation($s: TaskStatus!) { setTaskStatus(id: "1", status: $s) { id } }',
            {"s": "DONEE"},
        ),
        (
            "mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }",
            {"i": {"titel": "x"}},
        ),
    ],
    ids=["field", "enum-variable", "input-field"],
)
async def test_no_did_you_mean_when_suggestions_are_off(make_client, settings, query, variables):
    """Without field suggestions no error hints at names of the schema; with them (the test
    and development default) the same error does."""
    quiet = await make_client(with_overrides(settings, graphql=PRODUCTION_GRAPHQL))
    body = await post(quiet, query, variables)
    assert codes(body) == {"VALIDATION_ERROR"}
    assert "Did you mean" not in str(body["errors"])
    chatty = await make_client(settings)
    body = await post(chatty, query, variables)
    assert "Did you mean" in str(body["errors"])


def test_production_server_refuses_hostile_documents(tmp_path: Path):
    """`taskql serve` in production: the 2^60 fragment document, introspection and field
    hints are refused by the real process, which keeps answering /livez."""
    port = free_port()
    database = os.environ.get("TASKQL_DATABASE__URL") or f"sqlite://{tmp_path}/prod.sqlite3"
    env = taskql_env(
        TASKQL_ENV="production",
        TASKQL_AUTH__JWT_SECRET=GOOD_SECRET,
        TASKQL_SERVER__HOST="127.0.0.1",
        TASKQL_DATABASE__URL=database,
        TASKQL_DATABASE__MIGRATE_ON_START="true",
    )

    def graphql(query: str) -> dict[str, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql",
            data=orjson.dumps({"query": query}),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            body: dict[str, Any] = orjson.loads(response.read())
            return body

    with serving("serve", "--port", str(port), port=port, env=env):
        assert codes(graphql(doubling_fragments(60))) == {"QUERY_TOO_COMPLEX"}
        refused = graphql("{ __schema { queryType { name } } }")
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        typo = graphql("{ serverInfo { versio } }")
        assert codes(typo) == {"VALIDATION_ERROR"}
        assert "Did you mean" not in typo["errors"][0]["message"]
        assert graphql("{ __typename }") == {"data": {"__typename": "Query"}}
        livez = f"http://127.0.0.1:{port}/livez"
        with urllib.request.urlopen(livez, timeout=5) as response:
            assert response.status == 200


AUTH_FIELDS = "accessToken"


def register_field(alias: str, number: int) -> str:
    return (
        f'{alias}: register(input: {{email: "alias{number}@example.test", '
        f'password: "a long passphrase", displayName: "Alias {number}"}}) {{ {AUTH_FIELDS} }}'
    )


def first_error(body):
    return body["errors"][0]


async def user_count() -> int:
    return await user_models.User.all().count()


# --- 9.2: at most one password-hashing field per request ---------------------------------


async def test_register_aliased_thirty_times_is_refused_before_any_hash(client, settings, graphql):
    """`register` aliased 30 times is one QUERY_TOO_COMPLEX error: no account, no hash."""
    work = password_work(settings.auth)
    fields = " ".join(register_field(f"r{n}", n) for n in range(30))

    body = await graphql(f"mutation {{ {fields} }}")

    assert body.get("data") is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TOO_COMPLEX"]
    assert "only one field" in first_error(body)["message"]
    assert work.started == 0
    assert await user_count() == 0


@pytest.mark.parametrize(
    "document",
    [
        # Two different password fields, one through a fragment on the root.
        """mutation { login(email: "a@example.test", password: "p") { accessToken } ...F }
        fragment F on Mutation { changePassword(currentPassword: "a", newPassword: "b")
        { accessToken } }""",
        # The same field under two aliases, hidden in nested and inline fragments.
        """mutation { ... on Mutation { a: login(email: "a@example.test", password: "p")
        { accessToken } } ...G } fragment G on Mutation { ...H }
        fragment H on Mutation { b: login(email: "a@example.test", password: "p")
        { accessToken } }""",
    ],
)
async def test_password_fields_hidden_in_fragments_are_counted(settings, graphql, document):
    """Fragments and inline fragments on the root do not hide a second password field."""
    work = password_work(settings.auth)
    body = await graphql(document)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TOO_COMPLEX"]
    assert work.started == 0


async def test_one_password_field_spread_twice_is_one_field(graphql):
    """A fragment spread twice yields one `register` (same response key): it runs once."""
    body = await graphql(
        f"mutation {{ ...R ...R }} fragment R on Mutation {{ {register_field('r', 1)} }}"
    )
    assert "errors" not in body
    assert body["data"]["r"]["accessToken"]
    assert await user_count() == 1


async def test_self_referencing_root_fragments_stay_cheap(graphql):
    """A fragment cycle on the root is a validation error, not a loop in the password rule."""
    body = await graphql(
        "mutation { ...A } fragment A on Mutation { ...B logout } "
        "fragment B on Mutation { ...A logout }"
    )
    assert first_error(body)["extensions"]["code"] == "VALIDATION_ERROR"


# --- 9.2: register is rate-limited per client address --------------------------------------


async def test_register_is_rate_limited_per_address(make_client, settings):
    """After `register_max_per_address` registrations from one address, the next is
    RATE_LIMITED with retryAfterSeconds, before any hash."""
    limited = with_overrides(settings, auth={"register_max_per_address": 3})
    client = await make_client(limited)
    work = password_work(limited.auth)
    bodies = []
    for number in range(5):
        response = await client.post(
            "/graphql", json={"query": f"mutation {{ {register_field('r', number)} }}"}
        )
        bodies.append(await response.json())

    codes = [first_error(b)["extensions"]["code"] if "errors" in b else "OK" for b in bodies]
    assert codes == ["OK"] * 3 + ["RATE_LIMITED"] * 2
    assert first_error(bodies[-1])["extensions"]["retryAfterSeconds"] >= 1
    assert work.started == 3
    assert await user_count() == 3


async def test_concurrent_registrations_from_one_address_stay_within_the_limit(
    make_client, settings
):
    """30 simultaneous registrations from one address create at most the limit of accounts."""
    limited = with_overrides(
        settings,
        auth={"register_max_per_address": 3, "password_work_slots": 8, "password_work_queue": 64},
    )
    client = await make_client(limited)

    async def register(number):
        query = f"mutation {{ {register_field('r', number)} }}"
        response = await client.post("/graphql", json={"query": query})
        body = await response.json()
        return first_error(body)["extensions"]["code"] if "errors" in body else "OK"

    codes = collections.Counter(await asyncio.gather(*(register(n) for n in range(30))))

    assert set(codes) <= {"OK", "RATE_LIMITED"}
    assert codes["OK"] <= 3
    assert await user_count() == codes["OK"]


# --- 9.2: changePassword guesses count like failed logins -----------------------------------

CHANGE_PASSWORD = """mutation($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new) { accessToken } }"""


async def test_change_password_guesses_are_rate_limited(make_client, settings):
    """Wrong current passwords with a stolen token count like failed logins: after the limit,
    RATE_LIMITED, even for the right one, and no more hashes are started."""
    limited = with_overrides(settings, auth={"login_max_failures_per_email_and_address": 3})
    client = await make_client(limited)
    work = password_work(limited.auth)
    user = await create_user()
    headers = {"Authorization": f"Bearer {access_token_for(user, limited)}"}

    async def change(current):
        variables = {"current": current, "new": "a brand new passphrase"}
        response = await client.post(
            "/graphql", json={"query": CHANGE_PASSWORD, "variables": variables}, headers=headers
        )
        return first_error(await response.json())

    guesses = [await change(f"guess number {n}") for n in range(5)]
    right = await change(DEFAULT_PASSWORD)

    codes = [e["extensions"]["code"] for e in guesses]
    assert codes == ["VALIDATION_ERROR"] * 3 + ["RATE_LIMITED"] * 2
    assert right["extensions"]["code"] == "RATE_LIMITED"
    assert right["extensions"]["retryAfterSeconds"] >= 1
    assert work.started == 3
