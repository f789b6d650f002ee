"""The HTTP chassis: probes, request ids, limits, CORS, compression and bad bodies."""

from __future__ import annotations

import asyncio

from aiohttp import web

from server.app import create_app
from tests.conftest import with_overrides


async def test_livez_answers_while_the_process_runs(client):
    """/livez is 200 with the version, whatever the database does."""
    response = await client.get("/livez")
    assert response.status == 200
    assert (await response.json())["status"] == "ok"


async def test_healthz_is_ok_when_the_database_answers(client):
    """/healthz pings the database and reports ok with the version."""
    response = await client.get("/healthz")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["version"]


async def test_healthz_is_503_when_nothing_listens(make_client, settings):
    """With the database on a port where nothing listens, /healthz is 503 with a reason
    and /livez stays 200: the server does not die."""
    down = with_overrides(
        settings,
        database={"url": "postgres://postgres@127.0.0.1:9/test", "retry_max_seconds": 0.2},
    )
    client = await make_client(down, wait_ready=False)
    response = await client.get("/healthz")
    assert response.status == 503
    body = await response.json()
    assert body["status"] == "unavailable"
    assert "database" in body["database"]
    assert (await client.get("/livez")).status == 200


async def test_request_id_is_generated_and_echoed(client):
    """Without an incoming id the server makes one and returns it."""
    response = await client.get("/livez")
    assert len(response.headers["X-Request-Id"]) == 32


async def test_sane_incoming_request_id_is_kept(client):
    """A well-formed X-Request-Id from a proxy is kept end to end."""
    response = await client.get("/livez", headers={"X-Request-Id": "edge-42.abc"})
    assert response.headers["X-Request-Id"] == "edge-42.abc"


async def test_insane_incoming_request_id_is_replaced(client):
    """An id that is too long or carries odd characters is not echoed or logged."""
    response = await client.get("/livez", headers={"X-Request-Id": "x" * 500})
    assert response.headers["X-Request-Id"] != "x" * 500
    response = await client.get("/livez", headers={"X-Request-Id": "a b<script>"})
    assert response.headers["X-Request-Id"] != "a b<script>"


async def test_oversized_body_is_413(make_client, settings):
    """A body over server.max_body_bytes is refused with 413 and a JSON error."""
    client = await make_client(with_overrides(settings, server={"max_body_bytes": 2048}))
    query = "{ serverInfo { version } }" + " " * 4096
    response = await client.post("/graphql", json={"query": query})
    assert response.status == 413
    assert (await response.json())["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_oversized_chunked_body_is_413(make_client, settings):
    """A chunked body with no Content-Length is cut off once it passes the limit."""
    client = await make_client(with_overrides(settings, server={"max_body_bytes": 2048}))

    async def chunks():
        yield b'{"query": "{ serverInfo { version } }", "pad": "'
        for _ in range(10):
            yield b"x" * 1024
        yield b'"}'

    response = await client.post(
        "/graphql", data=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status == 413


async def test_slow_request_times_out_with_504(aiohttp_client, settings):
    """A handler running past server.request_timeout_seconds is cancelled: 504, JSON error."""
    app = create_app(with_overrides(settings, server={"request_timeout_seconds": 0.2}))
    finished = asyncio.Event()

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(5)
        finished.set()
        return web.Response(text="too late")

    app.router.add_get("/slow", slow)
    client = await aiohttp_client(app)
    response = await client.get("/slow")
    assert response.status == 504
    assert (await response.json())["errors"][0]["extensions"]["code"] == "TIMEOUT"
    assert not finished.is_set()


async def test_non_object_json_bodies_are_400(client):
    """Valid JSON that is not an object (a string, a list: batching is off) is a 400."""
    for body in ('"x"', "[1]", "[]", "42", "null"):
        response = await client.post(
            "/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        assert response.status == 400, body
        error = (await response.json())["errors"][0]
        assert error["extensions"]["code"] == "BAD_REQUEST"


async def test_malformed_json_is_400(client):
    """A body that is not JSON at all is a 400 with a JSON error, not a 500."""
    response = await client.post(
        "/graphql", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert "JSON" in (await response.json())["errors"][0]["message"]


async def test_unknown_path_is_json_404(client):
    """Unknown routes answer 404 in the same JSON error shape."""
    response = await client.get("/nope")
    assert response.status == 404
    assert (await response.json())["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_cors_allows_configured_origins_only(make_client, settings):
    """A preflight from an allowed origin is answered; other origins get no CORS grant."""
    allowed = "https://app.example.org"
    client = await make_client(with_overrides(settings, server={"cors_origins": (allowed,)}))
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,authorization",
    }
    response = await client.options("/graphql", headers={"Origin": allowed, **preflight})
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == allowed
    response = await client.options(
        "/graphql", headers={"Origin": "https://evil.example", **preflight}
    )
    assert "Access-Control-Allow-Origin" not in response.headers
    response = await client.post(
        "/graphql", json={"query": "{ serverInfo { version } }"}, headers={"Origin": allowed}
    )
    assert response.headers["Access-Control-Allow-Origin"] == allowed


async def test_large_responses_are_gzipped(client):
    """Responses over server.gzip_min_bytes are compressed when the client accepts gzip."""
    response = await client.get(
        "/graphql", headers={"Accept": "text/html", "Accept-Encoding": "gzip"}
    )
    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "graphiql" in (await response.text()).lower()
    small = await client.get("/livez", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers


async def test_graphiql_is_off_when_disabled(make_client, settings):
    """With server.graphiql off (the production default) a browser gets no IDE."""
    client = await make_client(with_overrides(settings, server={"graphiql": False}))
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status == 404


async def test_queries_run_over_get(client):
    """GET runs queries (cacheable reads)."""
    response = await client.get("/graphql", params={"query": "{ serverInfo { environment } }"})
    assert response.status == 200
    assert (await response.json())["data"]["serverInfo"]["environment"] == "test"


async def test_mutations_are_refused_over_get(client):
    """GET is for queries only: a mutation over GET is a 405 naming POST, and nothing runs."""
    response = await client.get("/graphql", params={"query": "mutation { logout }"})
    assert response.status == 405
    assert response.headers["Allow"] == "POST"
    error = (await response.json())["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "GET" in error["message"]
