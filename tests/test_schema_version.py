"""A database whose schema is behind the committed migrations is not served: /healthz is 503
with the reason, GraphQL answers SERVICE_UNAVAILABLE with it, one log line says so, and
migrating (elsewhere, or on start when enabled) makes the server ready without a restart.
Runs on the configured dialect against an empty database made for the test."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import urllib.request
from urllib.error import HTTPError
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import orjson
import pytest

from server.app_keys import DATABASE_READY
from taskql.database import committed_migrations
from tests.cli import GOOD_SECRET, ROOT, free_port, run_taskql, taskql_env
from tests.conftest import with_overrides

LOGIN = """mutation {
  login(email: "nobody@example.test", password: "whatever-it-is") { accessToken }
}"""
BEHIND = "database schema is behind"


@pytest.fixture
async def empty_url(settings, tmp_path):
    """The URL of a database with no tables: a fresh SQLite file, or a PostgreSQL database
    created next to the configured one and dropped afterwards."""
    if settings.database.dialect == "sqlite":
        yield f"sqlite://{tmp_path}/empty.sqlite3"
        return
    configured = urlsplit(settings.database.url)
    name = f"{configured.path.lstrip('/')}_fresh"
    admin = await asyncpg.connect(urlunsplit(configured._replace(scheme="postgresql")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield urlunsplit(configured._replace(path=f"/{name}"))
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def expected_reason(settings) -> str:
    count = len(committed_migrations(settings.database.dialect))
    return f"{BEHIND}: {count} migrations pending"


async def test_an_unmigrated_database_is_refused_with_the_reason(
    empty_url, make_client, settings, logs
):
    """/healthz is 503 naming the pending migrations, GraphQL answers HTTP 503
    SERVICE_UNAVAILABLE with the same reason (not INTERNAL_ERROR "no such table"), the app is
    not ready, and however many requests come, the log says it once."""
    client = await make_client(
        with_overrides(settings, database={"url": empty_url}), wait_ready=False
    )
    reason = expected_reason(settings)
    for _ in range(5):
        response = await client.get("/healthz")
        assert response.status == 503
        assert (await response.json())["database"] == reason
        response = await client.post("/graphql", json={"query": LOGIN})
        assert response.status == 503
        assert response.headers["Retry-After"] == "3"
        error = (await response.json())["errors"][0]
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert reason in error["message"]
    assert not client.app[DATABASE_READY].is_set()
    assert [r["event"] for r in logs.records if r["event"] == BEHIND] == [BEHIND]


async def test_migrating_elsewhere_is_noticed_without_a_restart(empty_url, make_client, settings):
    """After `taskql migrate` runs in another process, the running server becomes ready and
    serves GraphQL again, without a restart."""
    client = await make_client(
        with_overrides(settings, database={"url": empty_url}), wait_ready=False
    )
    assert (await client.get("/healthz")).status == 503

    migrated = await asyncio.to_thread(
        run_taskql, "migrate", env=taskql_env(TASKQL_ENV="test", TASKQL_DATABASE__URL=empty_url)
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr

    async with asyncio.timeout(10):
        while True:
            if (await client.get("/healthz")).status == 200:
                break
            await asyncio.sleep(0.1)
    assert client.app[DATABASE_READY].is_set()
    body = await (await client.post("/graphql", json={"query": LOGIN})).json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_migrate_on_start_applies_the_pending_migrations(
    empty_url, make_client, settings, logs
):
    """With database.migrate_on_start, an unmigrated database is migrated and served."""
    client = await make_client(
        with_overrides(settings, database={"url": empty_url, "migrate_on_start": True})
    )
    assert (await client.get("/healthz")).status == 200
    events = [r["event"] for r in logs.records]
    assert events.count(BEHIND) == 1
    assert "migrations applied" in events


def test_serve_in_production_logs_one_line_for_a_schema_behind(empty_url, settings):
    """`taskql serve` in production on an unmigrated database keeps running, answers /healthz
    503 with the reason, and says why in exactly one log line."""
    port = free_port()
    env = taskql_env(
        TASKQL_ENV="production",
        TASKQL_AUTH__JWT_SECRET=GOOD_SECRET,
        TASKQL_DATABASE__URL=empty_url,
        TASKQL_SERVER__HOST="127.0.0.1",
        TASKQL_SERVER__PORT=str(port),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        bodies = [_healthz(port, process) for _ in range(5)]
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert bodies == [(503, expected_reason(settings))] * 5
    lines = [orjson.loads(line) for line in output.splitlines() if line.startswith(b"{")]
    behind = [line for line in lines if line["event"] == BEHIND]
    assert len(behind) == 1, output
    assert "taskql migrate" in behind[0]["remedy"]


def _healthz(port: int, process: subprocess.Popen[bytes]) -> tuple[int, str]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None
        try:
            url = f"http://127.0.0.1:{port}/healthz"
            with urllib.request.urlopen(url, timeout=5) as answer:
                return answer.status, orjson.loads(answer.read())["database"]
        except HTTPError as refused:
            return refused.code, orjson.loads(refused.read())["database"]
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the server never answered /healthz")
