"""Parse and validate each distinct query text once per process, with the size limits built in.

Frontends send a handful of fixed operations, so caching pays on almost every request. We do
not use strawberry's ParserCache/ValidationCache with its depth and alias limiters: the
limiters build new rule classes for every request, and those classes are part of the
validation cache's key, so it never hits; the key also holds the parsed document, a frozen
dataclass whose hash walks the whole tree each time. Keying on the query text (a string
hashes once) makes a repeated operation cost two dictionary lookups.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, parse, validate
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_limit_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit_rule

from taskql.settings import GraphQLSettings


class QueryDocuments:
    """One per app: bounded LRU caches from query text to document and validation errors."""

    def __init__(self, limits: GraphQLSettings, *, maxsize: int = 512) -> None:
        self.max_tokens = limits.max_tokens
        self.limit_rules: tuple[type[ASTValidationRule], ...] = (
            depth_limit_rule(limits.max_depth, None, None),
            alias_limit_rule(limits.max_aliases),
        )
        self.maxsize = maxsize
        self._documents: OrderedDict[str, DocumentNode] = OrderedDict()
        self._errors: OrderedDict[str, list[GraphQLError]] = OrderedDict()

    def parse(self, query: str) -> DocumentNode:
        document: DocumentNode | None = self._recall(self._documents, query)
        if document is None:
            # A syntax error or an over-long document raises and is not cached.
            document = parse(query, max_tokens=self.max_tokens)
            self._remember(self._documents, query, document)
        return document

    def validate(
        self,
        query: str,
        schema: Any,
        document: DocumentNode,
        rules: tuple[type[ASTValidationRule], ...],
    ) -> list[GraphQLError]:
        errors: list[GraphQLError] | None = self._recall(self._errors, query)
        if errors is None:
            errors = validate(schema, document, (*rules, *self.limit_rules))
            self._remember(self._errors, query, errors)
        return list(errors)

    @staticmethod
    def _recall(cache: OrderedDict[str, Any], query: str) -> Any:
        value = cache.get(query)
        if value is not None:
            cache.move_to_end(query)
        return value

    def _remember(self, cache: OrderedDict[str, Any], query: str, value: object) -> None:
        cache[query] = value
        if len(cache) > self.maxsize:
            cache.popitem(last=False)


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
                context.schema._schema,  # noqa: SLF001 - strawberry's graphql-core schema
                context.graphql_document,
                tuple(context.validation_rules),
            )
        yield
