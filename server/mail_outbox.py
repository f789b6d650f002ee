"""The outbox lives as long as the app: jobs still running at shutdown get a short grace."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from resolvers.auth.outbox import OUTBOX, Outbox
from server.app_keys import SETTINGS
from taskql.mail.jobs import MailJobs
from taskql.mail.mailer import build_mailer


async def open_outbox(app: web.Application) -> AsyncIterator[None]:
    mail = app[SETTINGS].mail
    jobs = MailJobs(concurrency=mail.max_concurrent_sends, backlog=mail.max_pending_sends)
    app[OUTBOX] = Outbox(mailer=build_mailer(mail), jobs=jobs)
    yield
    # A send is bounded by mail.timeout_seconds; the shutdown does not wait longer than that.
    await jobs.drain(grace_seconds=mail.timeout_seconds)
