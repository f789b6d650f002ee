"""Which exceptions mean "the database cannot serve us right now" (SERVICE_UNAVAILABLE).

One list for every place that answers a client (the bearer check, GraphQL errors, the
last-resort middleware), so a refused connection is a 503 wherever it happens. Drivers and
the ORM wrap each other's errors (tortoise raises OperationalError *from* or *during* the
driver's error), so the whole cause chain is looked at.
"""

from __future__ import annotations

import sqlite3

import asyncpg
from tortoise.exceptions import DBConnectionError

# The client may try again after this long: about what a restart, failover or a released
# lock takes, and long enough that a crowd of retrying clients does not stampede.
RETRY_AFTER_SECONDS = 3

_UNAVAILABLE_TYPES: tuple[type[BaseException], ...] = (
    DBConnectionError,
    # Refused, reset, unreachable, DNS failure, asyncio timeouts (pool acquire included).
    OSError,
    # Class 08: the connection failed or broke.
    asyncpg.PostgresConnectionError,
    # Class 57: admin/crash shutdown, "cannot connect now" after a restart, and
    # statement_timeout ("canceling statement due to statement timeout").
    asyncpg.exceptions.OperatorInterventionError,
    # Class 53: too many connections, out of memory, disk full.
    asyncpg.exceptions.InsufficientResourcesError,
    # lock_timeout, when an operator sets one.
    asyncpg.exceptions.LockNotAvailableError,
    # Class 40: deadlock or serialization failure; the transaction rolled back, a retry works.
    asyncpg.exceptions.TransactionRollbackError,
    # Class 28: the pool's reconnect refused (e.g. credentials rotated under it).
    asyncpg.exceptions.InvalidAuthorizationSpecificationError,
    # A pooled connection left half-way by a server restart: "cannot switch to state N".
    asyncpg.exceptions.InternalClientError,
)
# SQLite result codes (primary code, the low byte) that mean busy, locked or unreachable,
# not a mistake in the statement: SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_FULL,
# SQLITE_CANTOPEN, SQLITE_PROTOCOL.
_SQLITE_UNAVAILABLE_CODES = frozenset({5, 6, 10, 13, 14, 15})
_MAX_CHAIN = 10


def is_database_unavailable(error: BaseException) -> bool:
    """True when `error`, or anything it was raised from or during, is a database outage."""
    return any(_is_unavailable_itself(link) for link in _chain(error))


def _is_unavailable_itself(error: BaseException) -> bool:
    if isinstance(error, _UNAVAILABLE_TYPES):
        return True
    # asyncpg's plain InterfaceError is "connection is closed" / "pool is closing"; its
    # subclasses (bad argument types, unsupported features) are our mistakes.
    if type(error) is asyncpg.InterfaceError:
        return True
    if isinstance(error, sqlite3.OperationalError):
        code = getattr(error, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _SQLITE_UNAVAILABLE_CODES
    return False


def _chain(error: BaseException) -> list[BaseException]:
    links: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in links and len(links) < _MAX_CHAIN:
        links.append(current)
        # tortoise's SQLite backend raises its OperationalError inside the except block
        # (no `from`), so the driver's error is only in __context__.
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return links


def kind(error: BaseException) -> str:
    """The innermost error's type name: safe to show a prober (no host names or paths)."""
    return type(_chain(error)[-1]).__name__


def describe(error: BaseException) -> str:
    """A short, log-safe description: the innermost driver error's type and first line."""
    innermost = _chain(error)[-1]
    first_line = (str(innermost).splitlines() or [""])[0][:200]
    if not first_line and isinstance(innermost, TimeoutError):
        first_line = "no free connection or no answer in time"
    return f"{type(innermost).__name__}: {first_line}" if first_line else type(innermost).__name__
