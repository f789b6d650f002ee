"""OpenTelemetry spans of a request: HTTP, GraphQL phases and root fields (taskql.tracing
makes the SQL ones).

The tree of one /graphql request:

    POST /graphql                       SERVER, child of an incoming W3C traceparent
      SELECT ...                        authentication, before GraphQL runs
      graphql.parse / graphql.validate
      graphql.execute
        Query.tasks                     one span per root field, errors marked
          SELECT ...                    every statement the field causes, loaders included

Only root fields get a span: a span per resolved field (strawberry's OpenTelemetryExtension)
costs one per list item, wraps every resolver (disabling our plain-field executor) and copies
arguments, passwords included, into attributes. None of this is built when tracing is off.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from graphql import GraphQLObjectType, GraphQLOutputType, get_operation_ast
from graphql.pyutils import Path
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.semconv.attributes.http_attributes import (
    HTTP_REQUEST_METHOD,
    HTTP_RESPONSE_STATUS_CODE,
    HTTP_ROUTE,
)
from opentelemetry.semconv.attributes.url_attributes import URL_PATH
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from strawberry.extensions import SchemaExtension

from server.app_keys import ERROR_CODES, REQUEST_ID
from server.graphql_execution import PlainFieldExecutor
from taskql.errors import ErrorCode
from taskql.graphql_internals import FieldDetailsList
from taskql.settings import TracingSettings
from taskql.tracing import build_tracer_provider, get_tracer

OPERATION_NAME = "graphql.operation.name"
OPERATION_TYPE = "graphql.operation.type"
# The first error's extensions.code, and how many errors the response holds.
ERROR_CODE = "graphql.error.code"
ERROR_COUNT = "graphql.error.count"
FIELD_NAME = "graphql.field.name"
FIELD_PATH = "graphql.field.path"
REQUEST_ID_ATTRIBUTE = "taskql.request_id"
# Codes that are the server's fault: the request span's status becomes ERROR.
SERVER_FAULTS = frozenset({ErrorCode.INTERNAL_ERROR.value, ErrorCode.SERVICE_UNAVAILABLE.value})

# Probes, polled every few seconds by orchestrators and load balancers: a trace each would
# drown the requests worth looking at.
UNTRACED_PATHS = frozenset({"/healthz", "/livez", "/metrics"})

# W3C Trace Context only: `traceparent` in, `traceparent` out; no baggage is taken from clients.
PROPAGATOR = TraceContextTextMapPropagator()


@dataclass(frozen=True, slots=True)
class Tracing:
    """What an app with tracing on installs: each piece is handed to create_app's wiring."""

    provider: TracerProvider
    tracer: Tracer

    @classmethod
    def start(cls, settings: TracingSettings, *, exporter: SpanExporter | None = None) -> Tracing:
        provider = build_tracer_provider(settings, exporter=exporter)
        return cls(provider=provider, tracer=get_tracer(provider))

    def middleware(self) -> Middleware:
        return trace_requests(self.tracer)

    def extension(self) -> Callable[[], SchemaExtension]:
        tracer = self.tracer
        return lambda: TraceGraphQL(tracer)

    def executor(self, base: type[PlainFieldExecutor]) -> type[PlainFieldExecutor]:
        return type(f"Traced{base.__name__}", (TracedRootFields, base), {"tracer": self.tracer})

    async def shut_down_on_cleanup(self, _: web.Application) -> AsyncIterator[None]:
        """Cleanup context: flushes the spans still queued when the app stops (off the loop:
        with the collector away, the exporter retries for seconds)."""
        yield
        await asyncio.to_thread(self.provider.shutdown)


def trace_requests(tracer: Tracer) -> Middleware:
    @web.middleware
    async def trace_request(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in UNTRACED_PATHS:
            return await handler(request)
        route = _route(request)
        with tracer.start_as_current_span(
            f"{request.method} {route}" if route else request.method,
            context=PROPAGATOR.extract(request.headers),
            kind=SpanKind.SERVER,
            attributes={
                HTTP_REQUEST_METHOD: request.method,
                URL_PATH: request.path,
                **({HTTP_ROUTE: route} if route else {}),
            },
            record_exception=False,
        ) as span:
            response = await handler(request)
            _describe(span, request, response)
            if not response.prepared:  # a WebSocket has sent its headers already
                PROPAGATOR.inject(response.headers)
            return response

    return trace_request


def _route(request: web.Request) -> str | None:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else None


def _describe(span: Span, request: web.Request, response: web.StreamResponse) -> None:
    span.set_attribute(HTTP_RESPONSE_STATUS_CODE, response.status)
    if request_id := request.get(REQUEST_ID):
        span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)
    codes = request.get(ERROR_CODES)
    if codes:
        span.set_attribute(ERROR_CODE, codes[0])
        span.set_attribute(ERROR_COUNT, len(codes))
    if response.status >= 500 or SERVER_FAULTS.intersection(codes or ()):  # noqa: PLR2004 - 5xx
        span.set_status(Status(StatusCode.ERROR))


class TraceGraphQL(SchemaExtension):
    """Spans for parse, validate and execute; the operation's name and type on the request's
    span. First of the extensions, so its spans hold the other extensions' work."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer
        # Phase spans begun and not yet ended, with the context token that made each current.
        self._phases: list[tuple[Span, object]] = []

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        finally:
            # When a later extension raises while a phase begins (a syntax error in
            # CachedDocuments.on_parse), strawberry never resumes the phase hooks begun before
            # it: their spans end here, when the operation does.
            while self._phases:
                self._end_phase(failed=True)
        _name_operation(trace.get_current_span(), self.execution_context)

    def on_parse(self) -> Iterator[None]:
        self._begin_phase("graphql.parse")
        yield
        self._end_phase()

    def on_validate(self) -> Iterator[None]:
        self._begin_phase("graphql.validate")
        yield
        self._end_phase()

    def on_execute(self) -> Iterator[None]:
        _name_operation(self._begin_phase("graphql.execute"), self.execution_context)
        yield
        self._end_phase()

    def _begin_phase(self, name: str) -> Span:
        span = self.tracer.start_span(name)
        self._phases.append((span, otel_context.attach(trace.set_span_in_context(span))))
        return span

    def _end_phase(self, *, failed: bool = False) -> None:
        span, token = self._phases.pop()
        otel_context.detach(token)  # type: ignore[arg-type]
        if failed:
            span.set_status(Status(StatusCode.ERROR))
        span.end()


def _name_operation(span: Span, context: Any) -> None:
    if context.graphql_document is None:
        return
    operation = get_operation_ast(context.graphql_document, context.operation_name)
    if operation is None:  # no such operation in the document: nothing to name
        return
    if operation.name is not None:
        span.set_attribute(OPERATION_NAME, operation.name.value)
    span.set_attribute(OPERATION_TYPE, operation.operation.value)


class TracedRootFields(PlainFieldExecutor):
    """A span per root field, current while its resolver and everything below it run."""

    tracer: Tracer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._root_spans: dict[str, Span] = {}

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        if path.prev is not None:
            return super().execute_field(
                parent_type, source, field_details_list, path, position_context
            )
        field_name = field_details_list[0].node.name.value
        span = self.tracer.start_span(
            f"{parent_type.name}.{field_name}",
            attributes={FIELD_NAME: field_name, FIELD_PATH: str(path.key)},
        )
        self._root_spans[str(path.key)] = span
        try:
            with trace.use_span(span, record_exception=False, set_status_on_exception=False):
                result = super().execute_field(
                    parent_type, source, field_details_list, path, position_context
                )
        except BaseException:
            # A non-null root field's error, on its way to null the whole data.
            span.set_status(Status(StatusCode.ERROR))
            span.end()
            raise
        if self.is_awaitable(result):
            return _in_span(span, result)
        span.end()
        return result

    def handle_field_error(
        self,
        raw_error: Exception,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> None:
        root = path
        while root.prev is not None:
            root = root.prev
        if span := self._root_spans.get(str(root.key)):
            span.set_status(Status(StatusCode.ERROR))
        super().handle_field_error(raw_error, return_type, field_details_list, path)


async def _in_span(span: Span, awaitable: Awaitable[Any]) -> Any:
    # Awaited in a task of its own (graphql-core gathers root fields): the span is made
    # current again there, so the resolver's statements and loaders find it.
    try:
        with trace.use_span(span, record_exception=False, set_status_on_exception=False):
            return await awaitable
    except BaseException:
        span.set_status(Status(StatusCode.ERROR))
        raise
    finally:
        span.end()
