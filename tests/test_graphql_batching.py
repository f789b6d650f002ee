"""Batching (issue 12 item 4): off by default, bounded when on, one shape for every refusal."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from models import tasks as task_models
from tests.conftest import with_overrides
from tests.factories import access_token_for, create_user

CREATE = "mutation($title: String!) { createTask(input: {title: $title}) { title } }"
TITLES = "{ tasks(first: 50) { edges { node { title } } } }"


async def post(client: Any, body: Any, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await client.post("/graphql", data=json.dumps(body), headers=headers)


def assert_refusal(body: dict[str, Any], max_operations: int) -> None:
    """The one shape of every batch refusal: no data, one error, BAD_REQUEST, the cap."""
    assert set(body) == {"errors"}
    (error,) = body["errors"]
    assert error["message"]
    assert error["extensions"] == {"code": "BAD_REQUEST", "maxBatchOperations": max_operations}


async def titles(client: Any, token: str) -> list[str]:
    body = await (await post(client, {"query": TITLES}, token)).json()
    return [edge["node"]["title"] for edge in body["data"]["tasks"]["edges"]]


async def batching_client(make_client: Any, settings: Any, cap: int = 3) -> Any:
    return await make_client(
        with_overrides(settings, graphql={"batching": True, "max_batch_operations": cap})
    )


async def test_batching_is_off_by_default(client, settings):
    """With graphql.batching off (the default) any array is one refusal and nothing runs."""
    assert settings.graphql.batching is False
    user = await create_user()
    token = access_token_for(user, settings)
    response = await post(client, [{"query": CREATE, "variables": {"title": "a"}}], token)
    assert response.status == 400
    assert_refusal(await response.json(), 0)
    assert await titles(client, token) == []


async def test_a_batch_runs_each_operation_in_order(make_client, settings):
    """Batching on: each operation runs, in order (a later one sees an earlier mutation), and
    the answer is an array with one response per operation, errors included."""
    client = await batching_client(make_client, settings)
    user = await create_user()
    token = access_token_for(user, settings)
    batch = [
        {"query": CREATE, "variables": {"title": "first"}},
        {"query": TITLES},
        {"query": "{ nope }"},
    ]
    response = await post(client, batch, token)
    assert response.status == 200
    first, listed, invalid = await response.json()
    assert first == {"data": {"createTask": {"title": "first"}}}
    assert listed["data"]["tasks"]["edges"] == [{"node": {"title": "first"}}]
    assert invalid["data"] is None
    assert invalid["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"


async def test_one_unrunnable_operation_does_not_hide_the_others(make_client, settings):
    """An operation the request cannot run (unknown operationName) is that entry's error;
    the mutation before it still ran and its answer is returned."""
    client = await batching_client(make_client, settings)
    token = access_token_for(await create_user(), settings)
    batch = [
        {"query": CREATE, "variables": {"title": "kept"}},
        {"query": "query A { __typename }", "operationName": "B"},
    ]
    response = await post(client, batch, token)
    assert response.status == 200
    kept, unknown = await response.json()
    assert kept == {"data": {"createTask": {"title": "kept"}}}
    assert unknown["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert await titles(client, token) == ["kept"]


async def test_over_the_cap_is_one_refusal_and_nothing_runs(make_client, settings):
    """More operations than graphql.max_batch_operations: one refusal, no operation runs
    (30 such requests at once included)."""
    client = await batching_client(make_client, settings, cap=2)
    token = access_token_for(await create_user(), settings)
    batch = [{"query": CREATE, "variables": {"title": f"t{i}"}} for i in range(3)]
    responses = await asyncio.gather(*(post(client, batch, token) for _ in range(30)))
    for response in responses:
        assert response.status == 400
        assert_refusal(await response.json(), 2)
    assert await titles(client, token) == []
    exactly = await post(client, batch[:2], token)
    assert exactly.status == 200
    assert len(await exactly.json()) == 2


async def test_malformed_batches_are_refused_before_anything_runs(make_client, settings):
    """An empty array, or one entry that is not a well-typed request, refuses the whole
    batch before its first operation runs."""
    client = await batching_client(make_client, settings)
    token = access_token_for(await create_user(), settings)
    create = {"query": CREATE, "variables": {"title": "never"}}
    empty = await post(client, [], token)
    assert empty.status == 400
    assert_refusal(await empty.json(), 3)
    for bad in (1, "x", {"query": "{ __typename }", "variables": [1]}, {"query": 5}):
        response = await post(client, [create, bad], token)
        assert response.status == 400, bad
        assert (await response.json())["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert await titles(client, token) == []


async def test_the_cost_limit_applies_to_the_batch_as_a_whole(make_client, settings):
    """Each createTask costs 2, under graphql.max_cost = 5; three together cost 6: the whole
    batch is refused with QUERY_TOO_COMPLEX, its cost and the cap before any of it runs, and a
    batch of two (cost 4) runs."""
    client = await make_client(
        with_overrides(
            settings, graphql={"batching": True, "max_batch_operations": 3, "max_cost": 5}
        )
    )
    user = await create_user()
    token = access_token_for(user, settings)
    three = [{"query": CREATE, "variables": {"title": str(n)}} for n in range(3)]
    response = await post(client, three, token)
    assert response.status == 400
    body = await response.json()
    assert set(body) == {"errors"}
    (error,) = body["errors"]
    assert error["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "cost": 6,
        "maxCost": 5,
        "maxBatchOperations": 3,
    }
    assert await task_models.Task.filter(owner_id=user.id).count() == 0

    response = await post(client, three[:2], token)
    assert response.status == 200
    assert [entry["data"]["createTask"]["title"] for entry in await response.json()] == ["0", "1"]
    assert await task_models.Task.filter(owner_id=user.id).count() == 2
