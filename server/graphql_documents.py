"""Parse and validate each distinct query text once per process, with the size limits built in.

Frontends send a handful of fixed operations, so caching pays on almost every request. We do
not use strawberry's ParserCache/ValidationCache: their key holds the parsed document, a
frozen dataclass whose hash walks the whole tree each time. Here the key is a digest of the
text, the cache is bounded by the total size of the texts it keeps, and a text too big to be
a frontend's operation is parsed and validated every time but never kept (so nobody can fill
the memory with distinct 1 MB documents).

Validation runs in two passes: our limit rule (server.graphql_limits, linear in the
document) first, and graphql-core's rules only for documents within the limits, so no rule
ever sees a document whose fragments expand beyond them.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from aiohttp import web
from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    parse,
    validate,
)
from strawberry.extensions import SchemaExtension

from server.graphql_limits import (
    Limits,
    NoIntrospection,
    QueryTooComplex,
    WorkCounter,
    document_limits_rule,
)
from taskql.graphql_internals import STRAWBERRY_VALIDATION_RULES, graphql_core_schema
from taskql.settings import GraphQLSettings

Rules = tuple[type[ASTValidationRule], ...]

# graphql-core raises one class, GraphQLSyntaxError, for every syntax error; the ones its size
# limits raise (the token count set below, the nesting it can follow) end with these words.
# The one place that reads graphql-core's wording: tests/test_error_codes.py pins it.
PARSER_LIMIT_WORDING = " Parsing aborted."


@dataclass(slots=True)
class CachedDocument:
    document: DocumentNode
    size: int  # bytes of text charged to the cache
    rules: Rules | None = None  # the rules `errors` was found with
    errors: list[GraphQLError] | None = None


class QueryDocuments:
    """One per app: a byte-bounded LRU cache from a digest of the text to document and verdict."""

    def __init__(self, settings: GraphQLSettings) -> None:
        self.max_tokens = settings.max_tokens
        self.capacity_bytes = settings.document_cache_text_bytes
        self.max_document_bytes = settings.document_cache_max_text_bytes
        self.hide_suggestions = not settings.field_suggestions
        self.work = WorkCounter()
        self.limit_rules: Rules = (document_limits_rule(Limits.from_settings(settings), self.work),)
        # strawberry adds these two when it validates; our cached validation replaces its own.
        self.extra_rules: Rules = STRAWBERRY_VALIDATION_RULES
        if not settings.introspection:
            self.extra_rules += (NoIntrospection,)
        self._entries: OrderedDict[bytes, CachedDocument] = OrderedDict()
        self.cached_bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def parse(self, query: str) -> DocumentNode:
        key = self._key(query)
        entry = self._recall(key)
        if entry is not None:
            return entry.document
        # A syntax error or an over-long document raises here and is not cached.
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except GraphQLSyntaxError as error:
            if not error.message.endswith(PARSER_LIMIT_WORDING):
                raise
            # Same message, source and positions: only the type (and so the code) is ours.
            raise QueryTooComplex(
                error.message, source=error.source, positions=error.positions
            ) from None
        if key is not None:
            self._remember(key, CachedDocument(document, len(key[1])))
        return document

    def validate(
        self, query: str, schema: GraphQLSchema, document: DocumentNode, rules: Rules
    ) -> list[GraphQLError]:
        entry = self._recall(self._key(query))
        if entry is None:  # too big to keep, or evicted since it was parsed
            return self._validate(schema, document, rules)
        if entry.errors is None or entry.rules != rules:
            entry.errors = self._validate(schema, entry.document, rules)
            entry.rules = rules
        return list(entry.errors)

    def _validate(
        self, schema: GraphQLSchema, document: DocumentNode, rules: Rules
    ) -> list[GraphQLError]:
        errors = validate(schema, document, self.limit_rules)
        if errors:
            return errors
        return validate(
            schema, document, (*rules, *self.extra_rules), hide_suggestions=self.hide_suggestions
        )

    def _key(self, query: str) -> tuple[bytes, bytes] | None:
        """(digest, text), or None for a text too big to keep: parsed on every request."""
        text = query.encode("utf-8", "surrogatepass")
        if len(text) > self.max_document_bytes:
            return None
        return hashlib.blake2b(text, digest_size=32).digest(), text

    def _recall(self, key: tuple[bytes, bytes] | None) -> CachedDocument | None:
        if key is None:
            return None
        entry = self._entries.get(key[0])
        if entry is not None:
            self._entries.move_to_end(key[0])
        return entry

    def _remember(self, key: tuple[bytes, bytes], entry: CachedDocument) -> None:
        if entry.size > self.capacity_bytes:
            return
        self._entries[key[0]] = entry
        self.cached_bytes += entry.size
        while self.cached_bytes > self.capacity_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.cached_bytes -= evicted.size


# The app's document cache, so tests (and metrics) can see what it holds.
DOCUMENTS = web.AppKey("documents", QueryDocuments)


class CachedDocuments(SchemaExtension):
    def __init__(self, documents: QueryDocuments) -> None:
        self.documents = documents

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None:
            context.graphql_document = self.documents.parse(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and context.graphql_document is not None:
            context.pre_execution_errors = self.documents.validate(
                context.query,
                graphql_core_schema(context.schema),
                context.graphql_document,
                tuple(context.validation_rules),
            )
        yield
