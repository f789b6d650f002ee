"""SIGTERM with live subscriptions: sockets close at once (1001) and do not hold the drain."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import aiohttp

from tests.cli import free_port, serving, taskql_env


async def test_sigterm_closes_live_sockets_promptly(tmp_path: Path):
    """A subscribed socket gets close code 1001 right after SIGTERM, and the process exits 0
    long before server.shutdown_timeout_seconds (20 s here)."""
    port = free_port()
    env = taskql_env(
        TASKQL_ENV="test",
        TASKQL_DATABASE__URL=f"sqlite://{tmp_path}/sockets.sqlite3",
        TASKQL_DATABASE__MIGRATE_ON_START="true",
        TASKQL_SERVER__SHUTDOWN_TIMEOUT_SECONDS="20",
    )
    with serving("serve", "--port", str(port), port=port, env=env) as process:
        url = f"http://127.0.0.1:{port}/graphql"
        async with aiohttp.ClientSession() as http:
            registered = await http.post(
                url,
                json={
                    "query": "mutation R($e: String!, $p: String!, $n: String!) { register("
                    "input: {email: $e, password: $p, displayName: $n}) { accessToken } }",
                    "variables": {
                        "e": "live@example.com",
                        "p": "a long enough password",
                        "n": "Live",
                    },
                },
            )
            body = await registered.json()
            token = body["data"]["register"]["accessToken"]
            ws = await http.ws_connect(url, protocols=("graphql-transport-ws",))
            await ws.send_json(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
            )
            assert (await ws.receive_json(timeout=10))["type"] == "connection_ack"
            await ws.send_json(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": "subscription { taskEvents { kind } }"},
                }
            )
            await ws.send_json({"type": "ping"})  # answered after the subscribe was handled
            assert (await ws.receive_json(timeout=10))["type"] == "pong"

            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            message = await ws.receive(timeout=5)
            assert message.type is aiohttp.WSMsgType.CLOSE, message
            assert message.data == 1001
            await ws.close()
        exit_code = await asyncio.to_thread(process.wait, 15)
        assert exit_code == 0
        assert time.monotonic() - started < 10
