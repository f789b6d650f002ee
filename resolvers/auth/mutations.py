"""Sign-up, sign-in, token refresh, logout and password change."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from models import users as user_models
from models.credentials import RevokeReason
from resolvers.auth import rate_limit, sessions
from resolvers.auth.sessions import SessionOrigin, TokenPair
from resolvers.context import Info
from resolvers.users.input import check_password, clean_display_name, clean_email
from taskql import metrics
from taskql.auth.passwords import PasswordWork, needs_rehash, password_work
from taskql.errors import (
    AccountDisabled,
    Conflict,
    ServiceUnavailable,
    Unauthenticated,
    ValidationFailed,
)
from taskql.logging import get_logger

log = get_logger("taskql.auth")

T = TypeVar("T")

BAD_CREDENTIALS = "Invalid email or password."
BAD_REFRESH = "Invalid or expired refresh token."


async def register(info: Info, *, email: str, password: str, display_name: str) -> TokenPair:
    auth = info.context.settings.auth
    work = password_work(auth)
    email = clean_email(email)
    check_password(password, email=email)
    display_name = clean_display_name(display_name)
    work.refuse_when_full()
    await rate_limit.record_registration(address=info.context.request.remote, auth=auth)
    if await user_models.get_by_email(email=email) is not None:
        raise Conflict("An account with this email already exists.", field="email")
    password_hash = await work.hash(password)
    try:
        user = await user_models.create(
            email=email, display_name=display_name, password_hash=password_hash
        )
    except user_models.EmailTaken:
        raise Conflict("An account with this email already exists.", field="email") from None
    log.info("user registered", user_id=str(user.id))
    return await sessions.start_session(user, auth, SessionOrigin.of(info.context.request))


async def login(info: Info, *, email: str, password: str) -> TokenPair:
    auth = info.context.settings.auth
    work = password_work(auth)
    email = user_models.normalise_email(email)
    # A request that could not get a hashing slot is shed before it touches the database.
    work.refuse_when_full()
    attempt = await rate_limit.begin_password_attempt(
        email=email, address=info.context.request.remote, auth=auth
    )
    user = await user_models.get_by_email(email=email)
    if user is None:
        # Same work and same answer as a wrong password: no way to probe who has an account.
        await _checked(attempt, work.burn_verification(password))
        verified = False
    else:
        verified = await _checked(attempt, work.verify(user.password_hash, password))
    if user is None or not verified:
        log.info("login failed", known_email=user is not None)
        metrics.count_login_failure()
        raise Unauthenticated(BAD_CREDENTIALS)
    await attempt.succeeded()
    if not user.is_active:
        # Only the holder of the right password learns that the account exists but is disabled.
        log.info("login refused: user deactivated", user_id=str(user.id))
        raise AccountDisabled
    await _upgrade_hash(work, user, password)
    log.info("login succeeded", user_id=str(user.id))
    return await sessions.sign_in(user, auth, SessionOrigin.of(info.context.request))


async def _checked(attempt: rate_limit.PasswordAttempt, check: Awaitable[T]) -> T:
    """Run a password check; when the server sheds it, the attempt counts as no failure."""
    try:
        return await check
    except ServiceUnavailable:
        await attempt.withdrawn()
        raise


async def _upgrade_hash(work: PasswordWork, user: user_models.User, password: str) -> None:
    if not needs_rehash(work.hasher, user.password_hash):
        return
    # The parameters changed since this hash was made; the password is at hand only now.
    try:
        user.password_hash = await work.hash(password)
    except ServiceUnavailable:
        return  # busy: the next sign-in upgrades it, this one need not fail
    await user_models.set_password_hash(user_id=user.id, password_hash=user.password_hash)


async def refresh_tokens(info: Info, *, refresh_token: str) -> TokenPair:
    try:
        return await sessions.rotate(refresh_token, info.context.settings.auth)
    except sessions.RefreshRefused:
        raise Unauthenticated(BAD_REFRESH) from None


async def logout(info: Info) -> bool:
    await sessions.end_session(info.context.viewer)
    log.info("logout", user_id=str(info.context.viewer.user_id))
    return True


async def change_password(info: Info, *, current_password: str, new_password: str) -> TokenPair:
    auth = info.context.settings.auth
    work = password_work(auth)
    viewer_id = info.context.viewer.user_id
    user = await user_models.get_by_id(user_id=viewer_id) if viewer_id else None
    if user is None:
        raise Unauthenticated
    check_password(new_password, email=user.email, field="newPassword")
    work.refuse_when_full()
    # Guesses of the current password with a stolen token are limited like failed sign-ins.
    attempt = await rate_limit.begin_password_attempt(
        email=user.email, address=info.context.request.remote, auth=auth
    )
    if not await _checked(attempt, work.verify(user.password_hash, current_password)):
        raise ValidationFailed("The current password is wrong.", field="currentPassword")
    await attempt.succeeded()
    changed = await user_models.change_password(
        user_id=user.id, password_hash=await work.hash(new_password)
    )
    if changed is None:
        raise Unauthenticated
    # Every session ends, the one making this call too; it continues in a new one.
    await sessions.end_all_sessions(user.id, reason=RevokeReason.PASSWORD_CHANGED)
    log.info("password changed", user_id=str(user.id))
    return await sessions.start_session(changed, auth, SessionOrigin.of(info.context.request))
