"""SIGTERM drains: in-flight requests finish, new connections are refused, exit status 0."""

from __future__ import annotations

import select
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import orjson

from tests.cli import free_port, serving, taskql_env


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def nothing_received_yet(connection: socket.socket) -> bool:
    readable, _, _ = select.select([connection], [], [], 0)
    return not readable


def test_sigterm_lets_in_flight_request_finish(tmp_path: Path):
    """A login still hashing when SIGTERM lands is answered in full while new connections
    are already refused; then the pools close and the process exits 0."""
    port = free_port()
    env = taskql_env(
        TASKQL_ENV="test",
        TASKQL_DATABASE__URL=f"sqlite://{tmp_path}/shutdown.sqlite3",
        TASKQL_DATABASE__MIGRATE_ON_START="true",
        TASKQL_SERVER__SHUTDOWN_TIMEOUT_SECONDS="20",
        # Expensive argon2 parameters make the login slow enough to be caught in flight.
        TASKQL_AUTH__ARGON2_TIME_COST="12",
        TASKQL_AUTH__ARGON2_MEMORY_KIB="65536",
    )
    with serving("serve", "--port", str(port), port=port, env=env) as process:
        body = orjson.dumps(
            {
                "query": "mutation InFlight($e: String!, $p: String!) "
                "{ login(email: $e, password: $p) { accessToken } }",
                "variables": {"e": "nobody@example.com", "p": "a wrong password!"},
            }
        )
        in_flight = socket.create_connection(("127.0.0.1", port), timeout=60)
        in_flight.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        time.sleep(0.3)  # the server is now hashing
        process.send_signal(signal.SIGTERM)

        deadline = time.monotonic() + 10
        while not refuses_connections(port):
            assert time.monotonic() < deadline, "still accepting connections after SIGTERM"
            time.sleep(0.05)
        assert process.poll() is None, "exited before the in-flight request finished"
        assert nothing_received_yet(in_flight), "the request was not in flight at SIGTERM"

        response = b""
        while chunk := in_flight.recv(65536):
            response += chunk
        in_flight.close()
        head, _, payload = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), response
        error = orjson.loads(payload)["errors"][0]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"

        assert process.wait(timeout=30) == 0


def test_workers_share_the_port_and_stop_together(tmp_path: Path):
    """`serve --workers 2` runs two processes on one port; SIGTERM stops both, exit 0."""
    port = free_port()
    env = taskql_env(
        TASKQL_ENV="test",
        TASKQL_DATABASE__URL=f"sqlite://{tmp_path}/workers.sqlite3",
        TASKQL_DATABASE__MIGRATE_ON_START="true",
        # Two processes share task events only through Redis (start-up refuses the
        # in-process bus for them).
        TASKQL_EVENTS__BACKEND="redis",
        TASKQL_EVENTS__REDIS_URL="redis://127.0.0.1:6379/0",
        TASKQL_EVENTS__CHANNEL=f"taskql_test_{uuid.uuid4().hex}",
    )
    with serving("serve", "--port", str(port), "--workers", "2", port=port, env=env) as process:
        children = subprocess.run(
            ["pgrep", "-P", str(process.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        assert len(children) == 2
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        for pid in children:
            assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(
                f"/proc/{pid}/status"
            ).read_text(encoding="utf-8")
