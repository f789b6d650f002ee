"""The one error taxonomy. Each class carries a stable `code` rendered in `extensions.code`."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    VALIDATION_ERROR = "VALIDATION_ERROR"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    BAD_REQUEST = "BAD_REQUEST"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    # HTTP-level only (server/http_errors.py): a body over server.max_body_bytes, a request
    # over server.request_timeout_seconds.
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    TIMEOUT = "TIMEOUT"
    # Persisted queries: an unknown hash (the client then sends the text with it), and a
    # document refused because the server runs trusted documents only.
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    TRUSTED_DOCUMENT_REQUIRED = "TRUSTED_DOCUMENT_REQUIRED"
    # A subscription that fell behind (taskql.events.hub): its events were dropped and it
    # ended; the client re-queries and subscribes again.
    EVENTS_LOST = "EVENTS_LOST"


class AppError(Exception):
    """An expected failure: its message is written for the client and shown as is."""

    code: ErrorCode = ErrorCode.INTERNAL_ERROR
    default_message = "Internal server error."

    def __init__(self, message: str | None = None, **extensions: Any) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.extensions: dict[str, Any] = {"code": self.code.value, **extensions}


class Unauthenticated(AppError):
    code = ErrorCode.UNAUTHENTICATED
    default_message = "Authentication required."


class AccountDisabled(AppError):
    """The right password for an account an administrator deactivated."""

    code = ErrorCode.ACCOUNT_DISABLED
    default_message = "This account is disabled; contact an administrator."


class NotFound(AppError):
    code = ErrorCode.NOT_FOUND
    default_message = "Not found."


class ValidationFailed(AppError):
    code = ErrorCode.VALIDATION_ERROR
    default_message = "Invalid input."

    def __init__(self, message: str, *, field: str, **extensions: Any) -> None:
        super().__init__(message, field=field, **extensions)
        self.field = field


class Conflict(AppError):
    code = ErrorCode.CONFLICT
    default_message = "The resource changed or already exists."


class RateLimited(AppError):
    code = ErrorCode.RATE_LIMITED
    default_message = "Too many attempts; try again later."

    def __init__(self, message: str | None = None, *, retry_after_seconds: int) -> None:
        super().__init__(message, retryAfterSeconds=retry_after_seconds)


class ServiceUnavailable(AppError):
    """The database cannot be reached right now; the client may retry."""

    code = ErrorCode.SERVICE_UNAVAILABLE
    default_message = "The service is temporarily unavailable; try again shortly."
