"""`taskql schema diff --against REF`: what the code's schema changes for clients since REF.

Compares the SDL committed at REF (`git show REF:schema/schema.graphql`) with the schema the
code builds, with graphql-core's find_breaking_changes and find_dangerous_changes. Dangerous
changes are printed; a breaking change fails the command unless schema/BREAKING.md (read
from the working tree, i.e. as committed with the change) accepts it with a line

    - <the change's description, exactly as this command prints it>

at the start of a line. Other lines (headings, dates, reasons, examples) are free text.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from graphql import (
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)

SDL_PATH = "schema/schema.graphql"
ACCEPTED_PATH = "schema/BREAKING.md"


class UnknownRef(Exception):
    """The git ref does not name a commit of the repository."""


@dataclass(frozen=True, slots=True)
class SchemaChange:
    kind: str  # graphql-core's change type, e.g. FIELD_REMOVED
    description: str
    breaking: bool


def schema_changes(old_sdl: str, new_schema: GraphQLSchema) -> list[SchemaChange]:
    old_schema = build_schema(old_sdl)
    breaking = [
        SchemaChange(change.type.name, change.description, breaking=True)
        for change in find_breaking_changes(old_schema, new_schema)
    ]
    dangerous = [
        SchemaChange(change.type.name, change.description, breaking=False)
        for change in find_dangerous_changes(old_schema, new_schema)
    ]
    return breaking + dangerous


def accepted_changes(text: str) -> set[str]:
    """The descriptions schema/BREAKING.md accepts: the text of each line starting `- `
    (at column 0: an indented example is not an acceptance)."""
    return {line[2:].strip() for line in text.splitlines() if line.startswith("- ")}


def committed_sdl(repository: Path, ref: str) -> str | None:
    """schema/schema.graphql as committed at ref; None if that commit has no such file."""
    if _git(repository, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode:
        raise UnknownRef(f"{ref} is not a commit of {repository}")
    shown = _git(repository, "show", f"{ref}:{SDL_PATH}")
    return shown.stdout if shown.returncode == 0 else None


def _git(repository: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed program, arguments are not shell-parsed
        ["git", "-C", str(repository), *args],  # noqa: S607 - git from PATH, as CI has it
        capture_output=True,
        text=True,
        check=False,
    )


def report(changes: list[SchemaChange], accepted: set[str]) -> tuple[list[str], bool]:
    """Lines to print, and whether a breaking change is not accepted."""
    lines = []
    failed = False
    for change in changes:
        label = "BREAKING " if change.breaking else "DANGEROUS"
        note = ""
        if change.breaking and change.description in accepted:
            note = f"  (accepted in {ACCEPTED_PATH})"
        elif change.breaking:
            failed = True
        lines.append(f"{label} {change.kind}: {change.description}{note}")
    return lines, failed
