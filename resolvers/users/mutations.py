"""Changing users: the viewer's own profile and the admin operations. Each returns the
changed model instance."""

from __future__ import annotations

import uuid

from models import users as user_models
from models.credentials import RevokeReason
from resolvers.auth import sessions
from resolvers.context import Info
from resolvers.users.input import clean_display_name, parse_user_id
from resolvers.users.queries import found, viewer_id
from taskql.errors import ValidationFailed


async def update_me(info: Info, display_name: str) -> user_models.User:
    updated = await user_models.set_display_name(
        user_id=viewer_id(info), display_name=clean_display_name(display_name)
    )
    return found(updated)


async def set_role(info: Info, user_id: str, role: str) -> user_models.User:
    target = _other_user(info, user_id)
    updated = await user_models.set_role(user_id=target, role=user_models.Role(role))
    return await _end_sessions(updated, RevokeReason.ROLE_CHANGED)


async def set_active(info: Info, user_id: str, *, active: bool) -> user_models.User:
    target = _other_user(info, user_id)
    updated = await user_models.set_active(user_id=target, active=active)
    return await _end_sessions(updated, RevokeReason.STATUS_CHANGED)


def _other_user(info: Info, user_id: str) -> uuid.UUID:
    target = parse_user_id(user_id)
    # An admin demoting or deactivating themself could leave the install without an admin.
    if target == info.context.viewer.user_id:
        raise ValidationFailed("Admins cannot change their own role or status.", field="id")
    return target


async def _end_sessions(updated: user_models.User | None, reason: RevokeReason) -> user_models.User:
    # The data function bumped the token epoch; every session of the user ends here too.
    user = found(updated)
    await sessions.end_all_sessions(user.id, reason=reason)
    return user
