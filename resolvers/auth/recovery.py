"""Password reset and email verification by mailed, single-use, expiring links.

Asking for a reset answers the same, in the same time, whether the email has an account or
not: the request only counts itself against the rate limits and submits a background job;
the job looks the account up, stores the token's hash and sends the mail. Spending a token
is one conditional UPDATE inside the transaction that sets the password, so of any number
of concurrent uses exactly one succeeds, and a failure after it rolls the spend back.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from models import account_tokens as token_models
from models import credentials as credential_models
from models import users as user_models
from models.account_tokens import TokenPurpose
from models.credentials import RevokeReason
from resolvers.auth import rate_limit
from resolvers.auth.outbox import outbox
from resolvers.context import Info
from resolvers.users.input import check_password
from taskql.auth.link_tokens import MAX_TOKEN_LENGTH, hash_link_token, new_link_token
from taskql.auth.passwords import password_work
from taskql.errors import Unauthenticated, ValidationFailed
from taskql.logging import get_logger
from taskql.mail.mailer import Mailer
from taskql.mail.message import OutgoingMail
from taskql.settings import AccountSettings

log = get_logger("taskql.auth")

BAD_TOKEN = "This link is invalid, expired or already used; ask for a new one."  # noqa: S105 - a message


async def request_password_reset(info: Info, *, email: str) -> bool:
    accounts = info.context.settings.accounts
    email = user_models.normalise_email(email)
    await rate_limit.record_recovery_mail(
        email=email, user_id=None, address=info.context.request.remote, accounts=accounts
    )
    mailer = outbox(info).mailer

    async def job() -> None:
        await _mail_password_reset(email, accounts, mailer)

    outbox(info).jobs.submit("password_reset", job)
    return True


async def _mail_password_reset(email: str, accounts: AccountSettings, mailer: Mailer) -> None:
    user = await user_models.get_by_email(email=email)
    if user is None or not user.is_active:
        # A deactivated account cannot sign in anyway: no link that would only confuse.
        log.info("password reset asked; no active account", known_email=user is not None)
        return
    lifetime = timedelta(minutes=accounts.password_reset_token_minutes)
    link = await _new_link(user.id, TokenPurpose.PASSWORD_RESET, lifetime, accounts)
    body = (
        f"Hello {user.display_name},\n\n"
        "someone asked to reset the password of your TaskQL account. To choose a new "
        f"password, open this link within {accounts.password_reset_token_minutes} minutes:\n\n"
        f"{link}\n\n"
        "The link works once. If you did not ask for it, ignore this message: your password "
        "stays as it is.\n"
    )
    mail = OutgoingMail(
        to=user.email, subject="Reset your TaskQL password", body=body, kind="password_reset"
    )
    await mailer.send(mail)
    log.info("password reset mailed", user_id=str(user.id))


async def reset_password(info: Info, *, token: str, new_password: str) -> bool:
    auth = info.context.settings.auth
    work = password_work(auth)
    token_hash = _token_hash(token)
    # A cheap read first: a wrong token costs no password hashing.
    user_id = await token_models.live_user_id(
        token_hash=token_hash, purpose=TokenPurpose.PASSWORD_RESET, now=datetime.now(UTC)
    )
    user = await user_models.get_by_id(user_id=user_id) if user_id else None
    if user is None or not user.is_active:
        raise ValidationFailed(BAD_TOKEN, field="token")
    check_password(new_password, email=user.email, field="newPassword")
    work.refuse_when_full()
    password_hash = await work.hash(new_password)
    now = datetime.now(UTC)
    async with in_transaction():
        spent = await token_models.spend(
            token_hash=token_hash, purpose=TokenPurpose.PASSWORD_RESET, now=now
        )
        if spent != user.id:
            raise ValidationFailed(BAD_TOKEN, field="token")  # spent meanwhile: rolled back
        await token_models.spend_all(user_id=user.id, purpose=TokenPurpose.PASSWORD_RESET, now=now)
        if await user_models.reset_password(user_id=user.id, password_hash=password_hash) is None:
            raise ValidationFailed(BAD_TOKEN, field="token")
        await credential_models.revoke_user_sessions(
            user_id=user.id, now=now, reason=RevokeReason.PASSWORD_RESET
        )
        # The link reached the address: it is verified too.
        await user_models.mark_email_verified(user_id=user.id, now=now)
    log.info("password reset", user_id=str(user.id))
    return True


async def request_email_verification(info: Info) -> bool:
    viewer_id = info.context.viewer.user_id
    user = await user_models.get_by_id(user_id=viewer_id) if viewer_id else None
    if user is None:
        raise Unauthenticated
    accounts = info.context.settings.accounts
    await rate_limit.record_recovery_mail(
        email=None, user_id=user.id, address=info.context.request.remote, accounts=accounts
    )
    if user.email_verified_at is not None:
        return True  # nothing to prove; User.emailVerified says so
    mailer = outbox(info).mailer

    async def job() -> None:
        await _mail_verification(user, accounts, mailer)

    outbox(info).jobs.submit("email_verification", job)
    return True


async def _mail_verification(
    user: user_models.User, accounts: AccountSettings, mailer: Mailer
) -> None:
    lifetime = timedelta(hours=accounts.email_verification_token_hours)
    link = await _new_link(user.id, TokenPurpose.EMAIL_VERIFICATION, lifetime, accounts)
    body = (
        f"Hello {user.display_name},\n\n"
        "please confirm that this is your address by opening this link within "
        f"{accounts.email_verification_token_hours} hours:\n\n"
        f"{link}\n\n"
        "If you have no TaskQL account, ignore this message.\n"
    )
    mail = OutgoingMail(
        to=user.email, subject="Confirm your email address", body=body, kind="email_verification"
    )
    await mailer.send(mail)
    log.info("email verification mailed", user_id=str(user.id))


async def verify_email(info: Info, *, token: str) -> bool:  # noqa: ARG001 - anonymous allowed
    token_hash = _token_hash(token)
    now = datetime.now(UTC)
    async with in_transaction():
        user_id = await token_models.spend(
            token_hash=token_hash, purpose=TokenPurpose.EMAIL_VERIFICATION, now=now
        )
        if user_id is None:
            raise ValidationFailed(BAD_TOKEN, field="token")
        await user_models.mark_email_verified(user_id=user_id, now=now)
    log.info("email verified", user_id=str(user_id))
    return True


async def _new_link(
    user_id: uuid.UUID, purpose: TokenPurpose, lifetime: timedelta, accounts: AccountSettings
) -> str:
    """Store a new token's hash; the link that carries the token (never logged)."""
    token = new_link_token()
    await token_models.add(
        user_id=user_id,
        purpose=purpose,
        token_hash=hash_link_token(token),
        expires_at=datetime.now(UTC) + lifetime,
    )
    template = (
        accounts.password_reset_url
        if purpose is TokenPurpose.PASSWORD_RESET
        else accounts.email_verification_url
    )
    return template.replace("{token}", token)


def _token_hash(token: str) -> str:
    token = token.strip()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise ValidationFailed(BAD_TOKEN, field="token")
    return hash_link_token(token)
