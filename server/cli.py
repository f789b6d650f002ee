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
from taskql.settings import (
    DEVELOPMENT_SECRET_FILE,
    ConfigError,
    Settings,
    check_relations,
    load_settings,
)

SCHEMA_FILE = project_root() / "schema" / "schema.graphql"
OPERATIONS_DIR = project_root() / "operations"
EXIT_CONFIG = 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _apply_overrides(load_settings(), args)
    except ConfigError as error:
        print(f"taskql: {error}", file=sys.stderr)  # noqa: T201 - logging is not configured yet
        return EXIT_CONFIG
    configure_logging(
        level=settings.logging.level,
        json_output=settings.logging.format == "json",
        trace_ids=settings.tracing.enabled,
    )
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
    parser = argparse.ArgumentParser(
        prog="taskql",
        description="TaskQL GraphQL API server.",
        epilog="Settings come from settings.toml and TASKQL_* environment variables "
        "(TASKQL_ENV picks development, test or production); `taskql check-config` shows them.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="serve the API (GraphiQL at /graphql)",
        description="Serve the GraphQL API at /graphql, with /healthz for probes, until SIGTERM "
        "or Ctrl-C; in-flight requests get server.shutdown_timeout_seconds to finish.",
    )
    serve.add_argument("--host", help="address to bind (overrides TASKQL_SERVER__HOST)")
    serve.add_argument("--port", type=int, help="port to bind (overrides TASKQL_SERVER__PORT)")
    serve.add_argument(
        "--workers",
        type=int,
        help="processes sharing the port with SO_REUSEPORT (overrides TASKQL_SERVER__WORKERS)",
    )
    serve.set_defaults(handler=_serve)

    migrate = commands.add_parser(
        "migrate",
        help="apply the committed migrations",
        description="Apply the committed migrations that the database in database.url "
        "(TASKQL_DATABASE__URL) has not applied yet; safe to run again.",
    )
    migrate.set_defaults(handler=_migrate)

    make = commands.add_parser(
        "make-migrations",
        help="write the next migration of both dialects from the models",
        description="Write the next migration of both dialects (migrations/sqlite and "
        "migrations/postgres) from the changes to the models; needs no database.",
    )
    make.add_argument("name", help="what the migration does, used in its file name")
    make.set_defaults(handler=_make_migrations)

    export = commands.add_parser(
        "export-schema",
        help="write the SDL to schema/schema.graphql",
        description="Write the GraphQL schema (SDL) that CI compares with the committed snapshot.",
    )
    export.add_argument(
        "--output", type=Path, default=SCHEMA_FILE, help="file to write (default: %(default)s)"
    )
    export.set_defaults(handler=_export_schema)

    _contract_commands(commands)

    check = commands.add_parser(
        "check-config",
        help="print the effective settings, redacted",
        description="Print the effective settings as JSON, secrets redacted; exit 2 with the "
        "setting's name if one is invalid.",
    )
    check.set_defaults(handler=_check_config)

    admin = commands.add_parser(
        "create-admin",
        help="create an admin (password from TASKQL_ADMIN_PASSWORD or a prompt)",
        description="Create an admin, or promote the existing user with that email. The password "
        "comes from TASKQL_ADMIN_PASSWORD or, in a terminal, a prompt: never from an argument.",
    )
    _create_admin_arguments(admin)
    admin.set_defaults(handler=_create_admin)
    return parser


def _contract_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`operations build` and `schema diff`: the contracts with the frontends."""
    operations = commands.add_parser(
        "operations",
        help="the operations frontends send (operations/)",
        description="Manage operations/, the documents the frontends send.",
    ).add_subparsers(dest="operations_command", required=True, metavar="COMMAND")
    build = operations.add_parser(
        "build",
        help="validate operations/*.graphql and write operations/manifest.json",
        description="Validate every operations/*.graphql against the schema (with the "
        "server's limits) and write the manifest of sha256 -> document that persisted "
        "queries and graphql.trusted_documents_only use; exit 1 naming each invalid file.",
    )
    build.add_argument(
        "--directory",
        type=Path,
        default=OPERATIONS_DIR,
        help="folder of *.graphql operations; the manifest is written there (default: %(default)s)",
    )
    build.set_defaults(handler=_operations_build)

    schema = commands.add_parser(
        "schema",
        help="the GraphQL schema contract",
        description="Compare the GraphQL schema with earlier versions.",
    ).add_subparsers(dest="schema_command", required=True, metavar="COMMAND")
    diff = schema.add_parser(
        "diff",
        help="breaking and dangerous changes since a git ref",
        description="Compare the code's schema with schema/schema.graphql as committed at a "
        "git ref; print breaking and dangerous changes; exit 1 on a breaking change that "
        "schema/BREAKING.md does not accept (a line `- <description as printed>`).",
    )
    diff.add_argument("--against", required=True, metavar="REF", help="git ref to compare with")
    diff.add_argument(
        "--repository",
        type=Path,
        default=project_root(),
        help="git checkout holding the history and schema/BREAKING.md (default: %(default)s)",
    )
    diff.set_defaults(handler=_schema_diff)


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
    server = dataclasses.replace(settings.server, **overrides)
    overridden = dataclasses.replace(settings, server=server)
    # Several workers may break a rule one kept (an in-process event bus or cost budget).
    check_relations(overridden)
    return overridden


def _serve(settings: Settings, _: argparse.Namespace) -> int:
    from server.persisted_queries import read_manifest  # noqa: PLC0415
    from server.run import serve  # noqa: PLC0415 - keeps the other commands light

    try:
        read_manifest(settings)  # a missing or altered manifest stops the start here
    except ConfigError as error:
        print(f"taskql: {error}", file=sys.stderr)  # noqa: T201
        return EXIT_CONFIG
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


def _operations_build(settings: Settings, args: argparse.Namespace) -> int:
    from schema import build_schema  # noqa: PLC0415
    from server.operations_manifest import (  # noqa: PLC0415
        MANIFEST_NAME,
        InvalidOperations,
        build_manifest,
        manifest_text,
    )
    from taskql.graphql_internals import graphql_core_schema  # noqa: PLC0415

    schema = graphql_core_schema(build_schema())
    try:
        manifest = build_manifest(args.directory, schema, settings.graphql)
    except InvalidOperations as error:
        print("\n".join(error.problems), file=sys.stderr)  # noqa: T201
        return 1
    manifest_file = args.directory / MANIFEST_NAME
    manifest_file.write_text(manifest_text(manifest), encoding="utf-8")
    print(f"{len(manifest)} operations written to {manifest_file}")  # noqa: T201
    return 0


def _schema_diff(_: Settings, args: argparse.Namespace) -> int:
    from schema import build_schema  # noqa: PLC0415
    from server.schema_diff import (  # noqa: PLC0415
        ACCEPTED_PATH,
        SDL_PATH,
        UnknownRef,
        accepted_changes,
        committed_sdl,
        report,
        schema_changes,
    )
    from taskql.graphql_internals import graphql_core_schema  # noqa: PLC0415

    try:
        old_sdl = committed_sdl(args.repository, args.against)
    except UnknownRef as error:
        print(f"taskql: {error}", file=sys.stderr)  # noqa: T201
        return EXIT_CONFIG
    if old_sdl is None:
        print(f"{args.against} has no {SDL_PATH}: nothing to compare")  # noqa: T201
        return 0
    accepted_file = args.repository / ACCEPTED_PATH
    accepted = accepted_changes(
        accepted_file.read_text(encoding="utf-8") if accepted_file.is_file() else ""
    )
    changes = schema_changes(old_sdl, graphql_core_schema(build_schema()))
    lines, failed = report(changes, accepted)
    print(f"schema changes since {args.against}: {len(changes)}")  # noqa: T201
    for line in lines:
        print(line)  # noqa: T201
    if failed:
        print(  # noqa: T201
            f"A breaking change needs a line `- <description>` in {ACCEPTED_PATH} "
            "(and the frontends' agreement).",
            file=sys.stderr,
        )
        return 1
    return 0


def _create_admin_arguments(parser: argparse.ArgumentParser) -> None:
    from server.create_admin import add_arguments  # noqa: PLC0415

    add_arguments(parser)


def _create_admin(settings: Settings, args: argparse.Namespace) -> int:
    from server.create_admin import run  # noqa: PLC0415

    return run(settings, args)


def _check_config(settings: Settings, _: argparse.Namespace) -> int:
    sys.stdout.write(orjson.dumps(settings.redacted(), option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
