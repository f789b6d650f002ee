"""Ids arrive as GraphQL `ID` strings; a malformed one is a VALIDATION_ERROR naming the field."""

from __future__ import annotations

import uuid

from taskql.errors import ValidationFailed


def parse_id(value: str, *, field: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationFailed(f"Not a valid {what} id.", field=field) from None
