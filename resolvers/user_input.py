"""Validation of what users type about themselves; each error names the GraphQL field."""

from __future__ import annotations

import re

from models import users as user_models
from taskql.errors import ValidationFailed

MAX_EMAIL_LENGTH = 320
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MAX_DISPLAY_NAME_LENGTH = 100
# Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is not checked.
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


def clean_email(email: str, *, field: str = "email") -> str:
    normalised = user_models.normalise_email(email)
    if len(normalised) > MAX_EMAIL_LENGTH or not EMAIL_PATTERN.match(normalised):
        raise ValidationFailed("Enter a valid email address.", field=field)
    return normalised


def check_password(password: str, *, email: str, field: str = "password") -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"The password must have {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters.",
            field=field,
        )
    if user_models.normalise_email(password) == user_models.normalise_email(email):
        raise ValidationFailed("The password must not be your email address.", field=field)


def clean_display_name(display_name: str, *, field: str = "displayName") -> str:
    cleaned = display_name.strip()
    if not 1 <= len(cleaned) <= MAX_DISPLAY_NAME_LENGTH:
        raise ValidationFailed(
            f"The display name must have 1 to {MAX_DISPLAY_NAME_LENGTH} characters.", field=field
        )
    return cleaned
