"""Prometheus metrics on their private listener, and the slow-operation log (issue 14.1, 14.3).

Metrics are process-wide (prometheus_client's registry), so each test compares a scrape
after its requests with one before them.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import signal
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tortoise import connections

from server.compiled_execution import COMPILED_ANSWERS
from taskql.metrics import OTHER
from taskql.settings import ConfigError, Settings, load_settings
from tests.cli import free_port, serving, taskql_env
from tests.conftest import ROOT, with_overrides
from tests.factories import DEFAULT_PASSWORD, access_token_for, create_user
from tests.test_login_limits import WRONG_PASSWORD, gate_password_work, login, until

TASKS_WITH_OWNERS = (ROOT / "operations" / "tasks_with_owners.graphql").read_text(encoding="utf-8")
CREATE_TASK = """mutation CreateTask($title: String!) {
  createTask(input: {title: $title}) { id title } }"""

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse_samples(text: str) -> Samples:
    """Every sample of a scrape, read by the official parser, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(port: int) -> Samples:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return parse_samples(await response.text())


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests_counted(samples: Samples, operation: str, kind: str, outcome: str) -> float:
    return value(
        samples, "taskql_graphql_requests_total", operation=operation, type=kind, outcome=outcome
    )


def metrics_settings(settings: Settings, **metrics: Any) -> tuple[Settings, int]:
    port = free_port()
    return with_overrides(settings, metrics={"port": port, **metrics}), port


async def post(client, query: str, variables=None, token=None, operation_name=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    payload: dict[str, Any] = {"query": query, "variables": variables or {}}
    if operation_name:
        payload["operationName"] = operation_name
    response = await client.post("/graphql", json=payload, headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_requests_latency_and_sql_statements_move_per_operation(
    make_client, settings, sql_statements
):
    """A shipped operation (operations/) is counted under its own name, type and "ok" even
    with no budget for other names; its latency is observed once and its SQL statements
    equal those the database client sent."""
    configured, port = metrics_settings(settings, max_seen_operation_names=0)
    client = await make_client(configured)
    user = await create_user()
    token = access_token_for(user, configured)
    # The second time the learned operation is answered straight from the HTTP body
    # (server/compiled_http.py): counted the same way.
    for answered in (0, 1):
        before = await scrape(port)

        sql_statements.reset()
        body = await post(client, TASKS_WITH_OWNERS, token=token)
        sent = len(sql_statements.statements)

        after = await scrape(port)
        assert "errors" not in body
        assert sent >= 2  # the viewer and the tasks at least
        labels = {"operation": "TasksWithOwners"}
        assert requests_counted(after, "TasksWithOwners", "query", "ok") == (
            requests_counted(before, "TasksWithOwners", "query", "ok") + 1
        )
        for histogram in (
            "taskql_graphql_request_duration_seconds",
            "taskql_graphql_sql_statements",
        ):
            assert value(after, f"{histogram}_count", **labels) == (
                value(before, f"{histogram}_count", **labels) + 1
            )
        statements = value(after, "taskql_graphql_sql_statements_sum", **labels) - value(
            before, "taskql_graphql_sql_statements_sum", **labels
        )
        assert statements == sent
        sql_seconds = value(after, "taskql_graphql_sql_duration_seconds_sum", **labels) - value(
            before, "taskql_graphql_sql_duration_seconds_sum", **labels
        )
        assert sql_seconds > 0
        assert client.app[COMPILED_ANSWERS].answered == answered


async def test_statements_inside_a_transaction_are_counted(make_client, settings, sql_statements):
    """A mutation's statements (run on tortoise's transaction wrapper) are counted too."""
    configured, port = metrics_settings(settings)
    client = await make_client(configured)
    user = await create_user()
    token = access_token_for(user, configured)
    before = await scrape(port)

    sql_statements.reset()
    body = await post(client, CREATE_TASK, {"title": "counted"}, token=token)
    sent = len(sql_statements.statements)

    after = await scrape(port)
    assert body["data"]["createTask"]["title"] == "counted"
    labels = {"operation": "CreateTask"}
    assert requests_counted(after, "CreateTask", "mutation", "ok") == (
        requests_counted(before, "CreateTask", "mutation", "ok") + 1
    )
    counted = value(after, "taskql_graphql_sql_statements_sum", **labels) - value(
        before, "taskql_graphql_sql_statements_sum", **labels
    )
    assert counted == sent >= 2


async def test_outcomes_are_error_codes(make_client, settings):
    """An error is counted under its extensions.code; a document that does not validate has
    no operation (type unknown, name "other")."""
    configured, port = metrics_settings(settings)
    client = await make_client(configured)
    before = await scrape(port)

    await post(client, TASKS_WITH_OWNERS)  # no token
    await post(client, "query Broken { noSuchField }")

    after = await scrape(port)
    for operation, kind, outcome in (
        ("TasksWithOwners", "query", "UNAUTHENTICATED"),
        (OTHER, "unknown", "VALIDATION_ERROR"),
    ):
        assert requests_counted(after, operation, kind, outcome) == (
            requests_counted(before, operation, kind, outcome) + 1
        )
    assert requests_counted(after, "Broken", "query", "VALIDATION_ERROR") == 0


async def test_operation_labels_are_bounded(make_client, settings):
    """Names beyond the shipped operations, the allow-list and the first N seen share
    "other", as do anonymous operations; the executed operation of a document is counted."""
    configured, port = metrics_settings(
        settings, operation_names=("Allowed",), max_seen_operation_names=1
    )
    client = await make_client(configured)
    before = await scrape(port)
    document = "query First { __typename } query Second { __typename }"

    await post(client, "query Allowed { __typename }")
    await post(client, "query Allowed { __typename }")
    await post(client, document, operation_name="Second")  # the first unknown name: kept
    await post(client, document, operation_name="First")  # past the budget: other
    await post(client, "{ __typename }")  # anonymous: other

    after = await scrape(port)
    moved = {
        operation: requests_counted(after, operation, "query", "ok")
        - requests_counted(before, operation, "query", "ok")
        for operation in ("Allowed", "Second", "First", OTHER)
    }
    assert moved == {"Allowed": 2, "Second": 1, "First": 0, OTHER: 2}


async def test_login_failures_rate_limits_and_shed_password_work_are_counted(make_client, settings):
    """A wrong password counts a login failure, a refused guess counts under its limit, and
    a login shed for lack of hashing slots counts as shed password work."""
    configured, port = metrics_settings(settings)
    configured = with_overrides(
        configured,
        auth={
            "login_max_failures_per_email_and_address": 1,
            "password_work_slots": 1,
            "password_work_queue": 0,
        },
    )
    client = await make_client(configured)
    user = await create_user()
    before = await scrape(port)

    first = await login(client, user.email)
    second = await login(client, user.email)
    work, gated = gate_password_work(configured)
    other = await create_user()
    holding = asyncio.create_task(login(client, other.email, DEFAULT_PASSWORD))
    await until(lambda: gated.calls == 1)
    shed = await login(client, other.email, WRONG_PASSWORD)
    gated.gate.set()
    await holding

    after = await scrape(port)
    assert first["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert second["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert shed["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert work.shed == 1

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("taskql_login_failures_total") == 1
    assert moved("taskql_rate_limited_total", limit="pair") == 1
    assert moved("taskql_password_work_shed_total") == 1
    assert requests_counted(after, OTHER, "mutation", "RATE_LIMITED") == (
        requests_counted(before, OTHER, "mutation", "RATE_LIMITED") + 1
    )


async def test_pool_gauges_are_read_at_scrape_time(make_client, settings):
    """Between requests the pool is open and idle: its size is what the dialect holds, no
    connection is lent and nobody waits."""
    configured, port = metrics_settings(settings)
    await make_client(configured)

    samples = await scrape(port)

    size = value(samples, "taskql_db_pool_size")
    if configured.database.dialect == "sqlite":
        assert size == 1
    else:
        assert configured.database.pool_min <= size <= configured.database.pool_max
    assert value(samples, "taskql_db_pool_in_use") == 0
    assert value(samples, "taskql_db_pool_waiting") == 0


async def test_pool_gauges_show_lent_connections_and_waiters(make_client, settings):
    """With the only connection lent out, a scrape shows it in use and the next statement
    waiting; once it is back, neither."""
    single = with_overrides(settings, database={"pool_min": 1, "pool_max": 1})
    configured, port = metrics_settings(single)
    await make_client(configured)
    database = connections.get("default")

    async with database.acquire_connection():
        waiter = asyncio.create_task(database.execute_query("SELECT 1"))
        for _ in range(500):
            busy = await scrape(port)
            if value(busy, "taskql_db_pool_waiting") or waiter.done():
                break
            await asyncio.sleep(0.01)
    await waiter
    idle = await scrape(port)

    assert value(busy, "taskql_db_pool_in_use") == 1
    assert value(busy, "taskql_db_pool_waiting") == 1
    assert value(idle, "taskql_db_pool_in_use") == 0
    assert value(idle, "taskql_db_pool_waiting") == 0


async def test_metrics_are_not_on_the_public_port(make_client, settings):
    """/metrics answers on its own listener only: the API's port does not know it."""
    configured, port = metrics_settings(settings)
    client = await make_client(configured)

    public = await client.get("/metrics")

    assert public.status == 404
    assert await scrape(port)


async def test_off_installs_nothing(make_client, settings):
    """Metrics and the slow-operation log off: no middleware beyond the usual three and no
    listener."""
    off = with_overrides(settings, metrics={"port": 0, "slow_operation_ms": -1})
    on = with_overrides(settings, metrics={"port": 0, "slow_operation_ms": 0})

    client_off = await make_client(off)
    client_on = await make_client(on)

    assert len(client_on.app.middlewares) == len(client_off.app.middlewares) + 1
    assert len(client_off.app.middlewares) == 3  # request context, limits, compression


async def test_slow_operation_is_logged_once_with_hash_and_no_variables(
    make_client, settings, logs
):
    """Past the threshold (0 ms: every operation) one WARNING names the operation, its
    duration, SQL count and time and the document's hash, and never a variable's value."""
    configured = with_overrides(settings, metrics={"slow_operation_ms": 0})
    client = await make_client(configured)
    user = await create_user()
    token = access_token_for(user, configured)
    secret_title = "title-6f1d2c-do-not-log"
    logs.clear()

    body = await post(client, CREATE_TASK, {"title": secret_title}, token=token)

    assert body["data"]["createTask"]["title"] == secret_title
    slow = [record for record in logs.records if record.get("event") == "slow operation"]
    assert len(slow) == 1
    record = slow[0]
    assert record["level"] == "warning"
    assert record["operation"] == "CreateTask"
    assert record["operation_type"] == "mutation"
    assert record["sql_statements"] >= 2  # the viewer and the INSERT (equality: tests above)
    assert record["duration_ms"] >= record["sql_ms"] > 0
    expected = hashlib.blake2b(CREATE_TASK.encode(), digest_size=16).hexdigest()
    assert record["document_hash"] == expected
    assert record["request_id"]
    assert secret_title not in logs.text


async def test_fast_operations_are_not_logged(make_client, settings, logs):
    """Under the threshold nothing is logged as slow."""
    configured = with_overrides(settings, metrics={"slow_operation_ms": 60_000})
    client = await make_client(configured)
    logs.clear()

    await post(client, "query Quick { __typename }")

    assert not [record for record in logs.records if record.get("event") == "slow operation"]


def wait_until_every_worker_is_ready(port: int) -> None:
    """Only the first worker migrates: the other answers 503 until it sees the schema. Twenty
    healthy answers in a row, each on its own connection, come from both."""
    healthy = 0
    for _ in range(500):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                healthy += 1
        except urllib.error.HTTPError:
            healthy = 0
            time.sleep(0.05)
        if healthy == 20:
            return
    raise AssertionError("a worker never became ready")


def test_one_scrape_sees_every_worker(tmp_path: Path):
    """`serve --workers 2`: requests spread over both workers (each writes its own files in
    the run's private directory) and any one scrape counts them all and sums both pools;
    the directory is gone once the server stops."""
    port, metrics_port = free_port(), free_port()
    env = taskql_env(
        TASKQL_ENV="test",
        TASKQL_DATABASE__URL=f"sqlite://{tmp_path}/workers.sqlite3",
        TASKQL_DATABASE__MIGRATE_ON_START="true",
        TASKQL_METRICS__PORT=str(metrics_port),
        # Two processes share task events only through Redis (start-up refuses the
        # in-process bus for them).
        TASKQL_EVENTS__BACKEND="redis",
        TASKQL_EVENTS__REDIS_URL="redis://127.0.0.1:6379/0",
        TASKQL_EVENTS__CHANNEL=f"taskql_test_{uuid.uuid4().hex}",
        TMPDIR=str(tmp_path),
    )
    requests = 40
    with serving("serve", "--port", str(port), "--workers", "2", port=port, env=env) as process:
        wait_until_every_worker_is_ready(port)
        for _ in range(requests):  # a new connection each: the kernel spreads them
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/graphql",
                data=orjson.dumps({"query": "query Spread { __typename }"}),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                assert response.status == 200
        (directory,) = tmp_path.glob("taskql-metrics-*")
        writers = {re.sub(r"\D", "", path.name) for path in directory.glob("counter_*.db")}
        assert len(writers) == 2, writers

        for _ in range(4):  # several scrapes, whichever worker answers each
            with urllib.request.urlopen(
                f"http://127.0.0.1:{metrics_port}/metrics", timeout=10
            ) as response:
                samples = parse_samples(response.read().decode())
            assert requests_counted(samples, "Spread", "query", "ok") == requests
            assert value(samples, "taskql_db_pool_size") == 2  # one SQLite connection each

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert not directory.exists()


@pytest.mark.parametrize(
    ("variable", "setting_value", "setting"),
    [
        ("TASKQL_METRICS__PORT", "8000", "metrics.port"),  # the API's own port
        ("TASKQL_METRICS__PORT", "70000", "metrics.port"),
        ("TASKQL_METRICS__HOST", "not a host!", "metrics.host"),
        ("TASKQL_METRICS__SLOW_OPERATION_MS", "-2", "metrics.slow_operation_ms"),
        ("TASKQL_METRICS__OPERATION_NAMES", "Good,not-a-name", "metrics.operation_names"),
        ("TASKQL_METRICS__MAX_SEEN_OPERATION_NAMES", "100000", "metrics.max_seen_operation"),
    ],
)
def test_invalid_metrics_settings_are_refused(monkeypatch, variable, setting_value, setting):
    """Metrics settings are validated at start-up; the error names the setting."""
    monkeypatch.setenv(variable, setting_value)
    with pytest.raises(ConfigError, match=setting):
        load_settings("test")
