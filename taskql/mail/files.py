"""The development backend: each message written to a directory as an .eml file.

The log line names the file, never the link inside it: reset and verification links are
credentials, and logs travel further than the data directory.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

from taskql.logging import get_logger
from taskql.mail.mailer import MailerError
from taskql.mail.message import OutgoingMail
from taskql.settings import MailSettings

log = get_logger("taskql.mail")


class FileMailer:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self.directory = Path(settings.files_directory)

    async def send(self, mail: OutgoingMail) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        data = mail.to_email(self.settings.from_address).as_bytes()
        try:
            await asyncio.to_thread(_write, path, data)
        except OSError as error:
            raise MailerError(type(error).__name__) from None
        log.info("mail written", kind=mail.kind, path=str(path))


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
