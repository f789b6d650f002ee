"""GraphQL over WebSocket (graphql-transport-ws): the socket's context, sign-in at
connection_init, the subscription limit, and error codes on every error sent.

- The access token comes in the connection_init payload (`{"Authorization": "Bearer …"}`),
  or else in the handshake's Authorization header. None, or a bad, expired or revoked one:
  the socket is closed with 4401. Later revocations are caught by server.live_sockets.
- Only subscriptions travel over the socket; queries and mutations are answered with an
  `error` message (BAD_REQUEST) and go over HTTP, where their limits and audit apply.
- Every error a message carries has an `extensions.code` (server.graphql_errors.classify),
  and a document that does not parse is an `error` message too, not a closed socket.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import orjson
from aiohttp import ClientConnectionResetError, web
from graphql import GraphQLError
from strawberry.aiohttp.views import AiohttpWebSocketAdapter
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLRequestData
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from resolvers.context import Context
from server.graphql_errors import classify
from server.live_sockets import LiveSocket
from server.persisted_queries import PERSISTED_QUERIES, PersistedQueryRefused
from taskql.errors import ErrorCode

if TYPE_CHECKING:
    from strawberry.schema import BaseSchema


@dataclass(slots=True)
class SocketContext(Context):
    """The context of one WebSocket connection (strawberry builds it once per socket)."""

    connection_params: Any = None  # the connection_init payload, set by strawberry
    socket: LiveSocket | None = None


class TextFrameSocket(AiohttpWebSocketAdapter):
    """Messages as text frames, as the protocol requires (the view's JSON is bytes, which
    strawberry would send as binary frames)."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_str(orjson.dumps(message).decode())
        except (RuntimeError, ClientConnectionResetError) as error:
            raise WebSocketDisconnected from error


class TaskQLTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    def __init__(
        self, *, schema: Any, max_subscriptions_per_connection: int | None, **kw: Any
    ) -> None:
        # The limit is ours (an `error` with a code); strawberry's sends no code.
        super().__init__(
            schema=cast("BaseSchema", _ClassifiedErrors(schema)),
            max_subscriptions_per_connection=None,
            **kw,
        )
        self.subscription_limit = max_subscriptions_per_connection

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        payload = message.get("payload")
        if not self.connection_acknowledged or not isinstance(payload, dict):
            await super().handle_subscribe(message)  # closes the socket (4401, 4400)
            return
        limit = self.subscription_limit
        if (
            limit is not None
            and len(self.operations) >= limit
            and message.get("id") not in self.operations
        ):
            await self._refuse(
                message,
                f"At most {limit} subscriptions per connection; complete one first.",
                {"code": ErrorCode.RATE_LIMITED.value},
            )
            return
        # Persisted queries and trusted documents hold here as over HTTP.
        persisted = self.view_request().app[PERSISTED_QUERIES]
        try:
            data = await persisted.resolve(
                GraphQLRequestData(
                    query=payload.get("query"),
                    variables=payload.get("variables"),
                    operation_name=payload.get("operationName"),
                    extensions=payload.get("extensions"),
                )
            )
        except PersistedQueryRefused as refused:
            await self._refuse(message, refused.message, refused.extensions)
            return
        if not isinstance(data.query, str):
            await self._refuse(
                message, "A subscribe message needs a query.", {"code": ErrorCode.BAD_REQUEST.value}
            )
            return
        await super().handle_subscribe(
            cast("SubscribeMessage", {**message, "payload": {**payload, "query": data.query}})
        )

    def view_request(self) -> web.Request:
        return self.context.request

    async def _refuse(
        self, message: SubscribeMessage, text: str, extensions: dict[str, Any]
    ) -> None:
        await self.send_message(
            {
                "id": message["id"],
                "type": "error",
                "payload": [{"message": text, "extensions": extensions}],
            }
        )


class _ClassifiedErrors:
    """The schema as the socket handler sees it: each result's errors classified."""

    def __init__(self, schema: Any) -> None:
        self.inner = schema

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def stream(self, *args: Any, **kwargs: Any) -> AsyncGenerator[Any, None]:
        return _classified(await self.inner.stream(*args, **kwargs))


async def _classified(results: AsyncGenerator[Any, None]) -> AsyncGenerator[Any, None]:
    started = False
    try:
        async for result in results:
            started = True
            if result.errors:
                result.errors = [_classify(error) for error in result.errors]
            yield result
    except GraphQLError as error:
        # The document cache's parse hook raises syntax and parser-limit errors, which
        # strawberry's stream lets through: answered as the operation's `error` message.
        if started:
            raise
        yield PreExecutionError(data=None, errors=[_classify(error)])
    finally:
        await results.aclose()


def _classify(error: GraphQLError) -> GraphQLError:
    if isinstance(error.original_error, CannotGetOperationTypeError):
        # No such operation in the document, or several and no operationName: the client's.
        return GraphQLError(
            error.original_error.as_http_error_reason(),
            extensions={"code": ErrorCode.BAD_REQUEST.value},
        )
    return classify(error, request_id=None)


class OperationTransport(SchemaExtension):
    """Subscriptions over a socket, queries and mutations over HTTP (where their limits and
    audit apply), nothing else."""

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and not context.pre_execution_errors:
            over_socket = isinstance(context.context, SocketContext)
            subscription = context.operation_type is OperationType.SUBSCRIPTION
            if over_socket and not subscription:
                context.pre_execution_errors = [
                    _bad_request(
                        "Only subscriptions are served over WebSocket; send queries and "
                        "mutations with POST /graphql."
                    )
                ]
            elif subscription and not over_socket:
                context.pre_execution_errors = [
                    _bad_request(
                        "Subscriptions are served over WebSocket (graphql-transport-ws) on "
                        "/graphql, not over HTTP."
                    )
                ]
        yield


def _bad_request(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": ErrorCode.BAD_REQUEST.value})
