"""structlog for our own logs and for the stdlib loggers (aiohttp, tortoise, asyncio) alike.

JSON lines in production and tests, a readable console in development. `merge_contextvars`
comes first so every line emitted while a request is handled carries its `request_id`.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import orjson
import structlog

# Keys whose values are never written, whatever logger emits them.
REDACTED_KEYS = frozenset(
    {
        "password",
        "new_password",
        "current_password",
        "token",
        "access_token",
        "refresh_token",
        "authorization",
        "jwt_secret",
        "secret",
        "password_hash",
    }
)


def redact_secrets(
    _: Any, __: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    for key in REDACTED_KEYS.intersection(event):
        event[key] = "***"
    return event


# Longest string value a log line carries: a client can put megabytes into an argument, a
# header or an operation name, and a log line must not grow with it. A traceback may be longer,
# but not unbounded (its tail, where the error message is, is kept too).
MAX_LOGGED_CHARS = 500
MAX_LOGGED_TRACEBACK_CHARS = 8000


def truncate_long_values(
    _: Any, __: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    for key, value in event.items():
        if not isinstance(value, str):
            continue
        if key == "exception":
            if len(value) > MAX_LOGGED_TRACEBACK_CHARS:
                half = MAX_LOGGED_TRACEBACK_CHARS // 2
                cut = len(value) - 2 * half
                event[key] = f"{value[:half]}... [{cut} characters cut] ...{value[-half:]}"
        elif len(value) > MAX_LOGGED_CHARS:
            cut = len(value) - MAX_LOGGED_CHARS
            event[key] = f"{value[:MAX_LOGGED_CHARS]}... [{cut} characters cut]"
    return event


def _orjson_dumps(value: Any, **_: Any) -> str:
    return orjson.dumps(value, default=str).decode()


def configure_logging(*, level: str, json_output: bool, trace_ids: bool = False) -> None:
    """`trace_ids` (tracing on) adds the current span's trace_id and span_id to every line."""
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        redact_secrets,
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    # In the formatter, which runs where each line is logged (so the current span is the
    # right one), for structlog and stdlib lines alike.
    span_ids: list[structlog.typing.Processor] = []
    if trace_ids:
        # Imported here: with tracing off, OpenTelemetry is not even loaded.
        from taskql.tracing import add_trace_ids  # noqa: PLC0415

        span_ids.append(add_trace_ids)
    renderer: structlog.typing.Processor
    if json_output:
        renderer = structlog.processors.JSONRenderer(serializer=_orjson_dumps)
    else:
        renderer = structlog.dev.ConsoleRenderer()
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *span_ids,
            *([structlog.processors.format_exc_info] if json_output else []),
            # Last before rendering, so it sees every value, the formatted traceback included.
            truncate_long_values,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The ORM's statement log carries bound parameters (emails, hashes): never above DEBUG
    # in our output. Tests that count statements attach their own handler to it.
    logging.getLogger("tortoise.db_client").setLevel(logging.WARNING)
    # We write one access line per request ourselves, with the request id and operation.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # Strawberry logs every GraphQL error with a traceback; we log unexpected ones ourselves.
    logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL)
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    # With tracing on and the collector away, the OTLP exporter warns at every retry; the one
    # ERROR per lost batch is enough.
    logging.getLogger("opentelemetry.exporter").setLevel(logging.ERROR)
    # asyncpg's pool logs each failed reconnect of its connection floor with a traceback;
    # taskql.database_monitor already logs an outage once, with the driver's error.
    logging.getLogger("asyncpg.pool").setLevel(logging.ERROR)
    logging.getLogger("asyncio").setLevel(max(logging.INFO, logging.getLevelName(level)))


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)
