"""operations/ is the contract with the frontends; its manifest maps sha256 -> document.

`taskql operations build` validates every operations/*.graphql against the schema with the
server's own rules (limits included, introspection off as in production) and writes
operations/manifest.json: the documents a frontend may send by hash, and in trusted-documents
mode the only ones that run. A document's hash is the sha256 of its exact text (UTF-8), as
in Apollo's persisted-query protocol, so a frontend that ships a file verbatim can send
either the text or the hash.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import orjson
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    specified_rules,
)

from server.graphql_documents import QueryDocuments
from taskql.paths import project_root
from taskql.settings import GraphQLSettings

OPERATIONS_DIR = project_root() / "operations"
MANIFEST_NAME = "manifest.json"
MANIFEST_FILE = OPERATIONS_DIR / MANIFEST_NAME


class InvalidOperations(Exception):
    """Operation files that do not parse or validate; each problem names its file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class InvalidManifest(ValueError):
    """A manifest that is not a JSON object of sha256 -> the document with that hash."""


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def build_manifest(
    directory: Path, schema: GraphQLSchema, settings: GraphQLSettings
) -> dict[str, str]:
    """sha256 -> text of every *.graphql in directory; InvalidOperations if any is invalid."""
    # Production's rules: an operation that only validates with introspection on would be
    # refused where it matters.
    documents = QueryDocuments(dataclasses.replace(settings, introspection=False))
    manifest: dict[str, str] = {}
    operation_files: dict[str, str] = {}
    problems: list[str] = []
    for path in sorted(directory.glob("*.graphql")):
        text = path.read_text(encoding="utf-8")
        manifest[document_hash(text)] = text
        try:
            document = documents.parse(text)
        except GraphQLError as error:
            problems.append(f"{path.name}: {_describe(error)}")
            continue
        problems += [f"{path.name}: {p}" for p in _problems(text, document, schema, documents)]
        problems += _duplicate_names(document, path.name, operation_files)
    if problems:
        raise InvalidOperations(problems)
    return dict(sorted(manifest.items()))


def _problems(
    text: str, document: DocumentNode, schema: GraphQLSchema, documents: QueryDocuments
) -> list[str]:
    errors = documents.validate(text, schema, document, tuple(specified_rules))
    problems = [_describe(error) for error in errors]
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations:
        problems.append("holds no operation")
    # Names identify an operation in logs, metrics and the statement-count tests.
    problems += ["every operation needs a name" for op in operations if op.name is None][:1]
    return problems


def _duplicate_names(document: DocumentNode, file_name: str, seen: dict[str, str]) -> list[str]:
    problems = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None:
            name = definition.name.value
            if name in seen:
                problems.append(f"{file_name}: operation {name} is also defined in {seen[name]}")
            seen.setdefault(name, file_name)
    return problems


def _describe(error: GraphQLError) -> str:
    where = f"line {error.locations[0].line}: " if error.locations else ""
    return f"{where}{error.message}"


def manifest_text(manifest: dict[str, str]) -> str:
    return orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"


def load_manifest(path: Path) -> dict[str, str]:
    """The manifest at path, every hash checked against its document (a hand edit fails)."""
    try:
        manifest = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise InvalidManifest(f"{path} is not JSON: {error}") from None
    if not isinstance(manifest, dict):
        raise InvalidManifest(f"{path} must be a JSON object of sha256 -> document")
    for sha256, document in manifest.items():
        if not isinstance(document, str) or document_hash(document) != sha256:
            raise InvalidManifest(f"{path}: the document under {sha256} does not have that hash")
    return manifest
