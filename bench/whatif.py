"""What would each candidate optimisation save? CPU ms per request in-process, patched.

    .venv/bin/python -m bench.whatif [--database-url URL] [--requests 300] [--repeat 3]

Serves the real app in-process (aiohttp test server; settings from the environment as
`taskql serve` reads them), sends each bench operation sequentially and reports this process's
CPU time per request (server and client share the process; the client part is constant), once
as committed and once per patch below. The patches are rough stand-ins for the recommended
changes, applied by monkeypatching at run time and only here: they reach into the current
implementation (asyncpg) and need updating when it changes. Sequential
requests batch exactly like concurrent ones here (one request = one dataloader batch), but
absolute numbers are lower than under load (warm caches, no contention): read the deltas, and
treat anything within about 1 ms as noise on a shared 2-core box.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

import asyncpg
import orjson
from aiohttp.test_utils import TestClient, TestServer

from bench.compare import PG_URL
from bench.operations import TASKQL_OPERATIONS, load_operation, login_body, token_from
from taskql.app_keys import DATABASE_READY
from taskql.logging import configure_logging


@contextmanager
def no_pool_reset() -> Iterator[None]:
    """asyncpg's pool without its reset round trip on every connection release.

    tortoise's pool keeps asyncpg's default: each release sends `SELECT
    pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` (3 per request here: one per
    statement). TaskQL sets no session state, so a pool created with `reset=` a no-op (as the
    shared peers run) is safe; this patch is that, applied to the Connection class.
    """

    async def reset(*_: Any, **__: Any) -> None:
        return None

    with mock.patch.object(asyncpg.Connection, "reset", reset):
        yield


@contextmanager
def frozen_heap() -> Iterator[None]:
    """gc.freeze() once the app is up: start-up objects leave the collector's generations."""
    global FREEZE_AFTER_START  # noqa: PLW0603 - read by cpu_per_request in this process only
    FREEZE_AFTER_START = True
    yield


FREEZE_AFTER_START = False
PATCHES: dict[str, Callable[[], Any]] = {
    "reset": no_pool_reset,
    "freeze": frozen_heap,
}
LABELS = {
    "": "as committed",
    "reset": "no asyncpg pool reset on release",
    "freeze": "gc.freeze() after start-up",
    "reset,freeze": "both",
}


async def cpu_per_request(requests: int) -> dict[str, float]:
    from taskql.app import create_app  # noqa: PLC0415 - imported after patching
    from taskql.settings import load_settings  # noqa: PLC0415

    app = create_app(load_settings())
    results = {}
    async with TestClient(TestServer(app)) as client:
        await asyncio.wait_for(app[DATABASE_READY].wait(), timeout=60)
        if FREEZE_AFTER_START:
            gc.collect()
            gc.freeze()
        login = await client.post("/graphql", data=login_body(), headers=_json())
        headers = {**_json(), "Authorization": f"Bearer {token_from(await login.json())}"}
        for name, spec in TASKQL_OPERATIONS.items():
            body = load_operation(name, spec).body()
            for _ in range(20):  # warm-up: caches, prepared statements
                await (await client.post("/graphql", data=body, headers=headers)).read()
            started = time.process_time()
            for _ in range(requests):
                await (await client.post("/graphql", data=body, headers=headers)).read()
            results[name] = round((time.process_time() - started) * 1000 / requests, 2)
    return results


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}


def run_variant(patches: list[str], requests: int) -> dict[str, float]:
    with ExitStack() as stack:
        for name in patches:
            stack.enter_context(PATCHES[name]())
        return asyncio.run(cpu_per_request(requests))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", default=PG_URL)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--variant", help="internal: run one variant, print JSON")
    args = parser.parse_args(argv)
    os.environ.setdefault("TASKQL_ENV", "production")
    os.environ.setdefault("TASKQL_AUTH__JWT_SECRET", secrets.token_urlsafe(36))
    os.environ["TASKQL_DATABASE__URL"] = args.database_url
    if args.variant is not None:
        configure_logging(level="WARNING", json_output=True)
        patches = [name for name in args.variant.split(",") if name]
        sys.stdout.write(orjson.dumps(run_variant(patches, args.requests)).decode() + "\n")
        return
    # One process per variant: the schema is built once per process, and some patches must
    # be in place before it is. Variants interleave over the repeats; the least disturbed
    # (lowest) figure of each is kept, as usual for CPU micro-measurements on a shared box.
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.repeat):
        for variant in LABELS:
            command = [sys.executable, "-m", "bench.whatif", "--variant", variant]
            command += ["--database-url", args.database_url, "--requests", str(args.requests)]
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            result = orjson.loads(output.strip().splitlines()[-1])
            kept = best.setdefault(variant, result)
            best[variant] = {name: min(ms, kept[name]) for name, ms in result.items()}
    baseline = best[""]
    for variant, label in LABELS.items():
        cells = "  ".join(
            f"{name} {ms:6.2f} ms ({ms - baseline[name]:+.2f})"
            for name, ms in best[variant].items()
        )
        print(f"{label:<55} {cells}", flush=True)


if __name__ == "__main__":
    main()
