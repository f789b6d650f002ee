"""The audit log: one row per change, written in the change's transaction, never a secret, and
readable by admins only through auditEvents."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson
import pytest
from tortoise import connections

from models import audit as audit_models
from models import users as user_models
from models.users import Role
from schema import audit as schema_audit
from taskql.auth.tokens import decode_access_token
from taskql.global_ids import decode, encode_user
from taskql.settings import Settings
from tests.factories import DEFAULT_PASSWORD, access_token_for, create_user
from tests.task_factories import signed_in_user

PAIR = "accessToken refreshToken user { id }"
REGISTER = f"mutation($input: RegisterInput!) {{ register(input: $input) {{ {PAIR} }} }}"
LOGIN = f"""mutation($email: String!, $password: String!) {{
  login(email: $email, password: $password) {{ {PAIR} }} }}"""
REFRESH = f"mutation($t: String!) {{ refreshTokens(refreshToken: $t) {{ {PAIR} }} }}"
LOGOUT = "mutation { logout }"
CHANGE_PASSWORD = f"""mutation($current: String!, $new: String!) {{
  changePassword(currentPassword: $current, newPassword: $new) {{ {PAIR} }} }}"""
CREATE = "mutation($input: CreateTaskInput!) { createTask(input: $input) { id version } }"
UPDATE = """mutation($id: ID!, $input: UpdateTaskInput!, $version: Int) {
  updateTask(id: $id, input: $input, expectedVersion: $version) { id title version } }"""
SET_STATUS = """mutation($id: ID!, $status: TaskStatus!, $version: Int) {
  setTaskStatus(id: $id, status: $status, expectedVersion: $version) { id version } }"""
DELETE = "mutation($id: ID!) { deleteTask(id: $id) }"
UPDATE_ME = 'mutation { updateMe(displayName: "Renamed") { id } }'
SET_ROLE = "mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { id } }"
DEACTIVATE = "mutation($id: ID!) { deactivateUser(id: $id) { id } }"
REACTIVATE = "mutation($id: ID!) { reactivateUser(id: $id) { id } }"
EVENTS = """query($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id actorId action targetType targetId requestId clientAddress createdAt
      changes { field oldValue newValue redacted } } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
NEW_PASSWORD = "a brand new passphrase"


def code(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    return str(body["errors"][0]["extensions"]["code"])


class AuditRows:
    """The audit rows added since the last call (ids remembered between calls)."""

    def __init__(self) -> None:
        self.seen: set[uuid.UUID] = set()

    async def new(self) -> list[audit_models.AuditEvent]:
        rows = await audit_models.AuditEvent.all().order_by("created_at", "id")
        fresh = [row for row in rows if row.id not in self.seen]
        self.seen.update(row.id for row in rows)
        return fresh


@pytest.fixture
async def audit_rows() -> AuditRows:
    rows = AuditRows()
    await rows.new()
    return rows


def fields(row: audit_models.AuditEvent) -> dict[str, tuple[Any, Any]]:
    return {c["field"]: (c.get("old"), c.get("new")) for c in row.changes if "redacted" not in c}


def expect_one(
    rows: list[audit_models.AuditEvent],
    action: audit_models.AuditAction,
    *,
    actor: uuid.UUID | None,
    target: uuid.UUID | str,
    request_id: str,
) -> audit_models.AuditEvent:
    assert len(rows) == 1, [(r.action, r.changes) for r in rows]
    [row] = rows
    assert row.action is action
    assert row.actor_id == actor
    assert str(row.target_id) == row_id(target)
    assert row.request_id == request_id
    assert row.client_address == "127.0.0.1"
    assert row.created_at is not None
    return row


async def test_each_task_mutation_writes_one_row(graphql, settings, audit_rows):
    """createTask, updateTask, setTaskStatus and deleteTask each add exactly one row naming
    the actor, the task, the request id and the client address. A create or delete records
    the fields' values; an update or status change (one UPDATE, no read of the old row) names
    the fields it set, the old and new version, and the new status."""
    user, token = await signed_in_user(settings)
    await audit_rows.new()  # the factory's user.created row
    rid = {"X-Request-Id": "req-create"}
    body = await graphql(CREATE, {"input": {"title": "Audit me"}}, token=token, headers=rid)
    task_id = body["data"]["createTask"]["id"]
    row = expect_one(
        await audit_rows.new(),
        audit_models.AuditAction.TASK_CREATED,
        actor=user.id,
        target=task_id,
        request_id="req-create",
    )
    assert row.target_type is audit_models.TargetType.TASK
    assert fields(row)["title"] == (None, "Audit me")
    assert fields(row)["version"] == (None, 1)

    await graphql(
        UPDATE,
        {"id": task_id, "input": {"title": "Audited", "priority": "HIGH"}},
        token=token,
        headers={"X-Request-Id": "req-update"},
    )
    row = expect_one(
        await audit_rows.new(),
        audit_models.AuditAction.TASK_UPDATED,
        actor=user.id,
        target=task_id,
        request_id="req-update",
    )
    assert row.changes == [
        {"field": "title"},
        {"field": "priority"},
        {"field": "version", "old": 1, "new": 2},
    ]

    await graphql(
        SET_STATUS,
        {"id": task_id, "status": "DONE"},
        token=token,
        headers={"X-Request-Id": "req-status"},
    )
    row = expect_one(
        await audit_rows.new(),
        audit_models.AuditAction.TASK_STATUS_CHANGED,
        actor=user.id,
        target=task_id,
        request_id="req-status",
    )
    assert row.changes == [
        {"field": "status", "new": "DONE"},
        {"field": "version", "old": 2, "new": 3},
    ]

    # updateTask setting the status (and more) records the new status the same way.
    await graphql(
        UPDATE, {"id": task_id, "input": {"title": "Back", "status": "TODO"}}, token=token
    )
    [row] = await audit_rows.new()
    assert row.action is audit_models.AuditAction.TASK_UPDATED
    assert row.changes == [
        {"field": "title"},
        {"field": "status", "new": "TODO"},
        {"field": "version", "old": 3, "new": 4},
    ]

    await graphql(DELETE, {"id": task_id}, token=token, headers={"X-Request-Id": "req-delete"})
    row = expect_one(
        await audit_rows.new(),
        audit_models.AuditAction.TASK_DELETED,
        actor=user.id,
        target=task_id,
        request_id="req-delete",
    )
    assert fields(row)["title"] == ("Back", None)
    assert fields(row)["version"] == (4, None)


async def test_user_mutations_write_one_row_each(graphql, settings, audit_rows):
    """updateMe, setUserRole, deactivateUser and reactivateUser each add one row with the
    field's old and new value; the admin is the actor, the changed user the target."""
    admin = await create_user(role=Role.ADMIN)
    user = await create_user(display_name="Before")
    await audit_rows.new()  # the factories' own user.created rows
    admin_token, user_token = access_token_for(admin, settings), access_token_for(user, settings)

    await graphql(UPDATE_ME, token=user_token, headers={"X-Request-Id": "me"})
    row = expect_one(
        await audit_rows.new(),
        audit_models.AuditAction.USER_UPDATED,
        actor=user.id,
        target=user.id,
        request_id="me",
    )
    assert fields(row) == {"display_name": ("Before", "Renamed")}

    cases = [
        (SET_ROLE, audit_models.AuditAction.USER_ROLE_CHANGED, {"role": ("USER", "ADMIN")}),
        (DEACTIVATE, audit_models.AuditAction.USER_DEACTIVATED, {"is_active": (True, False)}),
        (REACTIVATE, audit_models.AuditAction.USER_REACTIVATED, {"is_active": (False, True)}),
    ]
    for number, (operation, action, expected) in enumerate(cases):
        request_id = f"admin-{number}"
        body = await graphql(
            operation, {"id": str(user.id)}, token=admin_token, headers={"X-Request-Id": request_id}
        )
        assert "errors" not in body, body
        row = expect_one(
            await audit_rows.new(), action, actor=admin.id, target=user.id, request_id=request_id
        )
        assert row.target_type is audit_models.TargetType.USER
        assert fields(row) == expected


async def test_sign_in_events_write_one_row_each(graphql, settings, audit_rows):
    """register, login, changePassword, logout and a refresh-token reuse each add one row:
    login and logout name their session, the password change only the field's name."""
    email = "audit-auth@example.test"
    body = await graphql(
        REGISTER,
        {"input": {"email": email, "password": DEFAULT_PASSWORD, "displayName": "A"}},
        headers={"X-Request-Id": "register"},
    )
    user_id = uuid.UUID(row_id(body["data"]["register"]["user"]["id"]))
    row = expect_one(
        await audit_rows.new(),
        audit_models.AuditAction.USER_CREATED,
        actor=None,
        target=user_id,
        request_id="register",
    )
    assert fields(row)["email"] == (None, email)
    assert "password_hash" not in orjson.dumps(row.changes).decode()

    login = await graphql(
        LOGIN,
        {"email": email, "password": DEFAULT_PASSWORD},
        headers={"X-Request-Id": "login"},
    )
    tokens = login["data"]["login"]
    row = expect_one(
        await audit_rows.new(),
        audit_models.AuditAction.LOGIN,
        actor=user_id,
        target=_session_of(tokens["accessToken"], settings),
        request_id="login",
    )
    assert row.target_type is audit_models.TargetType.SESSION

    # A failed sign-in changes no data the audit log records.
    await graphql(LOGIN, {"email": email, "password": "not the password"})
    assert await audit_rows.new() == []

    refreshed = await graphql(REFRESH, {"t": tokens["refreshToken"]})
    assert "errors" not in refreshed, refreshed
    assert await audit_rows.new() == []  # a routine rotation is no audit event
    await graphql(REFRESH, {"t": tokens["refreshToken"]}, headers={"X-Request-Id": "reuse"})
    expect_one(
        await audit_rows.new(),
        audit_models.AuditAction.REFRESH_TOKEN_REUSED,
        actor=None,
        target=_session_of(tokens["accessToken"], settings),
        request_id="reuse",
    )

    second = (await graphql(LOGIN, {"email": email, "password": DEFAULT_PASSWORD}))["data"]
    await audit_rows.new()
    changed = await graphql(
        CHANGE_PASSWORD,
        {"current": DEFAULT_PASSWORD, "new": NEW_PASSWORD},
        token=second["login"]["accessToken"],
        headers={"X-Request-Id": "password"},
    )
    row = expect_one(
        await audit_rows.new(),
        audit_models.AuditAction.USER_PASSWORD_CHANGED,
        actor=user_id,
        target=user_id,
        request_id="password",
    )
    assert row.changes == [{"field": "password", "redacted": True}]

    access = changed["data"]["changePassword"]["accessToken"]
    await graphql(LOGOUT, token=access, headers={"X-Request-Id": "logout"})
    expect_one(
        await audit_rows.new(),
        audit_models.AuditAction.LOGOUT,
        actor=user_id,
        target=_session_of(access, settings),
        request_id="logout",
    )


def _session_of(access_token: str, settings: Settings) -> uuid.UUID:
    return decode_access_token(access_token, settings.auth).session_id


async def test_no_audit_row_holds_a_secret(graphql, settings):
    """After a full flow, no audit row contains a password, a password hash, a token, a
    token hash or the JWT secret."""
    email = "audit-secrets@example.test"
    password = "the first secret passphrase"
    registered = await graphql(
        REGISTER, {"input": {"email": email, "password": password, "displayName": "S"}}
    )
    login = (await graphql(LOGIN, {"email": email, "password": password}))["data"]["login"]
    await graphql(REFRESH, {"t": login["refreshToken"]})
    await graphql(REFRESH, {"t": login["refreshToken"]})  # reuse
    second = (await graphql(LOGIN, {"email": email, "password": password}))["data"]["login"]
    changed = await graphql(
        CHANGE_PASSWORD,
        {"current": password, "new": NEW_PASSWORD},
        token=second["accessToken"],
    )
    stored = await user_models.get_by_email(email=email)
    assert stored is not None
    connection = connections.get("default")
    # Every column of every row, as stored.
    rows = await connection.execute_query_dict('SELECT * FROM "audit_events"')
    assert len(rows) >= 5  # register, login, reuse, login, password
    text = orjson.dumps(rows, default=str).decode()
    token_hashes = await connection.execute_query_dict('SELECT "token_hash" FROM "refresh_tokens"')
    secrets = [
        password,
        NEW_PASSWORD,
        stored.password_hash,
        "$argon2",
        registered["data"]["register"]["accessToken"],
        registered["data"]["register"]["refreshToken"],
        login["accessToken"],
        login["refreshToken"],
        changed["data"]["changePassword"]["refreshToken"],
        settings.auth.jwt_secret,
        *(row["token_hash"] for row in token_hashes),
    ]
    for secret in secrets:
        assert secret
        assert secret not in text


async def test_a_write_that_fails_after_its_audit_insert_leaves_neither(
    graphql, settings, audit_rows
):
    """When the statement writing the audit row fails after the row was inserted (a trigger
    raising AFTER INSERT of this task's update row), the whole transaction rolls back: the
    task keeps its title and version and no audit row remains."""
    user, token = await signed_in_user(settings)
    task = (await graphql(CREATE, {"input": {"title": "Stays"}}, token=token))["data"]
    task_id = task["createTask"]["id"]
    await audit_rows.new()
    connection = connections.get("default")
    postgres = settings.database.dialect == "postgres"
    dialect = "postgres" if postgres else "sqlite"
    await connection.execute_script(FAILING_TRIGGER[dialect].format(task_id=row_id(task_id)))
    try:
        body = await graphql(UPDATE, {"id": task_id, "input": {"title": "Lost"}}, token=token)
    finally:
        await connection.execute_script(DROP_TRIGGER["postgres" if postgres else "sqlite"])
    assert code(body) == "INTERNAL_ERROR"
    assert await audit_rows.new() == []
    read = await graphql(
        "query($id: ID!) { task(id: $id) { title version } }", {"id": task_id}, token=token
    )
    assert read["data"]["task"] == {"title": "Stays", "version": 1}
    # Without the trigger the same update goes through with its row.
    await graphql(UPDATE, {"id": task_id, "input": {"title": "Moved"}}, token=token)
    assert [row.action for row in await audit_rows.new()] == [audit_models.AuditAction.TASK_UPDATED]
    assert user.id is not None


# Raises after inserting the audit row of an update of the one task (formatted with its id):
# an update's row records no titles, so the probe matches the action and the target.
FAILING_TRIGGER = {
    "sqlite": """CREATE TRIGGER audit_probe AFTER INSERT ON audit_events
        WHEN NEW.action = 'task.updated' AND NEW.target_id = '{task_id}'
        BEGIN SELECT RAISE(ABORT, 'probe'); END;""",
    "postgres": """CREATE FUNCTION audit_probe() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'probe'; END $$;
        CREATE TRIGGER audit_probe AFTER INSERT ON audit_events FOR EACH ROW
        WHEN (NEW.action = 'task.updated' AND NEW.target_id = '{task_id}'::uuid)
        EXECUTE FUNCTION audit_probe();""",
}
DROP_TRIGGER = {
    "sqlite": "DROP TRIGGER audit_probe;",
    "postgres": "DROP TRIGGER audit_probe ON audit_events; DROP FUNCTION audit_probe();",
}


async def test_a_lost_compare_and_swap_leaves_no_row(graphql, settings, audit_rows):
    """30 concurrent setTaskStatus calls expecting one version: one wins and writes the only
    audit row; each CONFLICT rolls back and leaves none; a stale version alone leaves none."""
    _user, token = await signed_in_user(settings)
    task_id = (await graphql(CREATE, {"input": {"title": "Race"}}, token=token))["data"][
        "createTask"
    ]["id"]
    await audit_rows.new()
    bodies = await asyncio.gather(
        *(
            graphql(SET_STATUS, {"id": task_id, "status": status, "version": 1}, token=token)
            for status in ["DONE", "IN_PROGRESS", "CANCELLED"] * 10
        )
    )
    assert sum("errors" not in body for body in bodies) == 1
    assert all(code(body) == "CONFLICT" for body in bodies if "errors" in body)
    rows = await audit_rows.new()
    assert len(rows) == 1
    assert fields(rows[0])["version"] == (1, 2)

    stale = await graphql(
        UPDATE, {"id": task_id, "input": {"title": "x"}, "version": 1}, token=token
    )
    assert code(stale) == "CONFLICT"
    assert await audit_rows.new() == []


async def test_admins_page_through_the_audit_log(graphql, settings):
    """auditEvents lists newest first in pages that neither skip nor repeat a row, and its
    filters narrow by actor, target, action and time."""
    admin = await create_user(role=Role.ADMIN)
    token = access_token_for(admin, settings)
    user, user_token = await signed_in_user(settings)
    ids = []
    for number in range(5):
        body = await graphql(CREATE, {"input": {"title": f"T{number}"}}, token=user_token)
        ids.append(body["data"]["createTask"]["id"])
    await graphql(SET_STATUS, {"id": ids[0], "status": "DONE"}, token=user_token)

    seen, after, pages = [], None, 0
    while True:
        body = await graphql(
            EVENTS, {"filter": {"actorId": str(user.id)}, "first": 2, "after": after}, token=token
        )
        connection = body["data"]["auditEvents"]
        seen += [edge["node"] for edge in connection["edges"]]
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert pages == 3
    assert [node["action"] for node in seen] == ["TASK_STATUS_CHANGED"] + ["TASK_CREATED"] * 5
    assert [node["targetId"] for node in seen[1:]] == list(reversed(ids))
    assert len({node["id"] for node in seen}) == 6
    assert all(node["actorId"] == encode_user(str(user.id)) for node in seen)
    status = seen[0]["changes"]
    assert {"field": "status", "oldValue": None, "newValue": "DONE", "redacted": False} in status
    assert {"field": "version", "oldValue": 1, "newValue": 2, "redacted": False} in status

    by_target = await graphql(EVENTS, {"filter": {"targetId": ids[0]}}, token=token)
    actions = [e["node"]["action"] for e in by_target["data"]["auditEvents"]["edges"]]
    assert actions == ["TASK_STATUS_CHANGED", "TASK_CREATED"]
    by_action = await graphql(EVENTS, {"filter": {"action": "TASK_STATUS_CHANGED"}}, token=token)
    assert [e["node"]["targetId"] for e in by_action["data"]["auditEvents"]["edges"]] == [ids[0]]
    newest = seen[0]["createdAt"]
    since = await graphql(EVENTS, {"filter": {"since": newest}}, token=token)
    assert [e["node"]["id"] for e in since["data"]["auditEvents"]["edges"]] == [seen[0]["id"]]
    until = await graphql(
        EVENTS, {"filter": {"actorId": str(user.id), "until": newest}}, token=token
    )
    assert len(until["data"]["auditEvents"]["edges"]) == 5


async def test_the_audit_log_is_for_admins_only(graphql, settings):
    """A signed-in user gets FORBIDDEN and an anonymous caller UNAUTHENTICATED; a bad cursor
    or id is a VALIDATION_ERROR naming the argument."""
    _user, token = await signed_in_user(settings)
    assert code(await graphql(EVENTS, token=token)) == "FORBIDDEN"
    assert code(await graphql(EVENTS)) == "UNAUTHENTICATED"
    admin = access_token_for(await create_user(role=Role.ADMIN), settings)
    bad_cursor = await graphql(EVENTS, {"after": "forged"}, token=admin)
    bad_id = await graphql(EVENTS, {"filter": {"actorId": "nope"}}, token=admin)
    bad_time = await graphql(EVENTS, {"filter": {"since": "yesterday"}}, token=admin)
    for body, field in (
        (bad_cursor, "after"),
        (bad_id, "filter.actorId"),
        (bad_time, "filter.since"),
    ):
        assert body["errors"][0]["extensions"] == {"code": "VALIDATION_ERROR", "field": field}


def test_every_stored_action_has_its_graphql_name():
    """The GraphQL AuditAction and AuditTargetType enums name every stored action and target
    type (rows are mapped by name): a new action cannot reach auditEvents unmapped."""
    assert {a.name for a in audit_models.AuditAction} == {a.name for a in schema_audit.AuditAction}
    assert {t.name for t in audit_models.TargetType} == {
        t.name for t in schema_audit.AuditTargetType
    }


def row_id(target: uuid.UUID | str) -> str:
    """The uuid text of a row, given it or the global id the API returned for it."""
    decoded = decode(str(target))
    return str(target) if decoded is None else str(decoded[1])
