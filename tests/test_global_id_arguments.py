"""Every id argument takes the global id the API returns and, for older clients, the raw uuid;
the id of another type is VALIDATION_ERROR naming the argument."""

from __future__ import annotations

import pytest

from models.users import Role
from taskql import global_ids
from tests.task_factories import create_tasks, signed_in_user

TASK_OPERATIONS = {
    "task": "query($id: ID!) { result: task(id: $id) { id } }",
    "updateTask": 'mutation($id: ID!) { result: updateTask(id: $id, input: {title: "t"}) { id } }',
    "setTaskStatus": "mutation($id: ID!) { result: setTaskStatus(id: $id, status: DONE) { id } }",
    "deleteTask": "mutation($id: ID!) { result: deleteTask(id: $id) }",
}
USER_OPERATIONS = {
    "user": "query($id: ID!) { result: user(id: $id) { id } }",
    "setUserRole": "mutation($id: ID!) { result: setUserRole(id: $id, role: USER) { id } }",
    "deactivateUser": "mutation($id: ID!) { result: deactivateUser(id: $id) { id } }",
    "reactivateUser": "mutation($id: ID!) { result: reactivateUser(id: $id) { id } }",
}


def returned_id(body):
    assert "errors" not in body, body
    result = body["data"]["result"]
    return result if isinstance(result, str) else result["id"]


@pytest.mark.parametrize("form", ["global", "raw"])
@pytest.mark.parametrize("operation", sorted(TASK_OPERATIONS))
async def test_task_id_arguments_take_both_forms(graphql, settings, operation, form):
    """Each task id argument takes the global id and the raw uuid; the answer is the global id."""
    user, token = await signed_in_user(settings)
    (task,) = await create_tasks(user, 1)
    global_id = global_ids.encode_task(str(task.id))

    body = await graphql(
        TASK_OPERATIONS[operation],
        {"id": global_id if form == "global" else str(task.id)},
        token=token,
    )

    assert returned_id(body) == global_id


@pytest.mark.parametrize("form", ["global", "raw"])
@pytest.mark.parametrize("operation", sorted(USER_OPERATIONS))
async def test_user_id_arguments_take_both_forms(graphql, settings, operation, form):
    """Each user id argument takes the global id and the raw uuid; the answer is the global id."""
    user, _token = await signed_in_user(settings)
    _admin, admin_token = await signed_in_user(settings, role=Role.ADMIN)
    global_id = global_ids.encode_user(str(user.id))

    body = await graphql(
        USER_OPERATIONS[operation],
        {"id": global_id if form == "global" else str(user.id)},
        token=admin_token,
    )

    assert returned_id(body) == global_id


@pytest.mark.parametrize("operation", sorted(TASK_OPERATIONS))
async def test_a_user_id_where_a_task_id_goes_is_a_validation_error(graphql, settings, operation):
    """A User's global id given to a task argument: VALIDATION_ERROR naming `id`, no change."""
    user, token = await signed_in_user(settings)
    await create_tasks(user, 1)

    body = await graphql(
        TASK_OPERATIONS[operation], {"id": global_ids.encode_user(str(user.id))}, token=token
    )

    assert body["errors"][0]["extensions"] == {"code": "VALIDATION_ERROR", "field": "id"}
    listed = await graphql("{ tasks { edges { node { title } } } }", token=token)
    assert len(listed["data"]["tasks"]["edges"]) == 1


async def test_a_task_id_where_a_user_id_goes_is_a_validation_error(graphql, settings):
    """A Task's global id given to user(id:): VALIDATION_ERROR naming `id`."""
    user, token = await signed_in_user(settings)
    (task,) = await create_tasks(user, 1)

    body = await graphql(
        USER_OPERATIONS["user"], {"id": global_ids.encode_task(str(task.id))}, token=token
    )

    assert body["errors"][0]["extensions"] == {"code": "VALIDATION_ERROR", "field": "id"}


@pytest.mark.parametrize("form", ["global", "raw"])
async def test_owner_filter_takes_both_forms(graphql, settings, form):
    """tasks(filter: {ownerId}) takes the owner's global id (User.id) or raw uuid."""
    _admin, admin_token = await signed_in_user(settings, role=Role.ADMIN)
    owner, _token = await signed_in_user(settings)
    await create_tasks(owner, 3)
    other, _other_token = await signed_in_user(settings)
    await create_tasks(other, 2)
    owner_id = global_ids.encode_user(str(owner.id)) if form == "global" else str(owner.id)

    body = await graphql(
        "query($o: ID!) { tasks(filter: {ownerId: $o}) { edges { node { owner { id } } } } }",
        {"o": owner_id},
        token=admin_token,
    )

    owners = {edge["node"]["owner"]["id"] for edge in body["data"]["tasks"]["edges"]}
    assert owners == {global_ids.encode_user(str(owner.id))}
    assert len(body["data"]["tasks"]["edges"]) == 3


async def test_owner_filter_refuses_a_task_id(graphql, settings):
    """filter.ownerId with a Task's global id is VALIDATION_ERROR naming filter.ownerId."""
    user, token = await signed_in_user(settings)
    (task,) = await create_tasks(user, 1)

    body = await graphql(
        "query($o: ID!) { tasks(filter: {ownerId: $o}) { edges { node { id } } } }",
        {"o": global_ids.encode_task(str(task.id))},
        token=token,
    )

    assert body["errors"][0]["extensions"] == {
        "code": "VALIDATION_ERROR",
        "field": "filter.ownerId",
    }


async def test_audit_ids_are_the_global_ids_and_filter_takes_them(graphql, settings):
    """AuditEvent.actorId/targetId are the global ids of User/Task, and the filter takes them
    back (and the raw uuids)."""
    user, token = await signed_in_user(settings)
    _admin, admin_token = await signed_in_user(settings, role=Role.ADMIN)
    created = await graphql(
        'mutation { createTask(input: {title: "audited"}) { id } }', token=token
    )
    task_id = created["data"]["createTask"]["id"]
    user_id = global_ids.encode_user(str(user.id))
    query = """query($a: ID, $t: ID) { auditEvents(filter: {actorId: $a, targetId: $t}) {
      edges { node { actorId targetId targetType action } } } }"""
    decoded = global_ids.decode(task_id)
    assert decoded is not None
    raw_task = str(decoded[1])

    for actor, target in ((user_id, task_id), (str(user.id), raw_task)):
        body = await graphql(query, {"a": actor, "t": target}, token=admin_token)
        events = [edge["node"] for edge in body["data"]["auditEvents"]["edges"]]
        assert events == [
            {
                "actorId": user_id,
                "targetId": task_id,
                "targetType": "TASK",
                "action": "TASK_CREATED",
            }
        ]
