"""Timestamps keep their instant through the database and come back aware, in UTC (on
PostgreSQL they travel as text, read by datetime.fromisoformat: taskql.database_clients)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tortoise import connections

from models.sql import Sql
from tests.task_factories import create_tasks, signed_in_user

BERLIN_SUMMER = timezone(timedelta(hours=2))


async def test_a_timestamp_comes_back_as_the_same_instant_in_utc(client, settings):
    user, _token = await signed_in_user(settings)
    written = datetime(2031, 7, 1, 12, 30, 5, 123456, tzinfo=BERLIN_SUMMER)
    [task] = await create_tasks(user, 1, due_at=written)

    sql = Sql()
    query = f"SELECT due_at, created_at FROM tasks WHERE id = {sql.param(str(task.id))}"  # noqa: S608
    [row] = await sql.fetch(query, id_columns=(), datetime_columns=("due_at", "created_at"))

    assert row["due_at"] == written
    assert row["due_at"].utcoffset() == timedelta(0)
    assert row["due_at"].isoformat() == "2031-07-01T10:30:05.123456+00:00"
    assert row["created_at"].tzinfo is not None
    # A parameter with an offset compares as the instant it names.
    later = Sql()
    query = f"SELECT id FROM tasks WHERE due_at < {later.param(written + timedelta(seconds=1))}"  # noqa: S608
    assert len(await later.fetch(query, id_columns=("id",), datetime_columns=())) == 1
    database = connections.get("default")
    if database.capabilities.dialect == "postgres":
        # Text values carry the session's offset: it is UTC whatever the server's default.
        [zone] = await database.execute_query_dict("SHOW TimeZone")
        assert zone["TimeZone"] == "UTC"
