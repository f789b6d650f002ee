"""What grows in TaskQL's memory under many requests: tracemalloc snapshots diffed.

    .venv/bin/python -m bench.memory \
        --database-url postgres://postgres@127.0.0.1:5432/taskql_bench --requests 20000

Runs the real app (production settings, the bench's admin) in-process behind aiohttp's test
server, sends Q1 and Q2 alternately, and after a warm-up compares a tracemalloc snapshot with
one taken `--requests` later: the allocation sites whose live memory grew most, with their
stacks, plus the counts of live objects by type (gc) that grew. A bounded cache shows up as
growth that stops; a leak keeps growing with the request count. Also prints the process's RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import secrets
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import orjson


def rss_mb() -> float:
    status = Path("/proc/self/status").read_text(encoding="ascii")
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def type_counts() -> Counter[str]:
    return Counter(type(obj).__qualname__ for obj in gc.get_objects())


async def drive(url: str, requests: int, warmup: int, frames: int, concurrency: int) -> None:
    os.environ.setdefault("TASKQL_ENV", "production")
    os.environ.setdefault("TASKQL_AUTH__JWT_SECRET", secrets.token_urlsafe(36))
    os.environ["TASKQL_DATABASE__URL"] = url
    os.environ.setdefault("TASKQL_LOGGING__LEVEL", "WARNING")
    from aiohttp import ClientSession  # noqa: PLC0415
    from aiohttp.test_utils import TestServer  # noqa: PLC0415

    from bench.operations import TASKQL_OPERATIONS, load_operation, login_body, token_from  # noqa: PLC0415
    from server.app import create_app  # noqa: PLC0415
    from server.app_keys import DATABASE_READY  # noqa: PLC0415
    from taskql.logging import configure_logging  # noqa: PLC0415
    from taskql.settings import load_settings  # noqa: PLC0415

    settings = load_settings()
    configure_logging(level=settings.logging.level, json_output=True)
    app = create_app(settings)
    # A plain session, not aiohttp's TestClient: that one keeps every response it returned.
    async with TestServer(app) as server, ClientSession() as client:
        endpoint = server.make_url("/graphql")
        await asyncio.wait_for(app[DATABASE_READY].wait(), 30)
        async with client.post(endpoint, data=login_body(), headers=_json_headers()) as response:
            token = token_from(await response.json())
        bodies = [load_operation(n, s).body() for n, s in TASKQL_OPERATIONS.items()]
        headers = {**_json_headers(), "Authorization": f"Bearer {token}"}

        async def send(count: int) -> None:
            await asyncio.gather(*(send_one(count // concurrency) for _ in range(concurrency)))

        async def send_one(count: int) -> None:
            for index in range(count):
                async with client.post(endpoint, data=bodies[index % 2], headers=headers) as reply:
                    payload: Any = orjson.loads(await reply.read())
                if reply.status != 200 or payload.get("errors"):
                    raise SystemExit(f"request failed: {reply.status} {str(payload)[:300]}")

        await send(warmup)
        gc.collect()
        tracemalloc.start(frames)
        before, counts_before, rss_before = tracemalloc.take_snapshot(), type_counts(), rss_mb()
        step = max(requests // 4, 1)
        for done in range(step, requests + 1, step):
            await send(step)
            gc.collect()
            traced = tracemalloc.get_traced_memory()[0] / 1024**2
            print(f"after {warmup + done} requests: RSS {rss_mb():.1f} MB, traced {traced:.1f} MB")
        after, counts_after = tracemalloc.take_snapshot(), type_counts()
    print(f"\nRSS {rss_before:.1f} -> {rss_mb():.1f} MB over {requests} requests")
    print_growth(before, after, counts_before, counts_after, frames)


def print_growth(
    before: tracemalloc.Snapshot,
    after: tracemalloc.Snapshot,
    counts_before: Counter[str],
    counts_after: Counter[str],
    frames: int,
) -> None:
    print("\nlive memory grown most, by allocation site:")
    for stat in after.compare_to(before, "traceback")[:12]:
        if stat.size_diff <= 0:
            continue
        print(f"\n+{stat.size_diff / 1024:.1f} KiB in {stat.count_diff:+d} blocks")
        for line in stat.traceback.format()[-2 * frames :]:
            print(f"    {line}")
    grown = {name: counts_after[name] - counts_before[name] for name in counts_after}
    print("\nlive objects grown most, by type:")
    for name, delta in sorted(grown.items(), key=lambda kv: -kv[1])[:15]:
        if delta > 0:
            print(f"  {name}: +{delta}")


def _json_headers() -> dict[str, str]:
    return {"Content-Type": "application/json"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--warmup", type=int, default=2000)
    parser.add_argument("--frames", type=int, default=6, help="stack depth kept per allocation")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight, as wrk -c")
    args = parser.parse_args()
    asyncio.run(drive(args.database_url, args.requests, args.warmup, args.frames, args.concurrency))


if __name__ == "__main__":
    main()
