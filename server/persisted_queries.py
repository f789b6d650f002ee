"""Persisted queries: Apollo's APQ protocol and trusted documents, before strawberry runs.

A request may carry `extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}`
(in the JSON body, or URL-encoded in a GET's `extensions` parameter, which a CDN can cache):
- hash only: the document is looked up, in the operations manifest first, then in the APQ
  store; an unknown hash is PERSISTED_QUERY_NOT_FOUND and the client sends it again with
  the text;
- hash and text: the hash must be the text's sha256; a text that parses and validates and
  is at most apq.max_document_bytes is stored, and it runs.
With graphql.trusted_documents_only the manifest is the only store: a hash outside it, a
text whose hash is not in it, or a registration, is refused with TRUSTED_DOCUMENT_REQUIRED.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

from aiohttp import web
from graphql import GraphQLError, GraphQLSchema, specified_rules
from strawberry.http import GraphQLRequestData

from server.graphql_documents import QueryDocuments
from server.http_errors import json_error
from server.operations_manifest import document_hash, load_manifest
from server.persisted_query_stores import PersistedQueryStore, open_store
from taskql.errors import AppError, ErrorCode
from taskql.paths import project_root
from taskql.settings import ConfigError, Settings

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class PersistedQueryRefused(AppError):
    """A persisted-query request that cannot run; answered before GraphQL with `http_status`."""

    code = ErrorCode.BAD_REQUEST
    http_status = 400


class PersistedQueryNotFound(PersistedQueryRefused):
    code = ErrorCode.PERSISTED_QUERY_NOT_FOUND
    # Apollo Client recognises this exact message (older versions only the message), and
    # expects HTTP 200 as Apollo Server sends it.
    default_message = "PersistedQueryNotFound"
    http_status = 200


class TrustedDocumentRequired(PersistedQueryRefused):
    code = ErrorCode.TRUSTED_DOCUMENT_REQUIRED
    default_message = (
        "This server runs trusted documents only: send the sha256 of an operation of its "
        "manifest in extensions.persistedQuery."
    )


def refusal_response(error: PersistedQueryRefused) -> web.Response:
    # Never cached: a CDN must not keep a miss once the client has registered the document.
    return json_error(
        error.http_status,
        error.message,
        headers={"Cache-Control": "no-store"},
        extensions=error.extensions,
    )


class PersistedQueries:
    def __init__(
        self,
        *,
        manifest: Mapping[str, str],
        store: PersistedQueryStore | None,
        trusted_only: bool,
        max_document_bytes: int,
        documents: QueryDocuments,
        schema: GraphQLSchema,
    ) -> None:
        self.manifest = manifest
        # None: APQ off (a hash outside the manifest is simply not found), or trusted mode.
        self.store = None if trusted_only else store
        self.trusted_only = trusted_only
        self.max_document_bytes = max_document_bytes
        self.documents = documents
        self.schema = schema

    async def resolve(self, data: GraphQLRequestData) -> GraphQLRequestData:
        """The request with its document filled in from the hash; refusals raise."""
        sha256 = requested_hash(data.extensions)
        if sha256 is None:
            self._check_plain(data.query)
            return data
        if data.query is None:
            return dataclasses.replace(data, query=await self._lookup(sha256))
        await self._register(sha256, data.query)
        return data

    def accepts_plain(self, query: str | None) -> bool:
        # Trusted mode runs a full text only when it is, byte for byte, a manifest document.
        return not self.trusted_only or query is None or document_hash(query) in self.manifest

    def _check_plain(self, query: str | None) -> None:
        if not self.accepts_plain(query):
            raise TrustedDocumentRequired

    async def _lookup(self, sha256: str) -> str:
        document = self.manifest.get(sha256)
        if document is None and self.store is not None:
            document = await self.store.get(sha256)
        if document is None:
            raise TrustedDocumentRequired if self.trusted_only else PersistedQueryNotFound
        return document

    async def _register(self, sha256: str, query: str) -> None:
        if document_hash(query) != sha256:
            raise PersistedQueryRefused("provided sha does not match query")
        if sha256 in self.manifest:
            return
        if self.trusted_only:
            raise TrustedDocumentRequired
        if self.store is not None and self._worth_storing(query):
            await self.store.put(sha256, query)

    def _worth_storing(self, query: str) -> bool:
        # Only documents that would run are kept (the parse and validation land in the
        # app's document cache, so strawberry's own pass right after costs nothing).
        if len(query.encode("utf-8", "surrogatepass")) > self.max_document_bytes:
            return False
        try:
            document = self.documents.parse(query)
        except GraphQLError:
            return False
        return not self.documents.validate(query, self.schema, document, tuple(specified_rules))


def requested_hash(extensions: dict[str, Any] | None) -> str | None:
    """The sha256 a request names in extensions.persistedQuery, or None if it names none."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict):
        raise PersistedQueryRefused("extensions.persistedQuery must be an object.")
    version = persisted.get("version")
    if type(version) is not int or version != 1:  # JSON true is not version 1
        raise PersistedQueryRefused("extensions.persistedQuery.version must be 1.")
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not SHA256_HEX.match(sha256):
        raise PersistedQueryRefused(
            "extensions.persistedQuery.sha256Hash must be 64 lowercase hexadecimal digits."
        )
    return sha256


# The app's persisted queries, set up by `install` when the app starts.
PERSISTED_QUERIES = web.AppKey("persisted_queries", PersistedQueries)


def install(
    app: web.Application, settings: Settings, documents: QueryDocuments, schema: GraphQLSchema
) -> None:
    """Read the manifest now (a bad one stops the start); the store opens with the app."""
    persisted = PersistedQueries(
        manifest=read_manifest(settings),
        store=None,
        trusted_only=settings.graphql.trusted_documents_only,
        max_document_bytes=settings.apq.max_document_bytes,
        documents=documents,
        schema=schema,
    )
    app[PERSISTED_QUERIES] = persisted
    if not settings.apq.enabled or settings.graphql.trusted_documents_only:
        return

    async def open_and_close_store(_: web.Application) -> AsyncIterator[None]:
        # Opened inside the app's event loop, which the Redis client binds to.
        store = persisted.store = open_store(settings.apq)
        yield
        persisted.store = None
        await store.close()

    app.cleanup_ctx.append(open_and_close_store)


def read_manifest(settings: Settings) -> dict[str, str]:
    """The operations manifest; required in trusted-documents mode, optional otherwise."""
    path = project_root() / settings.graphql.trusted_documents_manifest
    if not path.is_file():
        if settings.graphql.trusted_documents_only:
            raise ConfigError(
                "graphql.trusted_documents_manifest",
                f"{path} does not exist (`taskql operations build` writes it)",
            )
        return {}
    try:
        return load_manifest(path)
    except ValueError as error:
        raise ConfigError("graphql.trusted_documents_manifest", str(error)) from None
