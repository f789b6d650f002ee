"""Settings made safe to print: secrets masked, passwords removed from URLs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

SECRET_KEYS = frozenset({"jwt_secret", "jwt_private_key", "jwt_previous_keys", "password"})


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def redact(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: redact(v, k) for k, v in value.items()}
    if key in SECRET_KEYS:
        return "***" if value else ""
    if isinstance(value, str) and "://" in value:
        return redact_url(value)
    if isinstance(value, tuple):
        return list(value)
    return value
