"""A database that is down at start-up, or goes away later, never kills the server:
/healthz says 503 meanwhile and service resumes by itself when the database is back."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from tests.conftest import with_overrides

POSTGRES = ("127.0.0.1", 5432)


class SwitchableProxy:
    """A TCP proxy to the real PostgreSQL that the test can cut and restore."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.port = 0
        self.links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.links):
            writer.close()
        await self.server.wait_closed()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*POSTGRES)
        self.links.update({writer, upstream_writer})
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()
        self.links.discard(writer)


async def wait_for_status(client, status: int, seconds: float = 15) -> dict[str, Any]:
    async with asyncio.timeout(seconds):
        while True:
            response = await client.get("/healthz")
            if response.status == status:
                body: dict[str, Any] = await response.json()
                return body
            await asyncio.sleep(0.1)


async def test_server_survives_database_outages(make_client, settings):
    """Down at start-up: 503 and retries; up: 200; down again: 503; back: 200, untouched."""
    proxy = SwitchableProxy()
    await proxy.start()
    await proxy.stop()  # the port is known, nothing listens on it yet

    outage = with_overrides(
        settings,
        database={
            "url": f"postgres://postgres@127.0.0.1:{proxy.port}/test",
            "retry_max_seconds": 0.3,
            "health_timeout_seconds": 1.0,
            "pool_min": 1,
            "pool_max": 2,
        },
    )
    client = await make_client(outage, wait_ready=False)
    body = await wait_for_status(client, 503)
    assert body["status"] == "unavailable"
    assert (await client.get("/livez")).status == 200

    await proxy.start()
    body = await wait_for_status(client, 200)
    assert body["database"] == "ok"

    await proxy.stop()
    body = await wait_for_status(client, 503)
    assert "database" in body["database"]
    assert (await client.get("/livez")).status == 200

    await proxy.start()
    await wait_for_status(client, 200)
    await proxy.stop()
