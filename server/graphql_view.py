"""The /graphql endpoint: strawberry's aiohttp view with our context, JSON and HTTP errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import orjson
from aiohttp import web
from cross_web import AiohttpHTTPRequestAdapter, AsyncHTTPRequestAdapter, HTTPException
from strawberry.aiohttp.views import GraphQLView
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.http.base import BaseRequestProtocol
from strawberry.types import ExecutionResult

from resolvers.context import Context
from resolvers.loaders import build_loaders
from server.app_keys import DATABASE_MONITOR, OPERATION_NAME, REQUEST_ID, SETTINGS, USER_ID
from server.authenticate import authenticate
from server.graphiql import graphiql_response
from server.graphql_errors import classify
from server.http_errors import json_error, service_unavailable
from server.persisted_queries import PERSISTED_QUERIES, PersistedQueryRefused, refusal_response
from taskql.auth.viewer import ANONYMOUS, Viewer
from taskql.database_errors import RETRY_AFTER_SECONDS, is_database_unavailable
from taskql.errors import ErrorCode, ServiceUnavailable


class RecordOperationName(SchemaExtension):
    """Lets the access log name the operation once the document is parsed."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        name = self.execution_context.operation_name
        if name and isinstance(context, Context):
            context.request[OPERATION_NAME] = name
        yield


class TaskQLView(GraphQLView[Context, None]):
    async def get_context(self, request: web.Request, response: web.StreamResponse) -> Context:
        # Runs before GraphQL: a database that is down or behind is answered here, as HTTP
        # 503, by __call__.
        monitor = request.app[DATABASE_MONITOR]
        try:
            problem = await monitor.schema_problem()
            viewer = ANONYMOUS if problem else await self.authenticate(request)
        except Exception as error:
            if not is_database_unavailable(error):
                raise
            monitor.report_unavailable(error)
            raise ServiceUnavailable from error
        if problem:
            raise ServiceUnavailable(f"{problem}; the service cannot answer until it is migrated.")
        if viewer.user_id is not None:
            request[USER_ID] = str(viewer.user_id)
        return Context(
            request=request,
            response=response,
            settings=request.app[SETTINGS],
            viewer=viewer,
            loaders=build_loaders(viewer),
        )

    async def authenticate(self, request: web.Request) -> Viewer:
        # One SQL statement with a token, none without: statement-count tests rely on it.
        return await authenticate(request.headers.get("Authorization"), request.app[SETTINGS].auth)

    async def render_graphql_ide(self, request: web.Request) -> web.Response:  # noqa: ARG002
        # Our own page and vendored assets rather than strawberry's CDN links (server/graphiql).
        return graphiql_response()

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def parse_json(self, data: str | bytes) -> Any:
        parsed = super().parse_json(data)
        # Batching is off: anything but one JSON object is the client's mistake, not a 500.
        if not isinstance(parsed, dict):
            raise HTTPException(400, "The request body must be a JSON object.")
        return parsed

    # --- Persisted queries (server/persisted_queries.py): APQ and trusted documents. ---
    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        # Fills `query` from extensions.persistedQuery before strawberry runs; refusals raise
        # PersistedQueryRefused, answered in __call__.
        data = await super().parse_http_body(request)
        if isinstance(data, list):  # batches are refused in parse_json
            return data
        adapter = cast("AiohttpHTTPRequestAdapter", request)
        return await adapter.request.app[PERSISTED_QUERIES].resolve(data)

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET naming a persisted query by hash has no `query` parameter: it is an
        # operation, not a browser asking for GraphiQL.
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    # --- end of persisted queries ---

    async def process_result(
        self, request: web.Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result.errors:
            if unavailable := next(
                (e.original_error for e in result.errors if _unavailable(e.original_error)), None
            ):
                request.app[DATABASE_MONITOR].report_unavailable(unavailable)
            request_id = request.get(REQUEST_ID)
            result.errors = [classify(error, request_id=request_id) for error in result.errors]
        return process_result(result)

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: web.Response,
    ) -> web.Response:
        response = super().create_response(response_data, sub_response)
        if not isinstance(response_data, dict):  # batches are refused in parse_json
            return response
        # A GraphQL answer is HTTP 200 even when the database was away; the header still
        # tells HTTP clients and proxies when to try again (the longest hint of the errors).
        errors = cast("list[dict[str, Any]]", response_data.get("errors") or [])
        hints = [
            int(extensions.get("retryAfterSeconds") or RETRY_AFTER_SECONDS)
            for error in errors
            if (extensions := error.get("extensions") or {}).get("code")
            == ErrorCode.SERVICE_UNAVAILABLE
        ]
        if hints:
            response.headers["Retry-After"] = str(max(hints))
        return response

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if not self.websocket_subprotocols and _asks_for_websocket(request):
            # strawberry would accept the handshake (101) and only then close it; and the
            # limits middleware lets upgrades run without the request timeout. Refuse it.
            return json_error(400, "This endpoint does not accept WebSocket connections.")
        try:
            return await self.run(request=request)
        except HTTPException as error:
            return json_error(error.status_code, error.reason)
        except StrawberryGraphQLError as error:
            return json_error(400, error.message)
        except ServiceUnavailable as error:
            return service_unavailable(error.message)
        except PersistedQueryRefused as error:
            return refusal_response(error)


def _asks_for_websocket(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


def _unavailable(error: BaseException | None) -> bool:
    return error is not None and is_database_unavailable(error)
