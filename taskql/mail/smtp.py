"""The SMTP backend (aiosmtplib): one connection per message, bounded by a timeout."""

from __future__ import annotations

import aiosmtplib

from taskql.mail.mailer import MailerError
from taskql.mail.message import OutgoingMail
from taskql.settings import MailSettings


class SmtpMailer:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    async def send(self, mail: OutgoingMail) -> None:
        settings = self.settings
        try:
            await aiosmtplib.send(
                mail.to_email(settings.from_address),
                hostname=settings.host,
                port=settings.port,
                username=settings.username or None,
                password=settings.password or None,
                use_tls=settings.security == "tls",
                start_tls=settings.security == "starttls",
                timeout=settings.timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            # The exception's text may quote the server's reply to our recipient: name its type.
            raise MailerError(type(error).__name__) from None
