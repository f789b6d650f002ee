"""The differential harness: one operation, two real apps, byte-identical answers or a report.

Both apps come from server.app.create_app over the same database, one with
graphql.compiled_execution on and one with it off (graphql-core's executor for everything).
Each operation is POSTed to both with the same viewer and the same X-Request-Id (masked errors
quote it), and once more to the compiled app, which by then answers an operation it learned
straight from the HTTP body (server/compiled_http.py). The status, the Content-Type and the
body bytes (data and formatted errors, key order included) of all three must be equal. A
difference raises Difference with the operation, its variables, the viewer and both bodies,
so a failing example can be replayed by hand.

The stock executor is not always deterministic itself: sibling fields run concurrently, and
when an error nulls the whole result, which sibling errors were listed first is a race. So a
compiled answer that differs is checked against a few more stock answers to the same request,
and only one the stock executor never gives is a difference.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp.test_utils import TestClient
from graphql import GraphQLSchema, build_client_schema, get_introspection_query

from taskql.settings import Settings
from tests.conftest import MakeClient, with_overrides

_request_ids = itertools.count(1)
# How often the stock app is asked again before a difference is reported.
STOCK_RETRIES = 8


class Difference(AssertionError):
    """The two apps answered one operation differently."""


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes

    def describe(self) -> str:
        return f"HTTP {self.status} {self.content_type}\n{self.body.decode(errors='replace')}"


@dataclass(frozen=True)
class Viewer:
    """Who sends an operation: a name for reports and the bearer token (None: anonymous)."""

    name: str
    token: str | None = None


ANONYMOUS = Viewer("anonymous")


@dataclass
class Pair:
    """The compiled app and the stock app, both serving the same database."""

    compiled: TestClient[Any, Any]
    stock: TestClient[Any, Any]
    compared: int = 0
    # Answers that differed at first and matched one of the stock app's retries.
    racy: int = 0
    # Statuses seen, for tests that check what a corpus exercised.
    statuses: dict[int, int] = field(default_factory=dict)

    async def compare(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        viewer: Viewer = ANONYMOUS,
        operation_name: str | None = None,
    ) -> Answer:
        """Send one operation to both apps; returns the common answer, raises Difference."""
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation_name is not None:
            body["operationName"] = operation_name
        payload = orjson.dumps(body)
        headers = {
            "Content-Type": "application/json",
            "X-Request-Id": f"differential-{next(_request_ids)}",
        }
        if viewer.token is not None:
            headers["Authorization"] = f"Bearer {viewer.token}"
        # Alternate which app answers first, so that nothing time-dependent favours one side.
        order = (
            (self.compiled, self.stock) if self.compared % 2 == 0 else (self.stock, self.compiled)
        )
        answers = {id(client): await _post(client, payload, headers) for client in order}
        compiled, stock = answers[id(self.compiled)], answers[id(self.stock)]
        # Once answered without errors the pair is learned, and the compiled app answers it
        # again straight from the HTTP body (server/compiled_http.py): both must match.
        again = await _post(self.compiled, payload, headers)
        self.compared += 1
        self.statuses[stock.status] = self.statuses.get(stock.status, 0) + 1
        if compiled == stock and again == stock:
            return stock
        # graphql-core runs sibling fields concurrently: when one error nulls the whole
        # result, whether a sibling's error made it into the list first is a race. An answer
        # the stock executor itself gives on another try is not a difference.
        different = compiled if compiled != stock else again
        seen = [stock]
        for _ in range(STOCK_RETRIES):
            retried = await _post(self.stock, payload, headers)
            if retried == different:
                self.racy += 1
                return different
            if retried not in seen:
                seen.append(retried)
        raise Difference(_report(query, variables, viewer, different, seen))


async def _post(client: TestClient[Any, Any], payload: bytes, headers: dict[str, str]) -> Answer:
    response = await client.post("/graphql", data=payload, headers=headers)
    return Answer(response.status, response.headers.get("Content-Type", ""), await response.read())


def _report(
    query: str,
    variables: dict[str, Any] | None,
    viewer: Viewer,
    compiled: Answer,
    stock: list[Answer],
) -> str:
    stock_answers = [
        f"--- stock (graphql.compiled_execution = false), answer {number} of {len(stock)}:\n"
        f"{answer.describe()}"
        for number, answer in enumerate(stock, 1)
    ]
    return "\n".join(
        (
            "compiled and stock execution answered differently",
            f"viewer: {viewer.name}",
            f"variables: {orjson.dumps(variables or {}).decode()}",
            "operation:",
            query,
            "--- compiled (graphql.compiled_execution = true):",
            compiled.describe(),
            *stock_answers,
        )
    )


def execution_settings(settings: Settings, *, compiled: bool) -> Settings:
    return with_overrides(settings, graphql={"compiled_execution": compiled})


async def start_pair(
    make_client: MakeClient,
    settings: Settings,
    *,
    compiled_options: dict[str, Any] | None = None,
) -> Pair:
    """Start both apps over `settings`' database; `compiled_options` go to the compiled app's
    create_app only (the harness's self-test mounts a deliberately different schema there)."""
    compiled = await make_client(
        execution_settings(settings, compiled=True), **(compiled_options or {})
    )
    stock = await make_client(execution_settings(settings, compiled=False))
    return Pair(compiled=compiled, stock=stock)


async def live_schema(client: TestClient[Any, Any]) -> GraphQLSchema:
    """The schema the app serves, read by introspection (on in the test settings), so that
    generated operations follow every field and argument other changes add."""
    response = await client.post("/graphql", json={"query": get_introspection_query()})
    assert response.status == 200, await response.text()
    body = await response.json()
    assert "errors" not in body, body
    return build_client_schema(body["data"])
