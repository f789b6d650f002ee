"""Ids arrive as GraphQL `ID` strings: a global id (taskql.global_ids), or the raw uuid that
clients of before global ids send. A malformed one, or the global id of another type than
the argument takes, is a VALIDATION_ERROR naming the field: both are client bugs, found
without reading anything, so the answer tells nothing about which rows exist."""

from __future__ import annotations

import uuid

from taskql import global_ids
from taskql.errors import ValidationFailed

# What each kind of id argument takes: the GraphQL types whose global ids it accepts.
_ACCEPTED = {
    "task": frozenset({global_ids.TASK}),
    "user": frozenset({global_ids.USER}),
    "target": global_ids.TYPES,  # an audit target: a task or a user (or a session, raw only)
}


def parse_id(value: str, *, field: str, what: str) -> uuid.UUID:
    decoded = global_ids.decode(value)
    if decoded is not None:
        type_name, row_id = decoded
        if type_name not in _ACCEPTED[what]:
            raise ValidationFailed(
                f"Not a valid {what} id: it is the id of a {type_name}.", field=field
            )
        return row_id
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationFailed(f"Not a valid {what} id.", field=field) from None
