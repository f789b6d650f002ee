"""Per-viewer query cost budgets: a token bucket per user or client address, kept in Redis
(shared by instances) or in the process (SQLite single-process mode).

Each test gets Redis keys under a prefix of its own, deleted afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from server.graphql_cost_limits import COST_BUDGET
from taskql.cost_budget import MemoryBudget, RedisBudget, Refusal
from taskql.settings import Settings, load_settings
from tests.conftest import with_overrides
from tests.task_factories import signed_in_user

CHEAP = "{ serverInfo { version } }"  # costs 2
CHEAP_COST = 2
WINDOW = 3600.0  # long: the refill during a test stays far below one operation's cost


@pytest.fixture
async def redis_prefix(settings: Settings) -> AsyncIterator[str]:
    prefix = f"taskql-test-{uuid.uuid4().hex}:"
    yield prefix
    redis = Redis.from_url(settings.ratelimit.redis_url)
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def with_budget(settings: Settings, backend: str, prefix: str, budget: int, **sections: Any):
    """Budget `budget` points per hour; graphql.max_cost no higher, as settings require."""
    return with_overrides(
        settings,
        graphql={"max_cost": min(budget, settings.graphql.max_cost)},
        ratelimit={
            "cost_budget": budget,
            "cost_window_seconds": WINDOW,
            "backend": backend,
            "key_prefix": prefix,
        },
        **sections,
    )


async def send(client: Any, query: str = CHEAP, **headers: str) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query}, headers=headers)
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


def outcome(body: dict[str, Any]) -> str:
    errors = body.get("errors")
    return errors[0]["extensions"]["code"] if errors else "OK"


def test_cost_budgets_are_off_by_default():
    """Nothing is rate limited by cost unless an operator sets ratelimit.cost_budget."""
    for environment in ("development", "test"):
        assert load_settings(environment).ratelimit.cost_budget == 0


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_a_spent_budget_is_rate_limited_with_retry_after(
    make_client, settings, redis_prefix, backend
):
    """Ten operations of cost 2 spend a budget of 20; the next is RATE_LIMITED with the
    seconds until 2 points are back (2 / (20 per hour) = 360 s) and runs nothing. Free
    operations still answer, and an operation over max_cost is refused without spending."""
    client = await make_client(with_budget(settings, backend, redis_prefix, budget=20))
    assert [outcome(await send(client)) for _ in range(10)] == ["OK"] * 10

    refused = await send(client)
    assert refused["data"] is None
    [error] = refused["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["cost"] == CHEAP_COST
    assert 350 <= error["extensions"]["retryAfterSeconds"] <= 360
    assert await send(client, "{ __typename }") == {"data": {"__typename": "Query"}}
    too_big = "{ tasks(first: 100) { edges { node { id } } } }"
    assert outcome(await send(client, too_big)) == "QUERY_TOO_COMPLEX"


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_thirty_concurrent_requests_never_overspend(
    make_client, settings, redis_prefix, backend
):
    """30 operations at once against a budget for 10: exactly 10 run, 20 are RATE_LIMITED."""
    client = await make_client(with_budget(settings, backend, redis_prefix, budget=20))
    bodies = await asyncio.gather(*(send(client) for _ in range(30)))
    outcomes = [outcome(body) for body in bodies]
    assert outcomes.count("OK") == 10
    assert outcomes.count("RATE_LIMITED") == 20


async def test_two_instances_share_one_redis_budget(make_client, settings, redis_prefix):
    """Two app instances on one Redis: 15 concurrent operations each against a budget for
    10 in all: exactly 10 run across both."""
    configured = with_budget(settings, "redis", redis_prefix, budget=20)
    first, second = await make_client(configured), await make_client(configured)
    assert first.app[COST_BUDGET] is not second.app[COST_BUDGET]
    bodies = await asyncio.gather(*(send(c) for c in (first, second) for _ in range(15)))
    outcomes = [outcome(body) for body in bodies]
    assert outcomes.count("OK") == 10
    assert outcomes.count("RATE_LIMITED") == 20


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_budgets_are_per_user_and_per_client_address(
    make_client, settings, redis_prefix, backend
):
    """Anonymous operations pay from their client address's bucket (behind a trusted proxy,
    the forwarded one), a signed-in user from their own wherever they come from."""
    client = await make_client(
        with_budget(
            settings,
            backend,
            redis_prefix,
            budget=4,
            server={"trusted_proxies": ("127.0.0.1",)},
        )
    )
    _user, token = await signed_in_user(settings)
    a, b = {"X-Forwarded-For": "198.51.100.7"}, {"X-Forwarded-For": "203.0.113.9"}
    assert [outcome(await send(client, **a)) for _ in range(3)] == ["OK", "OK", "RATE_LIMITED"]
    assert outcome(await send(client, **b)) == "OK"
    as_user = {**a, "Authorization": f"Bearer {token}"}
    assert [outcome(await send(client, **as_user)) for _ in range(3)] == [
        "OK",
        "OK",
        "RATE_LIMITED",
    ]


async def test_unreachable_redis_is_service_unavailable(make_client, settings, redis_prefix):
    """When Redis does not answer, operations are refused as SERVICE_UNAVAILABLE with a
    retry hint (and the Retry-After header), not a 500, and nothing runs."""
    configured = with_budget(settings, "redis", redis_prefix, budget=20)
    unreachable = with_overrides(
        configured,
        ratelimit={"redis_url": "redis://127.0.0.1:1/0"},  # nothing listens on port 1
    )
    client = await make_client(unreachable)
    response = await client.post("/graphql", json={"query": CHEAP})
    body = await response.json()
    assert response.status == 200
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert error["extensions"]["retryAfterSeconds"] >= 1
    assert response.headers["Retry-After"] == str(error["extensions"]["retryAfterSeconds"])


async def test_memory_bucket_refills_over_time_and_refusals_spend_nothing():
    """The bucket refills at budget per window; a refused operation takes no points, so a
    client retrying too early does not push its own wait further."""
    now = [1000.0]
    budget = MemoryBudget(capacity=10, window_seconds=100.0, clock=lambda: now[0])
    assert await budget.spend("user:a", 10) is None
    assert await budget.spend("user:a", 4) == Refusal(remaining=0.0, retry_after_seconds=40)
    now[0] += 20.0  # 2 points back
    assert await budget.spend("user:a", 4) == Refusal(remaining=2.0, retry_after_seconds=20)
    now[0] += 20.0
    assert await budget.spend("user:a", 4) is None
    assert await budget.spend("user:b", 10) is None  # another subject, another bucket
    now[0] += 10_000.0  # never more than the capacity
    assert await budget.spend("user:a", 11) == Refusal(remaining=10.0, retry_after_seconds=10)


async def test_redis_buckets_expire_once_full_again(settings, redis_prefix):
    """A Redis bucket lives only until it would be full again, so idle viewers leave no
    keys behind."""
    budget = RedisBudget(
        capacity=10,
        window_seconds=100.0,
        url=settings.ratelimit.redis_url,
        key_prefix=redis_prefix,
    )
    try:
        assert await budget.spend("user:a", 4) is None  # 4 points missing: 40 s to refill
        ttl_ms = await budget.redis.pttl(budget.key("user:a"))
        assert 40_000 <= ttl_ms <= 41_000
        refused = await budget.spend("user:a", 8)
        assert refused is not None
        assert refused.retry_after_seconds == 20
        assert 5.9 <= refused.remaining <= 6.1
    finally:
        await budget.close()
