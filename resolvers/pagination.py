"""Cursor pagination shared by every connection: page size checks and signed, opaque cursors.

Pages go both ways (Relay cursor connections): `first`/`after` forward, `last`/`before`
backward, keyset only.

A cursor is `base64url(json payload) "." base64url(hmac)`. The payload starts with the
connection and ordering it belongs to (e.g. "tasks:created_at:desc"), then the keyset values of
the row. The HMAC key is derived from the server's token key material, so clients cannot forge
or alter cursors, and a cursor made for one ordering is refused under another. Ownership does
not depend on this: the SQL is always scoped to the viewer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from taskql.errors import ValidationFailed
from taskql.settings import Settings

SIGNATURE_BYTES = 16
MAX_CURSOR_LENGTH = 512


def page_size(first: int | None, settings: Settings, *, field: str = "first") -> int:
    """The number of rows to show: `first` (or `last`: `field`), or the default; refuses
    negative or too large."""
    limits = settings.graphql
    if first is None:
        return limits.page_size_default
    if first < 0 or first > limits.page_size_max:
        raise ValidationFailed(
            f"{field} must be between 0 and {limits.page_size_max}.", field=field
        )
    return first


@dataclass(frozen=True, slots=True)
class PageArgs:
    """A connection's paging arguments, checked (Relay cursor connections)."""

    shown: int  # rows to show
    backward: bool  # `last`: the rows nearest `before` (or the end), read from the end
    after: str | None
    before: str | None


def page_args(
    settings: Settings,
    *,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
) -> PageArgs:
    """`first` counts from the start (or `after`), `last` from the end (or `before`); both at
    once is VALIDATION_ERROR (the Relay spec discourages it: its meaning is unclear)."""
    if first is not None and last is not None:
        raise ValidationFailed("Pass first or last, not both.", field="last")
    if last is not None:
        return PageArgs(page_size(last, settings, field="last"), True, after, before)  # noqa: FBT003
    return PageArgs(page_size(first, settings), False, after, before)  # noqa: FBT003


Row = dict[str, Any]
# The names below a connection that page_of makes cursors for.
CURSOR_FIELDS = frozenset({"cursor", "startCursor", "endCursor"})


@dataclass(slots=True)
class RowPage:
    """A page of rows as a connection shows it: what schema/ builds a connection from."""

    rows: list[Row]  # the rows shown (the look-ahead row dropped)
    cursors: list[str]  # one per row; "" when the operation selects no edge cursor
    start_cursor: str | None  # None unless selected
    end_cursor: str | None
    has_next_page: bool
    has_previous_page: bool
    # Tasks: totalCount, run only when selected.
    count: Callable[[], Awaitable[int]] | None = None
    # Tasks: owner id -> the owner's row, when the operation selects the owner.
    owners: Mapping[str, Row | None] | None = None


def page_of(
    rows: list[Row],
    shown: int,
    wanted: frozenset[str],
    *,
    cursor: Callable[[Row], str],
    backward: bool = False,
    beyond_cursor: bool = False,
    count: Callable[[], Awaitable[int]] | None = None,
    owners: Mapping[str, Row | None] | None = None,
) -> RowPage:
    """The page of `rows` as read (read order, one look-ahead row more than `shown`);
    `backward`: read from the end (`last`), so reversed here into page order. `beyond_cursor`:
    a row exists on the far side of the cursor the read started at (`after` forward, `before`
    backward). `wanted` (the names selected below the connection) decides which cursors are
    made."""
    shown_rows = rows[:shown]
    more = len(rows) > shown
    if backward:
        shown_rows.reverse()
    # Signing a cursor costs an HMAC: only the cursors the operation selects are made.
    # "" is never sent: no edge cursor is selected.
    cursors = [cursor(row) for row in shown_rows] if "cursor" in wanted else [""] * len(shown_rows)
    start_cursor = end_cursor = None
    if shown_rows and "startCursor" in wanted:
        start_cursor = cursors[0] or cursor(shown_rows[0])
    if shown_rows and "endCursor" in wanted:
        end_cursor = cursors[-1] or cursor(shown_rows[-1])
    return RowPage(
        rows=shown_rows,
        cursors=cursors,
        start_cursor=start_cursor,
        end_cursor=end_cursor,
        has_next_page=beyond_cursor if backward else more,
        has_previous_page=more if backward else beyond_cursor,
        count=count,
        owners=owners,
    )


def encode_cursor(settings: Settings, kind: str, values: list[Any]) -> str:
    payload = orjson.dumps([kind, *values])
    signature = hmac.digest(_key(settings), payload, "sha256")[:SIGNATURE_BYTES]
    return f"{_b64(payload)}.{_b64(signature)}"


def decode_cursor(settings: Settings, kind: str, cursor: str, *, field: str = "after") -> list[Any]:
    """The keyset values of a cursor this server issued for `kind`; VALIDATION_ERROR naming
    `field` (after or before) otherwise."""
    invalid = invalid_cursor(field)
    if len(cursor) > MAX_CURSOR_LENGTH or cursor.count(".") != 1:
        raise invalid
    encoded_payload, encoded_signature = cursor.split(".")
    try:
        payload = _unb64(encoded_payload)
        signature = _unb64(encoded_signature)
    except (binascii.Error, ValueError):
        raise invalid from None
    expected = hmac.digest(_key(settings), payload, "sha256")[:SIGNATURE_BYTES]
    # Comparing the canonical text too refuses variants that decode to the same bytes (base64's
    # unused trailing bits): one position has exactly one cursor.
    canonical = f"{_b64(payload)}.{_b64(expected)}"
    if not (hmac.compare_digest(signature, expected) and hmac.compare_digest(cursor, canonical)):
        raise invalid
    try:
        decoded = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise invalid from None
    if not isinstance(decoded, list) or not decoded or decoded[0] != kind:
        raise invalid
    return decoded[1:]


def invalid_cursor(field: str = "after") -> ValidationFailed:
    """The one answer to any cursor that is not this server's for this list and order."""
    return ValidationFailed(f"{field} is not a valid cursor for this list and order.", field=field)


def _key(settings: Settings) -> bytes:
    auth = settings.auth
    return _derive_key(auth.jwt_secret or auth.jwt_private_key)


@lru_cache(maxsize=8)
def _derive_key(material: str) -> bytes:
    # A separate key per purpose: a cursor signature can never double as a token signature.
    return hmac.digest(material.encode(), b"taskql:cursor:v1", hashlib.sha256)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
