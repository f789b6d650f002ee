"""Layered settings: settings.toml, then `.env` (development only), then TASKQL_* env vars.

Dynaconf does the layering; this module turns the result into frozen, typed dataclasses and
validates them. A ConfigError names the setting and never echoes its value, so a rejected
secret cannot end up in a log or a crash report.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from dynaconf import Dynaconf

from taskql.paths import project_root

ENVIRONMENTS = ("development", "test", "production")
SECRET_KEYS = frozenset({"jwt_secret", "jwt_private_key", "jwt_previous_keys", "password"})
PLACEHOLDER_PATTERN = re.compile(
    r"change.?me|placeholder|replace.?me|example|^x+$|^secret$", re.IGNORECASE
)
MIN_SECRET_LENGTH = 32
# Development only: the generated JWT secret, relative to the project root (data/ is untracked).
DEVELOPMENT_SECRET_FILE = Path("data") / ".jwt-secret"
MAX_SERVICE_NAME_LENGTH = 100
HOSTNAME_PATTERN = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9-]{1,63})*$"
)


class ConfigError(Exception):
    """A setting is missing or invalid; `setting` names it, the message never holds its value."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"invalid setting {setting}: {problem}")
        self.setting = setting


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str
    port: int
    workers: int
    graphiql: bool
    max_body_bytes: int
    request_timeout_seconds: float
    shutdown_timeout_seconds: float
    gzip_min_bytes: int
    cors_origins: tuple[str, ...]
    # Load balancers whose X-Forwarded-For is believed; empty: the peer is the client.
    trusted_proxies: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str
    pool_min: int
    pool_max: int
    health_timeout_seconds: float
    migrate_on_start: bool
    retry_max_seconds: float
    # Bounds on one statement and on the wait for a pool connection (SQLite: its busy
    # timeout and the wait for its single connection); both answer SERVICE_UNAVAILABLE.
    statement_timeout_seconds: float = 10.0
    pool_acquire_timeout_seconds: float = 5.0

    @property
    def dialect(self) -> str:
        return "sqlite" if self.url.startswith("sqlite") else "postgres"


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    level: str
    format: str


@dataclass(frozen=True, slots=True)
class GraphQLSettings:
    max_depth: int
    max_aliases: int
    max_tokens: int
    page_size_default: int
    page_size_max: int
    # Longest text any argument or input field takes (taskql.string_inputs).
    max_string_length: int
    # Fragment spreads an operation expands to, and how deep spreads nest inside spreads.
    max_fragment_spreads: int
    max_fragment_depth: int
    # Fields merged at one response path, fragments expanded (compared pairwise when validated).
    max_repeated_fields: int
    # The parse/validation cache: total bytes of the texts kept (their trees take 50-100x),
    # and the biggest text worth keeping.
    document_cache_text_bytes: int
    document_cache_max_text_bytes: int
    # __schema / __type answered (off in production), and "Did you mean" hints in errors.
    introspection: bool
    field_suggestions: bool
    # --- GraphQL over HTTP (issue 12): batching policy and GET caching ---
    # A JSON array of operations in one POST runs each (off: the array is refused), at most
    # max_batch_operations of them.
    batching: bool = False
    max_batch_operations: int = 10
    # max-age of a successful anonymous GET query (Cache-Control: public); 0 lets caches keep
    # it only to revalidate. Mutations, errors, POST and signed-in answers are never cached.
    get_cache_max_age_seconds: int = 0
    # --- query cost (server/graphql_cost.py) ---
    # An operation costing more is QUERY_TOO_COMPLEX before anything runs.
    max_cost: int = 5000
    # extensions.cost on every answer (else only when the request sends X-TaskQL-Cost: 1).
    report_cost: bool = False
    # Trusted documents (server/persisted_queries.py): only the operations of the manifest
    # run; the production recommendation. The manifest is relative to the project root.
    trusted_documents_only: bool = False
    trusted_documents_manifest: str = "operations/manifest.json"


@dataclass(frozen=True, slots=True)
class RateLimitSettings:
    """Per-viewer query cost budgets (taskql/cost_budget.py)."""

    # Points a viewer may spend per window (token bucket, refilled continuously); 0: off.
    cost_budget: int
    cost_window_seconds: float
    # "memory" (this process; SQLite with one worker only) or "redis" (shared by instances).
    backend: str
    redis_url: str = field(repr=False)
    # Prepended to every Redis key, so several apps (or test runs) can share one Redis.
    key_prefix: str


@dataclass(frozen=True, slots=True)
class ApqSettings:
    """Automatic Persisted Queries (Apollo's protocol): where registered documents are kept."""

    enabled: bool
    # "memory": a bounded LRU per process (each instance learns each hash once);
    # "redis": shared by every instance, each document kept ttl_seconds.
    backend: str
    redis_url: str
    key_prefix: str
    ttl_seconds: int
    # Longer documents still run, but are not stored (the client sends them in full again).
    max_document_bytes: int
    # The memory backend's bound.
    max_entries: int


@dataclass(frozen=True, slots=True)
class AuthSettings:
    jwt_algorithm: str
    jwt_secret: str = field(repr=False)
    jwt_private_key: str = field(repr=False)
    jwt_public_key: str
    jwt_key_id: str
    # kid -> verification key of retired signing keys, so rotation logs nobody out.
    jwt_previous_keys: dict[str, str] = field(repr=False)
    jwt_issuer: str
    jwt_audience: str
    jwt_leeway_seconds: int
    access_token_minutes: int
    refresh_token_days: int
    argon2_time_cost: int
    argon2_memory_kib: int
    argon2_parallelism: int
    # Failed sign-ins allowed per (email, client address) pair: what locks one guesser out.
    login_max_failures_per_email_and_address: int
    # Much higher cap per email over all addresses: a distributed guesser is bounded too.
    login_max_failures_per_email: int
    login_max_failures_per_address: int
    login_failure_window_seconds: int
    # Registrations per client address per login_failure_window_seconds.
    register_max_per_address: int
    # Concurrent argon2 hashes/verifications per process; 0 = sized from cores and memory.
    password_work_slots: int
    # Memory the concurrent hashes may use together, for the automatic slot count.
    password_work_memory_mib: int
    # Password requests that may wait for a slot, and for how long, before being shed.
    password_work_queue: int
    password_work_max_wait_seconds: float
    # CPU priority (nice, 0-19) of the hashing threads: the event loop keeps the CPU it needs.
    password_work_nice: int
    secret_generated: bool = False


@dataclass(frozen=True, slots=True)
class MetricsSettings:
    # The private Prometheus listener (port 0 = metrics off).
    host: str
    port: int
    # Operations slower than this many milliseconds are logged at WARNING (-1 = never).
    slow_operation_ms: int
    # Names labelled as themselves besides operations/*.graphql, and how many other names a
    # process admits first-come before the rest share "other".
    operation_names: tuple[str, ...]
    max_seen_operation_names: int

    @property
    def enabled(self) -> bool:
        return self.port != 0


@dataclass(frozen=True, slots=True)
class TracingSettings:
    """OpenTelemetry tracing (taskql.tracing); off, nothing of it is installed."""

    enabled: bool = False
    # The collector's OTLP/HTTP traces URL, path included.
    otlp_endpoint: str = "http://127.0.0.1:4318/v1/traces"
    service_name: str = "taskql"
    # Share of new traces kept (0 to 1); a request with a sampled traceparent is always kept.
    sampling_ratio: float = 1.0


@dataclass(frozen=True, slots=True)
class Settings:
    environment: str
    server: ServerSettings
    database: DatabaseSettings
    logging: LoggingSettings
    graphql: GraphQLSettings
    auth: AuthSettings
    metrics: MetricsSettings
    ratelimit: RateLimitSettings
    apq: ApqSettings
    tracing: TracingSettings = field(default_factory=TracingSettings)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def redacted(self) -> dict[str, Any]:
        """The effective settings, safe to print: secrets masked, URL passwords removed."""
        redacted: dict[str, Any] = _redact(asdict(self))
        return redacted


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
            max_cost=_int(graphql, "graphql.max_cost", low=1),
            report_cost=_bool(graphql, "graphql.report_cost"),
            trusted_documents_only=_bool(graphql, "graphql.trusted_documents_only"),
            trusted_documents_manifest=_str(graphql, "graphql.trusted_documents_manifest"),
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
        tracing=_tracing(section("tracing")),
    )
    _check_relations(settings)
    return settings


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


def _auth(env: str, auth: dict[str, Any]) -> AuthSettings:
    algorithm = _str(auth, "auth.jwt_algorithm").upper()
    if algorithm not in ("HS256", "RS256", "ES256"):
        raise ConfigError("auth.jwt_algorithm", "must be HS256, RS256 or ES256")
    secret = str(auth.get("jwt_secret") or "")
    private_key = str(auth.get("jwt_private_key") or "")
    public_key = str(auth.get("jwt_public_key") or "")
    generated = False
    if algorithm == "HS256":
        if not secret and env == "development":
            # Kept in data/ so a restart does not sign everybody out of a development server.
            secret, generated = _development_secret(project_root() / DEVELOPMENT_SECRET_FILE), True
        elif not secret and env == "test":
            # Tests get a per-process secret: tokens die with the process.
            secret, generated = secrets.token_urlsafe(48), True
        _check_secret("auth.jwt_secret", secret)
    elif not private_key or not public_key:
        missing = "auth.jwt_private_key" if not private_key else "auth.jwt_public_key"
        raise ConfigError(missing, f"is required when auth.jwt_algorithm is {algorithm}")
    previous = auth.get("jwt_previous_keys") or {}
    if not isinstance(previous, dict):
        raise ConfigError("auth.jwt_previous_keys", "must be a table of key id to key")
    return AuthSettings(
        jwt_algorithm=algorithm,
        jwt_secret=secret,
        jwt_private_key=private_key,
        jwt_public_key=public_key,
        jwt_key_id=str(auth.get("jwt_key_id") or "primary"),
        jwt_previous_keys={str(k): str(v) for k, v in previous.items()},
        jwt_issuer=_str(auth, "auth.jwt_issuer"),
        jwt_audience=_str(auth, "auth.jwt_audience"),
        jwt_leeway_seconds=_int(auth, "auth.jwt_leeway_seconds", low=0, high=300),
        access_token_minutes=_int(auth, "auth.access_token_minutes", low=1, high=1440),
        refresh_token_days=_int(auth, "auth.refresh_token_days", low=1, high=365),
        argon2_time_cost=_int(auth, "auth.argon2_time_cost", low=1),
        argon2_memory_kib=_int(auth, "auth.argon2_memory_kib", low=8),
        argon2_parallelism=_int(auth, "auth.argon2_parallelism", low=1),
        login_max_failures_per_email_and_address=_int(
            auth, "auth.login_max_failures_per_email_and_address", low=1
        ),
        login_max_failures_per_email=_int(auth, "auth.login_max_failures_per_email", low=1),
        login_max_failures_per_address=_int(auth, "auth.login_max_failures_per_address", low=1),
        login_failure_window_seconds=_int(auth, "auth.login_failure_window_seconds", low=1),
        register_max_per_address=_int(auth, "auth.register_max_per_address", low=1),
        password_work_slots=_int(auth, "auth.password_work_slots", low=0, high=256),
        password_work_memory_mib=_int(auth, "auth.password_work_memory_mib", low=1),
        password_work_queue=_int(auth, "auth.password_work_queue", low=0, high=10_000),
        password_work_max_wait_seconds=_float(auth, "auth.password_work_max_wait_seconds"),
        password_work_nice=_int(auth, "auth.password_work_nice", low=0, high=19),
        secret_generated=generated,
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


def _development_secret(path: Path) -> str:
    """The development JWT secret stored at path (0600), created on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = path.with_name(f"{path.name}.{os.getpid()}")
        descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(secrets.token_urlsafe(48))
        try:
            # link() creates path only if it is absent, complete: two processes starting at
            # once agree on one secret and neither reads a half-written file.
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError("auth.jwt_secret", f"{path} is too short; delete it to get a new one")
    return secret


def _check_secret(name: str, secret: str) -> None:
    if not secret:
        raise ConfigError(name, "is required (set it with an environment variable)")
    if PLACEHOLDER_PATTERN.search(secret):
        raise ConfigError(name, "is a placeholder; generate a random secret")
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(name, f"must be at least {MIN_SECRET_LENGTH} characters")


def _database_url(database: dict[str, Any]) -> str:
    url = _str(database, "database.url")
    scheme = url.split("://", 1)[0]
    if "://" not in url or scheme not in ("sqlite", "postgres", "postgresql", "asyncpg"):
        raise ConfigError("database.url", "must start with sqlite://, postgres:// or postgresql://")
    return url


def _is_bind_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(HOSTNAME_PATTERN.match(host))
    return True


def _str(values: dict[str, Any], name: str) -> str:
    value = values.get(name.rsplit(".", 1)[1])
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(name, "must be a non-empty string")
    return value.strip()


def _int(
    values: dict[str, Any], name: str, *, low: int | None = None, high: int | None = None
) -> int:
    value = values.get(name.rsplit(".", 1)[1])
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(name, "must be an integer")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(name, f"must be between {low} and {high}")
    return value


def _float(values: dict[str, Any], name: str) -> float:
    value = values.get(name.rsplit(".", 1)[1])
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(name, "must be a number") from None


def _bool(values: dict[str, Any], name: str) -> bool:
    value = values.get(name.rsplit(".", 1)[1])
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if not isinstance(value, bool):
        raise ConfigError(name, "must be true or false")
    return value


def _list(values: dict[str, Any], name: str) -> list[str]:
    value = values.get(name.rsplit(".", 1)[1]) or []
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple):
        raise ConfigError(name, "must be a list")
    return [str(v) for v in value]


# A GraphQL name (the spec's Name) of bounded length: each becomes a metric label value.
OPERATION_NAME_PATTERN = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,99}$")


def _operation_names(values: dict[str, Any], name: str) -> tuple[str, ...]:
    names = _list(values, name)
    if not all(OPERATION_NAME_PATTERN.match(operation) for operation in names):
        raise ConfigError(name, "must list GraphQL operation names (at most 100 characters)")
    return tuple(names)


def _networks(values: dict[str, Any], name: str) -> tuple[str, ...]:
    networks = _list(values, name)
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigError(name, "must list IP addresses or networks") from None
    return tuple(networks)


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _redact(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _redact(v, k) for k, v in value.items()}
    if key in SECRET_KEYS:
        return "***" if value else ""
    if isinstance(value, str) and "://" in value:
        return redact_url(value)
    if isinstance(value, tuple):
        return list(value)
    return value
