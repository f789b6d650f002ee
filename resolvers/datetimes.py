"""DateTime input values whose malformed text reaches the resolver, so its error names the field.

graphql-core reports a scalar that fails to parse without naming the input field in
`extensions.field` (a literal's error names nothing at all, and says only what the parser said,
e.g. "Expected 4 digits"). The DateTime scalar (schema.build_schema) therefore parses with this
function: a malformed string becomes an UnparsedDateTime, and the resolver's check of that
field answers VALIDATION_ERROR naming the field and the expected format, like every other
input check. Valid text parses exactly as strawberry's own DateTime does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dateutil.parser import isoparse  # type: ignore[import-untyped]  # strawberry's own parser
from strawberry.exceptions import StrawberryInputCoercionError

from taskql.errors import ValidationFailed

EXAMPLE = "2026-01-31T17:00:00Z"


@dataclass(frozen=True, slots=True)
class UnparsedDateTime:
    """DateTime input text that is not an ISO 8601 date-time."""

    text: str


def parse_datetime_input(value: object) -> datetime | UnparsedDateTime:
    if not isinstance(value, str):  # not text at all: graphql-core's own error is clear
        message = f'Value cannot represent a DateTime: "{value}". Expected a string.'
        raise StrawberryInputCoercionError(message)
    try:
        parsed: datetime = isoparse(value)
    except (ValueError, OverflowError):
        return UnparsedDateTime(value)
    return parsed


def clean_datetime(value: object, *, field: str) -> datetime | None:
    """The aware datetime given for `field` (None if none); VALIDATION_ERROR naming the field
    for text that is not a date-time or has no timezone offset."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ValidationFailed(
            f"{field} must be an ISO 8601 date-time with a timezone offset, e.g. {EXAMPLE}.",
            field=field,
        )
    if value.utcoffset() is None:
        raise ValidationFailed(f"Give a timezone offset, e.g. {EXAMPLE}.", field=field)
    return value
