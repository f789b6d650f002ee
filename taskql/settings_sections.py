"""The typed, frozen sections of the settings (what `load_settings` returns)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from taskql.settings_redaction import redact


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
    # Query.nodes: most ids one call takes (one read per type whatever the count).
    nodes_max: int = 100
    # Most ids a bulk task edit takes (resolvers/tasks/bulk.py); also caps its query cost.
    bulk_max_ids: int = 100


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
class EventsSettings:
    # How task events reach every instance: "memory" (this process: SQLite with one worker),
    # "postgres" (LISTEN/NOTIFY on one dedicated connection per instance), "redis" (pub/sub on
    # redis_url) or "auto" (postgres on PostgreSQL, memory on SQLite).
    backend: str = "auto"
    redis_url: str = field(default="", repr=False)
    channel: str = "taskql_task_events"


@dataclass(frozen=True, slots=True)
class MailSettings:
    """How account mail leaves (taskql/mail): an SMTP server, or files in development."""

    # "smtp", or "files": each message written to files_directory as an .eml file.
    backend: str = "files"
    from_address: str = "TaskQL <no-reply@localhost>"
    host: str = "127.0.0.1"
    port: int = 587
    # "starttls" (upgrade a plain connection), "tls" (implicit TLS) or "none" (a local relay).
    security: str = "starttls"
    username: str = ""
    password: str = field(default="", repr=False)
    timeout_seconds: float = 10.0
    files_directory: str = "data/mail"
    # Production refuses the files backend unless this says it is meant (a staging server).
    allow_files_backend_in_production: bool = False
    # Messages handed to the backend at once per process, and waiting for a turn beyond them;
    # more are dropped with a warning (the request answered the same anyway).
    max_concurrent_sends: int = 4
    max_pending_sends: int = 200


@dataclass(frozen=True, slots=True)
class AccountSettings:
    """Password reset and email verification links (resolvers/auth/recovery.py)."""

    # The frontend pages the mailed links open; "{token}" is replaced by the token.
    password_reset_url: str = "http://localhost:3000/reset-password?token={token}"  # noqa: S105
    email_verification_url: str = "http://localhost:3000/verify-email?token={token}"
    password_reset_token_minutes: int = 30
    email_verification_token_hours: int = 48
    # Recovery mails asked per recovery_window_seconds, per email and per client address
    # (verification: per user); over it RATE_LIMITED, whether the email exists or not.
    recovery_max_per_email: int = 3
    recovery_max_per_address: int = 20
    recovery_window_seconds: int = 3600


@dataclass(frozen=True, slots=True)
class SubscriptionsSettings:
    # WebSockets (graphql-transport-ws) this instance serves at once; more are refused (503).
    max_sockets: int = 1000
    # Subscriptions one socket may run at once; more get an `error` message.
    max_per_connection: int = 10
    # Seconds a socket may stay open without a connection_init (then closed 4408).
    connection_init_timeout_seconds: float = 10.0
    # Events a subscription may fall behind before it ends with EVENTS_LOST.
    queue_size: int = 100
    # Seconds between two checks of every live socket's session (one statement per instance):
    # the most a revoked session's socket stays open.
    session_check_seconds: float = 5.0
    # Seconds between WebSocket ping frames; a peer that misses a pong is closed.
    heartbeat_seconds: float = 20.0
    # Also serve the legacy `graphql-ws` (subscriptions-transport-ws) protocol.
    legacy_protocol: bool = False


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
    events: EventsSettings = field(default_factory=EventsSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    accounts: AccountSettings = field(default_factory=AccountSettings)
    subscriptions: SubscriptionsSettings = field(default_factory=SubscriptionsSettings)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def redacted(self) -> dict[str, Any]:
        """The effective settings, safe to print: secrets masked, URL passwords removed."""
        redacted: dict[str, Any] = redact(asdict(self))
        return redacted
