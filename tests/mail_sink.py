"""A real local SMTP server (aiosmtpd) that keeps what it receives, for end-to-end mail tests."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import re
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from resolvers.auth.outbox import OUTBOX
from tests.cli import free_port

LINK_TOKEN = re.compile(r"token=([A-Za-z0-9_-]{43})")


class Inbox:
    """aiosmtpd's handler: every message accepted, kept in arrival order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[EmailMessage] = []

    # aiosmtpd's hook: its name and arguments are aiosmtpd's.
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802, ARG002
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self._messages.append(parsed)
        return "250 Message accepted"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class MailSink:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    def mail_settings(self) -> dict[str, Any]:
        """[mail] overrides that send to this sink over plain SMTP."""
        return {"backend": "smtp", "host": "127.0.0.1", "port": self.port, "security": "none"}


@contextlib.contextmanager
def running_sink() -> Iterator[MailSink]:
    sink = MailSink(free_port())
    sink.controller.start()
    try:
        yield sink
    finally:
        sink.controller.stop()


async def settle(client: Any) -> None:
    """Wait until the app's background mail jobs are done (bounded: the test fails otherwise)."""
    jobs = client.app[OUTBOX].jobs
    async with asyncio.timeout(10):
        await jobs.wait_idle()


def token_in(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = LINK_TOKEN.search(body.get_content())
    assert found, "no token link in the message"
    return found.group(1)
