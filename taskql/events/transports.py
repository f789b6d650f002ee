"""Which transport carries this instance's task events, chosen from settings."""

from __future__ import annotations

from taskql.events.transport import EventTransport, InProcessTransport
from taskql.settings import ConfigError, Settings


def build_transport(settings: Settings) -> EventTransport:
    """One transport per instance.

    "memory" delivers in-process only (one instance). "auto" is memory until the
    cross-instance backends (postgres, redis) are added here; they then take its PostgreSQL
    case, SQLite (one process) keeping the in-process bus.
    """
    backend = settings.events.backend
    if backend in ("memory", "auto"):
        return InProcessTransport()
    raise ConfigError("events.backend", "this build delivers events in-process only (memory)")
