"""Print the query plans of the task list's orderings, both directions, and search.

    .venv/bin/python -m bench.explain --database-url postgres://postgres@127.0.0.1:5432/taskql_bench
    .venv/bin/python -m bench.explain --database-url sqlite://data/bench.sqlite3

Run it on the seeded dataset (bench/seed.py). The SQL is built by the same builders the server
uses (models/task_page_sql.py), with a cursor from the middle of each list, so the page and the
probe row beyond the cursor are both in the plan. PostgreSQL: EXPLAIN (ANALYZE); SQLite:
EXPLAIN QUERY PLAN. docs/query-plans.md summarises the output.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from dataclasses import replace
from typing import Any

from models import task_page_sql as page_sql
from models import tasks as task_models
from models.sql import Sql
from models.task_search import search_words
from taskql.database import open_orm
from taskql.settings import DatabaseSettings

Sort = task_models.TaskSort
Key = task_models.TaskOrderKey
ORDERS: list[tuple[str, tuple[Key, ...]]] = [
    *[
        (f"{sort.name} {'DESC' if down else 'ASC'}", (Key(sort, down),))
        for sort in (Sort.CREATED_AT, Sort.UPDATED_AT, Sort.DUE_AT, Sort.PRIORITY)
        for down in (True, False)
    ],
    ("TITLE ASC", (Key(Sort.TITLE, descending=False),)),
    ("STATUS ASC", (Key(Sort.STATUS, descending=False),)),
    ("PRIORITY DESC, DUE_AT ASC", (Key(Sort.PRIORITY, True), Key(Sort.DUE_AT, False))),  # noqa: FBT003
    (
        "STATUS ASC, PRIORITY DESC, TITLE ASC",
        (Key(Sort.STATUS, False), Key(Sort.PRIORITY, True), Key(Sort.TITLE, False)),  # noqa: FBT003
    ),
]
COLUMNS = frozenset({"title", "status", "priority", "due_at"})


async def explain(sql: Sql, query: str) -> list[str]:
    connection = sql.connection
    if sql.postgres:
        rows = await connection.execute_query_dict(
            f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {query}", sql.values
        )
        return [row["QUERY PLAN"] for row in rows]
    rows = await connection.execute_query_dict(f"EXPLAIN QUERY PLAN {query}", sql.values)
    return [row["detail"] for row in rows]


async def read(page: task_models.TaskPage, scope: uuid.UUID | None) -> list[dict[str, Any]]:
    return (await task_models.list_tasks(owner_scope=scope, page=page)).rows


def keyset(row: dict[str, Any], order: tuple[Key, ...]) -> task_models.TaskKeyset:
    return task_models.TaskKeyset(
        values=tuple(row[key.sort.value] for key in order), id=str(row["id"])
    )


async def plan(title: str, page: task_models.TaskPage, scope: uuid.UUID | None) -> None:
    sql = Sql()
    ranked = page_sql.ranked(page)
    query = page_sql.page_select(
        sql,
        page,
        lambda: [
            *page_sql.scope_clause(sql, scope),
            *page_sql.filter_clauses(sql, page.filters, ranked=ranked),
        ],
    )
    print(f"\n### {title}")
    for line in await explain(sql, query):
        print(f"    {line}")


async def run(database: DatabaseSettings) -> None:
    context = await open_orm(database)
    try:
        sql = Sql()
        owners = await sql.fetch_raw(
            "SELECT owner_id, COUNT(*) AS n FROM tasks GROUP BY owner_id ORDER BY n DESC, owner_id"
        )
        owner = uuid.UUID(str(owners[len(owners) // 2]["owner_id"]))
        for who, scope, middle in (("admin", None, 500), ("one user", owner, 25)):
            for name, order in ORDERS:
                base = task_models.TaskPage(
                    filters=task_models.TaskFilterSpec(),
                    order=order,
                    after=None,
                    limit=2 * middle,
                    columns=COLUMNS,
                )
                rows = await read(base, scope)
                cursor = keyset(rows[middle], order)
                forward = replace(base, after=cursor, limit=21)
                backward = replace(base, before=cursor, backward=True, limit=21)
                await plan(f"{who}: {name}, first 20 after a cursor", forward, scope)
                await plan(f"{who}: {name}, last 20 before a cursor", backward, scope)
            for name, order in (
                ("search 'review deploy', CREATED_AT DESC", (Key(Sort.CREATED_AT, True),)),  # noqa: FBT003
                ("search 'review deploy', RELEVANCE DESC", (Key(Sort.RELEVANCE, True),)),  # noqa: FBT003
            ):
                filters = task_models.TaskFilterSpec(search=search_words("review deploy"))
                base = task_models.TaskPage(
                    filters=filters, order=order, after=None, limit=11, columns=COLUMNS
                )
                rows = await read(base, scope)
                await plan(f"{who}: {name}, first 10", base, scope)
                if len(rows) > 5:
                    after = replace(base, after=keyset(rows[5], order))
                    await plan(f"{who}: {name}, first 10 after a cursor", after, scope)
    finally:
        await context.close_connections()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", required=True, help="the seeded database")
    args = parser.parse_args(argv)
    database = DatabaseSettings(
        url=args.database_url,
        pool_min=1,
        pool_max=1,
        health_timeout_seconds=5.0,
        migrate_on_start=False,
        retry_max_seconds=1.0,
    )
    asyncio.run(run(database))


if __name__ == "__main__":
    main()
