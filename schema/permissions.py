"""Permission classes: cheap, pure checks of the viewer resolved once per request.

Put them on the field they protect with `requires(...)`; they run in order, so
`requires(IsAuthenticated(), IsAdmin())` answers UNAUTHENTICATED to anonymous callers and
FORBIDDEN to signed-in users without the role.
"""

# ruff: noqa: ARG002 - has_permission must accept strawberry's full signature

from __future__ import annotations

import uuid
from typing import Any, Protocol

from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from resolvers.context import Info
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


class OwnedByUser(Protocol):
    @property
    def pk(self) -> uuid.UUID: ...
    @property
    def email_revealed(self) -> bool: ...


class IsSelfOrAdmin(BasePermission):
    """On fields of a User: only that user (or whoever just signed in as them) and admins."""

    message = "Only this user and admins may read this."
    error_extensions = {"code": ErrorCode.FORBIDDEN.value}  # noqa: RUF012 - strawberry API

    def has_permission(self, source: OwnedByUser, info: Info, **kwargs: Any) -> bool:
        return source.email_revealed or info.context.viewer.can_see_user(source.pk)


def requires(*permissions: BasePermission, fail_silently: bool = False) -> list[FieldExtension]:
    """The field extension list for a guard; no directives, so the SDL stays clean."""
    return [
        PermissionExtension(
            permissions=list(permissions), use_directives=False, fail_silently=fail_silently
        )
    ]
