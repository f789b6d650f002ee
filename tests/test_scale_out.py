"""Two real server processes on one database, behind a real nginx (the compose topology,
outside Docker): they behave as one service. A session revoked through one replica is refused
by the other at once, the failed-login limit is one limit, and nginx spreads requests over
both replicas and forwards the client's address.
"""

from __future__ import annotations

import asyncio
import collections
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from resolvers.auth import rate_limit
from tests.factories import DEFAULT_PASSWORD, create_user
from tests.test_login_limits import failure_rows
from tests.topology import Topology, scale_out

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken } }"""
ME = "{ me { email } }"
LOGOUT = "mutation { logout }"
MAX_FAILURES = 5


@pytest.fixture
def topology(tmp_path: Path, client: Any) -> Iterator[Topology]:
    with scale_out(
        tmp_path, TASKQL_AUTH__LOGIN_MAX_FAILURES_PER_EMAIL_AND_ADDRESS=str(MAX_FAILURES)
    ) as running:
        yield running


def session_for(topology: Topology) -> aiohttp.ClientSession:
    """A client session that can call the replicas directly as well as nginx: replicas that
    trust a proxy take requests from that proxy only, so it comes from nginx's address and
    names the client the way nginx does."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(local_addr=(topology.proxy_address, 0)),
        headers={"X-Forwarded-For": "127.0.0.1"},
    )


async def graphql(
    session: aiohttp.ClientSession, url: str, query: str, token: str | None = None, **variables: Any
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.post(
        f"{url}/graphql", json={"query": query, "variables": variables}, headers=headers
    ) as response:
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body


def code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"]) if body.get("errors") else "OK"


async def test_nginx_spreads_requests_over_both_replicas(topology: Topology):
    """Through nginx, /healthz and GraphQL requests are answered, by both replicas, with one
    request id from nginx to the replica."""
    async with session_for(topology) as session:
        for _ in range(6):
            async with session.get(f"{topology.balancer}/healthz") as response:
                assert response.status == 200
            body = await graphql(session, topology.balancer, "{ serverInfo { version } }")
            assert body["data"]["serverInfo"]["version"]
        async with session.get(f"{topology.balancer}/healthz") as response:
            nginx_id = response.headers["X-Request-Id"]
        async with session.get(
            f"{topology.balancer}/healthz", headers={"X-Request-Id": "client-1"}
        ) as response:
            client_id = response.headers["X-Request-Id"]
    replicas = {topology.a.removeprefix("http://"), topology.b.removeprefix("http://")}
    assert topology.upstreams_seen() == replicas
    # The replica logs nginx's request id, or the client's own when it sent one.
    assert re.fullmatch("[0-9a-f]{32}", nginx_id)
    assert client_id == "client-1"


async def test_a_session_revoked_through_one_replica_is_refused_by_the_other(
    topology: Topology,
):
    """Logout through A: the very next request with the same token, on B or through nginx,
    is UNAUTHENTICATED (revocation lives in the shared database, not in A's memory)."""
    user = await create_user()
    async with session_for(topology) as session:
        login = await graphql(
            session, topology.a, LOGIN, email=user.email, password=DEFAULT_PASSWORD
        )
        token = login["data"]["login"]["accessToken"]
        for url in (topology.b, topology.balancer):
            me = await graphql(session, url, ME, token)
            assert me.get("data") == {"me": {"email": user.email}}, (url, me)

        assert (await graphql(session, topology.a, LOGOUT, token))["data"]["logout"] is True

        for url in (topology.b, topology.balancer, topology.a):
            assert code(await graphql(session, url, ME, token)) == "UNAUTHENTICATED"


async def test_the_failed_login_limit_is_one_limit_behind_nginx(topology: Topology):
    """30 wrong passwords through nginx (one, then 29 at once), spread over both replicas,
    each claiming another X-Forwarded-For: nginx replaces the header with the real client
    address, so they all count against one limit under that address; at most the limit are
    checked, the rest refused."""
    user = await create_user()
    # An ordinary client on 127.0.0.1, the address nginx must forward.
    async with aiohttp.ClientSession() as session:

        async def guess(number: int) -> str:
            variables = {"email": user.email, "password": "wrong password!"}
            async with session.post(
                f"{topology.balancer}/graphql",
                json={"query": LOGIN, "variables": variables},
                headers={"X-Forwarded-For": f"10.0.0.{number}"},
            ) as response:
                return code(await response.json())

        first = await guess(0)  # checked for certain: the limit is not reached yet
        rest = await asyncio.gather(*(guess(n) for n in range(1, 30)))
        codes = collections.Counter([first, *rest])
    assert first == "UNAUTHENTICATED"
    assert set(codes) <= {"UNAUTHENTICATED", "RATE_LIMITED"}
    assert codes["UNAUTHENTICATED"] <= MAX_FAILURES
    assert codes["RATE_LIMITED"] >= 30 - MAX_FAILURES
    assert len(topology.upstreams_seen()) == 2
    pair = rate_limit.pair_subject(user.email, "127.0.0.1")
    assert await failure_rows(pair) == codes["UNAUTHENTICATED"]
