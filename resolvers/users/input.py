"""Validation of what users type about themselves; each error names the GraphQL field."""

from __future__ import annotations

import re
import uuid

from models import users as user_models
from resolvers.ids import parse_id
from taskql.errors import ValidationFailed
from taskql.limits import (
    PASSWORD_MAX,
    PASSWORD_MIN,
    USER_DISPLAY_NAME_MAX,
    USER_EMAIL_MAX,
    USER_SEARCH_MAX,
)

# Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is not checked.
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


def clean_email(email: str, *, field: str = "email") -> str:
    normalised = user_models.normalise_email(email)
    if len(normalised) > USER_EMAIL_MAX or not EMAIL_PATTERN.match(normalised):
        raise ValidationFailed("Enter a valid email address.", field=field)
    return normalised


def check_password(password: str, *, email: str, field: str = "password") -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValidationFailed(
            f"The password must have {PASSWORD_MIN} to {PASSWORD_MAX} characters.",
            field=field,
        )
    if user_models.normalise_email(password) == user_models.normalise_email(email):
        raise ValidationFailed("The password must not be your email address.", field=field)


def clean_display_name(display_name: str, *, field: str = "displayName") -> str:
    cleaned = display_name.strip()
    if not 1 <= len(cleaned) <= USER_DISPLAY_NAME_MAX:
        raise ValidationFailed(
            f"The display name must have 1 to {USER_DISPLAY_NAME_MAX} characters.", field=field
        )
    return cleaned


def parse_user_id(value: str, *, field: str = "id") -> uuid.UUID:
    return parse_id(value, field=field, what="user")


def clean_user_filter(
    *, search: str | None, role: str | None, is_active: bool | None
) -> user_models.UserFilterSpec:
    """users(filter:): `role` is the GraphQL enum's value (the model's, a test ties them)."""
    if search is not None and len(search) > USER_SEARCH_MAX:
        raise ValidationFailed(
            f"search must have at most {USER_SEARCH_MAX} characters.", field="filter.search"
        )
    return user_models.UserFilterSpec(
        search=search or None,
        role=user_models.Role(role) if role is not None else None,
        is_active=is_active,
    )
