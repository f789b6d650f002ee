"""The [auth] section: JWT keys and secrets (generated in development and test), argon2, limits.

A secret is checked for presence, length and placeholders; its value is never put in an error.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any

from taskql.paths import project_root
from taskql.settings_sections import AuthSettings
from taskql.settings_values import ConfigError, _float, _int, _str

PLACEHOLDER_PATTERN = re.compile(
    r"change.?me|placeholder|replace.?me|example|^x+$|^secret$", re.IGNORECASE
)
MIN_SECRET_LENGTH = 32
# Development only: the generated JWT secret, relative to the project root (data/ is untracked).
DEVELOPMENT_SECRET_FILE = Path("data") / ".jwt-secret"


def _auth(env: str, auth: dict[str, Any]) -> AuthSettings:
    algorithm = _str(auth, "auth.jwt_algorithm").upper()
    if algorithm not in ("HS256", "RS256", "ES256"):
        raise ConfigError("auth.jwt_algorithm", "must be HS256, RS256 or ES256")
    secret = str(auth.get("jwt_secret") or "")
    private_key = str(auth.get("jwt_private_key") or "")
    public_key = str(auth.get("jwt_public_key") or "")
    generated = False
    if algorithm == "HS256":
        if not secret and env == "development":
            # Kept in data/ so a restart does not sign everybody out of a development server.
            secret, generated = _development_secret(project_root() / DEVELOPMENT_SECRET_FILE), True
        elif not secret and env == "test":
            # Tests get a per-process secret: tokens die with the process.
            secret, generated = secrets.token_urlsafe(48), True
        _check_secret("auth.jwt_secret", secret)
    elif not private_key or not public_key:
        missing = "auth.jwt_private_key" if not private_key else "auth.jwt_public_key"
        raise ConfigError(missing, f"is required when auth.jwt_algorithm is {algorithm}")
    previous = auth.get("jwt_previous_keys") or {}
    if not isinstance(previous, dict):
        raise ConfigError("auth.jwt_previous_keys", "must be a table of key id to key")
    return AuthSettings(
        jwt_algorithm=algorithm,
        jwt_secret=secret,
        jwt_private_key=private_key,
        jwt_public_key=public_key,
        jwt_key_id=str(auth.get("jwt_key_id") or "primary"),
        jwt_previous_keys={str(k): str(v) for k, v in previous.items()},
        jwt_issuer=_str(auth, "auth.jwt_issuer"),
        jwt_audience=_str(auth, "auth.jwt_audience"),
        jwt_leeway_seconds=_int(auth, "auth.jwt_leeway_seconds", low=0, high=300),
        access_token_minutes=_int(auth, "auth.access_token_minutes", low=1, high=1440),
        refresh_token_days=_int(auth, "auth.refresh_token_days", low=1, high=365),
        argon2_time_cost=_int(auth, "auth.argon2_time_cost", low=1),
        argon2_memory_kib=_int(auth, "auth.argon2_memory_kib", low=8),
        argon2_parallelism=_int(auth, "auth.argon2_parallelism", low=1),
        login_max_failures_per_email_and_address=_int(
            auth, "auth.login_max_failures_per_email_and_address", low=1
        ),
        login_max_failures_per_email=_int(auth, "auth.login_max_failures_per_email", low=1),
        login_max_failures_per_address=_int(auth, "auth.login_max_failures_per_address", low=1),
        login_failure_window_seconds=_int(auth, "auth.login_failure_window_seconds", low=1),
        register_max_per_address=_int(auth, "auth.register_max_per_address", low=1),
        password_work_slots=_int(auth, "auth.password_work_slots", low=0, high=256),
        password_work_memory_mib=_int(auth, "auth.password_work_memory_mib", low=1),
        password_work_queue=_int(auth, "auth.password_work_queue", low=0, high=10_000),
        password_work_max_wait_seconds=_float(auth, "auth.password_work_max_wait_seconds"),
        password_work_nice=_int(auth, "auth.password_work_nice", low=0, high=19),
        secret_generated=generated,
    )


def _development_secret(path: Path) -> str:
    """The development JWT secret stored at path (0600), created on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = path.with_name(f"{path.name}.{os.getpid()}")
        descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(48))
        try:
            # link() creates path only if it is absent, complete: two processes starting at
            # once agree on one secret and neither reads a half-written file.
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError("auth.jwt_secret", f"{path} is too short; delete it to get a new one")
    return secret


def _check_secret(name: str, secret: str) -> None:
    if not secret:
        raise ConfigError(name, "is required (set it with an environment variable)")
    if PLACEHOLDER_PATTERN.search(secret):
        raise ConfigError(name, "is a placeholder; generate a random secret")
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(name, f"must be at least {MIN_SECRET_LENGTH} characters")
