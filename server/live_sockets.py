"""The WebSockets this instance serves: admitted up to a limit, watched, closed.

Every `session_check_seconds` ONE statement reads the sessions of all signed-in sockets; a
socket whose session was revoked (logout, password or role change, deactivation, refresh
token reuse: all revoke the session), whose user changed role or epoch, or whose access token
has expired is closed with 4401. So a revocation made on any instance closes this instance's
sockets within one interval, at a constant cost per instance however many sockets are open.
On shutdown every socket is closed with 1001 (going away).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web

from models import credentials as credential_models
from taskql.auth.tokens import AccessClaims
from taskql.auth.viewer import Viewer
from taskql.logging import get_logger

log = get_logger("taskql.sockets")

UNAUTHORIZED = 4401
GOING_AWAY = 1001


@dataclass(eq=False, slots=True)
class LiveSocket:
    # Set once the handshake is answered; the place is held from before it.
    ws: web.WebSocketResponse | None = None
    viewer: Viewer | None = None
    claims: AccessClaims | None = None


class LiveSockets:
    def __init__(self, *, max_sockets: int) -> None:
        self.max_sockets = max_sockets
        self._sockets: set[LiveSocket] = set()
        self._closing = False

    def __len__(self) -> int:
        return len(self._sockets)

    def admit(self) -> LiveSocket | None:
        """A place for one more socket, taken at once (no await between the count and the
        add: concurrent handshakes cannot overshoot); None when full or shutting down."""
        if self._closing or len(self._sockets) >= self.max_sockets:
            return None
        socket = LiveSocket()
        self._sockets.add(socket)
        return socket

    def discard(self, socket: LiveSocket) -> None:
        self._sockets.discard(socket)

    async def close_all(self) -> None:
        """Shutdown: refuse new sockets, close the open ones (1001) at once."""
        self._closing = True
        sockets = [s.ws for s in self._sockets if s.ws is not None]
        await asyncio.gather(
            *(ws.close(code=GOING_AWAY, message=b"server shutting down") for ws in sockets),
            return_exceptions=True,
        )

    async def check_sessions(self) -> int:
        """Close the sockets whose sign-in no longer holds; how many were closed."""
        signed_in = [
            s
            for s in self._sockets
            if s.claims is not None and s.ws is not None and not s.ws.closed
        ]
        if not signed_in:
            return 0
        live = await credential_models.signed_in_states(
            session_ids=list({s.claims.session_id for s in signed_in if s.claims is not None})
        )
        now = datetime.now(UTC)
        closing = []
        for socket in signed_in:
            reason = _refusal(socket, live, now)
            if reason is not None and socket.ws is not None:
                log.info("socket closed", reason=reason)
                closing.append(socket.ws.close(code=UNAUTHORIZED, message=reason.encode()))
        # At once: a peer slow to answer the close must not hold up the others' (or the
        # next round).
        await asyncio.gather(*closing, return_exceptions=True)
        return len(closing)


def _refusal(socket: LiveSocket, live: dict[str, dict[str, object]], now: datetime) -> str | None:
    claims, viewer = socket.claims, socket.viewer
    if claims is None or viewer is None:
        return None
    if claims.expires_at <= now:
        return "access token expired"
    row = live.get(str(claims.session_id))
    if (
        row is None
        or not row["is_active"]
        or row["token_epoch"] != claims.epoch
        or str(row["role"]) != str(viewer.role)
    ):
        return "session revoked"
    return None


async def watch_sessions(sockets: LiveSockets, interval_seconds: float) -> None:
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            await sockets.check_sessions()
        except Exception as error:  # noqa: BLE001 - the next round tries again
            log.warning("socket session check failed", error=str(error)[:200])
