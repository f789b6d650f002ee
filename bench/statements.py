"""SQL statements per request of each bench operation, counted in-process and exactly.

    .venv/bin/python -m bench.statements --database-url URL [--requests 20]

Serves the real app (server.app.create_app, settings from the environment as `taskql serve`
reads them) on aiohttp's loopback test server, logs in as the bench admin, sends each operation
N times and counts what tortoise logs on `tortoise.db_client`. pg_stat_statements is not
loaded on this PostgreSQL, and the log sees exactly the statements the app sends. asyncpg's
pool reset on connection release is not logged by tortoise, so it is counted separately.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import orjson
from aiohttp.test_utils import TestClient, TestServer

from bench.operations import TASKQL_OPERATIONS, Operation, first_errors, load_operation, token_from
from bench.operations import login_body as default_login_body
from server.app import create_app
from server.app_keys import DATABASE_READY
from taskql.logging import configure_logging
from taskql.settings import load_settings

SQL_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


class StatementLog(logging.Handler):
    """Counts the statements tortoise logs, keyed by their (whitespace-collapsed) text."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: Counter[str] = Counter()
        self.pool_resets = 0

    def emit(self, record: logging.LogRecord) -> None:
        # tortoise logs either the bare query or ("%s: %s", query, values).
        query = record.args[0] if isinstance(record.args, tuple) and record.args else record.msg
        if isinstance(query, str) and query.lstrip()[:6].upper().startswith(SQL_VERBS):
            self.statements[" ".join(query.split())[:160]] += 1

    def clear(self) -> None:
        self.statements.clear()
        self.pool_resets = 0


@contextmanager
def counting() -> Iterator[StatementLog]:
    handler = StatementLog()
    logger = logging.getLogger("tortoise.db_client")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # the app's own log config must not print every statement
    logger.addHandler(handler)
    reset = asyncpg.Connection.reset

    async def counted_reset(self: Any, *args: Any, **kwargs: Any) -> Any:
        handler.pool_resets += 1
        return await reset(self, *args, **kwargs)

    asyncpg.Connection.reset = counted_reset
    try:
        yield handler
    finally:
        asyncpg.Connection.reset = reset
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


async def count(operations: list[Operation], requests: int, login: bytes) -> dict[str, Any]:
    settings = load_settings()
    app = create_app(settings)
    results: dict[str, Any] = {"dialect": settings.database.dialect, "requests": requests}
    with counting() as log:
        async with TestClient(TestServer(app)) as client:
            await asyncio.wait_for(app[DATABASE_READY].wait(), timeout=60)
            response = await client.post("/graphql", data=login, headers=_json())
            headers = {**_json(), "Authorization": f"Bearer {token_from(await response.json())}"}
            for operation in operations:
                body = operation.body()
                # One unmeasured request: first-use work (prepared statements, caches) is not
                # what a steady-state request costs.
                await _send(client, body, headers)
                log.clear()
                for _ in range(requests):
                    await _send(client, body, headers)
                total = sum(log.statements.values())
                results[operation.name] = {
                    "statements_per_request": round(total / requests, 2),
                    "pool_resets_per_request": round(log.pool_resets / requests, 2),
                    "statements": {
                        text: round(n / requests, 2) for text, n in log.statements.most_common()
                    },
                }
    return results


async def _send(client: TestClient[Any, Any], body: bytes, headers: dict[str, str]) -> None:
    response = await client.post("/graphql", data=body, headers=headers)
    payload = await response.json(loads=orjson.loads)
    if response.status != 200 or (problem := first_errors(payload)):
        raise SystemExit(f"request failed ({response.status}): {problem or payload}")


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}


def configure_in_process_app(database_url: str) -> None:
    """The settings and logging of the served app (`taskql serve` in production) for an app
    created in this process; production needs a real secret, any will do here."""
    os.environ.setdefault("TASKQL_ENV", "production")
    os.environ.setdefault("TASKQL_AUTH__JWT_SECRET", secrets.token_urlsafe(36))
    os.environ["TASKQL_DATABASE__URL"] = database_url
    os.environ["TASKQL_LOGGING__LEVEL"] = "WARNING"
    # As `taskql serve` does: otherwise structlog prints every access line to stdout.
    configure_logging(level="WARNING", json_output=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=20)
    for name, spec in TASKQL_OPERATIONS.items():
        parser.add_argument(f"--{name.lower()}", default=spec, help=f"PATH[#Operation] of {name}")
    args = parser.parse_args(argv)
    # The app's log lines (a slow-operation warning on a busy box) go to stderr: stdout is
    # the one JSON document bench.load reads.
    with contextlib.redirect_stdout(sys.stderr):
        configure_in_process_app(args.database_url)
        operations = [
            load_operation(name, getattr(args, name.lower())) for name in TASKQL_OPERATIONS
        ]
        result = asyncio.run(count(operations, args.requests, default_login_body()))
    sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
