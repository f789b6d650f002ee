"""Benchmark-only peer: the shared strawberry+DataLoader+caches peer with TaskQL's schema shape.

The shared peer (/work/shared/bench/peers/strawberry_dataloader.py) answers flat lists with
`status` as a plain string. TaskQL's API is Relay connections (`edges { node }` at both levels)
with enum `status`/`priority`, so TaskQL's Q2 resolves ~240 more fields per response. This peer
keeps everything of the shared one (its SQL, its pool, one DataLoader per level, parse and
validation caches, no auth, no permissions, no ORM) and only takes TaskQL's shape, so it can
answer TaskQL's own operation documents (operations/*_email.graphql) field for field.

Run: python bench/peers/strawberry_relay.py   (PORT default 8104; env as the shared common.py)
"""

from __future__ import annotations

import sys
from collections import defaultdict
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

import strawberry
from aiohttp import web
from strawberry.aiohttp.views import GraphQLView
from strawberry.dataloader import DataLoader
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.types import Info

sys.path.insert(0, str(Path("/work/shared/bench/peers")))
from common import (  # type: ignore[import-not-found] # the shared peers' plumbing and SQL
    Q1_TASKS_SQL,
    TASKS_OF_OWNERS_SQL,
    USERS_BY_IDS_SQL,
    USERS_LIST_SQL,
    create_pool,
    serve,
)


@strawberry.enum
class TaskStatus(Enum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


@strawberry.enum
class TaskPriority(Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@strawberry.type
class User:
    id: strawberry.ID
    email: str
    display_name: str

    @strawberry.field
    async def tasks(self, info: Info, first: int = 10) -> TaskConnection:
        tasks = await info.context["tasks_by_owner"].load((self.id, first))
        return TaskConnection(edges=[TaskEdge(node=task) for task in tasks])


@strawberry.type
class Task:
    id: strawberry.ID
    title: str
    status: TaskStatus
    priority: TaskPriority
    due_at: datetime | None
    owner_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, r: Any) -> Task:
        return cls(
            id=r["id"],
            title=r["title"],
            status=TaskStatus(r["status"]),
            priority=TaskPriority(r["priority"]),
            due_at=r["due_at"],
            owner_id=r["owner_id"],
        )

    @strawberry.field
    async def owner(self, info: Info) -> User:
        owner: User = await info.context["user_by_id"].load(self.owner_id)
        return owner


@strawberry.type
class TaskEdge:
    node: Task


@strawberry.type
class TaskConnection:
    edges: list[TaskEdge]


@strawberry.type
class UserEdge:
    node: User


@strawberry.type
class UserConnection:
    edges: list[UserEdge]


@strawberry.type
class Query:
    @strawberry.field
    async def tasks(self, info: Info, first: int = 50) -> TaskConnection:
        rows = await info.context["pool"].fetch(Q1_TASKS_SQL, first)
        return TaskConnection(edges=[TaskEdge(node=Task.from_row(r)) for r in rows])

    @strawberry.field
    async def users(self, info: Info, first: int = 20) -> UserConnection:
        rows = await info.context["pool"].fetch(USERS_LIST_SQL, first)
        return UserConnection(edges=[UserEdge(node=_user(r)) for r in rows])


def _user(r: Any) -> User:
    return User(id=r["id"], email=r["email"], display_name=r["display_name"])


schema = strawberry.Schema(
    query=Query,
    extensions=[lambda: ParserCache(maxsize=256), lambda: ValidationCache(maxsize=256)],
)


def make_loaders(pool: Any) -> dict[str, DataLoader[Any, Any]]:
    async def load_users(ids: list[str]) -> list[User | None]:
        rows = await pool.fetch(USERS_BY_IDS_SQL, list(ids))
        by_id = {r["id"]: _user(r) for r in rows}
        return [by_id.get(i) for i in ids]

    async def load_tasks(keys: list[tuple[str, int]]) -> list[list[Task]]:
        # keys are (owner_id, first); one statement per distinct `first` (normally one)
        out: dict[tuple[str, int], list[Task]] = {}
        by_first: dict[int, list[str]] = defaultdict(list)
        for owner_id, first in keys:
            by_first[first].append(owner_id)
        for first, owners in by_first.items():
            rows = await pool.fetch(TASKS_OF_OWNERS_SQL, owners, first)
            grouped: dict[str, list[Task]] = defaultdict(list)
            for r in rows:
                grouped[r["owner_id"]].append(Task.from_row(r))
            for owner in owners:
                out[(owner, first)] = grouped.get(owner, [])
        return [out[k] for k in keys]

    return {
        "user_by_id": DataLoader(load_fn=load_users),
        "tasks_by_owner": DataLoader(load_fn=load_tasks),
    }


class View(GraphQLView[dict[str, Any], None]):
    async def get_context(self, request: web.Request, response: Any) -> dict[str, Any]:
        pool = request.app["pool"]
        return {"pool": pool, "request": request, "response": response, **make_loaders(pool)}


def make_app() -> web.Application:
    app = web.Application()

    async def startup(app: web.Application) -> None:
        app["pool"] = await create_pool()

    async def cleanup(app: web.Application) -> None:
        await app["pool"].close()

    app.on_startup.append(startup)
    app.on_cleanup.append(cleanup)
    app.router.add_route("*", "/graphql", View(schema=schema))
    return app


if __name__ == "__main__":
    serve(make_app, 8104)
