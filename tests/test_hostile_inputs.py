"""Hostile inputs through the real HTTP app: each is refused with a stable code, never a 500.

Runs on both databases; PostgreSQL is the one that refuses a NUL byte, so a value that reaches
it unchecked shows up there as INTERNAL_ERROR.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from models import tasks as task_models
from models import users as user_models
from models.users import Role
from tests.factories import create_user
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
