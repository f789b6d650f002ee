"""Settings made safe to print: secrets masked, passwords removed from URLs."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SECRET_KEYS = frozenset({"jwt_secret", "jwt_private_key", "jwt_previous_keys", "password"})


def redact_url(url: str) -> str:
    """The URL with its password masked, in the user part and in a `password=` query
    parameter (asyncpg and tortoise read both)."""
    parts = urlsplit(url)
    if parts.password is not None:
        userinfo, _, host = parts.netloc.rpartition("@")  # rpartition keeps IPv6 brackets
        parts = parts._replace(netloc=f"{userinfo.partition(':')[0]}:***@{host}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(name in SECRET_KEYS for name, _ in query):
        masked = [(name, "***" if name in SECRET_KEYS else value) for name, value in query]
        parts = parts._replace(query=urlencode(masked, safe="*"))
    return urlunsplit(parts)


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
