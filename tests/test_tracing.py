"""OpenTelemetry tracing (settings [tracing]): the span tree of a request, its attributes,
trace ids in the logs, sampling, and nothing at all installed while tracing is off."""

from __future__ import annotations

import http.server
import io
import logging
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import strawberry
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from tortoise import connections
from tortoise.transactions import in_transaction

from server.app import QuietPlainFieldExecutor, create_app
from server.graphql_documents import CachedDocuments
from server.graphql_execution import PlainFieldExecutor
from server.tracing import TracedRootFields, TraceGraphQL
from taskql.database_clients import BoundedAsyncpgClient, BoundedSqliteClient
from taskql.logging import configure_logging
from taskql.settings import ConfigError, Settings, TracingSettings, load_settings
from taskql.traced_database_clients import TracedAsyncpgClient, TracedSqliteClient
from taskql.tracing import build_tracer_provider, get_tracer
from tests.cli import ROOT, free_port, serving, taskql_env
from tests.conftest import LogCapture, with_overrides
from tests.task_factories import create_tasks, signed_in_user

INCOMING_TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
INCOMING_SPAN_ID = "b7ad6b7169203331"
SAMPLED_PARENT = f"00-{INCOMING_TRACE_ID}-{INCOMING_SPAN_ID}-01"
UNSAMPLED_PARENT = f"00-{INCOMING_TRACE_ID}-{INCOMING_SPAN_ID}-00"

MINE = """
query Mine {
  me { email }
  tasks(first: 5) { edges { node { title owner { email } } } }
}
"""


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


def traced(settings: Settings, **tracing: Any) -> Settings:
    return with_overrides(settings, tracing={"enabled": True, **tracing})


@pytest.fixture
async def traced_client(make_client, settings, spans):
    return await make_client(traced(settings), span_exporter=spans)


@pytest.fixture
def traced_logs() -> Iterator[LogCapture]:
    """Logging as `taskql serve` configures it with tracing on, captured; then as before."""
    configure_logging(level="INFO", json_output=True, trace_ids=True)
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(root.handlers[0].formatter)
    root.addHandler(handler)
    yield LogCapture(stream)
    root.removeHandler(handler)
    configure_logging(level="INFO", json_output=True)


class Tree:
    """The finished spans of one trace, by parent."""

    def __init__(self, finished: tuple[ReadableSpan, ...]) -> None:
        self.spans = list(finished)
        [self.server] = [span for span in self.spans if span.kind is SpanKind.SERVER]

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        found = [
            span
            for span in self.spans
            if span.parent is not None and span.parent.span_id == parent.context.span_id
        ]
        return sorted(found, key=lambda span: span.start_time or 0)

    def named(self, name: str) -> ReadableSpan:
        [span] = [span for span in self.spans if span.name == name]
        return span

    @staticmethod
    def sql(spans: list[ReadableSpan]) -> list[ReadableSpan]:
        return [span for span in spans if span.attributes and "db.system.name" in span.attributes]

    @staticmethod
    def not_sql(spans: list[ReadableSpan]) -> list[ReadableSpan]:
        return [span for span in spans if not (span.attributes or {}).get("db.system.name")]


def db_system(settings: Settings) -> str:
    return "sqlite" if settings.database.dialect == "sqlite" else "postgresql"


async def test_one_request_makes_the_span_tree(traced_client, spans, settings, sql_statements):
    """A request with a traceparent: its server span is the remote parent's child; parse,
    validate and execute hang below it, a span per root field under execute, and every SQL
    statement the request sends is a span, under the root field that caused it."""
    user, token = await signed_in_user(settings)
    await create_tasks(user, 3)
    spans.clear()
    sql_statements.reset()

    response = await traced_client.post(
        "/graphql",
        json={"query": MINE},
        headers={"Authorization": f"Bearer {token}", "traceparent": SAMPLED_PARENT},
    )
    body = await response.json()
    assert "errors" not in body
    assert len(body["data"]["tasks"]["edges"]) == 3

    tree = Tree(spans.get_finished_spans())
    server = tree.server
    assert type(connections.get("default")) in (TracedSqliteClient, TracedAsyncpgClient)
    assert {span.context.trace_id for span in tree.spans} == {int(INCOMING_TRACE_ID, 16)}
    assert server.parent is not None
    assert server.parent.is_remote
    assert server.parent.span_id == int(INCOMING_SPAN_ID, 16)
    assert server.name == "POST /graphql"
    assert server.attributes is not None
    assert server.attributes["http.request.method"] == "POST"
    assert server.attributes["http.route"] == "/graphql"
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["graphql.operation.name"] == "Mine"
    assert server.attributes["graphql.operation.type"] == "query"
    assert server.attributes["taskql.request_id"] == response.headers["X-Request-Id"]
    assert "graphql.error.code" not in server.attributes
    assert server.status.status_code is StatusCode.UNSET
    # The response names the trace and the server span, for the client's own records.
    assert response.headers["traceparent"] == (
        f"00-{INCOMING_TRACE_ID}-{server.context.span_id:016x}-01"
    )

    phases = tree.not_sql(tree.children(server))
    assert [span.name for span in phases] == [
        "graphql.parse",
        "graphql.validate",
        "graphql.execute",
    ]
    # The bearer token is checked before GraphQL runs: its statement is the request's own.
    [authentication] = tree.sql(tree.children(server))
    execute = tree.named("graphql.execute")
    assert execute.attributes is not None
    assert execute.attributes["graphql.operation.type"] == "query"

    fields = tree.children(execute)
    assert sorted(span.name for span in fields) == ["Query.me", "Query.tasks"]
    for field in fields:
        assert field.status.status_code is StatusCode.UNSET
        assert tree.sql(tree.children(field)), f"{field.name} has no statement spans"
        assert not tree.not_sql(tree.children(field))
    tasks_field = tree.named("Query.tasks")
    assert tasks_field.attributes == {"graphql.field.name": "tasks", "graphql.field.path": "tasks"}

    statements = tree.sql(tree.spans)
    # Every statement tortoise sent made one span, and no span is anything else.
    assert len(statements) == len(sql_statements.statements)
    assert len(tree.spans) == 1 + 3 + len(fields) + len(statements)
    for statement in [authentication, *statements]:
        assert statement.kind is SpanKind.CLIENT
        assert statement.attributes is not None
        assert statement.attributes["db.system.name"] == db_system(settings)
        assert statement.attributes["db.operation.name"] == statement.name == "SELECT"
        query = str(statement.attributes["db.query.text"])
        assert query.lstrip().upper().startswith("SELECT")
        # Parametrised: no value of the request's rows appears in a statement.
        assert user.email not in query


async def test_failed_request_carries_its_error_code(traced_client, spans):
    """An operation that fails names its extensions.code on the request span and marks the
    root field that failed; a client's mistake leaves the request span's status unset."""
    spans.clear()
    response = await traced_client.post("/graphql", json={"query": "query Who { me { email } }"})
    body = await response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    tree = Tree(spans.get_finished_spans())
    assert tree.server.attributes is not None
    assert tree.server.attributes["graphql.error.code"] == "UNAUTHENTICATED"
    assert tree.server.attributes["graphql.error.count"] == 1
    assert tree.server.attributes["graphql.operation.name"] == "Who"
    assert tree.server.status.status_code is StatusCode.UNSET
    assert tree.named("Query.me").status.status_code is StatusCode.ERROR
    # No traceparent came in: the request starts a trace of its own.
    assert tree.server.parent is None


async def test_syntax_error_stops_after_the_parse_span(traced_client, spans):
    """A document that does not parse has a parse span and nothing after it; the request
    span carries VALIDATION_ERROR."""
    spans.clear()
    body = await (await traced_client.post("/graphql", json={"query": "{ me { "})).json()
    assert body["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"

    tree = Tree(spans.get_finished_spans())
    assert [span.name for span in tree.children(tree.server)] == ["graphql.parse"]
    assert tree.server.attributes is not None
    assert tree.server.attributes["graphql.error.code"] == "VALIDATION_ERROR"
    assert "graphql.operation.type" not in tree.server.attributes


async def test_mutation_root_fields_and_their_statements_are_traced(traced_client, spans, settings):
    """A mutation's root field has its span (type mutation) and its INSERT under it."""
    _, token = await signed_in_user(settings)
    spans.clear()
    response = await traced_client.post(
        "/graphql",
        json={"query": 'mutation Add { createTask(input: {title: "Traced"}) { id title } }'},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert "errors" not in await response.json()

    tree = Tree(spans.get_finished_spans())
    assert tree.server.attributes is not None
    assert tree.server.attributes["graphql.operation.type"] == "mutation"
    field = tree.named("Mutation.createTask")
    operations = [span.name for span in tree.sql(tree.children(field))]
    assert "INSERT" in operations


async def test_statements_inside_transactions_are_traced(make_client, settings, spans):
    """Statements sent inside a transaction (and a nested one) get their spans too, under
    the field that ran them."""

    @strawberry.type
    class Query:
        @strawberry.field
        async def transfer(self) -> int:
            async with in_transaction() as outer:
                await outer.execute_query("SELECT 1")
                async with in_transaction() as inner:
                    rows = await inner.execute_query_dict("SELECT 2 AS two")
            return int(rows[0]["two"])

    def schema_factory(extensions=(), execution_context_class=None):
        return strawberry.Schema(
            query=Query, extensions=extensions, execution_context_class=execution_context_class
        )

    client = await make_client(traced(settings), schema_factory=schema_factory, span_exporter=spans)
    spans.clear()
    body = await (await client.post("/graphql", json={"query": "{ transfer }"})).json()
    assert body == {"data": {"transfer": 2}}

    tree = Tree(spans.get_finished_spans())
    field = tree.named("Query.transfer")
    texts = [span.attributes["db.query.text"] for span in tree.sql(tree.children(field))]  # type: ignore[index]
    assert texts == ["SELECT 1", "SELECT 2 AS two"]


async def test_log_lines_of_a_request_carry_its_trace_id(traced_client, spans, traced_logs):
    """Every log line written while a request is handled names its trace and span."""
    spans.clear()
    traced_logs.clear()
    await traced_client.post(
        "/graphql",
        json={"query": "{ serverInfo { version } }"},
        headers={"traceparent": SAMPLED_PARENT},
    )
    tree = Tree(spans.get_finished_spans())
    records = traced_logs.records
    assert records
    assert {record["trace_id"] for record in records} == {INCOMING_TRACE_ID}
    [access] = [record for record in records if record["logger"] == "taskql.access"]
    assert access["span_id"] == f"{tree.server.context.span_id:016x}"
    # Lines of the stdlib loggers (aiohttp, tortoise, asyncio) go through the same formatter.
    tracer = get_tracer(build_tracer_provider(TracingSettings(enabled=True), exporter=spans))
    with tracer.start_as_current_span("probe") as probe:
        logging.getLogger("tortoise").warning("a stdlib line")
    [stdlib] = [record for record in traced_logs.records if record["event"] == "a stdlib line"]
    assert stdlib["trace_id"] == f"{probe.get_span_context().trace_id:032x}"
    assert stdlib["span_id"] == f"{probe.get_span_context().span_id:016x}"


async def test_probes_are_not_traced(traced_client, spans):
    """Health probes, polled every few seconds, make no spans (nor their SELECT 1)."""
    spans.clear()
    assert (await traced_client.get("/healthz")).status == 200
    assert (await traced_client.get("/livez")).status == 200
    assert spans.get_finished_spans() == ()
    await traced_client.get("/no-such-page", headers={"traceparent": SAMPLED_PARENT})
    [missing] = spans.get_finished_spans()
    # An unknown path is not a route: the span is named for the method alone.
    assert missing.name == "GET"
    assert missing.attributes is not None
    assert missing.attributes["http.response.status_code"] == 404


async def test_sampling_ratio_zero_keeps_only_sampled_parents(make_client, settings, spans):
    """sampling_ratio is ParentBased(TraceIdRatio): at 0, new and unsampled traces record
    nothing (not even their statements), while a caller's sampled trace is continued."""
    client = await make_client(traced(settings, sampling_ratio=0.0), span_exporter=spans)
    spans.clear()
    query = {"query": "{ me { email } }"}
    await client.post("/graphql", json=query)
    await client.post("/graphql", json=query, headers={"traceparent": UNSAMPLED_PARENT})
    assert spans.get_finished_spans() == ()

    await client.post("/graphql", json=query, headers={"traceparent": SAMPLED_PARENT})
    tree = Tree(spans.get_finished_spans())
    assert tree.server.context.trace_id == int(INCOMING_TRACE_ID, 16)


async def test_tracing_off_installs_nothing(make_client, settings, logs):
    """With tracing off (the default) the app has exactly its usual middlewares, extensions,
    executor and database client, answers no traceparent and logs no trace ids."""
    assert settings.tracing.enabled is False
    # Without the slow-operation log, so the list is the chassis' own middlewares only.
    settings = with_overrides(settings, metrics={"slow_operation_ms": -1})
    plain = await make_client(settings)
    # Built, not started: one ORM per process at a time.
    traced_app = create_app(traced(settings), span_exporter=InMemorySpanExporter())

    names = [middleware.__name__ for middleware in plain.app.middlewares]
    assert names == ["request_context", "limit_size_and_time", "compress_large"]
    traced_names = [m.__name__ for m in traced_app.middlewares]  # type: ignore[attr-defined]
    assert traced_names == ["trace_request", *names]

    plain_schema, traced_schema = graphql_schema(plain.app), graphql_schema(traced_app)
    # Compiled plans over the plain-field executor; a traced app keeps graphql-core's path.
    plain_executor = plain_schema.execution_context_class
    assert plain_executor is not PlainFieldExecutor
    assert issubclass(plain_executor, PlainFieldExecutor)
    assert not issubclass(traced_schema.execution_context_class, plain_executor)
    assert issubclass(traced_schema.execution_context_class, TracedRootFields)
    plain_extensions = [type(factory()) for factory in plain_schema.extensions]
    assert TraceGraphQL not in plain_extensions
    traced_extensions = [type(factory()) for factory in traced_schema.extensions]
    assert [kind for kind in traced_extensions if kind is not TraceGraphQL] == plain_extensions
    # Production's executor (no "Did you mean" hints) is the one traced there.
    quiet = traced(with_overrides(settings, graphql={"field_suggestions": False}))
    quiet_app = create_app(quiet, span_exporter=InMemorySpanExporter())
    quiet_executor = graphql_schema(quiet_app).execution_context_class
    assert issubclass(quiet_executor, TracedRootFields)
    assert issubclass(quiet_executor, QuietPlainFieldExecutor)
    # Before the document cache, so that the parse and validate spans hold its work.
    assert traced_extensions.index(TraceGraphQL) < traced_extensions.index(CachedDocuments)
    assert type(connections.get("default")) in (BoundedSqliteClient, BoundedAsyncpgClient)

    logs.clear()
    response = await plain.post(
        "/graphql",
        json={"query": "{ serverInfo { version } }"},
        headers={"traceparent": SAMPLED_PARENT},
    )
    assert response.status == 200
    assert "traceparent" not in response.headers
    assert logs.records
    assert all("trace_id" not in record for record in logs.records)


def test_tracing_off_does_not_even_load_opentelemetry():
    """An app built with the default settings, and its logging, never import OpenTelemetry."""
    program = (
        "import sys\n"
        "from taskql.settings import load_settings\n"
        "from taskql.logging import configure_logging\n"
        "from server.app import QuietPlainFieldExecutor, create_app\n"
        "settings = load_settings('test')\n"
        "configure_logging(level='INFO', json_output=True, trace_ids=settings.tracing.enabled)\n"
        "create_app(settings)\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('opentelemetry'))\n"
        "print(loaded)\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        env=taskql_env(TASKQL_ENV="test"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def graphql_schema(app: Any) -> Any:
    [view] = {
        route.handler
        for route in app.router.routes()
        if route.method == "POST"
        and route.resource is not None
        and route.resource.canonical == "/graphql"
    }
    return view.schema


@pytest.mark.parametrize(
    ("variable", "value", "setting"),
    [
        ("TASKQL_TRACING__ENABLED", "sometimes", "tracing.enabled"),
        ("TASKQL_TRACING__SAMPLING_RATIO", "1.5", "tracing.sampling_ratio"),
        ("TASKQL_TRACING__SAMPLING_RATIO", "-0.1", "tracing.sampling_ratio"),
        ("TASKQL_TRACING__SAMPLING_RATIO", "nan", "tracing.sampling_ratio"),
        ("TASKQL_TRACING__OTLP_ENDPOINT", "collector:4318", "tracing.otlp_endpoint"),
        ("TASKQL_TRACING__OTLP_ENDPOINT", "ftp://collector/v1/traces", "tracing.otlp_endpoint"),
        ("TASKQL_TRACING__SERVICE_NAME", " ", "tracing.service_name"),
        ("TASKQL_TRACING__SERVICE_NAME", "x" * 101, "tracing.service_name"),
    ],
)
def test_invalid_tracing_settings_are_refused(monkeypatch, variable, value, setting):
    """Each tracing setting is validated at start-up, and the error names it."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        load_settings("test")
    assert raised.value.setting == setting


def test_tracing_settings_are_read(monkeypatch):
    """Tracing is off in every environment unless turned on; its keys come from TASKQL_*."""
    monkeypatch.setenv("TASKQL_AUTH__JWT_SECRET", "k3J9xQ2mV8pL5tR7wZ1cN4bH6yF0dS2aG8eU")
    for environment in ("development", "test", "production"):
        assert load_settings(environment).tracing.enabled is False
    monkeypatch.setenv("TASKQL_TRACING__ENABLED", "true")
    monkeypatch.setenv("TASKQL_TRACING__SAMPLING_RATIO", "0.25")
    monkeypatch.setenv("TASKQL_TRACING__SERVICE_NAME", "taskql-eu")
    monkeypatch.setenv("TASKQL_TRACING__OTLP_ENDPOINT", "https://otel.example.test/v1/traces")
    tracing = load_settings("production").tracing
    assert tracing.enabled is True
    assert tracing.sampling_ratio == 0.25
    assert tracing.service_name == "taskql-eu"
    assert tracing.otlp_endpoint == "https://otel.example.test/v1/traces"


class Collector(http.server.BaseHTTPRequestHandler):
    """A stand-in OTLP/HTTP collector: keeps each export request it is sent."""

    received: list[ExportTraceServiceRequest]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.received.append(request)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


def test_taskql_serve_exports_spans_to_the_otlp_endpoint(tmp_path):
    """`taskql serve` with tracing on sends its spans, named for the service, to the
    configured OTLP endpoint (at the latest when it stops), and logs trace ids."""
    Collector.received = []
    collector = http.server.HTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    port = free_port()
    env = taskql_env(
        TASKQL_ENV="test",
        TASKQL_DATABASE__URL=f"sqlite://{tmp_path}/traced.sqlite3",
        TASKQL_DATABASE__MIGRATE_ON_START="true",
        TASKQL_TRACING__ENABLED="true",
        TASKQL_TRACING__SERVICE_NAME="taskql-under-test",
        TASKQL_TRACING__OTLP_ENDPOINT=f"http://127.0.0.1:{collector.server_port}/v1/traces",
    )
    try:
        with serving("serve", "--port", str(port), port=port, env=env) as process:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/graphql",
                data=b'{"query": "{ serverInfo { version } }"}',
                headers={"Content-Type": "application/json", "traceparent": SAMPLED_PARENT},
            )
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                assert b'"serverInfo"' in answer.read()
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
            output = process.stdout.read().decode() if process.stdout else ""
    finally:
        collector.shutdown()
        collector.server_close()

    exported = [
        span
        for request in Collector.received
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    ]
    services = {
        attribute.value.string_value
        for request in Collector.received
        for resource_spans in request.resource_spans
        for attribute in resource_spans.resource.attributes
        if attribute.key == "service.name"
    }
    assert services == {"taskql-under-test"}
    names = {span.name for span in exported if span.trace_id.hex() == INCOMING_TRACE_ID}
    assert {"POST /graphql", "graphql.execute", "Query.serverInfo"} <= names
    assert f'"trace_id":"{INCOMING_TRACE_ID}"' in output
