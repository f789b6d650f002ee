"""The [mail] and [accounts] sections: how account mail leaves, and the links it carries."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from taskql.settings_sections import AccountSettings, MailSettings
from taskql.settings_values import ConfigError, _bool, _float, _int, _str

MAIL_BACKENDS = ("smtp", "files")
SECURITY_MODES = ("starttls", "tls", "none")
TOKEN_PLACEHOLDER = "{token}"  # noqa: S105 - a placeholder, not a secret


def _mail(env: str, mail: dict[str, Any]) -> MailSettings:
    backend = _str(mail, "mail.backend").lower()
    if backend not in MAIL_BACKENDS:
        raise ConfigError("mail.backend", "must be smtp or files")
    allow_files = _bool(mail, "mail.allow_files_backend_in_production")
    if env == "production" and backend == "files" and not allow_files:
        # A production server writing reset links to its disk would strand every user.
        raise ConfigError(
            "mail.backend",
            "files is for development; production needs smtp "
            "(or mail.allow_files_backend_in_production = true)",
        )
    security = _str(mail, "mail.security").lower()
    if security not in SECURITY_MODES:
        raise ConfigError("mail.security", "must be starttls, tls or none")
    from_address = _str(mail, "mail.from_address")
    _, address = parseaddr(from_address)
    if "@" not in address or any(c in from_address for c in "\r\n"):
        raise ConfigError("mail.from_address", "must be an email address, optionally with a name")
    timeout = _float(mail, "mail.timeout_seconds")
    if not 0 < timeout <= 120:  # noqa: PLR2004 - a send holds a slot at most this long
        raise ConfigError("mail.timeout_seconds", "must be between 0 and 120")
    return MailSettings(
        backend=backend,
        from_address=from_address,
        host=_str(mail, "mail.host"),
        port=_int(mail, "mail.port", low=1, high=65535),
        security=security,
        username=str(mail.get("username") or ""),
        password=str(mail.get("password") or ""),
        timeout_seconds=timeout,
        files_directory=_str(mail, "mail.files_directory"),
        allow_files_backend_in_production=allow_files,
        max_concurrent_sends=_int(mail, "mail.max_concurrent_sends", low=1, high=100),
        max_pending_sends=_int(mail, "mail.max_pending_sends", low=0, high=100_000),
    )


def _accounts(accounts: dict[str, Any]) -> AccountSettings:
    return AccountSettings(
        password_reset_url=_link(accounts, "accounts.password_reset_url"),
        email_verification_url=_link(accounts, "accounts.email_verification_url"),
        password_reset_token_minutes=_int(
            accounts, "accounts.password_reset_token_minutes", low=1, high=24 * 60
        ),
        email_verification_token_hours=_int(
            accounts, "accounts.email_verification_token_hours", low=1, high=30 * 24
        ),
        recovery_max_per_email=_int(accounts, "accounts.recovery_max_per_email", low=1),
        recovery_max_per_address=_int(accounts, "accounts.recovery_max_per_address", low=1),
        recovery_window_seconds=_int(accounts, "accounts.recovery_window_seconds", low=1),
    )


def _link(accounts: dict[str, Any], name: str) -> str:
    template = _str(accounts, name)
    parts = urlsplit(template.replace(TOKEN_PLACEHOLDER, "t"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(name, "must be an http:// or https:// URL")
    if template.count(TOKEN_PLACEHOLDER) != 1:
        raise ConfigError(name, "must contain {token} exactly once")
    return template
