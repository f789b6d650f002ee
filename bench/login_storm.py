"""Reads under a login storm: read latency with and without 20 logins/s (issue 10.1).

    .venv/bin/python -m bench.login_storm --database-url postgres://postgres@127.0.0.1:5432/DB \
        [--no-seed] [--rounds 2] [--duration 10] [--connections 16] [--storm-rate 20] \
        [--unbounded] [--server-env TASKQL_AUTH__PASSWORD_WORK_NICE=19 ...]

Seeds the bench dataset (unless --no-seed), starts a real server as production runs it
(TASKQL_ENV=production, default argon2 parameters: t=3, 64 MiB, p=4), then alternates
phases: reads alone, reads with the storm, `--rounds` times each. Reads are the bench's Q1
(50 tasks with their owners, as the admin) at `--connections` concurrent connections,
closed-loop. The storm is open-loop: `--storm-rate` logins per second whatever the answers,
half with the right password of a random seeded user, half with a wrong one; the server's
failed-login limits are raised so every storm login costs a real argon2 verification unless
the password work sheds it. Prints read p50/p99 (medians over the rounds) both ways, their
ratio, and the storm's outcomes.

`--unbounded` gives the password work effectively unlimited slots and queue (what TaskQL did
before the bound), for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import orjson

from bench import load
from bench.operations import TASKQL_OPERATIONS, load_operation, login_body, token_from
from bench.seed import BENCH_PASSWORD, USERS

ROOT = Path(__file__).resolve().parent.parent
PORT = 8160
STORM_TIMEOUT_SECONDS = 60.0
LOGIN_DOCUMENT = """mutation StormLogin($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken } }"""


# What TaskQL did before the bound: every hash runs at once, nothing is ever shed.
UNBOUNDED_WORK = {
    "TASKQL_AUTH__PASSWORD_WORK_SLOTS": "256",
    "TASKQL_AUTH__PASSWORD_WORK_QUEUE": "10000",
    "TASKQL_AUTH__PASSWORD_WORK_MAX_WAIT_SECONDS": "29",
}


@dataclass
class Phase:
    storm: bool
    latencies_ms: list[float] = field(default_factory=list)
    read_failures: int = 0
    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)
    seconds: float = 0.0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def server_env(database_url: str, *, unbounded: bool, extra: list[str]) -> dict[str, str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TASKQL_")},
        "TASKQL_ENV": "production",
        "TASKQL_AUTH__JWT_SECRET": secrets.token_urlsafe(36),
        "TASKQL_DATABASE__URL": database_url,
        "TASKQL_DATABASE__POOL_MIN": "10",
        "TASKQL_DATABASE__POOL_MAX": "10",
        "TASKQL_LOGGING__LEVEL": "WARNING",
        # Every login from 127.0.0.1 would soon be RATE_LIMITED, which costs nothing: raise the
        # limits so the storm measures the password work itself.
        "TASKQL_AUTH__LOGIN_MAX_FAILURES_PER_EMAIL_AND_ADDRESS": "1000000",
        "TASKQL_AUTH__LOGIN_MAX_FAILURES_PER_EMAIL": "1000000",
        "TASKQL_AUTH__LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
    }
    if unbounded:
        env.update(UNBOUNDED_WORK)
    for item in extra:
        name, _, value = item.partition("=")
        env[name] = value
    return env


@contextlib.contextmanager
def serving(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(PORT)]
    with log_path.open("ab") as log:
        # Own session: the server is stopped by its process group, whatever it forked.
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not _healthy():
            if process.poll() is not None or time.monotonic() > deadline:
                raise load.LoadError(f"the server did not start; see {log_path}")
            time.sleep(0.3)
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _healthy() -> bool:
    try:
        url = f"http://127.0.0.1:{PORT}/healthz"
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


async def read_loop(
    session: aiohttp.ClientSession, *, url: str, body: bytes, token: str, phase: Phase, until: float
) -> None:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    loop = asyncio.get_running_loop()
    while loop.time() < until:
        started = loop.time()
        try:
            async with session.post(url, data=body, headers=headers) as response:
                payload = await response.read()
                ok = response.status == 200 and b'"errors"' not in payload
        except (aiohttp.ClientError, TimeoutError):
            ok = False
        phase.latencies_ms.append((loop.time() - started) * 1000)
        if not ok:
            phase.read_failures += 1


async def storm_login(
    session: aiohttp.ClientSession, url: str, phase: Phase, rng: random.Random
) -> None:
    email = f"user{rng.randrange(1, USERS):04d}@example.com"
    password = BENCH_PASSWORD if rng.random() < 0.5 else "a wrong password, surely"
    body = orjson.dumps(
        {"query": LOGIN_DOCUMENT, "variables": {"email": email, "password": password}}
    )
    try:
        async with session.post(
            url, data=body, headers={"Content-Type": "application/json"},
            timeout=aiohttp.ClientTimeout(total=STORM_TIMEOUT_SECONDS),
        ) as response:  # fmt: skip
            payload = orjson.loads(await response.read())
            if response.status != 200:
                outcome = f"HTTP {response.status}"
            elif payload.get("errors"):
                outcome = payload["errors"][0].get("extensions", {}).get("code", "?")
            else:
                outcome = "OK"
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        outcome = type(error).__name__
    phase.outcomes[outcome] += 1


async def run_phase(
    url: str, read_body: bytes, token: str, *, storm: bool, args: argparse.Namespace
) -> Phase:
    phase = Phase(storm=storm)
    rng = random.Random(20261202)
    connector = aiohttp.TCPConnector(limit=args.connections)
    storm_connector = aiohttp.TCPConnector(limit=0)
    async with (
        aiohttp.ClientSession(connector=connector) as reads,
        aiohttp.ClientSession(connector=storm_connector) as logins,
    ):
        loop = asyncio.get_running_loop()
        started = loop.time()
        until = started + args.duration
        readers = [
            asyncio.create_task(
                read_loop(reads, url=url, body=read_body, token=token, phase=phase, until=until)
            )
            for _ in range(args.connections)
        ]
        storm_tasks = []
        if storm:
            interval = 1 / args.storm_rate
            next_at = started
            while next_at < until:
                await asyncio.sleep(max(0.0, next_at - loop.time()))
                storm_tasks.append(asyncio.create_task(storm_login(logins, url, phase, rng)))
                next_at += interval
        await asyncio.gather(*readers)
        phase.seconds = loop.time() - started
        # Logins still in flight are waited for: their outcome is part of the storm.
        await asyncio.gather(*storm_tasks)
    return phase


def summarize(phases: list[Phase], storm: bool) -> dict[str, float]:
    chosen = [p for p in phases if p.storm is storm]
    return {
        "p50_ms": round(statistics.median(p.percentile(0.50) for p in chosen), 1),
        "p99_ms": round(statistics.median(p.percentile(0.99) for p in chosen), 1),
        "reads_per_s": round(statistics.median(len(p.latencies_ms) / p.seconds for p in chosen)),
        "read_failures": sum(p.read_failures for p in chosen),
    }


async def measure(args: argparse.Namespace) -> list[Phase]:
    url = f"http://127.0.0.1:{PORT}/graphql"
    status, payload = load.post(url, login_body())
    if status != 200:
        raise load.LoadError(f"admin login answered {status}: {str(payload)[:300]}")
    token = token_from(payload)
    read = load_operation("Q1", TASKQL_OPERATIONS["Q1"])
    load.check(url, read, token)
    warmup = argparse.Namespace(**{**vars(args), "duration": args.warmup})
    await run_phase(url, read.body(), token, storm=False, args=warmup)
    phases = []
    for _ in range(args.rounds):
        for storm in (False, True):
            phase = await run_phase(url, read.body(), token, storm=storm, args=args)
            print(
                f"  {'storm' if storm else 'quiet'}: reads {len(phase.latencies_ms)} "
                f"p50 {phase.percentile(0.5):.1f} ms p99 {phase.percentile(0.99):.1f} ms "
                f"failed {phase.read_failures}  logins {dict(phase.outcomes)}",
                flush=True,
            )
            phases.append(phase)
    return phases


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", required=True, help="a bench-only database")
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--storm-rate", type=float, default=20.0, help="logins per second")
    parser.add_argument("--unbounded", action="store_true", help="no password-work bound")
    parser.add_argument(
        "--server-env", action="append", default=[], metavar="TASKQL_X=VALUE",
        help="extra server setting, e.g. TASKQL_AUTH__PASSWORD_WORK_NICE=19 (repeatable)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if not args.no_seed:
        seed = [sys.executable, "-m", "bench.seed", "--database-url", args.database_url]
        subprocess.run(seed, cwd=ROOT, check=True)
    log_path = Path(tempfile.gettempdir()) / "taskql-bench" / "login-storm.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = server_env(args.database_url, unbounded=args.unbounded, extra=args.server_env)
    with serving(env, log_path):
        phases = asyncio.run(measure(args))
    quiet, storm = summarize(phases, storm=False), summarize(phases, storm=True)
    outcomes: collections.Counter[str] = collections.Counter()
    for phase in phases:
        outcomes.update(phase.outcomes)
    storm_seconds = sum(p.seconds for p in phases if p.storm)
    bound = "unbounded" if args.unbounded else "bounded"
    print(f"password work: {bound} {args.server_env}; {args.connections} read connections; Q1")
    print(f"reads without storm: {quiet}")
    print(f"reads with {args.storm_rate:g} logins/s: {storm}")
    print(f"p99 with storm / without: {storm['p99_ms'] / max(quiet['p99_ms'], 0.1):.2f}x")
    print(f"storm logins ({sum(outcomes.values())} in {storm_seconds:.0f} s): {dict(outcomes)}")


if __name__ == "__main__":
    try:
        main()
    except load.LoadError as error:
        sys.exit(f"bench.login_storm: {error}")
