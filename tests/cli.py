"""Run the real `taskql` command in a subprocess with a controlled environment."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "k3J9xQ2mV8pL5tR7wZ1cN4bH6yF0dS2aG8eU"  # 36 random-looking characters


def taskql_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKQL_")}
    env.update(overrides)
    return env


def run_taskql(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=env,
        cwd=ROOT,
        input="",  # stdin is an empty pipe, never the terminal pytest runs in
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(
    *args: str,
    port: int,
    env: dict[str, str],
    cwd: Path = ROOT,
    program: Sequence[str] = (sys.executable, "-m", "server.cli"),
) -> Iterator[subprocess.Popen[bytes]]:
    """`taskql serve` (or what `args` say) until healthy; killed and reaped on the way out.

    `program` is the command that runs taskql: this checkout's by default.
    """
    command = [*program, *args]
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_until_serving(port, process)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


def wait_until_serving(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                if b" 200 " in conn.recv(1024):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("server did not become healthy")
