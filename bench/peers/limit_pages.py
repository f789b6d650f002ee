"""LIMIT with a page size: the shared ceiling's Q1 (aiohttp + asyncpg + orjson, one statement,
no GraphQL engine) answering `first` from the request's variables, so that CPU per request can
be measured at several page sizes against TaskQL's. Bench-only, like the shared peers.

The document is looked up verbatim (PAGE_DOCUMENT below); the SQL is the shared Q1's with
LIMIT $1, and the answer has the shared Q1's shape: 9 response fields per row.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

sys.path.insert(0, str(Path("/work/shared/bench/peers")))
from common import create_pool, serve  # type: ignore[import-not-found]

PAGE_DOCUMENT = (
    "query Page($first: Int!) { tasks(first: $first) { id title status priority dueAt "
    "owner { id email displayName } } }"
)
PAGE_SQL = """
SELECT t.id::text AS id, t.title, t.status, t.priority, t.due_at,
       u.id::text AS uid, u.email, u.display_name
FROM tasks t JOIN users u ON u.id = t.owner_id
ORDER BY t.created_at DESC LIMIT $1"""


async def page(request: web.Request) -> web.Response:
    body = orjson.loads(await request.read())
    if body.get("query", "").strip() != PAGE_DOCUMENT:
        return web.Response(
            status=400,
            body=b'{"errors":[{"message":"unknown query"}]}',
            content_type="application/json",
        )
    first = int(body["variables"]["first"])
    async with request.app["pool"].acquire() as connection:
        rows = await connection.fetch(PAGE_SQL, first)
    tasks = [
        {
            "id": r[0],
            "title": r[1],
            "status": r[2],
            "priority": r[3],
            "dueAt": r[4],
            "owner": {"id": r[5], "email": r[6], "displayName": r[7]},
        }
        for r in rows
    ]
    result: dict[str, Any] = {"data": {"tasks": tasks}}
    return web.Response(body=orjson.dumps(result), content_type="application/json")


def make_app() -> web.Application:
    app = web.Application()

    async def startup(app: web.Application) -> None:
        app["pool"] = await create_pool()

    async def cleanup(app: web.Application) -> None:
        await app["pool"].close()

    app.on_startup.append(startup)
    app.on_cleanup.append(cleanup)
    app.router.add_post("/graphql", page)
    return app


if __name__ == "__main__":
    serve(make_app, 8106)
