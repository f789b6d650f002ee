"""The `taskql` command."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
from pathlib import Path

import orjson

from taskql.logging import configure_logging, get_logger
from taskql.paths import project_root
from taskql.settings import DEVELOPMENT_SECRET_FILE, ConfigError, Settings, load_settings

SCHEMA_FILE = project_root() / "schema" / "schema.graphql"
EXIT_CONFIG = 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _apply_overrides(load_settings(), args)
    except ConfigError as error:
        print(f"taskql: {error}", file=sys.stderr)  # noqa: T201 - logging is not configured yet
        return EXIT_CONFIG
    configure_logging(level=settings.logging.level, json_output=settings.logging.format == "json")
    if settings.auth.secret_generated and args.command == "serve":
        get_logger("taskql").warning(
            "auth.jwt_secret is not set: using the generated development secret kept in "
            f"{DEVELOPMENT_SECRET_FILE} (set TASKQL_AUTH__JWT_SECRET outside development)"
            if settings.environment == "development"
            else "auth.jwt_secret is not set: using a random secret for this process only; "
            "tokens will not survive a restart (set TASKQL_AUTH__JWT_SECRET)"
        )
    result: int = args.handler(settings, args)
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="taskql", description="TaskQL GraphQL API server")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API (GraphiQL at /graphql)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, help="processes sharing the port (SO_REUSEPORT)")
    serve.set_defaults(handler=_serve)

    migrate = commands.add_parser("migrate", help="apply the committed migrations")
    migrate.set_defaults(handler=_migrate)

    make = commands.add_parser(
        "make-migrations", help="write the next migration of both dialects from the models"
    )
    make.add_argument("name")
    make.set_defaults(handler=_make_migrations)

    export = commands.add_parser("export-schema", help="write the SDL to schema/schema.graphql")
    export.add_argument("--output", type=Path, default=SCHEMA_FILE)
    export.set_defaults(handler=_export_schema)

    check = commands.add_parser("check-config", help="print the effective settings, redacted")
    check.set_defaults(handler=_check_config)

    admin = commands.add_parser(
        "create-admin", help="create an admin (password from TASKQL_ADMIN_PASSWORD or a prompt)"
    )
    _create_admin_arguments(admin)
    admin.set_defaults(handler=_create_admin)
    return parser


def _apply_overrides(settings: Settings, args: argparse.Namespace) -> Settings:
    overrides = {
        key: value
        for key in ("host", "port", "workers")
        if (value := getattr(args, key, None)) is not None
    }
    if not overrides:
        return settings
    if overrides.get("workers", 1) < 1:
        raise ConfigError("server.workers", "must be at least 1")
    return dataclasses.replace(settings, server=dataclasses.replace(settings.server, **overrides))


def _serve(settings: Settings, _: argparse.Namespace) -> int:
    from taskql.server import serve  # noqa: PLC0415 - keeps the other commands light

    return serve(settings)


def _migrate(settings: Settings, _: argparse.Namespace) -> int:
    from taskql.database import apply_migrations  # noqa: PLC0415

    applied = asyncio.run(apply_migrations(settings.database))
    get_logger("taskql.migrate").info(
        "migrations applied", dialect=settings.database.dialect, applied=applied
    )
    return 0


def _make_migrations(_: Settings, args: argparse.Namespace) -> int:
    from taskql.database import DIALECTS, make_migration  # noqa: PLC0415

    for dialect in DIALECTS:
        version = asyncio.run(make_migration(dialect, args.name))
        print(f"{dialect}: {version or 'no changes'}")  # noqa: T201
    return 0


def _export_schema(_: Settings, args: argparse.Namespace) -> int:
    from schema import build_schema  # noqa: PLC0415

    args.output.write_text(build_schema().as_str() + "\n", encoding="utf-8")
    print(f"schema written to {args.output}")  # noqa: T201
    return 0


def _create_admin_arguments(parser: argparse.ArgumentParser) -> None:
    from taskql.auth.create_admin import add_arguments  # noqa: PLC0415

    add_arguments(parser)


def _create_admin(settings: Settings, args: argparse.Namespace) -> int:
    from taskql.auth.create_admin import run  # noqa: PLC0415

    return run(settings, args)


def _check_config(settings: Settings, _: argparse.Namespace) -> int:
    sys.stdout.write(orjson.dumps(settings.redacted(), option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
