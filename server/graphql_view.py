"""The /graphql endpoint: strawberry's aiohttp view with our context, JSON and HTTP errors."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

import orjson
from aiohttp import web
from cross_web import AiohttpHTTPRequestAdapter, AsyncHTTPRequestAdapter, HTTPException
from strawberry.aiohttp.views import GraphQLView
from strawberry.exceptions import StrawberryGraphQLError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.http.base import BaseRequestProtocol
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult

from resolvers.context import Context
from resolvers.loaders import build_loaders
from server.app_keys import (
    DATABASE_MONITOR,
    ERROR_CODES,
    EVENT_HUB,
    LIVE_SOCKET,
    LIVE_SOCKETS,
    REQUEST_ID,
    SETTINGS,
    USER_ID,
)
from server.authenticate import authenticate
from server.batch_cost import refuse_costly_batch
from server.compiled_execution import COMPILED_ANSWERS
from server.compiled_http import HTTP_CONTEXT
from server.graphiql import graphiql_response
from server.graphql_batch import execute_batch
from server.graphql_errors import classify
from server.graphql_http import (
    EXCHANGE,
    GRAPHQL_RESPONSE_JSON,
    Exchange,
    RequestRefused,
    cache_control,
    check_body,
    check_content_type,
    negotiate_media_type,
    request_error_status,
)
from server.graphql_socket import SocketContext, TaskQLTransportWSHandler, TextFrameSocket
from server.http_errors import json_error, service_unavailable
from server.operation_name import require_operation_name_for_several
from server.persisted_queries import PERSISTED_QUERIES, PersistedQueryRefused, refusal_response
from server.retry_after import retry_after_header
from server.socket_auth import sign_in_socket
from taskql import audit_context
from taskql.auth.viewer import ANONYMOUS, Viewer
from taskql.database_errors import is_database_unavailable
from taskql.errors import ServiceUnavailable
from taskql.metrics import note_outcome
from taskql.settings import GraphQLSettings


class TaskQLView(GraphQLView[Context, None]):
    graphql_transport_ws_handler_class = TaskQLTransportWSHandler
    websocket_adapter_class = TextFrameSocket

    def __init__(
        self, *, graphql_settings: GraphQLSettings, heartbeat_seconds: float = 20.0, **options: Any
    ) -> None:
        super().__init__(**options)
        self.graphql_settings = graphql_settings
        self.heartbeat_seconds = heartbeat_seconds
        if graphql_settings.batching:
            # strawberry refuses every array unless its batching config is set; our own
            # policy (server.graphql_http.check_batch) has already applied the cap.
            self.schema.config.batching_config = {
                "max_operations": graphql_settings.max_batch_operations
            }

    async def get_context(self, request: web.Request, response: web.StreamResponse) -> Context:
        if isinstance(response, web.WebSocketResponse):
            # Signed in at connection_init (on_ws_connect), where the token travels.
            return SocketContext(
                request=request,
                response=response,
                settings=request.app[SETTINGS],
                viewer=ANONYMOUS,
                loaders=build_loaders(ANONYMOUS),
                events=request.app[EVENT_HUB],
                socket=request[LIVE_SOCKET],
            )
        made: Context | None = request.get(HTTP_CONTEXT)
        if made is not None:
            # Made by a compiled answer that left this request to the full path.
            return replace(made, response=response)
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
        # Who asks, for the audit rows this request's writes add (models/audit.py).
        audit_context.begin_request(
            actor_id=viewer.user_id,
            request_id=request.get(REQUEST_ID),
            client_address=request.remote,
        )
        return Context(
            request=request,
            response=response,
            settings=request.app[SETTINGS],
            viewer=viewer,
            loaders=build_loaders(viewer),
            events=request.app.get(EVENT_HUB),
        )

    async def authenticate(self, request: web.Request) -> Viewer:
        # One SQL statement with a token, none without: statement-count tests rely on it.
        return await authenticate(request.headers.get("Authorization"), request.app[SETTINGS].auth)

    # --- WebSocket (server/graphql_socket.py, server/live_sockets.py) ---
    async def on_ws_connect(self, context: Context) -> None:
        await sign_in_socket(cast("SocketContext", context))

    async def create_websocket_response(
        self, request: web.Request, subprotocol: str | None
    ) -> web.WebSocketResponse:
        # Pings keep idle sockets open through proxies and close peers that vanished.
        ws = web.WebSocketResponse(
            protocols=[subprotocol] if subprotocol else [], heartbeat=self.heartbeat_seconds
        )
        await ws.prepare(request)
        request[LIVE_SOCKET].ws = ws
        return ws

    async def _serve_socket(self, request: web.Request) -> web.StreamResponse:
        if (
            not self.websocket_subprotocols
            or await self.pick_websocket_subprotocol(request) is None
        ):
            # strawberry would accept the handshake (101) and only then close it; and the
            # limits middleware lets upgrades run without the request timeout. Refuse it.
            if not self.websocket_subprotocols:
                return json_error(400, "This endpoint does not accept WebSocket connections.")
            served = " or ".join(self.websocket_subprotocols)
            return json_error(400, f"WebSocket upgrades are accepted for {served} only.")
        sockets = request.app[LIVE_SOCKETS]
        place = sockets.admit()
        if place is None:
            return service_unavailable("This instance serves as many WebSockets as it may.")
        request[LIVE_SOCKET] = place
        try:
            return await self.run(request=request)
        finally:
            sockets.discard(place)

    # --- end of WebSocket ---

    async def render_graphql_ide(self, request: web.Request) -> web.Response:  # noqa: ARG002
        # Our own page and vendored assets rather than strawberry's CDN links (server/graphiql).
        return graphiql_response()

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def parse_json(self, data: str | bytes) -> Any:
        # Only request bodies come here (GET parameters: parse_query_params): one object,
        # or an array within the batching policy; anything else is a 400, not a 500.
        parsed = super().parse_json(data)
        check_body(parsed, self.graphql_settings)
        return parsed

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        parsed = dict(params)
        for name in ("variables", "extensions"):
            if parsed.get(name):
                try:
                    parsed[name] = self.decode_json(parsed[name])
                except orjson.JSONDecodeError as error:
                    raise HTTPException(400, f"`{name}` is not valid JSON.") from error
        return parsed

    async def execute_operation(  # noqa: PLR0917
        self,
        request: web.Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: web.Response,
    ) -> Any:
        if not isinstance(request_data, list):
            return await super().execute_operation(
                request, request_adapter, request_data, context, root_value, sub_response
            )
        request[EXCHANGE].batch = True
        # The cost limit holds for the batch as a whole, refused entire before any of it runs.
        refuse_costly_batch(request.app, request_data, self.graphql_settings)
        return await execute_batch(
            lambda data: self.execute_single(
                request, request_adapter, sub_response, context, root_value, data
            ),
            request_data,
        )

    async def execute_single(  # noqa: PLR0917
        self,
        request: web.Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: web.Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        if request_data.operation_name is None and isinstance(request_data.query, str):
            require_operation_name_for_several(request, request_data.query)
        result = await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )
        answers = request.app.get(COMPILED_ANSWERS)
        if (
            answers is not None
            and request.method == "POST"
            and not result.errors
            and isinstance(request_data.query, str)
        ):
            answers.learn(request_data.query, request_data.operation_name)
        return result

    # --- Persisted queries (server/persisted_queries.py): APQ and trusted documents. ---
    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        # Fills `query` from extensions.persistedQuery before strawberry runs; refusals raise
        # PersistedQueryRefused, answered in __call__.
        data = await super().parse_http_body(request)
        persisted = cast("AiohttpHTTPRequestAdapter", request).request.app[PERSISTED_QUERIES]
        if isinstance(data, list):
            # A batch (when batching is on) is held to the same rules, operation by operation:
            # one refused entry refuses the whole batch before any of it runs.
            return [await persisted.resolve(entry) for entry in data]
        return await persisted.resolve(data)

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
            # classify gave each error its code; the request's trace span names them.
            request[ERROR_CODES] = tuple(
                str((error.extensions or {}).get("code")) for error in result.errors
            )
            note_outcome((error.extensions or {}).get("code") for error in result.errors)
        response = process_result(result)
        exchange = request[EXCHANGE]
        status = request_error_status(response)
        exchange.request_errors.append(status)
        exchange.any_errors = exchange.any_errors or bool(result.errors)
        if status is not None and exchange.media_type == GRAPHQL_RESPONSE_JSON:
            # Nothing executed: the specification's response has no `data` entry at all.
            response.pop("data", None)
        return response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: web.Response,
    ) -> web.Response:
        response = super().create_response(response_data, sub_response)
        if not isinstance(response_data, dict):  # batches are refused in parse_json
            return response
        # A GraphQL answer is HTTP 200 even when the database was away; the header still
        # tells HTTP clients and proxies when to try again.
        errors = cast("list[dict[str, Any]]", response_data.get("errors") or [])
        if (retry_after := retry_after_header(errors)) is not None:
            response.headers["Retry-After"] = retry_after
        return response

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if _asks_for_websocket(request):
            return await self._serve_socket(request)
        response = await self._answer(request)
        exchange = request.get(EXCHANGE)
        if exchange is None:  # the IDE page, or refused before negotiation
            return response
        if response.content_type == "application/json":
            response.content_type = exchange.media_type
            if (
                exchange.media_type == GRAPHQL_RESPONSE_JSON
                and not exchange.batch
                and exchange.request_errors
                and (status := exchange.request_errors[0]) is not None
            ):
                response.set_status(status)
        response.headers["Cache-Control"] = cache_control(
            request, exchange, response.status, self.graphql_settings.get_cache_max_age_seconds
        )
        if request.method == "GET":
            # The answer depends on these request headers: a cache must key on them.
            response.headers["Vary"] = ", ".join(
                filter(
                    None, (response.headers.get("Vary"), "Accept, Accept-Encoding, Authorization")
                )
            )
        return response

    async def _answer(self, request: web.Request) -> web.Response:  # noqa: PLR0911 - one answer per refusal
        try:
            return await self._run_negotiated(request)
        except RequestRefused as error:
            return json_error(
                error.status, error.message, headers=error.headers, extensions=error.extensions
            )
        except HTTPException as error:
            if isinstance(error.__cause__, InvalidOperationTypeError) and request.method == "GET":
                # GET only reads; the specification's answer names the method that writes.
                return json_error(405, error.reason, headers={"Allow": "POST"})
            return json_error(error.status_code, error.reason)
        except StrawberryGraphQLError as error:
            return json_error(400, error.message)
        except ServiceUnavailable as error:
            return service_unavailable(error.message)
        except PersistedQueryRefused as error:
            return refusal_response(error)

    async def _run_negotiated(self, request: web.Request) -> web.Response:
        if self.should_render_graphql_ide(self.request_adapter_class(request)):
            return cast("web.Response", await self.run(request=request))  # 404 when off
        media_type = negotiate_media_type(request.headers.get("Accept"))
        if media_type is None:
            raise RequestRefused(
                406, f"Accept {GRAPHQL_RESPONSE_JSON} or application/json: nothing else is served."
            )
        request[EXCHANGE] = Exchange(media_type=media_type)
        if request.method == "POST":
            check_content_type(request.headers.get("Content-Type"))
            answers = request.app.get(COMPILED_ANSWERS)
            if answers is not None and (
                compiled := await answers.answer(request, self.get_context)
            ):
                return compiled
        return cast("web.Response", await self.run(request=request))


def _asks_for_websocket(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


def _unavailable(error: BaseException | None) -> bool:
    return error is not None and is_database_unavailable(error)
