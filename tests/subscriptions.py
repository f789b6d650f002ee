"""Helpers for subscription tests: a real graphql-transport-ws client (gql's websockets
transport) against the test app's real socket, and a wait for the server to be listening."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp.test_utils import TestClient
from gql import Client, GraphQLRequest
from gql.client import AsyncClientSession
from gql.transport.websockets import WebsocketsTransport

from server.app_keys import EVENT_HUB

TASK_EVENTS = """
subscription TaskEvents($filter: TaskEventFilter) {
  taskEvents(filter: $filter) {
    kind taskId version occurredAt
    actor { id }
    task { id title status priority version owner { id displayName } }
  }
}
"""


def socket_url(client: TestClient[Any, Any]) -> str:
    return str(client.make_url("/graphql")).replace("http://", "ws://", 1)


@asynccontextmanager
async def socket_session(
    client: TestClient[Any, Any], token: str | None
) -> AsyncIterator[AsyncClientSession]:
    transport = WebsocketsTransport(
        url=socket_url(client),
        init_payload={} if token is None else {"Authorization": f"Bearer {token}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        ping_interval=None,
    )
    async with Client(transport=transport) as session:
        yield session


class Stream:
    """One subscription's results, read one at a time with a bound on the wait."""

    def __init__(self, session: AsyncClientSession, query: str, variables: dict[str, Any]):
        self._results = session.subscribe(GraphQLRequest(query, variable_values=variables))
        self._next: asyncio.Future[Any] | None = None

    def start(self) -> None:
        self._next = asyncio.ensure_future(anext(self._results))

    async def next(self, seconds: float = 5) -> Any:
        if self._next is None:
            self.start()
        assert self._next is not None
        result = await asyncio.wait_for(self._next, seconds)
        self._next = None
        return result

    async def nothing_within(self, seconds: float) -> bool:
        if self._next is None:
            self.start()
        assert self._next is not None
        done, _ = await asyncio.wait({self._next}, timeout=seconds)
        return not done

    async def close(self) -> None:
        if self._next is not None:
            self._next.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._next
        await self._results.aclose()


async def until_listening(client: TestClient[Any, Any], count: int, seconds: float = 5) -> None:
    """Until `count` subscriptions listen on the app's hub (their subscribe was handled)."""
    hub = client.app[EVENT_HUB]
    async with asyncio.timeout(seconds):
        while hub.listener_count != count:  # noqa: ASYNC110 - polls another task's state
            await asyncio.sleep(0.01)
