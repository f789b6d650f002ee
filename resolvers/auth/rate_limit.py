"""Limits on password guesses and registrations, counted in the shared database.

Every attempt is recorded first (one autocommitted INSERT), then counted including itself,
and refused when the count is over the limit. Recording before counting makes the limit hold
under concurrency and across instances: of N simultaneous attempts, the last to count sees
every attempt that was let through, so at most `limit` pass (a check-then-record would let
all N read the same old count). A refused attempt's rows are deleted, so a locked-out
guesser cannot extend the lock by hammering it; a checked attempt's rows stay as its failure
until the password is verified.

Guesses are limited per (email, client address) pair, which is what stops a guesser, with a
much higher cap per email (guessers spread over many addresses) and a cap per address (one
address trying many emails). A stranger thus locks an email out only for their own address
until the per-email cap is reached, and the owner elsewhere still signs in.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models import credentials as credential_models
from taskql import metrics
from taskql.errors import RateLimited
from taskql.logging import get_logger
from taskql.settings import AccountSettings, AuthSettings

log = get_logger("taskql.auth")

TOO_MANY_FAILURES = "Too many failed sign-in attempts; try again later."
TOO_MANY_REGISTRATIONS = "Too many new accounts from this address; try again later."
TOO_MANY_RECOVERY_MAILS = "Too many requests for account mail; try again later."


# login_failures.subject holds 400 characters; a longer one (an absurd email) is digested.
MAX_SUBJECT_LENGTH = 400


def email_subject(email: str) -> str:
    return _bounded("email", email)


def address_subject(address: str | None) -> str:
    return _bounded("addr", address or "unknown")


def pair_subject(email: str, address: str | None) -> str:
    return _bounded("pair", f"{address or 'unknown'}|{email}")


def registration_subject(address: str | None) -> str:
    return _bounded("register", address or "unknown")


def _bounded(kind: str, value: str) -> str:
    subject = f"{kind}:{value}"
    if len(subject) <= MAX_SUBJECT_LENGTH:
        return subject
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{kind}:sha256:{digest}"


@dataclass(frozen=True, slots=True)
class PasswordAttempt:
    """A recorded, allowed password check; its rows count as a failure unless it succeeds."""

    row_ids: tuple[uuid.UUID, ...]
    pair: str

    async def succeeded(self) -> None:
        """The password was right: this attempt is no failure, and the earlier failures from
        the same address are forgiven. Other addresses' failures still count for the email."""
        await credential_models.forget_login_failures(ids=self.row_ids, subjects=(self.pair,))

    async def withdrawn(self) -> None:
        """The password was never checked (the server shed the work): count nothing."""
        await credential_models.forget_login_failures(ids=self.row_ids, subjects=())


async def begin_password_attempt(
    *, email: str, address: str | None, auth: AuthSettings
) -> PasswordAttempt:
    """Record a password guess for `email` from `address`, or refuse it with RATE_LIMITED."""
    pair = pair_subject(email, address)
    limits = {
        pair: auth.login_max_failures_per_email_and_address,
        email_subject(email): auth.login_max_failures_per_email,
        address_subject(address): auth.login_max_failures_per_address,
    }
    row_ids = await _record_within(limits, auth.login_failure_window_seconds, TOO_MANY_FAILURES)
    return PasswordAttempt(row_ids=row_ids, pair=pair)


async def record_registration(*, address: str | None, auth: AuthSettings) -> None:
    """Count one registration from `address`, or refuse it with RATE_LIMITED."""
    limits = {registration_subject(address): auth.register_max_per_address}
    await _record_within(limits, auth.login_failure_window_seconds, TOO_MANY_REGISTRATIONS)


async def record_recovery_mail(
    *, email: str | None, user_id: uuid.UUID | None, address: str | None, accounts: AccountSettings
) -> None:
    """Count one request for a reset or verification mail (per email, or per signed-in user,
    and per address), or refuse it with RATE_LIMITED. Counted whether the email has an account
    or not, so the limit reveals nothing either."""
    per_email = _bounded("recover-email", email) if email is not None else f"recover-user:{user_id}"
    limits = {
        per_email: accounts.recovery_max_per_email,
        _bounded("recover-addr", address or "unknown"): accounts.recovery_max_per_address,
    }
    await _record_within(limits, accounts.recovery_window_seconds, TOO_MANY_RECOVERY_MAILS)


async def _record_within(
    limits: dict[str, int], window_seconds: int, message: str
) -> tuple[uuid.UUID, ...]:
    now = datetime.now(UTC)
    window = timedelta(seconds=window_seconds)
    row_ids = await credential_models.add_login_failures(subjects=tuple(limits))
    recent = await credential_models.recent_login_failures(
        subjects=tuple(limits), since=now - window
    )
    for subject, limit in limits.items():
        times = recent.get(subject, [])
        if len(times) > limit:
            await credential_models.forget_login_failures(ids=row_ids, subjects=())
            log.warning("rate limited", subject_kind=subject.split(":", 1)[0])
            metrics.count_rate_limited(subject.split(":", 1)[0])
            raise RateLimited(message, retry_after_seconds=_retry_after(times, limit, window, now))
    return row_ids


def _retry_after(times: Sequence[datetime], limit: int, window: timedelta, now: datetime) -> int:
    # `times` holds this attempt too (deleted now): another is allowed once all but
    # `limit - 1` of the others have aged out of the window.
    frees_at = times[len(times) - 1 - limit] + window
    return max(1, math.ceil((frees_at - now).total_seconds()))
