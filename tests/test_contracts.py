"""The committed contracts match the code: the SDL snapshot and both migration sets."""

from __future__ import annotations

import difflib

import pytest

from schema import build_schema
from server.cli import SCHEMA_FILE
from taskql.database import DIALECTS, model_drift


def test_sdl_snapshot_matches_the_code():
    """schema/schema.graphql is what the code serves; on drift, print the diff and the fix."""
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    current = build_schema().as_str() + "\n"
    if committed != current:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                current.splitlines(keepends=True),
                "schema/schema.graphql (committed)",
                "schema from the code",
            )
        )
        pytest.fail(f"SDL drift; run `make schema` if intended:\n{diff}")


@pytest.mark.parametrize("dialect", DIALECTS)
async def test_models_match_committed_migrations(dialect):
    """Each dialect's committed migrations describe the current models exactly; otherwise
    show the migration aerich would write (`make migrations NAME=...` fixes it)."""
    pending = await model_drift(dialect)
    assert pending == "", f"models differ from migrations/{dialect}:\n{pending}"
