"""createTask, updateTask, setTaskStatus and deleteTask: rules, validation, versions, retries."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from models import tasks as task_models
from taskql.global_ids import decode, encode_task, encode_user
from tests.task_factories import signed_in_user

FIELDS = "id title description status priority dueAt completedAt version clientMutationId"
CREATE = f"mutation($input: CreateTaskInput!) {{ createTask(input: $input) {{ {FIELDS} }} }}"
UPDATE = f"""mutation($id: ID!, $input: UpdateTaskInput!, $version: Int) {{
  updateTask(id: $id, input: $input, expectedVersion: $version) {{ {FIELDS} }} }}"""
SET_STATUS = f"""mutation($id: ID!, $status: TaskStatus!, $version: Int) {{
  setTaskStatus(id: $id, status: $status, expectedVersion: $version) {{ {FIELDS} }} }}"""
DELETE = "mutation($id: ID!, $version: Int) { deleteTask(id: $id, expectedVersion: $version) }"
WRITERS = 50
READ = f"query($id: ID!) {{ task(id: $id) {{ {FIELDS} }} }}"


@pytest.fixture
async def viewer(settings):
    return await signed_in_user(settings)


async def create(graphql, token, **fields):
    body = await graphql(CREATE, {"input": {"title": "Write report", **fields}}, token=token)
    assert "errors" not in body, body
    return body["data"]["createTask"]


def error_of(body):
    assert body.get("errors"), body
    return body["errors"][0]["extensions"]


async def test_create_applies_defaults_and_trims_the_title(graphql, viewer):
    """A new task is TODO, MEDIUM, version 1, not completed, title trimmed, owned by the caller."""
    user, token = viewer
    body = await graphql(
        "mutation { createTask(input: {title: '  Buy milk  '}) { id title status priority "
        "version completedAt createdAt owner { id } } }".replace("'", '"'),
        token=token,
    )
    task = body["data"]["createTask"]
    assert task["title"] == "Buy milk"
    assert (task["status"], task["priority"], task["version"]) == ("TODO", "MEDIUM", 1)
    assert task["completedAt"] is None
    assert task["createdAt"].endswith("+00:00")
    assert task["owner"]["id"] == encode_user(str(user.id))


async def test_create_stores_every_field_and_normalises_due_at_to_utc(graphql, viewer):
    """Description, priority and dueAt are stored; dueAt comes back in UTC."""
    _user, token = viewer
    task = await create(
        graphql,
        token,
        description="two pages",
        priority="CRITICAL",
        dueAt="2030-03-01T09:30:00+02:00",
    )
    read = (await graphql(READ, {"id": task["id"]}, token=token))["data"]["task"]
    assert read["description"] == "two pages"
    assert read["priority"] == "CRITICAL"
    assert read["dueAt"] == "2030-03-01T07:30:00+00:00"


async def test_creating_a_done_task_records_completion(graphql, viewer):
    """A task created as DONE gets completedAt at once."""
    _user, token = viewer
    task = await create(graphql, token, status="DONE")
    assert task["completedAt"] is not None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"description": "d" * 2001}, "description"),
        ({"dueAt": "2030-01-01T10:00:00"}, "dueAt"),
        ({"clientMutationId": ""}, "clientMutationId"),
        ({"clientMutationId": "k" * 101}, "clientMutationId"),
    ],
)
async def test_create_validation_names_the_field_and_writes_nothing(graphql, viewer, fields, field):
    """Invalid input is VALIDATION_ERROR with extensions.field, and no row is created."""
    _user, token = viewer
    body = await graphql(CREATE, {"input": {"title": "ok", **fields}}, token=token)
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": field}
    assert await task_models.Task.all().count() == 0


async def test_limits_are_inclusive(graphql, viewer):
    """200 title characters (after trimming) and 2,000 description characters are accepted."""
    _user, token = viewer
    task = await create(graphql, token, title=f"  {'t' * 200}  ", description="d" * 2000)
    assert len(task["title"]) == 200


async def test_retrying_create_with_the_same_key_returns_the_same_task(graphql, viewer, settings):
    """The same clientMutationId and input returns the first task; another user's same key is
    separate."""
    _user, token = viewer
    fields = {"description": "d", "priority": "HIGH", "dueAt": "2031-01-01T10:00:00+02:00"}
    first = await create(graphql, token, clientMutationId="retry-1", **fields)
    # The same input as the client sent it: the title is trimmed and dueAt normalised alike.
    again = await create(
        graphql, token, clientMutationId="retry-1", **{**fields, "title": " Write report "}
    )
    _other, other_token = await signed_in_user(settings)
    others = await create(graphql, other_token, clientMutationId="retry-1")

    assert again == first
    assert others["id"] != first["id"]
    assert await task_models.Task.all().count() == 2


@pytest.mark.parametrize(
    "changed",
    [
        {"title": "Different title"},
        {"description": "other"},
        {"status": "DONE"},
        {"priority": "LOW"},
        {"dueAt": "2031-01-01T10:00:00Z"},
    ],
)
async def test_reusing_a_key_with_different_input_is_a_conflict(graphql, viewer, changed):
    """A clientMutationId reused with any other value answers CONFLICT naming the key (as
    payment APIs do), creates nothing, and leaves the first task as it was."""
    _user, token = viewer
    fields = {"title": "Write report", "dueAt": "2031-01-01T08:00:00Z"}
    first = await create(graphql, token, clientMutationId="key-7", **fields)
    body = await graphql(
        CREATE, {"input": {**fields, "clientMutationId": "key-7", **changed}}, token=token
    )
    assert error_of(body) == {"code": "CONFLICT", "field": "clientMutationId"}
    assert '"key-7"' in body["errors"][0]["message"]
    assert await task_models.Task.all().count() == 1
    assert (await graphql(READ, {"id": first["id"]}, token=token))["data"]["task"] == first


async def test_concurrent_creates_with_one_key_and_two_inputs(graphql, viewer):
    """30 simultaneous creates with one key, half of them with another title: one task is
    made; the requests with its input get it, every other one is CONFLICT."""
    _user, token = viewer
    titles = ["left", "right"] * 15
    bodies = await asyncio.gather(
        *(
            graphql(CREATE, {"input": {"title": t, "clientMutationId": "race"}}, token=token)
            for t in titles
        )
    )
    [task] = await task_models.Task.all()
    for title, body in zip(titles, bodies, strict=True):
        if title == task.title:
            assert body["data"]["createTask"]["id"] == encode_task(str(task.id))
        else:
            assert error_of(body) == {"code": "CONFLICT", "field": "clientMutationId"}


async def test_a_retry_after_the_task_changed_returns_it_as_it_is(graphql, viewer):
    """A retry with the key and the input that created the task returns the task as it is
    now, also after it changed, rather than a conflict or a second task."""
    _user, token = viewer
    first = await create(graphql, token, clientMutationId="key-8")
    await graphql(UPDATE, {"id": first["id"], "input": {"title": "Renamed"}}, token=token)
    again = await create(graphql, token, clientMutationId="key-8")
    assert (again["id"], again["title"], again["version"]) == (first["id"], "Renamed", 2)
    assert await task_models.Task.all().count() == 1


async def test_a_key_reused_with_other_input_after_the_task_changed_is_a_conflict(graphql, viewer):
    """The fingerprint of the creating input is stored with the task: once the task changed,
    a retry with other input is still CONFLICT naming the key, even input equal to the task's
    current values, and nothing is created."""
    _user, token = viewer
    first = await create(graphql, token, clientMutationId="key-9")
    await graphql(UPDATE, {"id": first["id"], "input": {"title": "Renamed"}}, token=token)
    for title in ("Something else", "Renamed"):
        body = await graphql(
            CREATE, {"input": {"title": title, "clientMutationId": "key-9"}}, token=token
        )
        assert error_of(body) == {"code": "CONFLICT", "field": "clientMutationId"}
        assert '"key-9"' in body["errors"][0]["message"]
    assert await task_models.Task.all().count() == 1


async def test_update_changes_only_the_fields_given(graphql, viewer):
    """updateTask with only a title keeps description, priority and due date, and bumps version."""
    _user, token = viewer
    task = await create(
        graphql, token, description="keep", priority="HIGH", dueAt="2031-01-01T00:00:00Z"
    )
    body = await graphql(UPDATE, {"id": task["id"], "input": {"title": "Renamed"}}, token=token)
    updated = body["data"]["updateTask"]
    assert updated["title"] == "Renamed"
    assert (updated["description"], updated["priority"]) == ("keep", "HIGH")
    assert updated["dueAt"] == task["dueAt"]
    assert updated["version"] == 2
    assert (await graphql(READ, {"id": task["id"]}, token=token))["data"]["task"] == updated


async def test_update_with_null_clears_optional_fields(graphql, viewer):
    """null for description or dueAt clears it."""
    _user, token = viewer
    task = await create(graphql, token, description="old", dueAt="2031-01-01T00:00:00Z")
    body = await graphql(
        UPDATE, {"id": task["id"], "input": {"description": None, "dueAt": None}}, token=token
    )
    updated = body["data"]["updateTask"]
    assert (updated["description"], updated["dueAt"]) == (None, None)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"status": None}, "status"),
        ({"priority": None}, "priority"),
        ({"dueAt": "2030-01-01T10:00:00"}, "dueAt"),
        ({"description": "d" * 2001}, "description"),
    ],
)
async def test_update_validation_writes_nothing(graphql, viewer, fields, field):
    """Invalid updates name the field and leave the task (and its version) as it was."""
    _user, token = viewer
    task = await create(graphql, token)
    body = await graphql(UPDATE, {"id": task["id"], "input": fields}, token=token)
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": field}
    assert (await graphql(READ, {"id": task["id"]}, token=token))["data"]["task"] == task


async def test_stale_expected_version_is_a_conflict_and_writes_nothing(graphql, viewer):
    """An old expectedVersion answers CONFLICT with the current version and changes nothing."""
    _user, token = viewer
    task = await create(graphql, token)
    await graphql(UPDATE, {"id": task["id"], "input": {"title": "v2"}}, token=token)

    body = await graphql(
        UPDATE, {"id": task["id"], "input": {"title": "lost update"}, "version": 1}, token=token
    )

    assert error_of(body) == {"code": "CONFLICT", "currentVersion": 2}
    current = (await graphql(READ, {"id": task["id"]}, token=token))["data"]["task"]
    assert (current["title"], current["version"]) == ("v2", 2)


async def test_matching_expected_version_updates(graphql, viewer):
    """The current version as expectedVersion lets the update through."""
    _user, token = viewer
    task = await create(graphql, token)
    body = await graphql(
        UPDATE, {"id": task["id"], "input": {"priority": "LOW"}, "version": 1}, token=token
    )
    assert body["data"]["updateTask"]["version"] == 2


async def test_concurrent_writers_with_one_version_only_one_wins(graphql, viewer):
    """Two updates expecting the same version at once: exactly one succeeds, one conflicts."""
    _user, token = viewer
    task = await create(graphql, token)
    bodies = await asyncio.gather(
        *(
            graphql(UPDATE, {"id": task["id"], "input": {"title": t}, "version": 1}, token=token)
            for t in ("left", "right")
        )
    )
    winners = [b for b in bodies if b.get("data") and b["data"]["updateTask"]]
    losers = [b for b in bodies if b.get("errors")]
    assert len(winners) == 1
    assert len(losers) == 1
    assert error_of(losers[0])["code"] == "CONFLICT"
    current = (await graphql(READ, {"id": task["id"]}, token=token))["data"]["task"]
    assert current["version"] == 2
    assert current["title"] == winners[0]["data"]["updateTask"]["title"]


async def test_status_done_sets_completed_at_and_leaving_done_clears_it(graphql, viewer):
    """setTaskStatus DONE records completedAt; back to IN_PROGRESS clears it; versions bump."""
    _user, token = viewer
    task = await create(graphql, token)
    done = (await graphql(SET_STATUS, {"id": task["id"], "status": "DONE"}, token=token))["data"][
        "setTaskStatus"
    ]
    reopened = (
        await graphql(SET_STATUS, {"id": task["id"], "status": "IN_PROGRESS"}, token=token)
    )["data"]["setTaskStatus"]

    assert done["status"] == "DONE"
    assert datetime.fromisoformat(done["completedAt"]).tzinfo is not None
    assert (done["version"], reopened["version"]) == (2, 3)
    assert reopened["completedAt"] is None


async def test_done_again_keeps_the_first_completion_time(graphql, viewer):
    """Setting DONE on a task that is already DONE does not move completedAt."""
    _user, token = viewer
    task = await create(graphql, token, status="DONE")
    again = await graphql(SET_STATUS, {"id": task["id"], "status": "DONE"}, token=token)
    assert again["data"]["setTaskStatus"]["completedAt"] == task["completedAt"]


async def test_update_status_through_update_task_follows_the_same_rule(graphql, viewer):
    """updateTask's status also sets and clears completedAt."""
    _user, token = viewer
    task = await create(graphql, token)
    done = await graphql(UPDATE, {"id": task["id"], "input": {"status": "DONE"}}, token=token)
    assert done["data"]["updateTask"]["completedAt"] is not None
    todo = await graphql(UPDATE, {"id": task["id"], "input": {"status": "TODO"}}, token=token)
    assert todo["data"]["updateTask"]["completedAt"] is None


async def test_delete_removes_the_task(graphql, viewer):
    """deleteTask returns the id; afterwards the task and a second delete are NOT_FOUND."""
    _user, token = viewer
    task = await create(graphql, token)
    body = await graphql(DELETE, {"id": task["id"]}, token=token)
    assert body["data"]["deleteTask"] == task["id"]
    assert error_of(await graphql(READ, {"id": task["id"]}, token=token))["code"] == "NOT_FOUND"
    assert error_of(await graphql(DELETE, {"id": task["id"]}, token=token))["code"] == "NOT_FOUND"


async def test_a_malformed_id_is_a_validation_error(graphql, viewer):
    """An id that is not a UUID names the id argument."""
    _user, token = viewer
    body = await graphql(READ, {"id": "not-a-uuid"}, token=token)
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": "id"}


@pytest.mark.parametrize(
    "query",
    [
        'mutation { createTask(input: {title: "x"}) { id } }',
        "{ tasks { edges { node { id } } } }",
        '{ task(id: "00000000-0000-0000-0000-000000000000") { id } }',
    ],
)
async def test_anonymous_callers_are_unauthenticated(graphql, query):
    """Without a token every task field answers UNAUTHENTICATED."""
    body = await graphql(query)
    assert error_of(body)["code"] == "UNAUTHENTICATED"
    assert await task_models.Task.all().count() == 0


async def test_concurrent_updates_without_expected_version_both_apply(graphql, viewer):
    """Two simultaneous updates of different fields both land; the version counts both."""
    _user, token = viewer
    task = await create(graphql, token)
    await asyncio.gather(
        graphql(UPDATE, {"id": task["id"], "input": {"title": "both"}}, token=token),
        graphql(UPDATE, {"id": task["id"], "input": {"priority": "HIGH"}}, token=token),
    )
    current = (await graphql(READ, {"id": task["id"]}, token=token))["data"]["task"]
    assert (current["title"], current["priority"], current["version"]) == ("both", "HIGH", 3)


async def test_fifty_concurrent_writers_without_expected_version_all_apply(graphql, viewer):
    """50 simultaneous updateTask calls without expectedVersion all succeed (never CONFLICT),
    and each one counts: the version ends at base + 50, the title is one of theirs."""
    _user, token = viewer
    task = await create(graphql, token)
    titles = {f"writer {n}" for n in range(WRITERS)}
    bodies = await asyncio.gather(
        *(graphql(UPDATE, {"id": task["id"], "input": {"title": t}}, token=token) for t in titles)
    )
    assert [b for b in bodies if b.get("errors")] == []
    versions = sorted(b["data"]["updateTask"]["version"] for b in bodies)
    assert versions == list(range(task["version"] + 1, task["version"] + WRITERS + 1))
    current = (await graphql(READ, {"id": task["id"]}, token=token))["data"]["task"]
    assert current["version"] == task["version"] + WRITERS
    assert current["title"] in titles


@pytest.mark.parametrize("operation", ["updateTask", "setTaskStatus", "deleteTask"])
async def test_fifty_concurrent_writers_with_one_expected_version_one_wins(
    graphql, viewer, operation
):
    """50 simultaneous writes expecting the same version: exactly one applies, the other 49
    answer CONFLICT with the version the winner left (NOT_FOUND once it deleted the task)."""
    _user, token = viewer
    task = await create(graphql, token)
    writes: dict[str, tuple[str, dict[str, Any]]] = {
        "updateTask": (UPDATE, {"input": {"title": "mine"}}),
        "setTaskStatus": (SET_STATUS, {"status": "DONE"}),
        "deleteTask": (DELETE, {}),
    }
    query, variables = writes[operation]
    bodies = await asyncio.gather(
        *(
            graphql(query, {"id": task["id"], "version": task["version"], **variables}, token=token)
            for _ in range(WRITERS)
        )
    )
    winners = [b for b in bodies if not b.get("errors")]
    losers = [error_of(b) for b in bodies if b.get("errors")]
    assert len(winners) == 1
    assert len(losers) == WRITERS - 1
    if operation == "deleteTask":
        assert losers == [{"code": "NOT_FOUND"}] * (WRITERS - 1)
        assert await task_models.Task.filter(id=row_id(task["id"])).count() == 0
    else:
        assert losers == [{"code": "CONFLICT", "currentVersion": task["version"] + 1}] * (
            WRITERS - 1
        )
        current = (await graphql(READ, {"id": task["id"]}, token=token))["data"]["task"]
        assert current["version"] == task["version"] + 1


async def test_set_task_status_with_a_stale_version_is_a_conflict_and_writes_nothing(
    graphql, viewer
):
    """setTaskStatus with an old expectedVersion answers CONFLICT and leaves the status."""
    _user, token = viewer
    task = await create(graphql, token)
    await graphql(UPDATE, {"id": task["id"], "input": {"title": "v2"}}, token=token)
    body = await graphql(
        SET_STATUS, {"id": task["id"], "status": "DONE", "version": 1}, token=token
    )
    assert error_of(body) == {"code": "CONFLICT", "currentVersion": 2}
    current = (await graphql(READ, {"id": task["id"]}, token=token))["data"]["task"]
    assert (current["status"], current["completedAt"], current["version"]) == ("TODO", None, 2)


async def test_delete_with_a_stale_version_is_a_conflict_and_keeps_the_task(graphql, viewer):
    """deleteTask with an old expectedVersion answers CONFLICT; with the current one it deletes."""
    _user, token = viewer
    task = await create(graphql, token)
    await graphql(UPDATE, {"id": task["id"], "input": {"title": "v2"}}, token=token)
    stale = await graphql(DELETE, {"id": task["id"], "version": 1}, token=token)
    assert error_of(stale) == {"code": "CONFLICT", "currentVersion": 2}
    assert await task_models.Task.filter(id=row_id(task["id"])).count() == 1
    current = await graphql(DELETE, {"id": task["id"], "version": 2}, token=token)
    assert current["data"]["deleteTask"] == task["id"]
    assert await task_models.Task.filter(id=row_id(task["id"])).count() == 0


def verbs(statements: list[str]) -> list[str]:
    return [s.lstrip().split(" ", 1)[0].upper() for s in statements]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (UPDATE, {"input": {"title": "one", "status": "DONE"}}),
        (UPDATE, {"input": {"title": "one"}, "version": 1}),
        (SET_STATUS, {"status": "DONE"}),
        (SET_STATUS, {"status": "DONE", "version": 1}),
    ],
    ids=["update", "update-expected-version", "status", "status-expected-version"],
)
async def test_a_task_write_is_one_update_and_its_audit_insert(
    graphql, viewer, sql_statements, query, variables
):
    """updateTask and setTaskStatus, with or without expectedVersion, cost the viewer check,
    ONE UPDATE ... SET version = version + 1 ... RETURNING (no read before it, so nothing can
    change in between) and the audit row's INSERT, nothing else."""
    _user, token = viewer
    task = await create(graphql, token)
    sql_statements.reset()
    body = await graphql(query, {"id": task["id"], **variables}, token=token)
    assert "errors" not in body, body
    statements = sql_statements.statements
    assert verbs(statements) == ["SELECT", "UPDATE", "INSERT"]
    assert "version = version + 1" in statements[1]
    assert "RETURNING" in statements[1]
    assert "audit_events" in statements[2]


@pytest.mark.parametrize("query", [UPDATE, SET_STATUS])
async def test_a_task_write_that_matches_nothing_reads_once_and_writes_no_audit_row(
    graphql, viewer, sql_statements, query
):
    """When the UPDATE matches nothing (a stale expectedVersion, an unknown task), one read
    decides CONFLICT or NOT_FOUND, and no audit row is inserted."""
    _user, token = viewer
    task = await create(graphql, token)
    variables = {"input": {"title": "x"}, "status": "DONE"}
    wanted = {k: v for k, v in variables.items() if f"${k}" in query}
    cases = [
        (task["id"], {"code": "CONFLICT", "currentVersion": 1}),
        ("00000000-0000-4000-8000-000000000000", {"code": "NOT_FOUND"}),
    ]
    for task_id, error in cases:
        sql_statements.reset()
        body = await graphql(query, {"id": task_id, "version": 7, **wanted}, token=token)
        assert error_of(body) == error
        assert verbs(sql_statements.statements) == ["SELECT", "UPDATE", "SELECT"]


@pytest.mark.parametrize("due_at", ["tomorrow", "2030-13-01T00:00:00Z", "31/01/2030 17:00"])
async def test_a_malformed_due_at_names_the_field_and_the_format(graphql, viewer, due_at):
    """dueAt text that is not a date-time answers VALIDATION_ERROR naming dueAt and showing the
    expected format, as a variable or a literal, in createTask and updateTask alike."""
    _user, token = viewer
    task = await create(graphql, token)
    bodies = [
        await graphql(CREATE, {"input": {"title": "t", "dueAt": due_at}}, token=token),
        await graphql(
            f'mutation {{ createTask(input: {{title: "t", dueAt: "{due_at}"}}) {{ id }} }}',
            token=token,
        ),
        await graphql(UPDATE, {"id": task["id"], "input": {"dueAt": due_at}}, token=token),
    ]
    for body in bodies:
        assert error_of(body) == {"code": "VALIDATION_ERROR", "field": "dueAt"}
        message = body["errors"][0]["message"]
        assert message.startswith("dueAt must be an ISO 8601 date-time with a timezone offset")
        assert "2026-01-31T17:00:00Z" in message
    assert await task_models.Task.all().count() == 1


def row_id(global_id: str) -> str:
    """The row's uuid of a global id the API returned (the tests read the table by it)."""
    decoded = decode(global_id)
    assert decoded is not None
    return str(decoded[1])
