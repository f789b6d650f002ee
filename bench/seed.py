"""Seed the benchmark dataset: 1,000 users and 50,000 tasks, byte-identical on every run.

    .venv/bin/python -m bench.seed --database-url postgres://postgres@127.0.0.1:5432/taskql_bench
    .venv/bin/python -m bench.seed --database-url sqlite://data/bench.sqlite3

Applies the committed migrations, empties the user/task tables and writes the rows in one
transaction (PostgreSQL: COPY; SQLite: executemany). Never point it at a database you care
about: it deletes every user.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import secrets
import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from taskql.auth.passwords import password_hasher
from taskql.database import apply_migrations
from taskql.settings import DatabaseSettings, load_settings

SEED = 20260101
USERS = 1_000
TASKS = 50_000
BENCH_PASSWORD = "taskql-bench-password"  # noqa: S105 - a public fixture, like the emails
ADMIN_EMAIL = "user0000@example.com"
USER_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
# Tasks start after the last user exists, so no task predates its owner.
TASK_EPOCH = USER_EPOCH + timedelta(days=45)
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

USER_COLUMNS = (
    "id",
    "email",
    "display_name",
    "password_hash",
    "role",
    "is_active",
    "token_epoch",
    "created_at",
    "updated_at",
)
TASK_COLUMNS = (
    "id",
    "owner_id",
    "title",
    "description",
    "status",
    "priority",
    "due_at",
    "completed_at",
    "version",
    "client_mutation_id",
    "created_at",
    "updated_at",
)
# Tables holding per-user state a previous run may have left (tokens, failed logins).
STATE_TABLES = ("refresh_tokens", "sessions", "login_failures")

FIRST_NAMES = [
    "Ada",
    "Alan",
    "Barbara",
    "Claude",
    "Donald",
    "Edsger",
    "Frances",
    "Grace",
    "John",
    "Ken",
    "Leslie",
    "Margaret",
]
LAST_NAMES = [
    "Allen",
    "Hopper",
    "Knuth",
    "Lamport",
    "Liskov",
    "Lovelace",
    "Ritchie",
    "Shannon",
    "Thompson",
    "Turing",
]
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "review",
    "deploy",
    "fix",
    "refactor",
    "write",
    "test",
    "docs",
    "api",
    "schema",
    "migrate",
    "cache",
    "index",
    "query",
    "report",
    "invoice",
    "billing",
    "login",
    "audit",
]
STATUSES = ("TODO", "IN_PROGRESS", "DONE", "CANCELLED")
STATUS_WEIGHTS = (4, 2, 3, 1)
PRIORITY_WEIGHTS = (3, 4, 2, 1)  # for priorities 1..4


@dataclass(frozen=True, slots=True)
class Dataset:
    users: list[tuple[Any, ...]]
    tasks: list[tuple[Any, ...]]

    def fingerprint(self) -> str:
        """A short hash of every id: equal fingerprints mean the same dataset."""
        digest = hashlib.sha256()
        for row in (*self.users, *self.tasks):
            digest.update(row[0].bytes)
        return digest.hexdigest()[:16]


def uuid7_at(moment: datetime, rng: random.Random) -> uuid.UUID:
    """A UUIDv7 for `moment` whose random bits come from `rng`: time-ordered and repeatable."""
    millis = (moment - UNIX_EPOCH) // timedelta(milliseconds=1)
    value = (millis & (1 << 48) - 1) << 80
    value |= 0x7 << 76 | rng.getrandbits(12) << 64
    value |= 0b10 << 62 | rng.getrandbits(62)
    return uuid.UUID(int=value)


def build(password_hash: str) -> Dataset:
    rng = random.Random(SEED)
    users = []
    for index in range(USERS):
        # One user per hour with jitter inside the hour: creation order is strict.
        created = USER_EPOCH + timedelta(
            hours=index, seconds=rng.randrange(3600), microseconds=rng.randrange(1, 1_000_000)
        )
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        users.append(
            (
                uuid7_at(created, rng),
                f"user{index:04d}@example.com",
                name,
                password_hash,
                "ADMIN" if index == 0 else "USER",
                True,
                0,
                created,
                created + timedelta(minutes=rng.randrange(0, 60 * 24 * 30)),
            )
        )
    tasks = []
    for index in range(TASKS):
        created = TASK_EPOCH + timedelta(
            minutes=10 * index, seconds=rng.randrange(600), microseconds=rng.randrange(1, 1_000_000)
        )
        status = rng.choices(STATUSES, weights=STATUS_WEIGHTS)[0]
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(2, 6))).capitalize()
        description = (
            " ".join(rng.choice(WORDS) for _ in range(rng.randrange(5, 30)))
            if rng.random() < 0.8
            else None
        )
        due = created + timedelta(days=rng.randrange(1, 60)) if rng.random() < 0.7 else None
        finished = created + timedelta(hours=rng.randrange(1, 24 * 14))
        tasks.append(
            (
                uuid7_at(created, rng),
                users[rng.randrange(USERS)][0],
                f"{title} #{index}",
                description,
                status,
                rng.choices((1, 2, 3, 4), weights=PRIORITY_WEIGHTS)[0],
                due,
                finished if status == "DONE" else None,
                1 if status == "TODO" else 2,
                None,
                created,
                finished if status != "TODO" else created,
            )
        )
    return Dataset(users=users, tasks=tasks)


def bench_password_hash() -> str:
    """One argon2 hash for every user, made by the hasher production verifies with.

    Same parameters means the login does not rehash (and write) the admin on every bench run.
    """
    # Production settings insist on a real secret; this process never signs anything.
    os.environ.setdefault("TASKQL_AUTH__JWT_SECRET", secrets.token_urlsafe(36))
    settings = load_settings("production")
    return password_hasher(settings.auth).hash(BENCH_PASSWORD)


async def write_postgres(url: str, data: Dataset) -> None:
    # asyncpg takes the URL without tortoise's pool parameters (minsize=…).
    parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
    connection = await asyncpg.connect(urlunsplit(parts._replace(query="")))
    try:
        present = {
            row["tablename"]
            for row in await connection.fetch("SELECT tablename FROM pg_tables")
            if row["tablename"] in {"users", "tasks", *STATE_TABLES}
        }
        async with connection.transaction():
            tables = ", ".join(f'"{name}"' for name in sorted(present))
            await connection.execute(f"TRUNCATE {tables} CASCADE")
            await connection.copy_records_to_table(
                "users", records=data.users, columns=USER_COLUMNS
            )
            await connection.copy_records_to_table(
                "tasks", records=data.tasks, columns=TASK_COLUMNS
            )
        # Fresh statistics, or the first minutes of the bench plan with an empty-table guess.
        await connection.execute("ANALYZE users; ANALYZE tasks")
    finally:
        await connection.close()


def write_sqlite(url: str, data: Dataset) -> None:
    # The text forms tortoise itself writes: str(uuid), isoformat(" ") with the UTC offset.
    def to_db(value: object) -> object:
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, datetime):
            return value.isoformat(" ", timespec="microseconds")
        if isinstance(value, bool):
            return int(value)
        return value

    def rows(records: Sequence[tuple[Any, ...]]) -> list[tuple[object, ...]]:
        return [tuple(to_db(value) for value in record) for record in records]

    connection = sqlite3.connect(url.split("://", 1)[1])
    try:
        present = {
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        with connection:  # one transaction
            for name in (*STATE_TABLES, "tasks", "users"):
                if name in present:
                    connection.execute(f'DELETE FROM "{name}"')  # noqa: S608 - fixed names
            for table, columns, records in (
                ("users", USER_COLUMNS, data.users),
                ("tasks", TASK_COLUMNS, data.tasks),
            ):
                marks = ", ".join("?" * len(columns))
                connection.executemany(
                    f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})',  # noqa: S608
                    rows(records),
                )
        connection.execute("ANALYZE")
    finally:
        connection.close()


async def seed(url: str) -> Dataset:
    database = DatabaseSettings(
        url=url,
        pool_min=1,
        pool_max=1,
        health_timeout_seconds=5.0,
        migrate_on_start=False,
        retry_max_seconds=1.0,
    )
    if database.dialect == "sqlite":
        Path(url.split("://", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    await apply_migrations(database)
    data = build(bench_password_hash())
    if database.dialect == "postgres":
        await write_postgres(url, data)
    else:
        await asyncio.to_thread(write_sqlite, url, data)
    return data


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--database-url",
        required=True,
        help="sqlite://PATH or postgres://USER@127.0.0.1:5432/DB (a bench-only database)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    data = asyncio.run(seed(args.database_url))
    print(
        f"seeded users={len(data.users)} tasks={len(data.tasks)} "
        f"newest_task={data.tasks[-1][0]} fingerprint={data.fingerprint()} "
        f"admin={ADMIN_EMAIL} in {time.perf_counter() - started:.1f}s"
    )


if __name__ == "__main__":
    main()
