"""One outgoing plain-text message, and its MIME form."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    to: str
    subject: str
    body: str
    # What the message is for, for logs ("password_reset"); never its content.
    kind: str

    def to_email(self, from_address: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = from_address
        message["To"] = self.to
        message["Subject"] = self.subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = make_msgid(domain=from_address.rpartition("@")[2].strip("> "))
        message.set_content(self.body)
        return message
