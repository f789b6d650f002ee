"""Bearer token -> Viewer, once per request: a pure-CPU JWT check, then one SQL statement.

The statement loads the user's role, active flag and token epoch and, in the same round trip,
whether the token's jti was revoked (logout). The database is the shared truth, so a
revocation made on one instance is seen by every instance on the next request.
"""

from __future__ import annotations

from typing import Any

from tortoise import connections

from models.users import Role
from taskql.auth.tokens import InvalidToken, decode_access_token
from taskql.auth.viewer import ANONYMOUS, Viewer
from taskql.logging import get_logger
from taskql.settings import AuthSettings

log = get_logger("taskql.auth")

REFUSED = "invalid or expired token"
MALFORMED_HEADER = "malformed Authorization header; expected 'Bearer <token>'"

# Parameters: 1 = user id, 2 = jti. Both columns hold UUIDs (CHAR(36) text on SQLite).
_VIEWER_SQL = (
    'SELECT "role", "is_active", "token_epoch", '
    'EXISTS (SELECT 1 FROM "revoked_access_tokens" WHERE "jti" = {jti}) AS "revoked" '
    'FROM "users" WHERE "id" = {user_id}'
)
VIEWER_SQL = {
    "sqlite": _VIEWER_SQL.format(user_id="?1", jti="?2"),
    "postgres": _VIEWER_SQL.format(user_id="$1", jti="$2"),
}


async def authenticate(authorization: str | None, auth: AuthSettings) -> Viewer:
    if not authorization:
        return ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return Viewer(token_problem=MALFORMED_HEADER)
    try:
        claims = decode_access_token(token.strip(), auth)
    except InvalidToken as refused:
        log.info("access token refused", reason=str(refused))
        return Viewer(token_problem=REFUSED)
    row = await _viewer_row(str(claims.user_id), str(claims.jti))
    if row is None or not row["is_active"] or row["revoked"] or row["token_epoch"] != claims.epoch:
        log.info("access token refused", reason="revoked", user_id=str(claims.user_id))
        return Viewer(token_problem=REFUSED)
    return Viewer(
        user_id=claims.user_id,
        role=Role(row["role"]),
        jti=claims.jti,
        session_id=claims.session_id,
        token_expires_at=claims.expires_at,
    )


async def _viewer_row(user_id: str, jti: str) -> dict[str, Any] | None:
    connection = connections.get("default")
    sql = VIEWER_SQL[connection.capabilities.dialect]
    rows = await connection.execute_query_dict(sql, [user_id, jti])
    return rows[0] if rows else None
