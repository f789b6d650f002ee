"""Behind a trusted load balancer, the client address comes from X-Forwarded-For."""

from __future__ import annotations

from tests.conftest import with_overrides
from tests.test_auth_login import LOGIN, error


async def failed_login_codes(client, forwarded_for: list[str]) -> list[str]:
    codes = []
    for number, address in enumerate(forwarded_for):
        variables = {"email": f"probe{number}@example.test", "password": "guess guess guess"}
        response = await client.post(
            "/graphql",
            json={"query": LOGIN, "variables": variables},
            headers={"X-Forwarded-For": address},
        )
        codes.append(error(await response.json())["extensions"]["code"])
    return codes


async def test_per_address_limit_counts_forwarded_clients(make_client, settings):
    """With the proxy trusted, two clients behind it are limited separately."""
    client = await make_client(
        with_overrides(
            settings,
            server={"trusted_proxies": ("127.0.0.1",)},
            auth={"login_max_failures_per_address": 2},
        )
    )
    codes = await failed_login_codes(
        client, ["203.0.113.1", "203.0.113.1", "203.0.113.2", "203.0.113.1"]
    )
    assert codes == ["UNAUTHENTICATED", "UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED"]


async def test_forwarded_header_is_ignored_without_trusted_proxies(make_client, settings):
    """By default a client cannot dodge the limit by inventing X-Forwarded-For values."""
    client = await make_client(with_overrides(settings, auth={"login_max_failures_per_address": 2}))
    codes = await failed_login_codes(client, ["203.0.113.1", "203.0.113.2", "203.0.113.3"])
    assert codes == ["UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED"]


async def test_forwarded_header_from_untrusted_peer_is_refused(make_client, settings):
    """A peer that is not a trusted proxy cannot forge the client address: 400."""
    client = await make_client(with_overrides(settings, server={"trusted_proxies": ("10.9.9.9",)}))
    response = await client.post(
        "/graphql",
        json={"query": "{ serverInfo { version } }"},
        headers={"X-Forwarded-For": "203.0.113.7"},
    )
    assert response.status == 400
    assert (await response.json())["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert (await client.get("/healthz")).status == 200
