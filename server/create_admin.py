"""`taskql create-admin`: give a fresh install its first admin without touching the database.

The password comes from TASKQL_ADMIN_PASSWORD or an interactive prompt, never an argument
(arguments end up in shell history and process listings).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from models import users as user_models
from models.credentials import RevokeReason
from resolvers.auth import sessions
from resolvers.users.input import check_password, clean_display_name, clean_email
from taskql.auth.passwords import hash_password, password_hasher
from taskql.database import open_orm
from taskql.errors import ValidationFailed
from taskql.logging import get_logger
from taskql.settings import Settings

PASSWORD_ENV = "TASKQL_ADMIN_PASSWORD"  # noqa: S105 - the variable's name, not a password
EXIT_INVALID = 1
EXIT_NO_PASSWORD = 2  # like a usage error: nothing was tried
NO_PASSWORD = (
    f"taskql: create-admin: no password: set {PASSWORD_ENV} or run the command in a terminal\n"
)

log = get_logger("taskql.create_admin")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--email", required=True, help="the admin's sign-in email")
    parser.add_argument(
        "--display-name",
        default="Administrator",
        help="name shown for a new admin (default: %(default)s)",
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        # Without a terminal the prompt would read an empty stdin and die with EOFError.
        if not sys.stdin.isatty():
            sys.stderr.write(NO_PASSWORD)
            return EXIT_NO_PASSWORD
        try:
            password = _prompt()
        except (EOFError, KeyboardInterrupt):
            sys.stderr.write("\n" + NO_PASSWORD)
            return EXIT_NO_PASSWORD
    if password is None:
        sys.stderr.write("taskql: password: the two entries differ\n")
        return EXIT_INVALID
    return asyncio.run(
        create_admin(settings, email=args.email, display_name=args.display_name, password=password)
    )


def _prompt() -> str | None:
    first = getpass.getpass("Password for the admin: ")
    return first if first == getpass.getpass("Repeat the password: ") else None


async def create_admin(settings: Settings, *, email: str, display_name: str, password: str) -> int:
    """Create the admin, or promote an existing user with that email. Returns the exit status."""
    try:
        email = clean_email(email)
        display_name = clean_display_name(display_name)
        check_password(password, email=email)
    except ValidationFailed as error:
        sys.stderr.write(f"taskql: {error.field}: {error.message}\n")
        return EXIT_INVALID
    context = await open_orm(settings.database)
    try:
        existing = await user_models.get_by_email(email=email)
        if existing is not None:
            # Promotion keeps the user's password: this command never overwrites one silently.
            await user_models.set_role(user_id=existing.id, role=user_models.Role.ADMIN)
            await sessions.end_all_sessions(existing.id, reason=RevokeReason.ROLE_CHANGED)
            log.info("existing user promoted to admin", user_id=str(existing.id))
            return 0
        password_hash = await hash_password(password_hasher(settings.auth), password)
        user = await user_models.create(
            email=email,
            display_name=display_name,
            password_hash=password_hash,
            role=user_models.Role.ADMIN,
        )
        log.info("admin created", user_id=str(user.id))
        return 0
    finally:
        await context.close_connections()
