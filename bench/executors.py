"""The plain-field executor against strawberry's stock one, in-process, on the bench data.

    .venv/bin/python -m bench.executors --database-url URL [--requests 300] [--rounds 3]

Serves the real app (production settings, as bench.statements does) on aiohttp's loopback test
server, logs in as the bench admin and sends each bench operation through both executors in
turn (A B A B ...), switching the mounted schema's executor class between runs. Prints, per
operation and executor, the process CPU per request of each round and their minimum, and
whether the two executors' response bodies are byte-identical. The CPU includes aiohttp's test
client in the same process, so compare the two executors with each other, not with
bench.load's figures.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from typing import Any

import orjson
import strawberry
from aiohttp.test_utils import TestClient, TestServer

from bench.operations import TASKQL_OPERATIONS, Operation, load_operation, login_body, token_from
from bench.statements import configure_in_process_app
from schema import build_schema
from server.app import create_app
from server.app_keys import DATABASE_READY
from server.graphql_execution import PlainFieldExecutor
from taskql.graphql_internals import ExecutorBase
from taskql.settings import load_settings

EXECUTORS = {"plain fields": PlainFieldExecutor, "stock": ExecutorBase}


async def compare(operations: list[Operation], requests: int, rounds: int) -> dict[str, Any]:
    built: list[strawberry.Schema] = []

    def keep_schema(**kwargs: Any) -> strawberry.Schema:
        built.append(build_schema(**kwargs))
        return built[-1]

    app = create_app(load_settings(), schema_factory=keep_schema)
    report: dict[str, Any] = {}
    async with TestClient(TestServer(app)) as client:
        await asyncio.wait_for(app[DATABASE_READY].wait(), timeout=60)
        response = await client.post("/graphql", data=login_body(), headers=_JSON)
        headers = {**_JSON, "Authorization": f"Bearer {token_from(await response.json())}"}

        async def send(body: bytes) -> bytes:
            response = await client.post("/graphql", data=body, headers=headers)
            return await response.read()

        gc.freeze()  # as the serving workers do (server.run)
        for operation in operations:
            body = operation.body()
            answers: dict[str, bytes] = {}
            cpu_ms: dict[str, list[float]] = {}
            for _round in range(rounds):
                for name, executor in EXECUTORS.items():
                    built[0].execution_context_class = executor
                    answers[name] = await send(body)  # also the warm-up of this round
                    started = time.process_time()
                    for _ in range(requests):
                        await send(body)
                    elapsed = time.process_time() - started
                    cpu_ms.setdefault(name, []).append(round(elapsed / requests * 1000, 3))
            report[operation.name] = {
                "identical_answers": len(set(answers.values())) == 1,
                "cpu_ms_per_request": {
                    name: {"min": min(runs), "rounds": runs} for name, runs in cpu_ms.items()
                },
            }
    return report


_JSON = {"Content-Type": "application/json"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    configure_in_process_app(args.database_url)
    operations = [load_operation(name, spec) for name, spec in TASKQL_OPERATIONS.items()]
    report = asyncio.run(compare(operations, args.requests, args.rounds))
    sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
