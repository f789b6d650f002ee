"""Signing a WebSocket in at connection_init, with the token of its payload or handshake."""

from __future__ import annotations

from typing import TYPE_CHECKING

from strawberry.exceptions import ConnectionRejectionError

from resolvers.loaders import build_loaders
from server.app_keys import USER_ID
from server.authenticate import authenticate
from server.live_sockets import UNAUTHORIZED
from taskql.auth.tokens import InvalidToken, decode_access_token
from taskql.database_errors import is_database_unavailable
from taskql.logging import get_logger

if TYPE_CHECKING:
    from server.graphql_socket import SocketContext

log = get_logger("taskql.sockets")

# The standard "try again later" close code: the database could not check the token.
TRY_AGAIN_LATER = 1013


async def sign_in_socket(context: SocketContext) -> None:
    """Authenticate the socket or close it: 4401 without a valid, live access token."""
    params = context.connection_params if isinstance(context.connection_params, dict) else {}
    header = params.get("Authorization", params.get("authorization"))
    if header is None:
        header = context.request.headers.get("Authorization")
    socket = context.socket
    ws = None if socket is None else socket.ws
    if socket is None or ws is None:  # never: the view holds a place before the handshake
        raise ConnectionRejectionError
    if not isinstance(header, str):
        await ws.close(code=UNAUTHORIZED, message=b"Unauthorized: no access token")
        raise ConnectionRejectionError
    try:
        viewer = await authenticate(header, context.settings.auth)
    except Exception as error:
        if not is_database_unavailable(error):
            raise
        log.warning("socket sign-in: database unavailable", error=str(error)[:200])
        await ws.close(code=TRY_AGAIN_LATER, message=b"Service unavailable; try again shortly")
        raise ConnectionRejectionError from error
    if not viewer.is_authenticated:
        await ws.close(code=UNAUTHORIZED, message=b"Unauthorized: invalid or expired token")
        raise ConnectionRejectionError
    try:
        claims = decode_access_token(header.partition(" ")[2].strip(), context.settings.auth)
    except InvalidToken:  # expired in the instant since authenticate checked it
        await ws.close(code=UNAUTHORIZED, message=b"Unauthorized: invalid or expired token")
        raise ConnectionRejectionError from None
    context.viewer = viewer
    context.request[USER_ID] = str(viewer.user_id)  # for the socket's access log line
    context.loaders = build_loaders(viewer)
    socket.viewer = viewer
    socket.claims = claims
