"""Permission classes: cheap, pure checks of the viewer resolved once per request.

Put them on the field they protect with `requires(...)`; they run in order, so
`requires(IsAuthenticated(), IsAdmin())` answers UNAUTHENTICATED to anonymous callers and
FORBIDDEN to signed-in users without the role.
"""

# ruff: noqa: ARG002 - has_permission must accept strawberry's full signature

from __future__ import annotations

import uuid
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from resolvers.context import Info
from taskql.auth.viewer import Viewer
from taskql.errors import ErrorCode, Unauthenticated


class IsAuthenticated(BasePermission):
    message = "Authentication required."
    error_extensions = {"code": ErrorCode.UNAUTHENTICATED.value}  # noqa: RUF012 - strawberry API

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if viewer.token_problem is not None:
            # The message depends on the request and this instance is shared by all requests,
            # so the specific error is raised here rather than by setting self.message.
            raise Unauthenticated(f"Authentication failed: {viewer.token_problem}.")
        return viewer.is_authenticated


class IsAdmin(BasePermission):
    message = "This requires the ADMIN role."
    error_extensions = {"code": ErrorCode.FORBIDDEN.value}  # noqa: RUF012 - strawberry API

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.viewer.is_admin


def may_read_email(viewer: Viewer, user_id: uuid.UUID) -> bool:
    """User.email: only that user and admins.

    Applied when a User object is built rather than as a permission class on the field: a
    list of users would otherwise run the permission machinery once per user, and a User
    cannot be built without the viewer, so no resolver can forget the rule.
    """
    return viewer.can_see_user(user_id)


def requires(*permissions: BasePermission, fail_silently: bool = False) -> list[FieldExtension]:
    """The field extension list for a guard; no directives, so the SDL stays clean."""
    return [
        PermissionExtension(
            permissions=list(permissions), use_directives=False, fail_silently=fail_silently
        )
    ]
