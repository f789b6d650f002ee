"""Bearer token -> Viewer, once per request: a JWT check (done once per token and process,
taskql/auth/verified_tokens.py), then one SQL statement.

The statement loads the user's role, active flag and token epoch, joined to the token's
session: no row when the session is revoked (logout, refresh-token reuse, password or role
change, deactivation) or unknown. The database is the shared truth, so a revocation made on
one instance is seen by every instance on the next request.
"""

from __future__ import annotations

from models import credentials as credential_models
from models.users import Role
from taskql.auth.tokens import InvalidToken
from taskql.auth.verified_tokens import VerifiedTokens
from taskql.auth.viewer import ANONYMOUS, Viewer
from taskql.logging import get_logger
from taskql.settings import AuthSettings

log = get_logger("taskql.auth")

REFUSED = "invalid or expired token"
MALFORMED_HEADER = "malformed Authorization header; expected 'Bearer <token>'"

# The signature and claims of a token are checked once per process (the statement below
# runs on every request).
VERIFIED = VerifiedTokens()


async def authenticate(authorization: str | None, auth: AuthSettings) -> Viewer:
    if not authorization:
        return ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return Viewer(token_problem=MALFORMED_HEADER)
    try:
        claims = VERIFIED.decode(token.strip(), auth)
    except InvalidToken as refused:
        log.info("access token refused", reason=str(refused))
        return Viewer(token_problem=REFUSED)
    row = await credential_models.viewer_state(user_id=claims.user_id, session_id=claims.session_id)
    # The epoch also catches a token issued by a sign-in that raced a revoke-all: its session
    # was created after the revocation, but its epoch predates the bump.
    if row is None or not row["is_active"] or row["token_epoch"] != claims.epoch:
        log.info("access token refused", reason="revoked", user_id=str(claims.user_id))
        return Viewer(token_problem=REFUSED)
    return Viewer(
        user_id=claims.user_id,
        role=Role(row["role"]),
        jti=claims.jti,
        session_id=claims.session_id,
    )
