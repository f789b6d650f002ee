"""Drive a running TaskQL over loopback with the two bench operations (wrk) and report.

    .venv/bin/python -m bench.load --url http://127.0.0.1:8000/graphql \
        [--database-url URL] [--duration 10] [--warmup 3] [--connections 32] [--pids 1,2]

Logs in as the bench admin, checks each operation answers without `errors`, warms up, then
measures. Per operation: requests/s, p50, p99, failed responses (non-200 or carrying
`errors`), server CPU ms per request (utime+stime of the server processes from /proc over the
measured run only: robust on a shared 2-core box) and, with --database-url, the SQL statements
per request (counted in-process by bench.statements against the same database).
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from bench.operations import (
    TASKQL_OPERATIONS,
    Operation,
    first_errors,
    load_operation,
    login_body,
    token_from,
)

HERE = Path(__file__).resolve().parent
WRK_SCRIPT = HERE / "post.lua"
TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Measurement:
    server: str
    operation: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    failed: int
    socket_errors: str
    server_cpu_ms: float | None
    db_cpu_ms: float | None
    # CPU used by everything else on the machine during the run, % of all cores: other
    # engineers' test runs share this box, and a high value marks a disturbed run.
    other_cpu_pct: float
    response_bytes: int
    started: str


class LoadError(Exception):
    pass


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise LoadError(f"refusing {url}: the bench only sends load to loopback addresses")


def post(url: str, body: bytes, token: str | None = None) -> tuple[int, Any]:
    parts = urlsplit(url)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=60)
    try:
        connection.request("POST", parts.path or "/", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, orjson.loads(response.read())
    finally:
        connection.close()


def login(url: str, document: str | None = None) -> str:
    status, payload = post(url, login_body(document) if document else login_body())
    if status != 200:
        raise LoadError(f"login answered {status}: {str(payload)[:300]}")
    return token_from(payload)


def check(url: str, operation: Operation, token: str | None) -> int:
    """One request: fail loudly on errors; returns the response's size in bytes."""
    status, payload = post(url, operation.body(), token)
    if status != 200 or (problem := first_errors(payload)):
        raise LoadError(f"{operation.name} answered {status}: {problem or payload}")
    return len(orjson.dumps(payload))


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime+stime per process; processes that have exited are left out."""
    used = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
        except FileNotFoundError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        used[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # stat fields 14, 15
    return used


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    # Only processes alive at both ends: one that exited (another client's PostgreSQL backend)
    # would otherwise subtract its whole lifetime.
    return sum(after[pid] - used for pid, used in before.items() if pid in after)


def machine_busy_seconds() -> float:
    """Non-idle CPU time of the whole machine, all cores, from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text(encoding="ascii").split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def children_cpu_seconds() -> float:
    """CPU of our finished child processes (wrk): servers are still running, so not counted."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def listening_pids(port: int) -> list[int]:
    """Processes holding a listening TCP socket on `port` (every SO_REUSEPORT worker)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text(encoding="ascii").splitlines()[1:]:
            cols = line.split()
            if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "0A":  # LISTEN
                inodes.add(f"socket:[{cols[9]}]")
    pids = set()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(str(fd.readlink()) in inodes for fd in fd_dir.iterdir()):
                pids.add(int(fd_dir.parent.name))
        except OSError:  # exited, or not ours to read
            continue
    return sorted(pids)


def postgres_pids(database: str | None = None) -> list[int]:
    """PostgreSQL processes; with `database`, only the backends connected to it.

    A backend's title names its database ("postgres: 15/main: USER DB 127.0.0.1(port) idle"),
    so other clients of the same cluster (the test suite's database) are not charged.
    """
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            title = cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres") and (database is None or f" {database} " in title):
            pids.append(int(cmdline.parent.name))
    return pids


def database_name(url: str) -> str | None:
    """The PostgreSQL database of a URL; None for SQLite."""
    if url.startswith("sqlite"):
        return None
    return urlsplit(url).path.lstrip("/") or None


def _wrk(args: list[str], timeout: float) -> str:
    completed = subprocess.run(
        ["wrk", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if completed.returncode != 0:
        raise LoadError(f"wrk failed: {completed.stderr.strip()[:300]}")
    return completed.stdout


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise LoadError(f"unexpected wrk latency {text!r}")
    return round(float(match[1]) * TIME_UNITS_MS[match[2]], 2)


def parse_wrk(output: str) -> dict[str, Any]:
    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise LoadError(f"wrk output lacks {pattern!r}:\n{output}")
        return match

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": float(find(r"Requests/sec:\s+([\d.]+)")[1]),
        "requests": int(find(r"(\d+) requests in")[1]),
        "p50_ms": _ms(find(r"^\s+50(?:\.000)?%\s+(\S+)")[1]),
        "p99_ms": _ms(find(r"^\s+99(?:\.000)?%\s+(\S+)")[1]),
        # The lua script's count covers both non-200 and 200-with-errors.
        "failed": max(
            int(find(r"bench-checked responses=\d+ failed=(\d+)")[1]),
            int(non_2xx[1]) if non_2xx else 0,
        ),
        "socket_errors": socket[1].strip() if socket else "",
    }


def measure(
    url: str,
    operation: Operation,
    *,
    server: str,
    token: str | None,
    duration: int,
    warmup: int,
    connections: int,
    pids: list[int],
    db_pids: list[int] | None = None,
) -> Measurement:
    require_loopback(url)
    response_bytes = check(url, operation, token)
    with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as body_file:
        body_file.write(operation.body())
    base = ["-t1", f"-c{connections}", "--timeout", "10s", "-s", str(WRK_SCRIPT)]
    tail = [url, "--", body_file.name, token or ""]
    try:
        if warmup:
            _wrk([*base, f"-d{warmup}s", *tail], timeout=warmup + 60)
        started = time.strftime("%H:%M:%S")
        db_pids = db_pids or []
        server_before, db_before = cpu_seconds(pids), cpu_seconds(db_pids)
        wrk_before, busy_before = children_cpu_seconds(), machine_busy_seconds()
        output = _wrk([*base, "--latency", f"-d{duration}s", *tail], timeout=duration + 60)
        busy = machine_busy_seconds() - busy_before
        wrk_used = children_cpu_seconds() - wrk_before
        cpu_used = cpu_delta(server_before, cpu_seconds(pids))
        db_used = cpu_delta(db_before, cpu_seconds(db_pids))
    finally:
        Path(body_file.name).unlink()
    parsed = parse_wrk(output)
    requests = parsed["requests"] or 1
    return Measurement(
        server=server,
        operation=operation.name,
        response_bytes=response_bytes,
        started=started,
        server_cpu_ms=round(cpu_used * 1000 / requests, 3) if pids else None,
        db_cpu_ms=round(db_used * 1000 / requests, 3) if db_pids else None,
        other_cpu_pct=round(
            max(busy - cpu_used - db_used - wrk_used, 0) * 100 / duration / (os.cpu_count() or 1), 1
        ),
        **parsed,
    )


def statements_per_request(database_url: str, specs: dict[str, str]) -> Any:
    """Runs bench.statements in its own process: its app, ORM state and env stay there."""
    operations = [f"--{name.lower()}={spec}" for name, spec in specs.items()]
    completed = subprocess.run(
        [sys.executable, "-m", "bench.statements", "--database-url", database_url, *operations],
        capture_output=True,
        text=True,
        cwd=HERE.parent,
        timeout=300,
        check=False,
    )
    if completed.returncode != 0:
        raise LoadError(f"bench.statements failed: {completed.stderr.strip()[-800:]}")
    return orjson.loads(completed.stdout)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--database-url", help="also count SQL statements per request")
    parser.add_argument("--duration", type=int, default=10, help="seconds measured")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured load first")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--pids", help="server PIDs (comma-separated); default: the port's")
    parser.add_argument("--label", default="TaskQL")
    parser.add_argument("--json", type=Path, help="append the measurements here (JSON lines)")
    for name, spec in TASKQL_OPERATIONS.items():
        parser.add_argument(f"--{name.lower()}", default=spec, help=f"PATH[#Operation] of {name}")
    args = parser.parse_args(argv)
    require_loopback(args.url)
    pids = (
        [int(pid) for pid in args.pids.split(",")]
        if args.pids
        else listening_pids(urlsplit(args.url).port or 80)
    )
    specs = {name: getattr(args, name.lower()) for name in TASKQL_OPERATIONS}
    statements = statements_per_request(args.database_url, specs) if args.database_url else {}
    token = login(args.url)
    for name in TASKQL_OPERATIONS:
        operation = load_operation(name, specs[name])
        result = measure(
            args.url,
            operation,
            server=args.label,
            token=token,
            duration=args.duration,
            warmup=args.warmup,
            connections=args.connections,
            pids=pids,
            db_pids=postgres_pids(database_name(args.database_url)) if args.database_url else None,
        )
        sql = statements.get(name, {})
        print(
            f"{name}: {result.rps:.0f} req/s  p50 {result.p50_ms} ms  p99 {result.p99_ms} ms  "
            f"failed {result.failed}  server CPU {result.server_cpu_ms} ms/req  "
            f"SQL {sql.get('statements_per_request', 'n/m')} stmts/req "
            f"(+{sql.get('pool_resets_per_request', 0)} pool resets)"
        )
        if args.json:
            with args.json.open("ab") as out:
                out.write(orjson.dumps({**asdict(result), "sql": sql}) + b"\n")


if __name__ == "__main__":
    try:
        main()
    except LoadError as error:
        sys.exit(f"bench.load: {error}")
