"""Compiled answers straight from the HTTP body: the fixed cost per request of issue 16.

A POST whose (document, operationName) has already been answered through the full path
(strawberry's view and Schema.execute) without errors, by a compiled plan, is *learned*. The
next POST with the same pair is answered here: the body is decoded once, the variables are
coerced by graphql-core, the cost limit is checked, the viewer is authenticated by the same
function, the same plan runs (compiler/run.py) and the response is encoded. No view
machinery, extension hooks or execution context are built.

Why the answer is the one the full path gives. Everything the full path checks before it
executes depends on the text alone (parse, the document limits, validation, the operation
being a query sent over HTTP, one operation or a name), so it passed when the pair was
learned and is passed again now. What depends on the request is checked here again: the
body's parameters, trusted documents, the variables, the cost. Whatever this module would
answer differently is left to the full path (`answer` returns None): a registration of a
persisted query, a hash outside the manifest, variables that do not coerce, a cost over the
limit, to report (`graphql.report_cost`, `X-TaskQL-Cost`) or to spend from a budget, a
plan that falls back. The full path then reuses the context made here, so the bearer check
still costs one statement per request, and a plan that fell back here is not run twice.
tests/test_compiled_http.py compares both paths byte for byte, headers included.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web
from cross_web import HTTPException
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    get_operation_ast,
)
from graphql.execution.values import get_variable_values

from compiler import Compiler
from compiler.reasons import Fallback
from resolvers.context import Context
from server.app_keys import OPERATION_NAME
from server.graphql_cost import CostCalculator
from server.graphql_cost_limits import COST_HEADER
from server.graphql_documents import QueryDocuments
from server.graphql_http import EXCHANGE, check_parameters
from server.persisted_queries import PersistedQueries, PersistedQueryRefused, requested_hash
from taskql.database_clients import one_connection
from taskql.database_monitor import DatabaseMonitor
from taskql.metrics import note_operation
from taskql.settings import GraphQLSettings

ContextFactory = Callable[[web.Request, web.Response], Awaitable[Context]]

# The context made here, for the full path to reuse when it answers instead.
HTTP_CONTEXT = web.RequestKey("compiled_http_context", Context)


@dataclass(frozen=True, slots=True)
class Learned:
    document: DocumentNode
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    # What strawberry calls the operation's name: the requested one, else the document's.
    name: str | None
    size: int  # bytes of text, charged to the text budget


class CompiledAnswers:
    """One per app: the learned (text, operationName) pairs, bounded like the plan cache."""

    def __init__(
        self,
        compiler: Compiler,
        *,
        schema: GraphQLSchema,
        documents: QueryDocuments,
        persisted: PersistedQueries,
        costs: CostCalculator,
        settings: GraphQLSettings,
        budget: bool,
        monitor: DatabaseMonitor,
    ) -> None:
        self.compiler = compiler
        self.monitor = monitor
        self.schema = schema
        self.documents = documents
        self.persisted = persisted
        self.costs = costs
        self.max_cost = settings.max_cost
        # A cost the client sees or pays is the full path's to handle.
        self.costs_matter = settings.report_cost or budget
        self.capacity = settings.compiled_plan_cache_size
        self.text_budget = settings.document_cache_text_bytes
        self.text_size = 0
        self._learned: OrderedDict[tuple[str, str | None], Learned] = OrderedDict()
        self.answered = 0  # requests answered here (tests, debugging)

    def __len__(self) -> int:
        return len(self._learned)

    def forget(self) -> None:
        """Drop every learned pair: the next request of each takes the full path again."""
        self._learned.clear()
        self.text_size = 0

    def learn(self, query: str, requested: str | None) -> None:
        """After the full path answered the pair without errors: keep it when it ran compiled."""
        key = (query, requested)
        size = len(query.encode("utf-8", "surrogatepass"))  # as the document cache counts
        if key in self._learned or size > self.documents.max_document_bytes:
            return
        try:
            document = self.documents.parse(query)  # the cached parse
        except Exception:  # noqa: BLE001 - it answered, so it parses; never fail an answer here
            return
        operation = get_operation_ast(document, requested)
        if operation is None or not self.compiler.compiled(operation):
            return
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        name = requested if requested is not None else _name_of(operation)
        self._learned[key] = Learned(document, operation, fragments, name, size)
        self.text_size += size
        while len(self._learned) > self.capacity or (
            self.text_size > self.text_budget and len(self._learned) > 1
        ):
            _, evicted = self._learned.popitem(last=False)
            self.text_size -= evicted.size

    async def answer(
        self, request: web.Request, context_for: ContextFactory
    ) -> web.Response | None:
        """The compiled answer of a learned POST, or None: the full path answers it."""
        ready = await self._ready(request)
        if ready is None:
            return None
        learned, query, variables = ready
        # The bearer check and the plan's reads: one pool connection for all of them. Not
        # while the schema is still to be compared: that comparison runs in a task of its
        # own, which must not inherit a connection lent to this request.
        pinned = one_connection() if self.monitor.schema_current else nullcontext()
        async with pinned:
            context = await context_for(request, web.Response())
            request[HTTP_CONTEXT] = context
            data = await self._run(learned, context, variables)
        if data is None:
            return None
        self.answered += 1
        if learned.name:
            request[OPERATION_NAME] = learned.name
        note_operation(learned.document, learned.name, query)
        request[EXCHANGE].request_errors.append(None)  # executed: not a request error
        # What strawberry's view makes of the same dict (its create_response).
        return web.Response(
            body=orjson.dumps({"data": data}), content_type="application/json", charset="utf-8"
        )

    async def _ready(self, request: web.Request) -> tuple[Learned, str, dict[str, Any]] | None:
        """The learned pair, its text and coerced variables, when this request may be
        answered here."""
        if not self._learned:
            return None  # nothing to answer: the body is decoded once, by the full path
        payload = None
        if request.content_type == "application/json":
            payload = _payload(await request.read())
        query = None if payload is None else self._document_text(payload)
        if payload is None or query is None:
            return None
        learned = self._learned.get((query, payload.get("operationName")))
        if learned is None:
            return None
        raw_variables = payload.get("variables") or {}
        variables = get_variable_values(
            self.schema, learned.operation.variable_definitions or (), raw_variables
        )
        if isinstance(variables, list) or not self._within_cost(request, learned, raw_variables):
            return None  # errors or refusals: the full path reports them
        return learned, query, variables.coerced

    async def _run(
        self, learned: Learned, context: Context, variables: dict[str, Any]
    ) -> dict[str, Any] | None:
        try:
            plan = self.compiler.plan_for(learned.operation, learned.fragments, variables)
        except Fallback:
            return None  # counted by the full path, which meets the same reason
        data = await self.compiler.attempt(plan, context, variables)
        if data is None:
            context.compiled = False  # the full path answers without running it again
        return data

    def _document_text(self, payload: dict[str, Any]) -> str | None:
        """The text the full path would run: the body's, or a manifest document by hash."""
        try:
            sha256 = requested_hash(payload.get("extensions"))
        except PersistedQueryRefused:
            return None
        query = payload.get("query")
        if sha256 is None:
            return query if self.persisted.accepts_plain(query) else None
        # A registration writes to the store, a stored hash needs a read: the full path's.
        return None if query is not None else self.persisted.manifest.get(sha256)

    def _within_cost(self, request: web.Request, learned: Learned, variables: object) -> bool:
        if self.costs_matter or request.headers.get(COST_HEADER) in ("1", "true"):
            return False
        cost = self.costs.cost(learned.document, learned.name, variables)
        return cost is not None and cost <= self.max_cost


def _payload(body: bytes) -> dict[str, Any] | None:
    """One request object with well-typed parameters, else None (the full path's 400)."""
    try:
        payload = orjson.loads(body)
        check_parameters(payload)
    except (orjson.JSONDecodeError, HTTPException):
        return None
    query = payload.get("query")
    if query is not None and not isinstance(query, str):
        return None
    return payload  # type: ignore[no-any-return]


def _name_of(operation: OperationDefinitionNode) -> str | None:
    return operation.name.value if operation.name else None
