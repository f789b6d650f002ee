"""Failed-login limits per email and per client address, counted in the database.

The count lives in the shared database, so every instance sees the same number. A subject
over its limit is refused before any password is checked, with the seconds until its oldest
counted failure leaves the window.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from models import credentials as credential_models
from taskql.errors import RateLimited
from taskql.logging import get_logger
from taskql.settings import AuthSettings

log = get_logger("taskql.auth")


def email_subject(email: str) -> str:
    return f"email:{email}"


def address_subject(address: str | None) -> str:
    return f"addr:{address or 'unknown'}"


async def check_login_allowed(*, email: str, address: str | None, auth: AuthSettings) -> None:
    now = datetime.now(UTC)
    window = timedelta(seconds=auth.login_failure_window_seconds)
    limits = (
        (email_subject(email), auth.login_max_failures_per_email),
        (address_subject(address), auth.login_max_failures_per_address),
    )
    for subject, limit in limits:
        failures = await credential_models.login_failure_times(subject=subject, since=now - window)
        if len(failures) >= limit:
            # Allowed again once enough failures have aged out to get below the limit.
            frees_at = failures[len(failures) - limit] + window
            retry_after = max(1, math.ceil((frees_at - now).total_seconds()))
            log.warning("login rate limited", subject_kind=subject.split(":", 1)[0])
            raise RateLimited(
                "Too many failed sign-in attempts; try again later.",
                retry_after_seconds=retry_after,
            )


async def record_login_failure(*, email: str, address: str | None) -> None:
    # Rows older than the window are never counted again; taskql.housekeeping drops them.
    await credential_models.add_login_failures(
        subjects=(email_subject(email), address_subject(address))
    )


async def forget_login_failures(*, email: str) -> None:
    await credential_models.forget_login_failures(subject=email_subject(email))
