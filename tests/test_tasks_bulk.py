"""updateTasks, setTasksStatus and deleteTasks: all or nothing, ownership per id, the cap,
repeated ids, the checks of updateTask, one audit row per task, a fixed number of statements
and correct versions under 30 concurrent calls over shared ids."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from models import audit as audit_models
from models import tasks as task_models
from models.users import Role
from taskql.global_ids import encode_task, encode_user
from tests.cli import free_port, serving, taskql_env
from tests.conftest import with_overrides
from tests.subscriptions import TASK_EVENTS, Stream, socket_session, until_listening
from tests.task_factories import create_tasks, signed_in_user

OPERATIONS = Path(__file__).resolve().parent.parent / "operations"
FIELDS = "id title description status priority dueAt completedAt version"
UPDATE_TASKS = f"""mutation($ids: [ID!]!, $input: UpdateTaskInput!) {{
  updateTasks(ids: $ids, input: $input) {{ {FIELDS} }} }}"""
SET_TASKS_STATUS = f"""mutation($ids: [ID!]!, $status: TaskStatus!) {{
  setTasksStatus(ids: $ids, status: $status) {{ {FIELDS} }} }}"""
DELETE_TASKS = "mutation($ids: [ID!]!) { deleteTasks(ids: $ids) }"
UPDATE_TASK = f"""mutation($id: ID!, $input: UpdateTaskInput!) {{
  updateTask(id: $id, input: $input) {{ {FIELDS} }} }}"""
READ = f"query($id: ID!) {{ task(id: $id) {{ {FIELDS} }} }}"
UPDATE_TASKS_EXPECTING = f"""mutation($ids: [ID!]!, $input: UpdateTaskInput!, $versions: [Int!]) {{
  updateTasks(ids: $ids, input: $input, expectedVersions: $versions) {{ {FIELDS} }} }}"""
SET_TASKS_STATUS_EXPECTING = f"""mutation($ids: [ID!]!, $status: TaskStatus!, $versions: [Int!]) {{
  setTasksStatus(ids: $ids, status: $status, expectedVersions: $versions) {{ {FIELDS} }} }}"""
DELETE_TASKS_EXPECTING = """mutation($ids: [ID!]!, $versions: [Int!]) {
  deleteTasks(ids: $ids, expectedVersions: $versions) }"""
MISSING = "00000000-0000-4000-8000-000000000000"
VIEWER = 1  # every authenticated request's own statement

# Each bulk mutation with variables that make it change something.
MUTATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "updateTasks": (UPDATE_TASKS, {"input": {"title": "Renamed", "priority": "HIGH"}}),
    "setTasksStatus": (SET_TASKS_STATUS, {"status": "DONE"}),
    "deleteTasks": (DELETE_TASKS, {}),
}

EXPECTING: dict[str, tuple[str, dict[str, Any]]] = {
    "updateTasks": (UPDATE_TASKS_EXPECTING, {"input": {"title": "Renamed"}}),
    "setTasksStatus": (SET_TASKS_STATUS_EXPECTING, {"status": "DONE"}),
    "deleteTasks": (DELETE_TASKS_EXPECTING, {}),
}


def operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    extensions: dict[str, Any] = body["errors"][0]["extensions"]
    return extensions


async def own_tasks(settings, count: int, *, role: Role = Role.USER):
    user, token = await signed_in_user(settings, role=role)
    tasks = await create_tasks(user, count)
    return user, token, [str(task.id) for task in tasks]


async def snapshot(ids: list[str]) -> dict[str, tuple[Any, ...]]:
    """What a failed call must leave untouched: each task's title, status and version."""
    rows = await task_models.Task.filter(id__in=ids)
    return {str(row.id): (row.title, row.status, row.version, row.completed_at) for row in rows}


async def audit_count() -> int:
    return await audit_models.AuditEvent.filter(target_type=audit_models.TargetType.TASK).count()


# --- what each mutation does ------------------------------------------------------------------


async def test_update_tasks_changes_every_task_and_answers_in_the_order_given(graphql, settings):
    """The fields given change on every task, each version + 1; the answer follows `ids`."""
    _user, token, ids = await own_tasks(settings, 5)
    order = [ids[3], ids[0], ids[4], ids[1]]
    body = await graphql(
        UPDATE_TASKS,
        {"ids": order, "input": {"title": "  Renamed  ", "dueAt": "2030-01-01T12:00:00+02:00"}},
        token=token,
    )
    assert "errors" not in body, body
    tasks = body["data"]["updateTasks"]
    assert [t["id"] for t in tasks] == [encode_task(i) for i in order]
    assert {(t["title"], t["version"], t["dueAt"]) for t in tasks} == {
        ("Renamed", 2, "2030-01-01T10:00:00+00:00")
    }
    untouched = (await graphql(READ, {"id": ids[2]}, token=token))["data"]["task"]
    assert untouched["version"] == 1
    assert untouched["title"] != "Renamed"
    for task in tasks:
        assert (await graphql(READ, {"id": task["id"]}, token=token))["data"]["task"] == task


async def test_set_tasks_status_follows_the_completion_rule(graphql, settings):
    """DONE records completedAt, DONE again keeps it, leaving DONE clears it: per task."""
    _user, token, ids = await own_tasks(settings, 3)
    await graphql(SET_TASKS_STATUS, {"ids": ids[:1], "status": "DONE"}, token=token)
    first = (await graphql(READ, {"id": ids[0]}, token=token))["data"]["task"]["completedAt"]

    body = await graphql(SET_TASKS_STATUS, {"ids": ids, "status": "DONE"}, token=token)
    done = body["data"]["setTasksStatus"]
    assert [t["status"] for t in done] == ["DONE"] * 3
    assert done[0]["completedAt"] == first
    assert all(t["completedAt"] for t in done)
    assert [t["version"] for t in done] == [3, 2, 2]

    body = await graphql(SET_TASKS_STATUS, {"ids": ids, "status": "TODO"}, token=token)
    assert [(t["status"], t["completedAt"]) for t in body["data"]["setTasksStatus"]] == [
        ("TODO", None)
    ] * 3


async def test_delete_tasks_removes_them_and_answers_the_ids_as_given(graphql, settings):
    _user, token, ids = await own_tasks(settings, 4)
    sent = [encode_task(ids[2]), ids[0].upper()]
    body = await graphql(DELETE_TASKS, {"ids": sent}, token=token)
    assert body == {"data": {"deleteTasks": [encode_task(ids[2]), encode_task(ids[0])]}}
    assert sorted(await task_models.Task.all().values_list("id", flat=True)) == sorted(
        uuid.UUID(i) for i in (ids[1], ids[3])
    )


async def test_admins_edit_anyones_tasks(graphql, settings):
    _alice, _token, alices = await own_tasks(settings, 2)
    _bob, _token, bobs = await own_tasks(settings, 2)
    _admin, admin_token = await signed_in_user(settings, role=Role.ADMIN)
    ids = [alices[0], bobs[1], alices[1]]
    body = await graphql(SET_TASKS_STATUS, {"ids": ids, "status": "CANCELLED"}, token=admin_token)
    assert [t["status"] for t in body["data"]["setTasksStatus"]] == ["CANCELLED"] * 3
    body = await graphql(DELETE_TASKS, {"ids": ids}, token=admin_token)
    assert body["data"]["deleteTasks"] == [encode_task(i) for i in ids]
    assert await task_models.Task.all().count() == 1


@pytest.mark.parametrize("name", MUTATIONS)
async def test_no_ids_change_nothing(graphql, settings, sql_statements, name):
    """An empty list answers an empty list without touching the database."""
    _user, token, ids = await own_tasks(settings, 1)
    query, variables = MUTATIONS[name]
    sql_statements.reset()
    body = await graphql(query, {"ids": [], **variables}, token=token)
    assert body == {"data": {name: []}}
    assert len(sql_statements.statements) == VIEWER
    assert (await snapshot(ids))[ids[0]][2] == 1


async def test_update_tasks_without_fields_returns_the_tasks_unchanged(graphql, settings):
    """As updateTask without fields: no write, no version bump, no audit row; an id that is
    not the caller's is still NOT_FOUND."""
    _user, token, ids = await own_tasks(settings, 2)
    before = await audit_count()
    body = await graphql(UPDATE_TASKS, {"ids": ids, "input": {}}, token=token)
    answered = [(t["id"], t["version"]) for t in body["data"]["updateTasks"]]
    assert answered == [(encode_task(i), 1) for i in ids]
    assert await audit_count() == before
    body = await graphql(UPDATE_TASKS, {"ids": [*ids, MISSING], "input": {}}, token=token)
    assert error_of(body) == {"code": "NOT_FOUND", "ids": [MISSING]}


@pytest.mark.parametrize("name", MUTATIONS)
async def test_anonymous_callers_are_unauthenticated(graphql, settings, name):
    _user, _token, ids = await own_tasks(settings, 1)
    query, variables = MUTATIONS[name]
    body = await graphql(query, {"ids": ids, **variables})
    assert error_of(body)["code"] == "UNAUTHENTICATED"
    assert (await snapshot(ids))[ids[0]][2] == 1


# --- all or nothing ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", MUTATIONS)
async def test_another_users_task_in_the_middle_fails_the_whole_call(graphql, settings, name):
    """A foreign id among the caller's own: NOT_FOUND naming it (as sent), and not one task
    changes, not even those before it; no audit row is written."""
    _alice, token, own = await own_tasks(settings, 4)
    _bob, _bob_token, foreign = await own_tasks(settings, 1)
    ids = [own[0], own[1], foreign[0], own[2]]
    before, audited = await snapshot([*own, *foreign]), await audit_count()
    query, variables = MUTATIONS[name]

    body = await graphql(query, {"ids": ids, **variables}, token=token)

    assert body["data"] is None
    assert error_of(body) == {"code": "NOT_FOUND", "ids": [foreign[0]]}
    assert foreign[0] in body["errors"][0]["message"]
    assert "nothing was changed" in body["errors"][0]["message"]
    assert await snapshot([*own, *foreign]) == before
    assert await audit_count() == audited


@pytest.mark.parametrize("name", MUTATIONS)
async def test_missing_ids_fail_the_whole_call_naming_each(graphql, settings, name):
    """Unknown ids look like foreign ones: NOT_FOUND listing all of them in the order given."""
    _user, token, own = await own_tasks(settings, 2)
    other = str(uuid.uuid4())
    before = await snapshot(own)
    query, variables = MUTATIONS[name]
    body = await graphql(query, {"ids": [other, own[0], MISSING, own[1]], **variables}, token=token)
    assert error_of(body) == {"code": "NOT_FOUND", "ids": [other, MISSING]}
    assert await snapshot(own) == before


async def test_a_task_deleted_by_an_earlier_call_fails_a_later_one(graphql, settings):
    _user, token, ids = await own_tasks(settings, 3)
    await graphql(DELETE_TASKS, {"ids": ids[1:2]}, token=token)
    body = await graphql(SET_TASKS_STATUS, {"ids": ids, "status": "DONE"}, token=token)
    assert error_of(body) == {"code": "NOT_FOUND", "ids": [ids[1]]}
    assert {v[1] for v in (await snapshot(ids)).values()} == {task_models.Status.TODO}


# --- the ids: cap, repeats, syntax --------------------------------------------------------------


@pytest.mark.parametrize("name", MUTATIONS)
async def test_more_ids_than_the_cap_are_refused_before_any_sql(
    make_client, settings, sql_statements, name
):
    """Over graphql.bulk_max_ids: VALIDATION_ERROR naming `ids` and the cap, with no statement
    but the viewer's; exactly the cap is accepted."""
    client = await make_client(with_overrides(settings, graphql={"bulk_max_ids": 3}))
    _user, token, ids = await own_tasks(settings, 4)
    query, variables = MUTATIONS[name]

    async def send(some: list[str]) -> dict[str, Any]:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": {"ids": some, **variables}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body

    sql_statements.reset()
    body = await send(ids)
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": "ids", "maxIds": 3}
    assert "at most 3" in body["errors"][0]["message"]
    assert len(sql_statements.statements) == VIEWER
    assert {v[2] for v in (await snapshot(ids)).values()} == {1}
    assert "errors" not in await send(ids[:3])


async def test_the_default_cap_is_one_hundred(graphql, settings):
    _user, token, _ids = await own_tasks(settings, 1)
    body = await graphql(
        DELETE_TASKS, {"ids": [str(uuid.uuid4()) for _ in range(101)]}, token=token
    )
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": "ids", "maxIds": 100}
    assert settings.graphql.bulk_max_ids == 100


@pytest.mark.parametrize("name", MUTATIONS)
@pytest.mark.parametrize(
    "spelling", [str, str.upper, encode_task], ids=["same", "other-case", "global-id"]
)
async def test_a_repeated_id_is_refused_and_changes_nothing(graphql, settings, name, spelling):
    """Each task once: a repeat (however it is spelled) is VALIDATION_ERROR naming `ids` and
    the position of the repeat; nothing changes."""
    _user, token, ids = await own_tasks(settings, 3)
    before = await snapshot(ids)
    query, variables = MUTATIONS[name]
    sent = [ids[0], ids[1], spelling(ids[0]), ids[2]]
    body = await graphql(query, {"ids": sent, **variables}, token=token)
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": "ids", "index": 2}
    assert "ids[2] repeats ids[0]" in body["errors"][0]["message"]
    assert await snapshot(ids) == before


@pytest.mark.parametrize("name", MUTATIONS)
async def test_a_malformed_id_is_refused_naming_its_position(graphql, settings, name):
    """Not an id, or the global id of a user: VALIDATION_ERROR with the position."""
    user, token, ids = await own_tasks(settings, 1)
    query, variables = MUTATIONS[name]
    for wrong in ("not-an-id", encode_user(str(user.id))):
        body = await graphql(query, {"ids": [ids[0], wrong], **variables}, token=token)
        assert error_of(body) == {"code": "VALIDATION_ERROR", "field": "ids", "index": 1}
        assert body["errors"][0]["message"].startswith("ids[1]: Not a valid task id")
    assert (await snapshot(ids))[ids[0]][2] == 1


async def test_global_ids_and_raw_uuids_mix(graphql, settings):
    """Each id may be a global id or the raw uuid clients of before send."""
    _user, token, ids = await own_tasks(settings, 2)
    sent = [encode_task(ids[0]), ids[1]]
    body = await graphql(SET_TASKS_STATUS, {"ids": sent, "status": "DONE"}, token=token)
    assert [t["id"] for t in body["data"]["setTasksStatus"]] == [encode_task(i) for i in ids]


# --- the input: the checks of updateTask ----------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"title": None},
        {"title": "   "},
        {"title": "t" * 201},
        {"status": None},
        {"priority": None},
        {"dueAt": "2030-01-01T10:00:00"},
        {"dueAt": "tomorrow"},
        {"description": "d" * 2001},
    ],
    ids=[
        "null-title",
        "blank-title",
        "long-title",
        "null-status",
        "null-priority",
        "naive-due",
        "bad-due",
        "long-description",
    ],
)
async def test_invalid_input_is_refused_as_update_task_refuses_it(graphql, settings, fields):
    """Each invalid input gets the very error updateTask gives, and nothing changes."""
    _user, token, ids = await own_tasks(settings, 2)
    before = await snapshot(ids)
    bulk = await graphql(UPDATE_TASKS, {"ids": ids, "input": fields}, token=token)
    single = await graphql(UPDATE_TASK, {"id": ids[0], "input": fields}, token=token)
    assert error_of(bulk)["code"] == "VALIDATION_ERROR"
    assert bulk["errors"][0]["message"] == single["errors"][0]["message"]
    assert error_of(bulk) == error_of(single)
    assert await snapshot(ids) == before


# --- audit rows --------------------------------------------------------------------------------


async def audit_rows_of(request_id: str) -> list[audit_models.AuditEvent]:
    return await audit_models.AuditEvent.filter(request_id=request_id).order_by("target_id")


async def test_each_changed_task_gets_its_audit_row(graphql, settings):
    """One row per task and call, as the single mutations write them: the actor, the task, the
    request, the fields set and the versions; a deletion records the values it removed."""
    user, token, ids = await own_tasks(settings, 3)
    ids.sort()

    async def send(request_id: str, query: str, variables: dict[str, Any]) -> None:
        body = await graphql(
            query, {"ids": ids, **variables}, token=token, headers={"X-Request-Id": request_id}
        )
        assert "errors" not in body, body

    await send("bulk-update", UPDATE_TASKS, {"input": {"title": "Audited", "priority": "LOW"}})
    await send("bulk-status", SET_TASKS_STATUS, {"status": "DONE"})
    await send("bulk-delete", DELETE_TASKS, {})

    updates = await audit_rows_of("bulk-update")
    assert [str(r.target_id) for r in updates] == ids
    for row in updates:
        assert row.action is audit_models.AuditAction.TASK_UPDATED
        assert row.target_type is audit_models.TargetType.TASK
        assert row.actor_id == user.id
        assert row.client_address == "127.0.0.1"
        assert row.changes == [
            {"field": "title"},
            {"field": "priority"},
            {"field": "version", "old": 1, "new": 2},
        ]
    statuses = await audit_rows_of("bulk-status")
    assert [str(r.target_id) for r in statuses] == ids
    assert {r.action for r in statuses} == {audit_models.AuditAction.TASK_STATUS_CHANGED}
    assert all(
        r.changes == [{"field": "status", "new": "DONE"}, {"field": "version", "old": 2, "new": 3}]
        for r in statuses
    )
    deletes = await audit_rows_of("bulk-delete")
    assert [str(r.target_id) for r in deletes] == ids
    for row in deletes:
        assert row.action is audit_models.AuditAction.TASK_DELETED
        values = {c["field"]: (c["old"], c["new"]) for c in row.changes}
        assert values["title"] == ("Audited", None)
        assert values["status"] == ("DONE", None)
        assert values["version"] == (3, None)
        assert values["owner_id"] == (str(user.id), None)


async def test_audit_rows_of_a_bulk_call_read_like_any_other(graphql, settings):
    """The multi-row INSERT stores what the ORM would: auditEvents lists the rows."""
    _admin, admin_token = await signed_in_user(settings, role=Role.ADMIN)
    _user, token, ids = await own_tasks(settings, 2)
    await graphql(SET_TASKS_STATUS, {"ids": ids, "status": "IN_PROGRESS"}, token=token)
    query = """{ auditEvents(filter: {action: TASK_STATUS_CHANGED}) { edges { node {
        targetId action changes { field oldValue newValue } } } } }"""
    body = await graphql(query, token=admin_token)
    nodes = [e["node"] for e in body["data"]["auditEvents"]["edges"]]
    assert sorted(n["targetId"] for n in nodes) == sorted(encode_task(i) for i in ids)
    assert all(n["changes"][0]["newValue"] == "IN_PROGRESS" for n in nodes), nodes


# --- statement counts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "variables"),
    [
        ("update_tasks", {"input": {"priority": "CRITICAL", "dueAt": None}}),
        ("set_tasks_status", {"status": "DONE"}),
        ("delete_tasks", {}),
    ],
)
async def test_a_bulk_edit_costs_the_same_statements_for_1_or_50_ids(
    graphql, settings, sql_statements, name, variables
):
    """The operations frontends send cost the viewer's statement, ONE write (UPDATE or DELETE
    ... RETURNING, all ids in it) and ONE audit INSERT, for 1 id as for 50."""
    _user, token, ids = await own_tasks(settings, 51)
    query = operation(name)
    counted = []
    for some in (ids[:1], ids[1:]):
        sql_statements.reset()
        body = await graphql(query, {"ids": some, **variables}, token=token)
        assert "errors" not in body, body
        assert len(next(iter(body["data"].values()))) == len(some)
        counted.append(list(sql_statements.statements))
    one, fifty = counted
    assert len(one) == len(fifty) == VIEWER + 2, fifty
    verb = "DELETE" if name == "delete_tasks" else "UPDATE"
    assert fifty[1].startswith(verb)
    assert "RETURNING" in fifty[1]
    assert fifty[2].startswith("INSERT INTO audit_events")
    assert await audit_models.AuditEvent.filter(target_type="task").count() == 51


async def test_owners_of_the_changed_tasks_cost_one_statement(graphql, settings, sql_statements):
    """Selecting the owners adds one batched read of users, however many tasks changed."""
    _admin, admin_token = await signed_in_user(settings, role=Role.ADMIN)
    ids = []
    for _ in range(5):
        ids += (await own_tasks(settings, 4))[2]
    query = """mutation($ids: [ID!]!) { setTasksStatus(ids: $ids, status: IN_PROGRESS) {
        id owner { id displayName } } }"""
    sql_statements.reset()
    body = await graphql(query, {"ids": ids}, token=admin_token)
    assert len({t["owner"]["id"] for t in body["data"]["setTasksStatus"]}) == 5
    assert len(sql_statements.statements) == VIEWER + 3


async def test_a_refused_call_writes_no_audit_row(graphql, settings, sql_statements):
    """A call with a missing id costs its one write, rolled back, and no audit INSERT."""
    _user, token, ids = await own_tasks(settings, 3)
    sql_statements.reset()
    body = await graphql(SET_TASKS_STATUS, {"ids": [*ids, MISSING], "status": "DONE"}, token=token)
    assert error_of(body)["code"] == "NOT_FOUND"
    statements = sql_statements.statements
    assert len(statements) == VIEWER + 1
    assert not any("audit_events" in s for s in statements)


# --- query cost --------------------------------------------------------------------------------


ASK = {"X-TaskQL-Cost": "1"}


async def test_bulk_mutations_cost_their_selection_once_per_id(graphql, settings):
    """@cost(perItem: "ids"): (1 + fields selected) per id, from the variables or a literal
    list; past graphql.bulk_max_ids the cost stops at the cap and the resolver refuses."""
    _user, token, ids = await own_tasks(settings, 10)

    async def cost(query: str, variables: dict[str, Any]) -> int:
        body = await graphql(query, variables, token=token, headers=ASK)
        value: int = body["extensions"]["cost"]
        return value

    assert await cost(operation("update_tasks"), {"ids": ids, "input": {}}) == 10 * (1 + 7)
    assert await cost(operation("set_tasks_status"), {"ids": ids[:3], "status": "DONE"}) == 3 * 5
    assert await cost(operation("delete_tasks"), {"ids": ids[:7]}) == 7
    literal = f'mutation {{ setTasksStatus(ids: ["{ids[0]}", "{ids[1]}"], status: DONE) {{ id }} }}'
    assert await cost(literal, {}) == 2 * 2
    lone = f'mutation {{ deleteTasks(ids: "{ids[2]}") }}'
    assert await cost(lone, {}) == 1
    over = [str(uuid.uuid4()) for _ in range(150)]
    body = await graphql(operation("delete_tasks"), {"ids": over}, token=token, headers=ASK)
    assert body["extensions"]["cost"] == 100
    assert error_of(body)["field"] == "ids"


async def test_many_bulk_fields_in_one_operation_are_priced_by_their_ids(make_client, settings):
    """Aliased bulk calls add up: 10 x 100 ids x 8 is over graphql.max_cost, refused before
    anything runs."""
    client = await make_client(settings)
    _user, token, ids = await own_tasks(settings, 1)
    selections = " ".join(
        f"a{n}: updateTasks(ids: $ids, input: {{}}) {{ {FIELDS} }}" for n in range(10)
    )
    response = await client.post(
        "/graphql",
        json={
            "query": f"mutation($ids: [ID!]!) {{ {selections} }}",
            "variables": {"ids": [str(uuid.uuid4()) for _ in range(100)]},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    body = await response.json()
    assert error_of(body) == {"code": "QUERY_TOO_COMPLEX", "cost": 10 * 100 * 9, "maxCost": 5000}
    assert (await snapshot(ids))[ids[0]][2] == 1


# --- concurrency -------------------------------------------------------------------------------

CALLS = 30
TASKS = 12


def window(call: int) -> list[int]:
    """The task numbers call `call` edits: 5 consecutive ones (wrapping), in an order that
    differs from call to call, so calls overlap and list shared ids in opposite orders."""
    numbers = [(call + k) % TASKS for k in range(5)]
    return numbers if call % 2 else numbers[::-1]


Send = Callable[[int, str, dict[str, Any], dict[str, str]], Awaitable[dict[str, Any]]]


async def overlapping_bulk_edits(send: Send, ids: list[str], foreign: str, token: str) -> None:
    """30 calls at once over overlapping ids (every third one with another user's id last),
    through `send(call number, query, variables, headers)`; then the checks: no error but the
    refused calls' NOT_FOUND (no deadlock, no 503), every accepted call changed all its tasks
    and every refused one none, and each task's version is 1 + the accepted calls that listed
    it, its audit rows carrying versions 2, 3, ... once each; its title is the last writer's."""

    async def call(number: int) -> dict[str, Any]:
        sent = [ids[n] for n in window(number)]
        if number % 3 == 0:
            sent.append(foreign)
        variables: dict[str, Any]
        if number % 2:
            query, variables = UPDATE_TASKS, {"input": {"title": f"call {number}"}}
        else:
            query, variables = SET_TASKS_STATUS, {"status": ("DONE", "TODO")[number % 4 // 2]}
        headers = {"X-Request-Id": f"c{number}", "Authorization": f"Bearer {token}"}
        return await send(number, query, {"ids": sent, **variables}, headers)

    bodies = await asyncio.gather(*(call(n) for n in range(CALLS)))

    accepted = [n for n, body in enumerate(bodies) if "errors" not in body]
    refused = [n for n, body in enumerate(bodies) if "errors" in body]
    assert refused == [n for n in range(CALLS) if n % 3 == 0], [bodies[n] for n in refused]
    assert all(error_of(bodies[n]) == {"code": "NOT_FOUND", "ids": [foreign]} for n in refused)
    rows = await audit_models.AuditEvent.filter(target_type="task").all()
    by_call: dict[str, set[str]] = {}
    by_task: dict[str, list[tuple[int, audit_models.AuditEvent]]] = {}
    for row in rows:
        by_call.setdefault(row.request_id or "", set()).add(str(row.target_id))
        version = next(c for c in row.changes if c["field"] == "version")["new"]
        by_task.setdefault(str(row.target_id), []).append((version, row))
    assert set(by_call) == {f"c{n}" for n in accepted}
    for n in accepted:
        assert by_call[f"c{n}"] == {ids[k] for k in window(n)}
    current = {str(t.id): t for t in await task_models.Task.filter(id__in=ids)}
    for k, task_id in enumerate(ids):
        edits = sum(k in window(n) for n in accepted)
        assert current[task_id].version == 1 + edits
        history = sorted(by_task.get(task_id, []), key=lambda pair: pair[0])
        assert [version for version, _row in history] == list(range(2, 2 + edits))
        renames = [
            row for _v, row in history if row.action is audit_models.AuditAction.TASK_UPDATED
        ]
        if renames:
            assert current[task_id].title == f"call {(renames[-1].request_id or '')[1:]}"


async def test_concurrent_bulk_edits_lose_nothing_and_never_half_apply(graphql, settings):
    """30 overlapping bulk edits at once on one app (see overlapping_bulk_edits)."""
    _user, token, ids = await own_tasks(settings, TASKS)
    _bob, _bob_token, foreign = await own_tasks(settings, 1)

    async def send(
        _number: int, query: str, variables: dict[str, Any], headers: dict[str, str]
    ) -> dict[str, Any]:
        body: dict[str, Any] = await graphql(query, variables, headers=headers)
        return body

    await overlapping_bulk_edits(send, ids, foreign[0], token)


async def test_concurrent_bulk_edits_on_two_server_processes(client, settings):
    """The same 30 calls, alternating between two real server processes on one database."""
    _user, token, ids = await own_tasks(settings, TASKS)
    _bob, _bob_token, foreign = await own_tasks(settings, 1)
    env = taskql_env(
        TASKQL_ENV="test",
        TASKQL_LOGGING__LEVEL="WARNING",
        TASKQL_DATABASE__URL=settings.database.url,
        TASKQL_AUTH__JWT_SECRET=settings.auth.jwt_secret,
    )
    ports = (free_port(), free_port())
    with (
        serving("serve", "--port", str(ports[0]), port=ports[0], env=env),
        serving("serve", "--port", str(ports[1]), port=ports[1], env=env),
    ):
        async with aiohttp.ClientSession() as session:

            async def send(
                number: int, query: str, variables: dict[str, Any], headers: dict[str, str]
            ) -> dict[str, Any]:
                url = f"http://127.0.0.1:{ports[number % 2]}/graphql"
                payload = {"query": query, "variables": variables}
                async with session.post(url, json=payload, headers=headers) as response:
                    assert response.status == 200, await response.text()
                    body: dict[str, Any] = await response.json()
                    return body

            await overlapping_bulk_edits(send, ids, foreign[0], token)


async def test_concurrent_bulk_deletes_delete_each_task_once(graphql, settings):
    """30 deleteTasks at once over overlapping ids: each task is deleted by exactly one call;
    a call finding any of its tasks gone deletes none (NOT_FOUND naming those)."""
    _user, token, ids = await own_tasks(settings, TASKS)

    async def call(number: int) -> dict[str, Any]:
        sent = [ids[n] for n in window(number)]
        body: dict[str, Any] = await graphql(
            DELETE_TASKS, {"ids": sent}, token=token, headers={"X-Request-Id": f"d{number}"}
        )
        return body

    bodies = await asyncio.gather(*(call(n) for n in range(CALLS)))

    accepted = [n for n, body in enumerate(bodies) if "errors" not in body]
    assert accepted
    for n, body in enumerate(bodies):
        if n not in accepted:
            assert error_of(body)["code"] == "NOT_FOUND", body
    rows = await audit_models.AuditEvent.filter(action=audit_models.AuditAction.TASK_DELETED)
    deleted = [str(row.target_id) for row in rows]
    assert len(deleted) == len(set(deleted))
    by_call: dict[str, set[str]] = {}
    for row in rows:
        by_call.setdefault(row.request_id or "", set()).add(str(row.target_id))
    assert set(by_call) == {f"d{n}" for n in accepted}
    for n in accepted:
        assert by_call[f"d{n}"] == {ids[k] for k in window(n)}
    assert await task_models.Task.filter(id__in=ids).count() == TASKS - len(deleted)


# --- task events -------------------------------------------------------------------------------


async def test_each_changed_task_publishes_one_event_after_commit(client, graphql, settings):
    """Subscribers hear one event per task a bulk call changed (UPDATED, STATUS_CHANGED,
    DELETED, with the new versions), and nothing from a refused call or an updateTasks
    without fields."""
    _user, token, ids = await own_tasks(settings, 3)
    async with socket_session(client, token) as session:
        stream = Stream(session, TASK_EVENTS, {})
        stream.start()
        await until_listening(client, 1)

        async def heard(count: int) -> list[tuple[str, str, int]]:
            events = [(await stream.next())["taskEvents"] for _ in range(count)]
            # taskId is the global id; the calls below send the raw uuids, still accepted.
            return sorted((e["kind"], e["taskId"], e["version"]) for e in events)

        gids = [encode_task(i) for i in ids]

        refused = await graphql(
            SET_TASKS_STATUS, {"ids": [*ids, MISSING], "status": "DONE"}, token=token
        )
        assert error_of(refused)["code"] == "NOT_FOUND"
        await graphql(UPDATE_TASKS, {"ids": ids, "input": {}}, token=token)
        assert await stream.nothing_within(0.3)

        await graphql(UPDATE_TASKS, {"ids": ids, "input": {"title": "Heard"}}, token=token)
        assert await heard(3) == sorted(("UPDATED", i, 2) for i in gids)
        await graphql(SET_TASKS_STATUS, {"ids": ids[:2], "status": "DONE"}, token=token)
        assert await heard(2) == sorted(("STATUS_CHANGED", i, 3) for i in gids[:2])
        await graphql(DELETE_TASKS, {"ids": ids}, token=token)
        assert await heard(3) == sorted(
            [("DELETED", gids[0], 3), ("DELETED", gids[1], 3), ("DELETED", gids[2], 2)]
        )
        assert await stream.nothing_within(0.3)
        await stream.close()


# --- expectedVersions: compare-and-swap of the whole batch ----------------------------------------


async def test_matching_expected_versions_apply(graphql, settings):
    _user, token, ids = await own_tasks(settings, 3)
    await graphql(SET_TASKS_STATUS, {"ids": ids[:1], "status": "DONE"}, token=token)
    body = await graphql(
        UPDATE_TASKS_EXPECTING,
        {"ids": ids, "input": {"title": "CAS"}, "versions": [2, 1, 1]},
        token=token,
    )
    assert [t["version"] for t in body["data"]["updateTasks"]] == [3, 2, 2]
    body = await graphql(DELETE_TASKS_EXPECTING, {"ids": ids, "versions": [3, 2, 2]}, token=token)
    assert body == {"data": {"deleteTasks": [encode_task(i) for i in ids]}}


@pytest.mark.parametrize("name", ["updateTasks", "setTasksStatus", "deleteTasks"])
async def test_a_stale_expected_version_fails_the_whole_call(graphql, settings, name):
    """One task moved on: CONFLICT naming it and its current version; nothing changes and no
    audit row is written. With an id missing as well, NOT_FOUND comes first."""
    _user, token, ids = await own_tasks(settings, 3)
    await graphql(SET_TASKS_STATUS, {"ids": ids[1:2], "status": "IN_PROGRESS"}, token=token)
    before, audited = await snapshot(ids), await audit_count()
    query, variables = EXPECTING[name]

    body = await graphql(query, {"ids": ids, "versions": [1, 1, 1], **variables}, token=token)

    assert error_of(body) == {"code": "CONFLICT", "ids": [ids[1]], "currentVersions": [2]}
    assert await snapshot(ids) == before
    assert await audit_count() == audited
    body = await graphql(
        query, {"ids": [*ids, MISSING], "versions": [1, 1, 1, 1], **variables}, token=token
    )
    assert error_of(body) == {"code": "NOT_FOUND", "ids": [MISSING]}


async def test_expected_versions_without_fields_are_checked_too(graphql, settings):
    _user, token, ids = await own_tasks(settings, 2)
    body = await graphql(
        UPDATE_TASKS_EXPECTING, {"ids": ids, "input": {}, "versions": [1, 4]}, token=token
    )
    assert error_of(body) == {"code": "CONFLICT", "ids": [ids[1]], "currentVersions": [1]}
    body = await graphql(
        UPDATE_TASKS_EXPECTING, {"ids": ids, "input": {}, "versions": [1, 1]}, token=token
    )
    assert [t["version"] for t in body["data"]["updateTasks"]] == [1, 1]


@pytest.mark.parametrize("versions", [[1], [1, 1, 1], []])
async def test_one_expected_version_per_id(graphql, settings, versions):
    _user, token, ids = await own_tasks(settings, 2)
    body = await graphql(DELETE_TASKS_EXPECTING, {"ids": ids, "versions": versions}, token=token)
    assert error_of(body) == {"code": "VALIDATION_ERROR", "field": "expectedVersions"}
    assert await task_models.Task.filter(id__in=ids).count() == 2


async def test_a_stale_batch_costs_one_more_read_and_no_audit_row(
    graphql, settings, sql_statements
):
    """Success costs what a call without versions costs; a refusal adds one SELECT telling
    NOT_FOUND from CONFLICT, and no INSERT."""
    _user, token, ids = await own_tasks(settings, 20)
    sql_statements.reset()
    body = await graphql(
        SET_TASKS_STATUS_EXPECTING,
        {"ids": ids, "status": "DONE", "versions": [1] * 20},
        token=token,
    )
    assert "errors" not in body, body
    assert len(sql_statements.statements) == VIEWER + 2
    sql_statements.reset()
    body = await graphql(
        SET_TASKS_STATUS_EXPECTING,
        {"ids": ids, "status": "TODO", "versions": [1] * 20},
        token=token,
    )
    assert error_of(body)["code"] == "CONFLICT"
    assert len(error_of(body)["ids"]) == 20
    statements = sql_statements.statements
    assert len(statements) == VIEWER + 2
    assert statements[2].startswith("SELECT id, version FROM tasks")


async def test_concurrent_batches_expecting_one_version_never_overlap(graphql, settings):
    """30 calls at once over overlapping ids, each expecting version 1 of all its tasks: the
    accepted calls share no task, each task moved at most once, and every refused call
    (CONFLICT, nothing else) shares a task with an accepted one."""
    _user, token, ids = await own_tasks(settings, TASKS)

    async def call(number: int) -> dict[str, Any]:
        sent = [ids[n] for n in window(number)]
        body: dict[str, Any] = await graphql(
            SET_TASKS_STATUS_EXPECTING,
            {"ids": sent, "status": "DONE", "versions": [1] * len(sent)},
            token=token,
        )
        return body

    bodies = await asyncio.gather(*(call(n) for n in range(CALLS)))

    accepted = [n for n, body in enumerate(bodies) if "errors" not in body]
    refused = [n for n, body in enumerate(bodies) if "errors" in body]
    assert accepted
    assert all(error_of(bodies[n])["code"] == "CONFLICT" for n in refused)
    taken = [k for n in accepted for k in window(n)]
    assert len(taken) == len(set(taken))
    for n in refused:
        assert set(window(n)) & set(taken)
    current = {str(t.id): t.version for t in await task_models.Task.filter(id__in=ids)}
    assert {current[ids[k]] for k in taken} <= {2}
    assert all(current[ids[k]] == 1 for k in range(TASKS) if k not in taken)
    assert await audit_count() == len(taken)
