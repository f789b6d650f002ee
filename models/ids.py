"""Time-ordered primary keys: UUIDv7 sorts by creation time, so index pages stay warm."""

import uuid

from uuid_utils.compat import uuid7


def new_id() -> uuid.UUID:
    return uuid7()
