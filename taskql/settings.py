"""Layered settings: settings.toml, then `.env` (development only), then TASKQL_* env vars.

Dynaconf does the layering; this module turns the result into frozen, typed dataclasses and
validates them. A ConfigError names the setting and never echoes its value, so a rejected
secret cannot end up in a log or a crash report.
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlsplit

from dynaconf import Dynaconf

from taskql.paths import project_root
from taskql.settings_auth import DEVELOPMENT_SECRET_FILE, _auth
from taskql.settings_mail import _accounts, _mail
from taskql.settings_sections import (
    AccountSettings,
    ApqSettings,
    AuthSettings,
    DatabaseSettings,
    EventsSettings,
    GraphQLSettings,
    LoggingSettings,
    MailSettings,
    MetricsSettings,
    RateLimitSettings,
    ServerSettings,
    Settings,
    SubscriptionsSettings,
    TracingSettings,
)
from taskql.settings_values import (
    ConfigError,
    _bool,
    _database_url,
    _float,
    _int,
    _is_bind_address,
    _list,
    _networks,
    _operation_names,
    _str,
)

# What other modules import from here: the sections and ConfigError live in their own modules.
__all__ = [
    "DEVELOPMENT_SECRET_FILE",
    "AccountSettings",
    "ApqSettings",
    "AuthSettings",
    "ConfigError",
    "DatabaseSettings",
    "EventsSettings",
    "GraphQLSettings",
    "LoggingSettings",
    "MailSettings",
    "MetricsSettings",
    "RateLimitSettings",
    "ServerSettings",
    "Settings",
    "SubscriptionsSettings",
    "TracingSettings",
    "check_relations",
    "load_settings",
]

ENVIRONMENTS = ("development", "test", "production")
MAX_SERVICE_NAME_LENGTH = 100


def load_settings(environment: str | None = None) -> Settings:
    env = (environment or os.environ.get("TASKQL_ENV") or "development").lower()
    if env not in ENVIRONMENTS:
        raise ConfigError("TASKQL_ENV", f"must be one of {', '.join(ENVIRONMENTS)}")
    raw = Dynaconf(
        settings_files=[str(project_root() / "settings.toml")],
        environments=True,
        env=env,
        envvar_prefix="TASKQL",
        load_dotenv=env == "development",
        dotenv_path=str(project_root() / ".env"),
        merge_enabled=True,
    )
    return _build(env, raw)


def _build(env: str, raw: Any) -> Settings:
    def section(name: str) -> dict[str, Any]:
        value = raw.get(name) or {}
        return {str(k).lower(): v for k, v in dict(value).items()}

    server = section("server")
    database = section("database")
    log = section("logging")
    graphql = section("graphql")
    auth = section("auth")
    metrics = section("metrics")
    apq = section("apq")
    settings = Settings(
        environment=env,
        server=ServerSettings(
            host=_str(server, "server.host"),
            port=_int(server, "server.port", low=1, high=65535),
            workers=_int(server, "server.workers", low=1, high=64),
            graphiql=_bool(server, "server.graphiql"),
            max_body_bytes=_int(server, "server.max_body_bytes", low=1024),
            request_timeout_seconds=_float(server, "server.request_timeout_seconds"),
            shutdown_timeout_seconds=_float(server, "server.shutdown_timeout_seconds"),
            gzip_min_bytes=_int(server, "server.gzip_min_bytes", low=0),
            cors_origins=tuple(_list(server, "server.cors_origins")),
            trusted_proxies=_networks(server, "server.trusted_proxies"),
        ),
        database=DatabaseSettings(
            url=_database_url(database),
            pool_min=_int(database, "database.pool_min", low=1),
            pool_max=_int(database, "database.pool_max", low=1),
            health_timeout_seconds=_float(database, "database.health_timeout_seconds"),
            migrate_on_start=_bool(database, "database.migrate_on_start"),
            retry_max_seconds=_float(database, "database.retry_max_seconds"),
            statement_timeout_seconds=_float(database, "database.statement_timeout_seconds"),
            pool_acquire_timeout_seconds=_float(database, "database.pool_acquire_timeout_seconds"),
        ),
        logging=LoggingSettings(
            level=_str(log, "logging.level").upper(), format=_str(log, "logging.format").lower()
        ),
        graphql=GraphQLSettings(
            max_depth=_int(graphql, "graphql.max_depth", low=2),
            max_aliases=_int(graphql, "graphql.max_aliases", low=1),
            max_tokens=_int(graphql, "graphql.max_tokens", low=50),
            page_size_default=_int(graphql, "graphql.page_size_default", low=1),
            page_size_max=_int(graphql, "graphql.page_size_max", low=1),
            # No lower than the longest limit of a field of its own (a description's 2,000).
            max_string_length=_int(graphql, "graphql.max_string_length", low=2000),
            max_fragment_spreads=_int(graphql, "graphql.max_fragment_spreads", low=1),
            max_fragment_depth=_int(graphql, "graphql.max_fragment_depth", low=1),
            max_repeated_fields=_int(graphql, "graphql.max_repeated_fields", low=1),
            document_cache_text_bytes=_int(graphql, "graphql.document_cache_text_bytes", low=0),
            document_cache_max_text_bytes=_int(
                graphql, "graphql.document_cache_max_text_bytes", low=0
            ),
            introspection=_bool(graphql, "graphql.introspection"),
            field_suggestions=_bool(graphql, "graphql.field_suggestions"),
            batching=_bool(graphql, "graphql.batching"),
            max_batch_operations=_int(graphql, "graphql.max_batch_operations", low=1, high=100),
            get_cache_max_age_seconds=_int(
                graphql, "graphql.get_cache_max_age_seconds", low=0, high=86400
            ),
            compiled_plan_cache_size=_int(
                graphql, "graphql.compiled_plan_cache_size", low=1, high=100_000
            ),
            max_cost=_int(graphql, "graphql.max_cost", low=1),
            report_cost=_bool(graphql, "graphql.report_cost"),
            trusted_documents_only=_bool(graphql, "graphql.trusted_documents_only"),
            trusted_documents_manifest=_str(graphql, "graphql.trusted_documents_manifest"),
            nodes_max=_int(graphql, "graphql.nodes_max", low=1, high=1000),
            # Bounded by the bind parameters of one statement (an audit row takes 9).
            bulk_max_ids=_int(graphql, "graphql.bulk_max_ids", low=1, high=1000),
            compiled_execution=_bool(graphql, "graphql.compiled_execution"),
        ),
        auth=_auth(env, auth),
        metrics=MetricsSettings(
            host=_str(metrics, "metrics.host"),
            port=_int(metrics, "metrics.port", low=0, high=65535),
            slow_operation_ms=_int(metrics, "metrics.slow_operation_ms", low=-1),
            operation_names=_operation_names(metrics, "metrics.operation_names"),
            max_seen_operation_names=_int(
                metrics, "metrics.max_seen_operation_names", low=0, high=1000
            ),
        ),
        ratelimit=_ratelimit(section("ratelimit")),
        apq=_apq(apq),
        events=_events(section("events")),
        subscriptions=_subscriptions(section("subscriptions")),
        tracing=_tracing(section("tracing")),
        mail=_mail(env, section("mail")),
        accounts=_accounts(section("accounts")),
    )
    _check_relations(settings)
    return settings


def check_relations(settings: Settings) -> None:
    """The rules that tie settings together; run again after command-line overrides (e.g.
    `serve --workers 2`), which can break a rule the loaded settings kept."""
    _check_relations(settings)


def _check_relations(settings: Settings) -> None:
    if settings.database.pool_max < settings.database.pool_min:
        raise ConfigError("database.pool_max", "must be greater than or equal to database.pool_min")
    if settings.graphql.page_size_default > settings.graphql.page_size_max:
        raise ConfigError("graphql.page_size_default", "must not exceed graphql.page_size_max")
    if not _is_bind_address(settings.server.host):
        raise ConfigError("server.host", "is not an IP address or host name")
    if settings.logging.level not in logging.getLevelNamesMapping():
        raise ConfigError("logging.level", "must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
    if settings.logging.format not in ("json", "console"):
        raise ConfigError("logging.format", "must be json or console")
    for name in ("request_timeout_seconds", "shutdown_timeout_seconds"):
        if getattr(settings.server, name) <= 0:
            raise ConfigError(f"server.{name}", "must be positive")
    _check_database(settings)
    _check_metrics(settings)
    _check_cost_budget(settings)
    _check_events(settings)
    wait = settings.auth.password_work_max_wait_seconds
    if not 0 <= wait < settings.server.request_timeout_seconds:
        raise ConfigError(
            "auth.password_work_max_wait_seconds",
            "must be at least 0 and less than server.request_timeout_seconds",
        )


def _check_metrics(settings: Settings) -> None:
    if not _is_bind_address(settings.metrics.host):
        raise ConfigError("metrics.host", "is not an IP address or host name")
    if settings.metrics.enabled and settings.metrics.port == settings.server.port:
        raise ConfigError("metrics.port", "must differ from server.port (metrics stay private)")


def _ratelimit(ratelimit: dict[str, Any]) -> RateLimitSettings:
    backend = _str(ratelimit, "ratelimit.backend").lower()
    if backend not in ("memory", "redis"):
        raise ConfigError("ratelimit.backend", "must be memory or redis")
    window = _float(ratelimit, "ratelimit.cost_window_seconds")
    if window <= 0:
        raise ConfigError("ratelimit.cost_window_seconds", "must be positive")
    redis_url = _str(ratelimit, "ratelimit.redis_url")
    if not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("ratelimit.redis_url", "must start with redis://, rediss:// or unix://")
    return RateLimitSettings(
        cost_budget=_int(ratelimit, "ratelimit.cost_budget", low=0),
        cost_window_seconds=window,
        backend=backend,
        redis_url=redis_url,
        key_prefix=str(ratelimit.get("key_prefix") or ""),
    )


def _check_cost_budget(settings: Settings) -> None:
    ratelimit = settings.ratelimit
    if ratelimit.cost_budget == 0:
        return
    if ratelimit.cost_budget < settings.graphql.max_cost:
        # Otherwise an operation the server accepts could never be afforded.
        raise ConfigError("ratelimit.cost_budget", "must be 0 (off) or at least graphql.max_cost")
    one_process = settings.database.dialect == "sqlite" and settings.server.workers == 1
    if ratelimit.backend == "memory" and not one_process:
        # In-process buckets would give each process (or instance) a budget of its own.
        raise ConfigError(
            "ratelimit.backend",
            "memory serves only SQLite with one worker; use redis to share cost budgets",
        )


def _check_database(settings: Settings) -> None:
    for name in (
        "health_timeout_seconds",
        "statement_timeout_seconds",
        "pool_acquire_timeout_seconds",
    ):
        if getattr(settings.database, name) <= 0:
            raise ConfigError(f"database.{name}", "must be positive")
    database = settings.database
    # A request that waits for a connection and then for one statement must still answer
    # SERVICE_UNAVAILABLE itself, before the request timeout turns it into a bare 504.
    if (
        database.statement_timeout_seconds + database.pool_acquire_timeout_seconds
        >= settings.server.request_timeout_seconds
    ):
        raise ConfigError(
            "database.statement_timeout_seconds",
            "plus database.pool_acquire_timeout_seconds must be less than "
            "server.request_timeout_seconds",
        )


def _tracing(tracing: dict[str, Any]) -> TracingSettings:
    endpoint = _str(tracing, "tracing.otlp_endpoint")
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("tracing.otlp_endpoint", "must be an http:// or https:// URL")
    ratio = _float(tracing, "tracing.sampling_ratio")
    if not 0 <= ratio <= 1:
        raise ConfigError("tracing.sampling_ratio", "must be between 0 and 1")
    service_name = _str(tracing, "tracing.service_name")
    if len(service_name) > MAX_SERVICE_NAME_LENGTH:
        raise ConfigError(
            "tracing.service_name", f"must be at most {MAX_SERVICE_NAME_LENGTH} characters"
        )
    return TracingSettings(
        enabled=_bool(tracing, "tracing.enabled"),
        otlp_endpoint=endpoint,
        service_name=service_name,
        sampling_ratio=ratio,
    )


def _apq(apq: dict[str, Any]) -> ApqSettings:
    backend = _str(apq, "apq.backend").lower()
    if backend not in ("memory", "redis"):
        raise ConfigError("apq.backend", "must be memory or redis")
    redis_url = str(apq.get("redis_url") or "")
    if backend == "redis" and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("apq.redis_url", "must start with redis://, rediss:// or unix://")
    return ApqSettings(
        enabled=_bool(apq, "apq.enabled"),
        backend=backend,
        redis_url=redis_url,
        key_prefix=_str(apq, "apq.key_prefix"),
        ttl_seconds=_int(apq, "apq.ttl_seconds", low=1),
        max_document_bytes=_int(apq, "apq.max_document_bytes", low=1),
        max_entries=_int(apq, "apq.max_entries", low=1),
    )


# PostgreSQL truncates identifiers longer than this.
MAX_CHANNEL_LENGTH = 63


def _events(events: dict[str, Any]) -> EventsSettings:
    backend = _str(events, "events.backend").lower()
    if backend not in ("auto", "memory", "postgres", "redis"):
        raise ConfigError("events.backend", "must be auto, memory, postgres or redis")
    redis_url = str(events.get("redis_url") or "")
    if backend == "redis" and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("events.redis_url", "must start with redis://, rediss:// or unix://")
    channel = _str(events, "events.channel")
    if not channel.replace("_", "").isalnum() or len(channel) > MAX_CHANNEL_LENGTH:
        # It is spelled into LISTEN/NOTIFY statements: an identifier, never quoted text.
        raise ConfigError("events.channel", "must be letters, digits and _ (at most 63)")
    return EventsSettings(backend=backend, redis_url=redis_url, channel=channel)


def _check_events(settings: Settings) -> None:
    backend = settings.events.backend
    sqlite = settings.database.dialect == "sqlite"
    if backend == "postgres" and sqlite:
        raise ConfigError("events.backend", "postgres needs a PostgreSQL database.url")
    one_process = sqlite and settings.server.workers == 1
    if (backend == "memory" or (backend == "auto" and sqlite)) and not one_process:
        # Each process would hear only its own writes: a subscriber would silently miss the
        # rest. (auto on PostgreSQL is postgres, shared by every instance.)
        raise ConfigError(
            "events.backend",
            "memory (auto on SQLite) serves only SQLite with one worker; "
            "use postgres or redis so every instance hears every event",
        )


def _subscriptions(values: dict[str, Any]) -> SubscriptionsSettings:
    def seconds(name: str, low: float, high: float) -> float:
        value = _float(values, f"subscriptions.{name}")
        if not low <= value <= high:
            raise ConfigError(f"subscriptions.{name}", f"must be between {low} and {high}")
        return value

    return SubscriptionsSettings(
        max_sockets=_int(values, "subscriptions.max_sockets", low=1, high=1_000_000),
        max_per_connection=_int(values, "subscriptions.max_per_connection", low=1, high=1000),
        connection_init_timeout_seconds=seconds("connection_init_timeout_seconds", 0.1, 300),
        queue_size=_int(values, "subscriptions.queue_size", low=1, high=100_000),
        session_check_seconds=seconds("session_check_seconds", 0.05, 3600),
        heartbeat_seconds=seconds("heartbeat_seconds", 1, 3600),
        legacy_protocol=_bool(values, "subscriptions.legacy_protocol"),
    )
