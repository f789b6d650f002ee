"""The Mailer interface and the backend the settings choose."""

from __future__ import annotations

from typing import Protocol

from taskql.mail.message import OutgoingMail
from taskql.settings import MailSettings


class MailerError(Exception):
    """The message could not be handed over; the reason is for logs (no recipient, no link)."""


class Mailer(Protocol):
    async def send(self, mail: OutgoingMail) -> None:
        """Deliver or store one message; raises MailerError when it could not."""


def build_mailer(settings: MailSettings) -> Mailer:
    # Imported per backend: the files backend never loads the SMTP client.
    if settings.backend == "smtp":
        from taskql.mail.smtp import SmtpMailer  # noqa: PLC0415

        return SmtpMailer(settings)
    from taskql.mail.files import FileMailer  # noqa: PLC0415

    return FileMailer(settings)
