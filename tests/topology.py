"""The compose topology outside Docker: two real `taskql serve` processes on one database,
behind a real nginx run from deploy/nginx/taskql.conf.template (the file docker-compose.yml
mounts), on ephemeral ports, with everything nginx writes in a temporary directory.

`python -m tests.topology` runs it until Ctrl-C (scripts/scale_out.sh wraps that).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from tests.cli import GOOD_SECRET, ROOT, free_port, serving, taskql_env

TEMPLATE = ROOT / "deploy" / "nginx" / "taskql.conf.template"
# nginx connects to the replicas from this address, the replicas' one trusted proxy (they
# then take requests from it only, the probes excepted).
NGINX_ADDRESS = "127.0.0.2"


@dataclass(frozen=True)
class Topology:
    a: str  # http://127.0.0.1:<port> of each replica, and of nginx in front of both
    b: str
    balancer: str
    access_log: Path  # "<upstream address> <status> <uri>" per request nginx proxied
    proxy_address: str = "127.0.0.2"  # where nginx connects from: the replicas' trusted proxy

    def upstreams_seen(self) -> set[str]:
        return {line.split()[0] for line in self.access_log.read_text().splitlines() if line}


def server_env(**overrides: str) -> dict[str, str]:
    """A replica's environment: the suite's database, nginx as its one trusted proxy."""
    env = taskql_env(
        TASKQL_ENV="test",
        TASKQL_SERVER__TRUSTED_PROXIES=f'["{NGINX_ADDRESS}"]',
        TASKQL_LOGGING__LEVEL="WARNING",
        # One signing secret for both, as in production (test settings make one per process).
        TASKQL_AUTH__JWT_SECRET=GOOD_SECRET,
    )
    if os.environ.get("TASKQL_DATABASE__URL"):
        env["TASKQL_DATABASE__URL"] = os.environ["TASKQL_DATABASE__URL"]
    env.update(overrides)
    return env


def render_site(upstreams: tuple[str, str], port: int) -> str:
    """The template as the nginx image's entrypoint would fill it (only these names)."""
    text = TEMPLATE.read_text()
    for name, value in (
        ("TASKQL_UPSTREAM_A", upstreams[0]),
        ("TASKQL_UPSTREAM_B", upstreams[1]),
        ("NGINX_PORT", f"127.0.0.1:{port}"),
    ):
        text = text.replace("${" + name + "}", value)
    return text


def main_config(directory: Path, site: Path) -> str:
    """The rest of nginx.conf: pid, logs and temporary files inside `directory`, so nginx
    runs as any user. (As root its workers would drop to `nobody`, who cannot enter a
    private temporary directory: they stay root there.)"""
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {directory / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}daemon off;
worker_processes 1;
pid {directory / "nginx.pid"};
error_log {directory / "error.log"} warn;
events {{ worker_connections 512; }}
http {{
    log_format upstreams '$upstream_addr $status $request_uri';
    access_log {directory / "access.log"} upstreams;
    proxy_bind {NGINX_ADDRESS};
{temp}
    include {site};
}}
"""


@contextlib.contextmanager
def nginx(directory: Path, upstreams: tuple[str, str]) -> Iterator[tuple[int, Path]]:
    """nginx in front of `upstreams` until the block ends: (its port, its access log)."""
    executable = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    site = directory / "taskql.conf"
    site.write_text(render_site(upstreams, port))
    config = directory / "nginx.conf"
    config.write_text(main_config(directory, site))
    log = directory / "error.log"
    command = [executable, "-p", str(directory), "-c", str(config), "-e", str(log)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", process, log)
        yield port, directory / "access.log"
    finally:
        process.send_signal(signal.SIGTERM)  # fast shutdown: open sockets are closed
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def scale_out(directory: Path, **env: str) -> Iterator[Topology]:
    """Two replicas (on the suite's database unless `env` says otherwise) behind nginx."""
    ports = (free_port(), free_port())
    environment = server_env(**env)
    with (
        serving("serve", "--port", str(ports[0]), port=ports[0], env=environment),
        serving("serve", "--port", str(ports[1]), port=ports[1], env=environment),
        nginx(directory, (f"127.0.0.1:{ports[0]}", f"127.0.0.1:{ports[1]}")) as (port, log),
    ):
        yield Topology(
            a=f"http://127.0.0.1:{ports[0]}",
            b=f"http://127.0.0.1:{ports[1]}",
            balancer=f"http://127.0.0.1:{port}",
            access_log=log,
        )


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text() if log.exists() else "nginx exited"
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/healthz", timeout=2) as response,  # noqa: S310
        ):
            if response.status == 200:
                return
        time.sleep(0.1)
    raise AssertionError("nginx did not become healthy")


def _exit(*_: object) -> None:
    sys.exit(0)  # SIGTERM: leave through the context managers, which stop every process


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _exit)
    with (
        TemporaryDirectory(prefix="taskql-scale-out-") as temporary,
        scale_out(Path(temporary)) as topology,
    ):
        print(f"replicas {topology.a} {topology.b}; nginx {topology.balancer}", flush=True)  # noqa: T201
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    sys.exit(0)
