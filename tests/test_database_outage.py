"""A database that is down at start-up, or goes away later, never kills the server: requests
get SERVICE_UNAVAILABLE with a retry hint, the log says so once, /healthz follows the
database as it is now, and service resumes by itself. Runs on the configured dialect."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from server.app_keys import DATABASE_READY
from tests.conftest import with_overrides
from tests.database_faults import DatabaseFault, fault_for
from tests.task_factories import signed_in_user

ME = "{ me { email } }"
# Needs the database only inside GraphQL execution (no token: nothing to check before).
LOGIN = """mutation {
  login(email: "nobody@example.test", password: "whatever-it-is") { accessToken }
}"""


@pytest.fixture
async def fault(settings, tmp_path):
    """The configured database behind a switch; tests request it before make_client, so the
    app (and its row wipe) is stopped before the switch is closed."""
    fault = fault_for(settings, tmp_path)
    await fault.restore()
    yield fault
    await fault.close()


def fast_retries(fault: DatabaseFault, **database: Any):
    return with_overrides(
        fault.settings,
        database={"retry_max_seconds": 0.3, "health_timeout_seconds": 1.0, **database},
    )


async def wait_for_status(client, status: int, seconds: float = 15) -> dict[str, Any]:
    async with asyncio.timeout(seconds):
        while True:
            response = await client.get("/healthz")
            if response.status == status:
                body: dict[str, Any] = await response.json()
                return body
            await asyncio.sleep(0.1)


async def post(client, query: str, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": query}, headers=headers)


async def test_server_survives_database_outages(fault, make_client):
    """Down at start-up: 503 and retries; up: 200; down again: 503; back: 200, untouched."""
    await fault.cut()
    client = await make_client(fast_retries(fault), wait_ready=False)
    body = await wait_for_status(client, 503)
    assert body["status"] == "unavailable"
    assert (await client.get("/livez")).status == 200

    await fault.restore()
    body = await wait_for_status(client, 200)
    assert body["database"] == "ok"

    await fault.cut()
    body = await wait_for_status(client, 503)
    assert "database" in body["database"]
    assert (await client.get("/livez")).status == 200

    await fault.restore()
    await wait_for_status(client, 200)


async def test_outage_answers_service_unavailable_and_logs_once(fault, make_client, logs):
    """During an outage, authenticated requests get HTTP 503 (the bearer check runs before
    GraphQL) and anonymous ones a GraphQL SERVICE_UNAVAILABLE, both with a retry hint; 40
    failed requests log one line for the outage and one for its end, and no traceback."""
    client = await make_client(fast_retries(fault, retry_max_seconds=60))
    _, token = await signed_in_user(fault.settings)
    assert (await (await post(client, ME, token)).json())["data"]["me"]["email"]

    await fault.cut()
    logs.clear()
    responses = await asyncio.gather(*(post(client, ME, token) for _ in range(30)))
    for response in responses:
        assert response.status == 503
        assert response.headers["Retry-After"] == "3"
        error = (await response.json())["errors"][0]
        assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "retryAfterSeconds": 3}
    for _ in range(10):
        response = await post(client, LOGIN)
        assert response.status == 200
        assert response.headers["Retry-After"] == "3"
        error = (await response.json())["errors"][0]
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"

    await fault.restore()
    assert (await client.get("/healthz")).status == 200
    assert (await (await post(client, ME, token)).json())["data"]["me"]["email"]

    # The task events listener (LISTEN/NOTIFY on PostgreSQL) reports its own link's outage,
    # on its own logger, once each way (tests/test_event_transports.py).
    lines = [r for r in logs.records if r["logger"] not in ("taskql.access", "taskql.events")]
    assert [r["event"] for r in lines] == ["database unavailable", "database available again"]
    assert not any("exception" in r for r in logs.records)


async def test_readiness_follows_the_database_at_once(fault, make_client):
    """/healthz asks the database on every call: the first call after it comes back is 200
    and the app is ready, however long the start-up back-off would still wait."""
    await fault.cut()
    client = await make_client(fast_retries(fault, retry_max_seconds=600), wait_ready=False)
    for _ in range(3):
        response = await client.get("/healthz")
        assert response.status == 503
    assert not client.app[DATABASE_READY].is_set()

    await fault.restore()
    response = await client.get("/healthz")
    assert response.status == 200, await response.text()
    assert client.app[DATABASE_READY].is_set()


async def test_a_flapping_database_is_not_logged_per_outage(fault, make_client, logs):
    """Five outages in quick succession, each met by a request, log fewer than five outage
    lines: an outage is logged at most once per interval, and never with a traceback."""
    client = await make_client(fast_retries(fault))
    _, token = await signed_in_user(fault.settings)
    logs.clear()
    for _ in range(5):
        await fault.cut()
        assert (await post(client, ME, token)).status == 503
        await fault.restore()
        await wait_for_status(client, 200)

    lines = [r["event"] for r in logs.records if r["logger"] == "taskql.database"]
    assert 1 <= lines.count("database unavailable") < 5
    assert set(lines) == {"database unavailable", "database available again"}
    assert not any("exception" in r for r in logs.records)
