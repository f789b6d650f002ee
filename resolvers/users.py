"""Reading and changing users: the viewer's own profile and the admin operations."""

from __future__ import annotations

import uuid

from models import users as user_models
from models.credentials import RevokeReason
from resolvers.auth import sessions
from resolvers.context import Info
from resolvers.ids import parse_id
from resolvers.user_input import clean_display_name
from taskql.errors import NotFound, ValidationFailed


def parse_user_id(value: str, *, field: str = "id") -> uuid.UUID:
    return parse_id(value, field=field, what="user")


async def me(info: Info) -> user_models.User:
    return await _existing(_viewer_id(info))


async def user(info: Info, user_id: str) -> user_models.User:
    wanted = parse_user_id(user_id)
    # Someone else's account is reported exactly like a missing one.
    if not info.context.viewer.can_see_user(wanted):
        raise NotFound("User not found.")
    return await _existing(wanted)


async def update_me(info: Info, display_name: str) -> user_models.User:
    updated = await user_models.set_display_name(
        user_id=_viewer_id(info), display_name=clean_display_name(display_name)
    )
    return _found(updated)


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
    user = _found(updated)
    await sessions.end_all_sessions(user.id, reason=reason)
    return user


def _viewer_id(info: Info) -> uuid.UUID:
    viewer_id = info.context.viewer.user_id
    if viewer_id is None:  # the field's IsAuthenticated guard makes this unreachable
        raise NotFound("User not found.")
    return viewer_id


async def _existing(user_id: uuid.UUID) -> user_models.User:
    return _found(await user_models.get_by_id(user_id=user_id))


def _found(user: user_models.User | None) -> user_models.User:
    if user is None:
        raise NotFound("User not found.")
    return user
