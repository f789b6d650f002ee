"""OpenTelemetry tracing, the core part: the tracer provider, SQL statement spans, log ids.

Only imported when `tracing.enabled` is on; the HTTP and GraphQL spans are made by
server/tracing.py. Each app owns its provider (never the process-wide global one), so two
apps in one process, and tests, never share or fight over where spans go.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanLimits, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.semconv.attributes.db_attributes import (
    DB_OPERATION_NAME,
    DB_QUERY_TEXT,
    DB_SYSTEM_NAME,
)
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer

from taskql.settings import TracingSettings

TRACER_NAME = "taskql"
# db.system.name by our dialect names (DatabaseSettings.dialect).
DB_SYSTEMS = {"sqlite": "sqlite", "postgres": "postgresql"}
# Longest attribute value kept (a statement, an operation name a client chose): a span
# must not grow with what a client sends.
MAX_ATTRIBUTE_CHARS = 4000


def build_tracer_provider(
    settings: TracingSettings, *, exporter: SpanExporter | None = None
) -> TracerProvider:
    """A provider sampling ParentBased(TraceIdRatio) and exporting to the OTLP endpoint.

    `exporter` replaces the OTLP one and is called as each span ends (tests pass the SDK's
    InMemorySpanExporter); the OTLP exporter sends batches from a background thread, so a
    slow collector never holds a request.
    """
    provider = TracerProvider(
        sampler=ParentBased(TraceIdRatioBased(settings.sampling_ratio)),
        resource=Resource.create({SERVICE_NAME: settings.service_name}),
        span_limits=SpanLimits(max_attribute_length=MAX_ATTRIBUTE_CHARS),
        # The app's cleanup shuts it down (flushing what is queued), not an atexit hook
        # that would keep every provider a test process ever made alive.
        shutdown_on_exit=False,
    )
    processor: SpanProcessor
    if exporter is None:
        processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint))
    else:
        processor = SimpleSpanProcessor(exporter)
    provider.add_span_processor(processor)
    return provider


def get_tracer(provider: TracerProvider) -> Tracer:
    return provider.get_tracer(TRACER_NAME)


@contextmanager
def statement_span(tracer: Tracer, dialect: str, query: str) -> Iterator[None]:
    """A CLIENT span around one SQL statement, when a traced request is running.

    Statements outside one (background jobs, the database watcher) and in unsampled
    requests make no span: there would be no trace to hang them on.
    """
    if not trace.get_current_span().is_recording():
        yield
        return
    operation = query.lstrip().split(None, 1)[0].upper() if query.strip() else "SQL"
    attributes = {
        DB_SYSTEM_NAME: DB_SYSTEMS.get(dialect, dialect),
        DB_OPERATION_NAME: operation,
        # Parametrised: values never appear in our statements.
        DB_QUERY_TEXT: query,
    }
    # Driver errors are not recorded as events: their messages may quote row values.
    with tracer.start_as_current_span(
        operation,
        kind=SpanKind.CLIENT,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield
        except BaseException as error:
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            raise


def add_trace_ids(_: Any, __: str, event: structlog.typing.EventDict) -> structlog.typing.EventDict:
    """structlog processor: the current span's trace and span ids on each log line.

    Installed by configure_logging(trace_ids=True) only, i.e. when tracing is on.
    """
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = trace.format_trace_id(context.trace_id)
        event["span_id"] = trace.format_span_id(context.span_id)
    return event
