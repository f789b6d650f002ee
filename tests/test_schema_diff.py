"""`taskql schema diff --against REF`: breaking changes since a git ref fail unless
schema/BREAKING.md accepts them; dangerous ones are printed and pass."""

from __future__ import annotations

import dataclasses
import subprocess

import pytest

from server.cli import SCHEMA_FILE, main
from server.schema_diff import accepted_changes
from tests.cli import run_taskql, taskql_env

CURRENT_SDL = SCHEMA_FILE.read_text(encoding="utf-8")
REMOVED_FIELD = "Field Query.legacyPing was removed."


def git(repository, *args):
    subprocess.run(
        ["git", "-C", str(repository), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repository(tmp_path):
    """A git repository whose HEAD commits the given SDL as schema/schema.graphql."""

    def commit(sdl: str, breaking_md: str | None = None):
        (tmp_path / "schema").mkdir(exist_ok=True)
        (tmp_path / "schema" / "schema.graphql").write_text(sdl, encoding="utf-8")
        if breaking_md is not None:
            (tmp_path / "schema" / "BREAKING.md").write_text(breaking_md, encoding="utf-8")
        git(tmp_path, "init", "-q")
        git(tmp_path, "add", ".")
        git(tmp_path, "commit", "-q", "-m", "schema")
        return tmp_path

    return commit


@dataclasses.dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def diff(capsys):
    """Run `taskql schema diff` in this process (the real command's main; fast)."""

    def run(repository, ref="HEAD") -> Result:
        capsys.readouterr()
        code = main(["schema", "diff", "--against", ref, "--repository", str(repository)])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def with_old_field(sdl: str) -> str:
    """The current SDL plus a Query field the code no longer has."""
    return sdl.replace("type Query {\n", "type Query {\n  legacyPing: String\n", 1)


def test_breaking_change_fails_and_says_how_to_accept_it(repository):
    """A field the committed SDL had and the code lacks is breaking: exit 1, printed with
    the exact description to put in schema/BREAKING.md."""
    repo = repository(with_old_field(CURRENT_SDL))
    result = run_taskql(
        "schema",
        "diff",
        "--against",
        "HEAD",
        "--repository",
        str(repo),
        env=taskql_env(TASKQL_ENV="test"),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"BREAKING  FIELD_REMOVED: {REMOVED_FIELD}" in result.stdout
    assert "schema/BREAKING.md" in result.stderr


def test_accepted_breaking_change_passes(repository, diff):
    """The same change listed in schema/BREAKING.md passes and is marked accepted."""
    accepted = f"# Accepted\n\n## 2026-12-02\n- {REMOVED_FIELD}\n"
    result = diff(repository(with_old_field(CURRENT_SDL), accepted))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{REMOVED_FIELD}  (accepted in schema/BREAKING.md)" in result.stdout


def test_dangerous_change_is_printed_but_passes(repository, diff):
    """An enum value added since the ref (clients may not handle it) is dangerous: printed,
    exit 0."""
    old = CURRENT_SDL.replace("  HIGH\n  CRITICAL\n", "  HIGH\n", 1)
    assert old != CURRENT_SDL
    result = diff(repository(old))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DANGEROUS VALUE_ADDED_TO_ENUM: Enum value TaskPriority.CRITICAL was added." in (
        result.stdout
    )
    assert "BREAKING" not in result.stdout


def test_same_schema_has_no_changes(repository, diff):
    """The committed SDL of the code itself: no change, exit 0."""
    result = diff(repository(CURRENT_SDL))
    assert result.returncode == 0
    assert "schema changes since HEAD: 0" in result.stdout


def test_unknown_ref_and_ref_without_a_schema(repository, diff):
    """A ref that is no commit is a usage error (exit 2); a commit from before the SDL was
    committed has nothing to compare (exit 0)."""
    repo = repository(CURRENT_SDL)
    assert diff(repo, "no-such-ref").returncode == 2
    git(repo, "rm", "-q", "schema/schema.graphql")
    git(repo, "commit", "-q", "-m", "no schema")
    result = diff(repo)
    assert result.returncode == 0
    assert "nothing to compare" in result.stdout


def test_only_lines_starting_with_a_dash_accept():
    """Headings, prose and indented examples in BREAKING.md accept nothing."""
    text = f"# Title\n\n    - {REMOVED_FIELD}\n- Task.title was removed.\nprose - x\n"
    assert accepted_changes(text) == {"Task.title was removed."}
