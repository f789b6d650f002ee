"""Relay Global Object Identification: global ids, node(id:) and nodes(ids:), through HTTP."""

from __future__ import annotations

import base64
import uuid

import pytest

from models.users import Role
from taskql import global_ids
from tests.task_factories import create_tasks, signed_in_user

NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on Task { title owner { id } } ... on User { displayName email } } }"""
NODES = """query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
  ... on Task { title } ... on User { displayName } } }"""
TASK_IDS = """{ tasks(first: 50) { edges { node { id owner { id } } } } }"""


def error_of(body):
    assert body.get("errors"), body
    return body["errors"][0]


async def test_task_id_round_trips_through_node(graphql, settings):
    """The id a task list returns is a global id that node(id:) answers with that same task."""
    user, token = await signed_in_user(settings)
    (task,) = await create_tasks(user, 1)
    listed = await graphql(TASK_IDS, token=token)
    edge = listed["data"]["tasks"]["edges"][0]["node"]

    body = await graphql(NODE, {"id": edge["id"]}, token=token)

    node = body["data"]["node"]
    assert node["__typename"] == "Task"
    assert node["id"] == edge["id"] == global_ids.encode_task(str(task.id))
    assert node["title"] == task.title
    assert node["owner"]["id"] == edge["owner"]["id"] == global_ids.encode_user(str(user.id))


async def test_user_id_round_trips_through_node(graphql, settings):
    """me.id is a global id; node(id: me.id) is the same user, email included (it is theirs)."""
    user, token = await signed_in_user(settings)
    me = (await graphql("{ me { id email } }", token=token))["data"]["me"]

    body = await graphql(NODE, {"id": me["id"]}, token=token)

    assert body["data"]["node"] == {
        "__typename": "User",
        "id": me["id"],
        "displayName": user.display_name,
        "email": user.email,
    }


def test_global_id_form_is_base64url_of_type_and_uuid():
    """The documented form: base64url without padding of "Task:<uuid>"; decode inverts it."""
    row_id = uuid.uuid4()
    encoded = global_ids.encode_task(str(row_id))
    padded = encoded + "=" * (-len(encoded) % 4)
    assert base64.urlsafe_b64decode(padded) == f"Task:{row_id}".encode()
    assert "=" not in encoded
    assert global_ids.decode(encoded) == ("Task", row_id)
    assert global_ids.decode(global_ids.encode_user(str(row_id))) == ("User", row_id)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not-an-id",
        "VGFzazo",  # "Task:" and nothing
        str(uuid.uuid4()),  # a raw uuid says no type
        base64.urlsafe_b64encode(f"Audit:{uuid.uuid4()}".encode()).decode().rstrip("="),
        base64.urlsafe_b64encode(f"Task:{str(uuid.uuid4()).upper()}".encode()).decode()[:55],
        base64.urlsafe_b64encode(b"Task:" + b"x" * 36).decode().rstrip("="),
        "\u00e9" * 55,
        "A" * 100_000,
    ],
)
def test_decode_refuses_what_the_server_did_not_make(value):
    """Anything but the canonical text of a Task or User id decodes to None."""
    assert global_ids.decode(value) is None


async def test_foreign_and_missing_tasks_are_null_alike(graphql, settings):
    """Another user's task and a task that never existed both answer null, no error."""
    owner, _owner_token = await signed_in_user(settings)
    (foreign,) = await create_tasks(owner, 1)
    _other, token = await signed_in_user(settings)
    foreign_id = global_ids.encode_task(str(foreign.id))
    missing_id = global_ids.encode_task(str(uuid.uuid4()))

    for node_id in (foreign_id, missing_id):
        body = await graphql(NODE, {"id": node_id}, token=token)
        assert body == {"data": {"node": None}}


async def test_admin_refetches_any_task_and_user(graphql, settings):
    """An admin's node(id:) answers every user's task and every user."""
    owner, _token = await signed_in_user(settings)
    (task,) = await create_tasks(owner, 1)
    _admin, admin_token = await signed_in_user(settings, role=Role.ADMIN)

    task_body = await graphql(NODE, {"id": global_ids.encode_task(str(task.id))}, token=admin_token)
    user_body = await graphql(
        NODE, {"id": global_ids.encode_user(str(owner.id))}, token=admin_token
    )

    assert task_body["data"]["node"]["title"] == task.title
    assert user_body["data"]["node"]["email"] == owner.email


async def test_other_users_are_null_to_a_user(graphql, settings):
    """A non-admin's node(id:) of another user is null, like a user that does not exist."""
    other, _other_token = await signed_in_user(settings)
    _user, token = await signed_in_user(settings)

    for node_id in (str(other.id), str(uuid.uuid4())):
        body = await graphql(NODE, {"id": global_ids.encode_user(node_id)}, token=token)
        assert body == {"data": {"node": None}}


@pytest.mark.parametrize("value", ["nope", "", "VGFzazo", "A" * 5000])
async def test_malformed_node_id_is_a_validation_error(graphql, settings, value):
    """A malformed id is VALIDATION_ERROR naming the argument (a client bug, told at once)."""
    _user, token = await signed_in_user(settings)

    body = await graphql(NODE, {"id": value}, token=token)

    error = error_of(body)
    assert error["extensions"] == {"code": "VALIDATION_ERROR", "field": "id"}
    assert body["data"] == {"node": None}


async def test_raw_uuid_is_not_a_node_id(graphql, settings):
    """node(id:) needs the type in the id: a raw uuid is VALIDATION_ERROR, even one's own."""
    user, token = await signed_in_user(settings)

    body = await graphql(NODE, {"id": str(user.id)}, token=token)

    assert error_of(body)["extensions"]["code"] == "VALIDATION_ERROR"
    assert "global id" in error_of(body)["message"]


async def test_anonymous_node_is_unauthenticated(graphql, settings):
    """node and nodes need a signed-in viewer, as task(id:) and user(id:) do."""
    user, _token = await signed_in_user(settings)
    node_id = global_ids.encode_user(str(user.id))

    single = await graphql(NODE, {"id": node_id})
    many = await graphql(NODES, {"ids": [node_id]})

    assert error_of(single)["extensions"]["code"] == "UNAUTHENTICATED"
    assert error_of(many)["extensions"]["code"] == "UNAUTHENTICATED"


async def test_nodes_answers_in_order_with_nulls(graphql, settings):
    """nodes(ids:) keeps the order and repeats, with null for foreign and missing ids."""
    user, token = await signed_in_user(settings)
    mine = await create_tasks(user, 2)
    other, _other_token = await signed_in_user(settings)
    (foreign,) = await create_tasks(other, 1)
    ids = [
        global_ids.encode_task(str(mine[1].id)),
        global_ids.encode_task(str(foreign.id)),
        global_ids.encode_user(str(user.id)),
        global_ids.encode_user(str(other.id)),
        global_ids.encode_task(str(uuid.uuid4())),
        global_ids.encode_task(str(mine[0].id)),
        global_ids.encode_task(str(mine[1].id)),
    ]

    body = await graphql(NODES, {"ids": ids}, token=token)

    nodes = body["data"]["nodes"]
    assert [None if n is None else n["id"] for n in nodes] == [
        ids[0],
        None,
        ids[2],
        None,
        None,
        ids[5],
        ids[6],
    ]
    assert nodes[0]["title"] == mine[1].title
    assert nodes[2]["__typename"] == "User"


async def test_nodes_of_fifty_mixed_ids_costs_one_statement_per_type(
    graphql, settings, sql_statements
):
    """nodes(ids:) over 50 mixed ids (own, foreign, missing, users, owners selected) reads
    tasks once and users once, as over 6 ids: viewer + 2."""
    admin, token = await signed_in_user(settings, role=Role.ADMIN)
    users = [(await signed_in_user(settings))[0] for _ in range(5)]
    tasks = [task for user in users for task in await create_tasks(user, 6)]
    ids = [global_ids.encode_task(str(task.id)) for task in tasks]  # 30
    ids += [global_ids.encode_user(str(user.id)) for user in (*users, admin)]  # 36
    ids += [global_ids.encode_task(str(uuid.uuid4())) for _ in range(7)]  # 43
    ids += [global_ids.encode_user(str(uuid.uuid4())) for _ in range(7)]  # 50
    query = """query($ids: [ID!]!) { nodes(ids: $ids) { id
      ... on Task { title owner { id displayName } } ... on User { email } } }"""

    sql_statements.reset()
    small = await graphql(query, {"ids": ids[:3] + ids[30:33]}, token=token)
    few = list(sql_statements.statements)
    sql_statements.reset()
    body = await graphql(query, {"ids": ids}, token=token)
    many = list(sql_statements.statements)

    assert "errors" not in small, small
    assert "errors" not in body, body
    assert len(few) == len(many) == 3, many
    assert sum(n is not None for n in body["data"]["nodes"]) == 36
    assert body["data"]["nodes"][0]["owner"]["id"] == global_ids.encode_user(str(users[0].id))


async def test_nodes_over_the_cap_is_a_validation_error(graphql, settings, sql_statements):
    """More ids than graphql.nodes_max: VALIDATION_ERROR naming `ids`, before any read."""
    _user, token = await signed_in_user(settings)
    ids = [global_ids.encode_task(str(uuid.uuid4()))] * (settings.graphql.nodes_max + 1)

    sql_statements.reset()
    body = await graphql(NODES, {"ids": ids}, token=token)

    assert error_of(body)["extensions"] == {"code": "VALIDATION_ERROR", "field": "ids"}
    assert len(sql_statements.statements) == 1  # the viewer's


async def test_malformed_id_among_nodes_names_its_position(graphql, settings):
    """One malformed id fails the call with VALIDATION_ERROR naming `ids` and its position."""
    user, token = await signed_in_user(settings)
    ids = [global_ids.encode_user(str(user.id)), "%%%", global_ids.encode_user(str(user.id))]

    body = await graphql(NODES, {"ids": ids}, token=token)

    error = error_of(body)
    assert error["extensions"] == {"code": "VALIDATION_ERROR", "field": "ids"}
    assert "ids[1]" in error["message"]


async def test_nodes_cost_counts_each_id(graphql, settings):
    """The cost analysis counts nodes' selection once per id: 100 users' task pages is too much."""
    admin, token = await signed_in_user(settings, role=Role.ADMIN)
    ids = [global_ids.encode_user(str(admin.id))] * 100
    query = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on User {
      tasks(first: 100) { edges { node { id title } } } } } }"""

    body = await graphql(query, {"ids": ids}, token=token)

    assert error_of(body)["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_no_ids_read_nothing(graphql, settings, sql_statements):
    """nodes(ids: []) is an empty list and reads no row (the viewer's statement only)."""
    _user, token = await signed_in_user(settings)

    sql_statements.reset()
    body = await graphql(NODES, {"ids": []}, token=token)

    assert body == {"data": {"nodes": []}}
    assert len(sql_statements.statements) == 1
