"""Database faults for the configured dialect, so every suite run tests its own database.

PostgreSQL: a TCP proxy to the configured server that the test can cut and restore.
SQLite: a copy of the migrated test database whose path the test makes unopenable (a
directory stands where the file was) while the app's connection is dropped, as a lost
volume would; restoring puts the file back.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from tortoise import connections

from taskql.settings import Settings
from tests.conftest import with_overrides


class DatabaseFault(Protocol):
    settings: Settings

    async def cut(self) -> None: ...

    async def restore(self) -> None: ...

    async def close(self) -> None: ...


def fault_for(settings: Settings, scratch: Path) -> DatabaseFault:
    if settings.database.dialect == "postgres":
        return ProxyFault(settings)
    return FileFault(settings, scratch)


class ProxyFault:
    """Connections go through a proxy; cutting closes it and every link through it."""

    def __init__(self, settings: Settings) -> None:
        url = urlsplit(settings.database.url)
        self.upstream = (url.hostname or "127.0.0.1", url.port or 5432)
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()
        self.port = _free_port()
        netloc = f"{url.username or 'postgres'}@127.0.0.1:{self.port}"
        if url.password:
            netloc = f"{url.username}:{url.password}@127.0.0.1:{self.port}"
        self.settings = with_overrides(
            settings, database={"url": urlunsplit(url._replace(netloc=netloc))}
        )

    async def cut(self) -> None:
        if self.server is None:
            return
        self.server.close()
        for writer in list(self.links):
            writer.close()
        await self.server.wait_closed()
        self.server = None

    async def restore(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port)

    async def close(self) -> None:
        await self.cut()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
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


class FileFault:
    """A private copy of the migrated SQLite database that can be made unopenable."""

    def __init__(self, settings: Settings, scratch: Path) -> None:
        self.path = scratch / "outage.sqlite3"
        self.aside = scratch / "aside.sqlite3"
        source = sqlite3.connect(settings.database.url.split("://", 1)[1])
        target = sqlite3.connect(self.path)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        self.settings = with_overrides(settings, database={"url": f"sqlite://{self.path}"})

    async def cut(self) -> None:
        # The app's open handle would keep working on an unlinked file: drop it, as a lost
        # volume or a closed descriptor would, so the next statement has to reopen the path.
        with contextlib.suppress(RuntimeError):  # no app started yet: no handle to drop
            await connections.get("default").close()
        self.path.rename(self.aside)
        self.path.mkdir()

    async def restore(self) -> None:
        if self.path.is_dir():
            self.path.rmdir()
            self.aside.rename(self.path)

    async def close(self) -> None:
        await self.restore()


def _free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
