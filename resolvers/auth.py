"""Sign-up, sign-in, token refresh, logout and password change."""

from __future__ import annotations

from models import users as user_models
from models.credentials import RevokeReason
from resolvers.context import Info
from resolvers.user_input import check_password, clean_display_name, clean_email
from taskql.auth import rate_limit, sessions
from taskql.auth.passwords import (
    burn_verification,
    hash_password,
    needs_rehash,
    password_hasher,
    verify_password,
)
from taskql.auth.sessions import SessionOrigin, TokenPair
from taskql.errors import Conflict, Unauthenticated, ValidationFailed
from taskql.logging import get_logger

log = get_logger("taskql.auth")

BAD_CREDENTIALS = "Invalid email or password."
BAD_REFRESH = "Invalid or expired refresh token."


async def register(info: Info, *, email: str, password: str, display_name: str) -> TokenPair:
    auth = info.context.settings.auth
    email = clean_email(email)
    check_password(password, email=email)
    display_name = clean_display_name(display_name)
    if await user_models.get_by_email(email=email) is not None:
        raise Conflict("An account with this email already exists.", field="email")
    password_hash = await hash_password(password_hasher(auth), password)
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
    hasher = password_hasher(auth)
    email = user_models.normalise_email(email)
    address = info.context.request.remote
    await rate_limit.check_login_allowed(email=email, address=address, auth=auth)
    user = await user_models.get_by_email(email=email)
    if user is None:
        # Same work and same answer as a wrong password: no way to probe who has an account.
        await burn_verification(hasher, password)
        verified = False
    else:
        verified = await verify_password(hasher, user.password_hash, password)
    if user is None or not verified:
        await rate_limit.record_login_failure(email=email, address=address)
        log.info("login failed", known_email=user is not None)
        raise Unauthenticated(BAD_CREDENTIALS)
    if not user.is_active:
        log.info("login refused: user deactivated", user_id=str(user.id))
        raise Unauthenticated(BAD_CREDENTIALS)
    await rate_limit.forget_login_failures(email=email)
    if needs_rehash(hasher, user.password_hash):
        # The parameters changed since this hash was made; the password is at hand only now.
        user.password_hash = await hash_password(hasher, password)
        await user_models.set_password_hash(user_id=user.id, password_hash=user.password_hash)
    log.info("login succeeded", user_id=str(user.id))
    return await sessions.start_session(user, auth, SessionOrigin.of(info.context.request))


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
    hasher = password_hasher(auth)
    viewer_id = info.context.viewer.user_id
    user = await user_models.get_by_id(user_id=viewer_id) if viewer_id else None
    if user is None:
        raise Unauthenticated
    if not await verify_password(hasher, user.password_hash, current_password):
        raise ValidationFailed("The current password is wrong.", field="currentPassword")
    check_password(new_password, email=user.email, field="newPassword")
    changed = await user_models.change_password(
        user_id=user.id, password_hash=await hash_password(hasher, new_password)
    )
    if changed is None:
        raise Unauthenticated
    # Every session ends, the one making this call too; it continues in a new one.
    await sessions.end_all_sessions(user.id, reason=RevokeReason.PASSWORD_CHANGED)
    log.info("password changed", user_id=str(user.id))
    return await sessions.start_session(changed, auth, SessionOrigin.of(info.context.request))
