"""Where TaskQL's CPU goes under the bench load: py-spy on one worker, per operation.

    .venv/bin/python -m bench.profile [--database-url URL] [--duration 10] [--top 25]

Starts TaskQL (1 worker, production settings) on the seeded database, drives each operation
with wrk while `py-spy record` samples the worker, and prints the hottest functions (inclusive:
time with the function anywhere on the stack; self: time in the function itself) and the
time per phase (`run_app` self time is uvloop's C loop: socket I/O and idle waits). py-spy is
a bench-only tool (`.venv/bin/pip install py-spy`), not a project dependency. The raw
collapsed stacks stay in the temp directory for flame graphs.
"""

from __future__ import annotations

import argparse
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

from bench import load
from bench.compare import PG_URL, running, taskql_server
from bench.operations import TASKQL_OPERATIONS, load_operation

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^:()]+)(?::\d+)?\)$")
# A sample is charged to the first of these met walking from the leaf frame to the root, so
# driver work under an ORM call is "SQL driver", not "ORM". Order matters inside one frame:
# strawberry/schema/... is strawberry, not the app's schema/.
PHASES = (
    ("SQL driver (asyncpg/aiosqlite)", ("asyncpg/", "aiosqlite/", "sqlite3/")),
    ("ORM (tortoise, pypika)", ("tortoise/", "pypika")),
    ("auth (JWT, viewer)", ("/taskql/auth/", "/server/authenticate", "jose/", "cryptography/")),
    ("GraphQL parse", ("graphql/language/parser", "graphql/language/lexer")),
    ("GraphQL validation (+ depth/alias limit rules)", ("graphql/validation/",)),
    ("graphql-core execution", ("graphql/execution/", "graphql/type/", "graphql/pyutils/")),
    ("strawberry", ("strawberry/",)),
    ("app resolvers/schema/models", ("/resolvers/", "/schema/", "/models/")),
    ("app HTTP chassis (middlewares, view, logging)", ("/server/", "/taskql/", "structlog/")),
    ("aiohttp", ("aiohttp", "multidict/", "yarl/")),
    ("JSON (orjson)", ("orjson",)),
)
LOOP = "event loop (uvloop C: socket I/O, idle)"


def phase_of(frames: list[str]) -> str:
    if frames[-1].startswith("run_app "):
        return LOOP
    for frame in reversed(frames):
        path = frame_parts(frame)[1]
        for label, needles in PHASES:
            if any(needle in path for needle in needles):
                return label
    return "other (stdlib)"


def frame_parts(frame: str) -> tuple[str, str]:
    match = FRAME.match(frame)
    if match is None:
        return frame, ""
    return match["function"], match["file"]


def summarize(raw: Path, top: int) -> str:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        # Only the event loop's thread: py-spy cannot tell that an idle thread-pool worker
        # (blocked in queue.get) is idle here, and that thread does no request work.
        if not any(f.startswith("run_app ") for f in frames):
            continue
        total += count
        named = [_short(f) for f in frames]
        for name in set(named):  # a recursive function counts once per sample
            inclusive[name] += count
        own[named[-1]] += count
        phases[phase_of(frames)] += count
    if not total:
        return "no samples"

    def table(title: str, counts: Counter[str], limit: int = top) -> list[str]:
        rows = [f"{title} (% of {total} event-loop thread samples)"]
        rows += [f"  {n * 100 / total:5.1f}%  {name}" for name, n in counts.most_common(limit)]
        return rows

    # The call chain every request shares (run_app ... middlewares) says nothing.
    inclusive = Counter({k: n for k, n in inclusive.items() if n < total * 0.8})
    return "\n".join(
        [
            *table("by phase", phases, len(phases)),
            *table("inclusive", inclusive),
            *table("self", own),
        ]
    )


def _short(frame: str) -> str:
    function, path = frame_parts(frame)
    # Keep the path from the package directory on: site-packages/x/y.py -> x/y.py.
    tail = path.split("site-packages/")[-1].split("/work/main/")[-1]
    return f"{function} ({tail})"


def profile(*, url: str, pid: int, spec: str, name: str, duration: int, out: Path) -> None:
    operation = load_operation(name, spec)
    token = load.login(url)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    command = [py_spy, "record", "--pid", str(pid), "--duration", str(duration)]
    command += ["--rate", "200", "--format", "raw", "--output", str(out)]
    recorder = threading.Thread(
        target=subprocess.run, args=(command,), kwargs={"capture_output": True, "check": True}
    )
    recorder.start()
    result = load.measure(
        url,
        operation,
        server="TaskQL",
        token=token,
        duration=duration,
        warmup=0,
        connections=32,
        pids=[pid],
    )
    recorder.join()
    print(f"{name}: {result.rps:.0f} req/s, {result.server_cpu_ms} ms CPU/request under py-spy")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", default=PG_URL)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--top", type=int, default=25)
    for name, spec in TASKQL_OPERATIONS.items():
        parser.add_argument(f"--{name.lower()}", default=spec, help=f"PATH[#Operation] of {name}")
    args = parser.parse_args(argv)
    out_dir = Path(tempfile.gettempdir()) / "taskql-bench"
    out_dir.mkdir(exist_ok=True)
    server = taskql_server("profile", args.database_url, 1, secrets.token_urlsafe(36))
    probe = load_operation("Q1", args.q1)
    with running(server, probe, out_dir):
        # The worker is the process holding the listening socket (not a supervisor).
        pid = load.listening_pids(int(server.url.rsplit(":", 1)[1].split("/")[0]))[0]
        for name in TASKQL_OPERATIONS:
            raw = out_dir / f"profile-{name}.txt"
            # Unmeasured warm-up: caches, prepared statements, pool connections.
            load.measure(
                server.url,
                probe,
                server="TaskQL",
                token=load.login(server.url),
                duration=2,
                warmup=0,
                connections=32,
                pids=[],
            )
            spec = getattr(args, name.lower())
            profile(url=server.url, pid=pid, spec=spec, name=name, duration=args.duration, out=raw)
            print(summarize(raw, args.top), "\n", flush=True)


if __name__ == "__main__":
    main()
