"""The roles a user can hold: one source for the model's column, the token claims and the viewer."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    USER = "USER"
    ADMIN = "ADMIN"
