"""The Retry-After header of a GraphQL answer whose errors say the database was away."""

from __future__ import annotations

from typing import Any

from taskql.database_errors import RETRY_AFTER_SECONDS
from taskql.errors import ErrorCode


def retry_after_header(errors: list[dict[str, Any]]) -> str | None:
    """The longest retry hint of the SERVICE_UNAVAILABLE errors, or None without any."""
    hints = [
        int(extensions.get("retryAfterSeconds") or RETRY_AFTER_SECONDS)
        for error in errors
        if (extensions := error.get("extensions") or {}).get("code")
        == ErrorCode.SERVICE_UNAVAILABLE
    ]
    return str(max(hints)) if hints else None
