"""operations/ is the contract with the frontends: every operation validates against the
schema, and the committed manifest is exactly what `taskql operations build` writes."""

from __future__ import annotations

import shutil

import orjson
import pytest

from schema import build_schema
from server.operations_manifest import (
    MANIFEST_FILE,
    OPERATIONS_DIR,
    InvalidManifest,
    InvalidOperations,
    build_manifest,
    document_hash,
    load_manifest,
    manifest_text,
)
from taskql.graphql_internals import graphql_core_schema
from tests.cli import run_taskql, taskql_env

SCHEMA = graphql_core_schema(build_schema())


def test_committed_manifest_is_current(settings):
    """operations/manifest.json holds every operation of operations/, each validated against
    the code's schema; on drift the message says how to fix it."""
    try:
        current = build_manifest(OPERATIONS_DIR, SCHEMA, settings.graphql)
    except InvalidOperations as error:
        pytest.fail("operations no longer validate:\n" + "\n".join(error.problems))
    assert MANIFEST_FILE.read_text(encoding="utf-8") == manifest_text(current), (
        "operations/manifest.json is stale: run `taskql operations build` and commit it"
    )
    assert len(current) == len(list(OPERATIONS_DIR.glob("*.graphql")))


def test_invalid_operation_is_named(tmp_path, settings):
    """An operation that no longer validates fails the build with its file, line and reason."""
    shutil.copy(OPERATIONS_DIR / "tasks_with_owners.graphql", tmp_path)
    (tmp_path / "broken.graphql").write_text(
        "query Broken {\n  tasks {\n    removedField\n  }\n}\n", encoding="utf-8"
    )
    (tmp_path / "garbled.graphql").write_text("query Garbled {", encoding="utf-8")
    with pytest.raises(InvalidOperations) as raised:
        build_manifest(tmp_path, SCHEMA, settings.graphql)
    problems = raised.value.problems
    assert len(problems) == 2, problems
    assert problems[0].startswith("broken.graphql: line 3: ")
    assert "removedField" in problems[0]
    assert problems[1].startswith("garbled.graphql: ")


def test_operations_need_unique_names(tmp_path, settings):
    """Operations are named, once: the name is how logs, metrics and tests refer to them."""
    (tmp_path / "a.graphql").write_text("query Same { serverInfo { version } }", "utf-8")
    (tmp_path / "b.graphql").write_text("query Same { me { id } }", "utf-8")
    (tmp_path / "c.graphql").write_text("{ serverInfo { environment } }", "utf-8")
    with pytest.raises(InvalidOperations) as raised:
        build_manifest(tmp_path, SCHEMA, settings.graphql)
    assert raised.value.problems == [
        "b.graphql: operation Same is also defined in a.graphql",
        "c.graphql: every operation needs a name",
    ]


def test_operations_validate_with_introspection_off(tmp_path, settings):
    """Operations are checked with production's rules: introspection beyond __typename is
    refused even where the test settings allow it."""
    assert settings.graphql.introspection
    (tmp_path / "probe.graphql").write_text("query Probe { __schema { types { name } } }", "utf-8")
    with pytest.raises(InvalidOperations) as raised:
        build_manifest(tmp_path, SCHEMA, settings.graphql)
    assert raised.value.problems[0].startswith("probe.graphql: ")


def test_build_command_writes_the_manifest(tmp_path):
    """`taskql operations build` writes sha256 -> exact text, and exits 1 naming a bad file."""
    text = "query Version { serverInfo { version } }\n"
    (tmp_path / "version.graphql").write_text(text, encoding="utf-8")
    env = taskql_env(TASKQL_ENV="test")
    built = run_taskql("operations", "build", "--directory", str(tmp_path), env=env)
    assert built.returncode == 0, built.stderr
    manifest = orjson.loads((tmp_path / "manifest.json").read_bytes())
    assert manifest == {document_hash(text): text}

    (tmp_path / "bad.graphql").write_text("query Bad { nothing }", encoding="utf-8")
    failed = run_taskql("operations", "build", "--directory", str(tmp_path), env=env)
    assert failed.returncode == 1
    assert failed.stderr.startswith("bad.graphql: line 1: ")
    assert orjson.loads((tmp_path / "manifest.json").read_bytes()) == manifest


def test_altered_manifest_is_rejected(tmp_path):
    """A manifest entry whose text does not have its hash (a hand edit) is refused."""
    path = tmp_path / "manifest.json"
    path.write_bytes(
        orjson.dumps({document_hash("query A { me { id } }"): "query B { me { id } }"})
    )
    with pytest.raises(InvalidManifest):
        load_manifest(path)
