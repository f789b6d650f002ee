"""What this process knows about its database right now, and the few log lines when it changes.

- Requests that meet an outage report it here instead of logging: the first report of an
  outage logs one line, its end logs one more, and a flapping database logs at most one
  outage per LOG_INTERVAL_SECONDS (the outages in between are counted in the next line).
- `check()` asks the database itself (a ping, then the migrations), for /healthz and for the
  background watcher; the first check that passes makes the app ready.
- The schema comparison is cached once the database is current, since only migrating changes
  it; a database that is behind is compared again at most every RECHECK_SECONDS, so running
  `taskql migrate` elsewhere is noticed without a restart.
"""

from __future__ import annotations

import asyncio
import math
import time

from taskql.database import pending_migrations, ping
from taskql.database_errors import describe, kind
from taskql.logging import get_logger
from taskql.settings import DatabaseSettings

log = get_logger("taskql.database")

LOG_INTERVAL_SECONDS = 10.0
RECHECK_SECONDS = 1.0


class DatabaseMonitor:
    def __init__(self, database: DatabaseSettings) -> None:
        self.database = database
        # Set once the database answered with a current schema; it stays set (requests
        # are what find later outages, and they need no gate to do so).
        self.ready = asyncio.Event()
        self._healthy = asyncio.Event()
        self._troubled = asyncio.Event()
        self._troubled.set()  # nothing is known at start-up
        self._down_since: float | None = None
        self._down_logged = False
        self._last_down_line = -math.inf
        self._outages_not_logged = 0
        self._schema_current = False
        self._behind: list[str] | None = None
        self._behind_checked_at = -math.inf
        self._schema_check: asyncio.Task[str | None] | None = None

    # --- what requests and checks report -------------------------------------------------

    def report_unavailable(self, error: BaseException) -> None:
        now = time.monotonic()
        self._healthy.clear()
        self._troubled.set()
        if self._down_since is None:
            self._down_since, self._down_logged = now, False
        if not self._down_logged and now - self._last_down_line >= LOG_INTERVAL_SECONDS:
            log.warning(
                "database unavailable",
                error=describe(error),
                outages_not_logged=self._outages_not_logged,
            )
            self._down_logged, self._last_down_line, self._outages_not_logged = True, now, 0

    def _report_available(self) -> None:
        if self._down_since is None:
            return
        if self._down_logged:
            log.info(
                "database available again",
                outage_seconds=round(time.monotonic() - self._down_since, 1),
            )
        else:
            self._outages_not_logged += 1
        self._down_since = None

    # --- asking the database ---------------------------------------------------------------

    async def check(self, seconds: float) -> str | None:
        """Ping and compare migrations within `seconds`: None when all is well, else why not."""
        try:
            async with asyncio.timeout(seconds):
                await ping()
                self._report_available()
                problem = await self.schema_problem()
        except TimeoutError as error:
            self.report_unavailable(error)
            return f"no answer from the database within {seconds}s"
        except Exception as error:  # noqa: BLE001 - any failure is unhealthy; reported once
            self.report_unavailable(error)
            return f"database unreachable ({kind(error)})"
        if problem is not None:
            return problem
        self._healthy.set()
        self._troubled.clear()
        if not self.ready.is_set():
            self.ready.set()
            log.info("database ready", dialect=self.database.dialect)
        return None

    async def schema_problem(self) -> str | None:
        """Why the schema cannot be served ("behind: N pending"), or None; raises what the
        database raises. Concurrent callers share one comparison."""
        if self._schema_current:
            return None
        recently = time.monotonic() - self._behind_checked_at < RECHECK_SECONDS
        if self._behind is not None and recently:
            return _behind_reason(self._behind)
        if self._schema_check is None or self._schema_check.done():
            self._schema_check = asyncio.create_task(self._compare_schema())
            # A comparison whose callers all gave up must not warn "never retrieved".
            self._schema_check.add_done_callback(_retrieve)
        return await asyncio.shield(self._schema_check)

    async def _compare_schema(self) -> str | None:
        pending = await pending_migrations(self.database.dialect)
        self._behind_checked_at = time.monotonic()
        if not pending:
            if self._behind is not None:
                log.info("database schema is current", applied=self._behind)
            self._schema_current, self._behind = True, None
            return None
        if self._behind is None:
            # The one line an operator needs, once per process.
            remedy = (
                "applying them (database.migrate_on_start)"
                if self.database.migrate_on_start
                else "run `taskql migrate`, or enable database.migrate_on_start"
            )
            log.error(
                "database schema is behind",
                migrations_pending=len(pending),
                pending=pending,
                remedy=remedy,
            )
        self._behind = pending
        return _behind_reason(pending)

    @property
    def schema_current(self) -> bool:
        """Found current once: schema_problem answers without a statement or a task."""
        return self._schema_current

    # --- for the background watcher --------------------------------------------------------

    @property
    def schema_behind(self) -> bool:
        return self._behind is not None

    def migrated(self) -> None:
        """Migrations were just applied here: compare again on the next check."""
        self._behind_checked_at = -math.inf

    async def wait_for_trouble(self) -> None:
        await self._troubled.wait()

    async def wait_until_healthy(self, seconds: float) -> None:
        """Returns after `seconds`, or earlier when a check (e.g. /healthz) found all well."""
        try:
            async with asyncio.timeout(seconds):
                await self._healthy.wait()
        except TimeoutError:
            pass


def _behind_reason(pending: list[str]) -> str:
    noun = "migration" if len(pending) == 1 else "migrations"
    return f"database schema is behind: {len(pending)} {noun} pending"


def _retrieve(task: asyncio.Task[str | None]) -> None:
    if not task.cancelled():
        task.exception()
