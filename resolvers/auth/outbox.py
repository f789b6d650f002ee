"""The app's outbox: the mailer and the bounded background jobs that use it.

The wiring (server/mail_outbox.py) opens it with the app and drains it on shutdown; resolvers
reach it through the request's app.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from resolvers.context import Info
from taskql.mail.jobs import MailJobs
from taskql.mail.mailer import Mailer


@dataclass(frozen=True, slots=True)
class Outbox:
    mailer: Mailer
    jobs: MailJobs


OUTBOX = web.AppKey("outbox", Outbox)


def outbox(info: Info) -> Outbox:
    return info.context.request.app[OUTBOX]
