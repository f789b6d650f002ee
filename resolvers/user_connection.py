"""The admin's users connection: keyset pages over (created_at, id), newest first."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from models import users as user_models
from resolvers import tasks as task_resolvers
from resolvers.context import Info
from resolvers.pagination import decode_cursor, encode_cursor, invalid_cursor, page_size
from resolvers.selection import CURSOR_NAMES, selected_names
from schema.pagination import PageInfo
from schema.user_connection import UserConnection, UserEdge
from schema.users import User
from taskql.settings import Settings

CURSOR_KIND = "users:created_at:desc"


async def users(info: Info, *, first: int | None, after: str | None) -> UserConnection:
    settings = info.context.settings
    shown = page_size(first, settings)
    keyset = None
    if after is not None:
        keyset = _keyset(decode_cursor(settings, CURSOR_KIND, after))
    rows = await user_models.list_page(after=keyset, limit=shown + 1)
    # Signing costs an HMAC per row: only when the operation selects a cursor at all.
    sign = not CURSOR_NAMES.isdisjoint(selected_names(info))
    edges = [
        UserEdge(
            cursor=_cursor(settings, row) if sign else "",
            node=User.from_values(row, info.context.viewer),
        )
        for row in rows[:shown]
    ]
    await task_resolvers.preload_user_tasks(
        info, [edge.node for edge in edges], path=("edges", "node")
    )
    page_info = PageInfo(
        has_next_page=len(rows) > shown,
        has_previous_page=keyset is not None,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return UserConnection(edges=edges, page_info=page_info)


def _cursor(settings: Settings, row: dict[str, Any]) -> str:
    return encode_cursor(settings, CURSOR_KIND, [row["created_at"].isoformat(), str(row["id"])])


def _keyset(values: list[Any]) -> tuple[datetime, uuid.UUID]:
    try:
        created_at, user_id = values
        return datetime.fromisoformat(created_at), uuid.UUID(user_id)
    except (TypeError, ValueError):
        raise invalid_cursor() from None
