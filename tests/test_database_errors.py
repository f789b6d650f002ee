"""Which driver and ORM errors count as "the database is unavailable" (SERVICE_UNAVAILABLE).

The outage tests produce the common ones for real (refused connections, a statement timeout,
a busy SQLite file); these are the rest, raised the way the drivers and tortoise raise them,
and the look-alikes that are our own mistakes and must stay INTERNAL_ERROR."""

from __future__ import annotations

import sqlite3

import asyncpg
import pytest
from tortoise.exceptions import DBConnectionError, OperationalError

from taskql.database_errors import describe, is_database_unavailable


def raised_during(error: BaseException, wrapper: type[Exception]) -> Exception:
    """`wrapper` raised inside `except error`, without `from`, as tortoise's SQLite client does."""
    try:
        try:
            raise error
        except type(error):
            raise wrapper(str(error))  # noqa: B904 - the implicit chaining is the point
    except wrapper as wrapped:
        return wrapped


def raised_from(error: BaseException, wrapper: type[Exception]) -> Exception:
    """`raise wrapper(...) from error`, as tortoise's PostgreSQL client does."""
    wrapped = wrapper(str(error))
    wrapped.__cause__ = error
    return wrapped


def sqlite_error(sql: str, path: str = ":memory:") -> sqlite3.OperationalError:
    try:
        sqlite3.connect(path).execute(sql)
    except sqlite3.OperationalError as error:
        return error
    raise AssertionError("expected an OperationalError")


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        ConnectionResetError(104, "Connection reset by peer"),
        TimeoutError(),
        asyncpg.InternalClientError("cannot switch to state 15; another operation is in progress"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.InterfaceError("connection is closed"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.QueryCanceledError("canceling statement due to statement timeout"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.DeadlockDetectedError("deadlock detected"),
        asyncpg.SerializationError("could not serialize access due to concurrent update"),
        asyncpg.InvalidPasswordError("password authentication failed for user"),
        raised_from(ConnectionRefusedError(111, "refused"), DBConnectionError),
        raised_during(asyncpg.InternalClientError("cannot switch to state 9"), OperationalError),
    ],
    ids=lambda error: type(error).__name__,
)
def test_outages_are_unavailable(error):
    """Each of these means the database cannot serve right now."""
    assert is_database_unavailable(error)


def test_sqlite_file_that_cannot_be_opened_is_unavailable(tmp_path):
    """SQLite's "unable to open database file", wrapped as tortoise wraps it, is an outage."""
    error = sqlite_error("SELECT 1", str(tmp_path))  # a directory, not a file
    wrapped = raised_during(error, OperationalError)
    assert is_database_unavailable(wrapped)
    assert describe(wrapped) == "OperationalError: unable to open database file"


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad"),
        raised_during(sqlite_error("SELECT * FROM no_such_table"), OperationalError),
        asyncpg.exceptions._base.DataError("invalid input for query argument $1"),
        asyncpg.UndefinedTableError('relation "tasks" does not exist'),
        asyncpg.UniqueViolationError("duplicate key value violates unique constraint"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_mistakes_are_not_unavailable(error):
    """A wrong statement or bad argument is our bug (INTERNAL_ERROR), not an outage to retry."""
    assert not is_database_unavailable(error)
