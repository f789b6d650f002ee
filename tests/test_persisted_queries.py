"""Automatic Persisted Queries (Apollo's extensions.persistedQuery protocol) over real HTTP:
miss, registration, hit, refusals, GET for CDNs, and the memory and Redis stores."""

from __future__ import annotations

import hashlib
import json
import uuid
from urllib.parse import urlencode

import pytest
from redis.asyncio import Redis

from models import users as user_models
from server.persisted_queries import PERSISTED_QUERIES
from tests.conftest import with_overrides
from tests.factories import access_token_for, create_user

QUERY = "query Version { serverInfo { version } }"
REDIS_URL = "redis://127.0.0.1:6379/0"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def persisted(sha: str) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


async def post(client, body, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/graphql", json=body, headers=headers)
    return response, await response.json()


def code_of(body):
    return body["errors"][0]["extensions"]["code"]


@pytest.fixture
def apq_settings(settings):
    return with_overrides(settings, apq={"backend": "memory", "max_entries": 3})


async def test_unknown_hash_is_not_found_and_never_cached(make_client, apq_settings):
    """A hash the server does not know answers PERSISTED_QUERY_NOT_FOUND, with the message
    Apollo Client matches, no data, and Cache-Control: no-store so no CDN keeps the miss."""
    client = await make_client(apq_settings)
    response, body = await post(client, {"extensions": persisted(sha256(QUERY))})
    assert response.status == 200
    assert code_of(body) == "PERSISTED_QUERY_NOT_FOUND"
    assert body["errors"][0]["message"] == "PersistedQueryNotFound"
    assert "data" not in body
    assert response.headers["Cache-Control"] == "no-store"


async def test_registered_document_runs_by_hash(make_client, apq_settings):
    """Hash and text register the document (and run it); the hash alone then runs it."""
    client = await make_client(apq_settings)
    _, registered = await post(client, {"query": QUERY, "extensions": persisted(sha256(QUERY))})
    assert registered["data"]["serverInfo"]["version"]
    _, body = await post(client, {"extensions": persisted(sha256(QUERY))})
    assert body == registered
    assert len(client.app[PERSISTED_QUERIES].store) == 1


async def test_hash_that_does_not_match_the_text_is_refused(make_client, apq_settings):
    """A text sent under another document's hash is refused and stored under neither."""
    client = await make_client(apq_settings)
    claimed = sha256("query Other { me { id } }")
    response, body = await post(client, {"query": QUERY, "extensions": persisted(claimed)})
    assert response.status == 400
    assert code_of(body) == "BAD_REQUEST"
    assert "does not match" in body["errors"][0]["message"]
    _, lookup = await post(client, {"extensions": persisted(claimed)})
    assert code_of(lookup) == "PERSISTED_QUERY_NOT_FOUND"


async def test_document_over_the_size_limit_runs_but_is_not_stored(make_client, settings):
    """A text longer than apq.max_document_bytes runs, but the hash alone stays unknown, so
    the store cannot be filled with big documents."""
    client = await make_client(with_overrides(settings, apq={"max_document_bytes": 60}))
    big = QUERY + " " * 100
    _, body = await post(client, {"query": big, "extensions": persisted(sha256(big))})
    assert body["data"]["serverInfo"]["version"]
    _, lookup = await post(client, {"extensions": persisted(sha256(big))})
    assert code_of(lookup) == "PERSISTED_QUERY_NOT_FOUND"
    assert len(client.app[PERSISTED_QUERIES].store) == 0


async def test_invalid_document_is_not_stored(make_client, apq_settings):
    """A document that fails validation answers its validation error and is not kept."""
    client = await make_client(apq_settings)
    invalid = "query Broken { serverInfo { nope } }"
    _, body = await post(client, {"query": invalid, "extensions": persisted(sha256(invalid))})
    assert "nope" in body["errors"][0]["message"]
    _, lookup = await post(client, {"extensions": persisted(sha256(invalid))})
    assert code_of(lookup) == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "extension",
    [
        {"persistedQuery": {"version": 2, "sha256Hash": "a" * 64}},
        {"persistedQuery": {"version": True, "sha256Hash": "a" * 64}},
        {"persistedQuery": {"version": 1, "sha256Hash": "not-a-hash"}},
        {"persistedQuery": {"version": 1}},
        {"persistedQuery": "a" * 64},
    ],
)
async def test_malformed_persisted_query_is_a_bad_request(make_client, apq_settings, extension):
    """A persistedQuery extension that is not {version: 1, sha256Hash: <64 hex>} is a 400
    BAD_REQUEST naming what is wrong, never a 500."""
    client = await make_client(apq_settings)
    response, body = await post(client, {"query": QUERY, "extensions": extension})
    assert response.status == 400
    assert code_of(body) == "BAD_REQUEST"
    assert "persistedQuery" in body["errors"][0]["message"]


async def test_memory_store_keeps_the_newest_entries_only(make_client, apq_settings):
    """The in-process store is an LRU of apq.max_entries documents: the oldest goes first."""
    client = await make_client(apq_settings)
    texts = [f"query V{n} {{ serverInfo {{ version }} }}" for n in range(5)]
    for text in texts:
        await post(client, {"query": text, "extensions": persisted(sha256(text))})
    assert len(client.app[PERSISTED_QUERIES].store) == 3
    _, oldest = await post(client, {"extensions": persisted(sha256(texts[0]))})
    assert code_of(oldest) == "PERSISTED_QUERY_NOT_FOUND"
    _, newest = await post(client, {"extensions": persisted(sha256(texts[-1]))})
    assert newest["data"]["serverInfo"]["version"]


def get_url(sha: str, **params: str) -> str:
    extensions = json.dumps(persisted(sha), separators=(",", ":"))
    return "/graphql?" + urlencode({**params, "extensions": extensions})


async def test_get_by_hash_runs_a_registered_query(make_client, apq_settings):
    """GET /graphql?extensions=<URL-encoded persistedQuery> runs the document by hash, so a
    CDN can cache it; an unknown hash is a miss (not the GraphiQL page)."""
    client = await make_client(apq_settings)
    sha = sha256(QUERY)
    miss = await client.get(get_url(sha), headers={"Accept": "*/*"})
    assert code_of(await miss.json()) == "PERSISTED_QUERY_NOT_FOUND"
    assert miss.headers["Cache-Control"] == "no-store"
    registered = await client.get(get_url(sha, query=QUERY))
    assert (await registered.json())["data"]["serverInfo"]["version"]
    hit = await client.get(get_url(sha), headers={"Accept": "*/*"})
    assert hit.status == 200
    assert (await hit.json())["data"]["serverInfo"]["version"]


async def test_get_by_hash_never_runs_a_mutation(make_client, apq_settings):
    """A mutation stored under a hash is refused over GET (GET is for queries only), and
    nothing changes."""
    client = await make_client(apq_settings)
    user = await create_user()
    token = access_token_for(user, apq_settings)
    mutation = 'mutation Rename { updateMe(displayName: "Renamed") { id } }'
    await client.app[PERSISTED_QUERIES].store.put(sha256(mutation), mutation)
    response = await client.get(
        get_url(sha256(mutation)), headers={"Authorization": f"Bearer {token}"}
    )
    assert 400 <= response.status < 500
    assert "data" not in await response.json()
    assert (await user_models.User.get(id=user.id)).display_name == user.display_name


@pytest.fixture
async def redis_prefix():
    """A key prefix of this test's own in the shared Redis; its keys are deleted after."""
    prefix = f"taskql-test:apq:{uuid.uuid4().hex}:"
    yield prefix
    redis = Redis.from_url(REDIS_URL)
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def test_redis_store_is_shared_by_instances(make_client, settings, redis_prefix):
    """With apq.backend = "redis", a document registered on one instance runs by hash on
    another, and its key expires after apq.ttl_seconds."""
    redis_settings = with_overrides(
        settings,
        apq={
            "backend": "redis",
            "redis_url": REDIS_URL,
            "key_prefix": redis_prefix,
            "ttl_seconds": 600,
        },
    )
    first = await make_client(redis_settings)
    second = await make_client(redis_settings)
    sha = sha256(QUERY)
    _, missed = await post(second, {"extensions": persisted(sha)})
    assert code_of(missed) == "PERSISTED_QUERY_NOT_FOUND"
    await post(first, {"query": QUERY, "extensions": persisted(sha)})
    _, body = await post(second, {"extensions": persisted(sha)})
    assert body["data"]["serverInfo"]["version"]
    redis = Redis.from_url(REDIS_URL)
    try:
        assert 0 < await redis.ttl(f"{redis_prefix}{sha}") <= 600
    finally:
        await redis.aclose()


async def test_redis_away_degrades_to_full_documents(make_client, settings, free_redis_url):
    """With Redis unreachable a hash alone misses and a full document still runs: clients
    fall back to sending the text, and nobody sees a 500."""
    client = await make_client(
        with_overrides(settings, apq={"backend": "redis", "redis_url": free_redis_url})
    )
    sha = sha256(QUERY)
    _, missed = await post(client, {"extensions": persisted(sha)})
    assert code_of(missed) == "PERSISTED_QUERY_NOT_FOUND"
    response, body = await post(client, {"query": QUERY, "extensions": persisted(sha)})
    assert response.status == 200
    assert body["data"]["serverInfo"]["version"]


@pytest.fixture
def free_redis_url():
    from tests.cli import free_port  # noqa: PLC0415

    return f"redis://127.0.0.1:{free_port()}/0"


async def test_apq_off_leaves_only_the_manifest(make_client, settings):
    """With apq.enabled = false nothing is registered: a hash alone stays unknown after its
    text was sent."""
    client = await make_client(with_overrides(settings, apq={"enabled": False}))
    sha = sha256(QUERY)
    await post(client, {"query": QUERY, "extensions": persisted(sha)})
    _, body = await post(client, {"extensions": persisted(sha)})
    assert code_of(body) == "PERSISTED_QUERY_NOT_FOUND"
