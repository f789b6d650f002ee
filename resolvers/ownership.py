"""The ownership rule, stated once: which owner's task rows a viewer may read and change."""

from __future__ import annotations

import uuid

from taskql.auth.viewer import Viewer
from taskql.errors import Unauthenticated


def task_owner_scope(viewer: Viewer) -> uuid.UUID | None:
    """The viewer's own id, or None (every owner) for an admin.

    An anonymous viewer never gets a scope: None would mean "everything", so this refuses
    even if a field forgot its IsAuthenticated guard.
    """
    if viewer.user_id is None:
        raise Unauthenticated
    return None if viewer.is_admin else viewer.user_id
