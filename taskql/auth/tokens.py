"""Access tokens (signed JWTs) and refresh tokens (opaque random strings, stored hashed).

Access token claims: sub (user id), roles, jti, iat, nbf, exp, iss, aud, plus `sid` (the
session the token belongs to: revoking the session refuses it) and `epoch` (the user's token
epoch: bumping it in the database kills every token issued before).
Every claim is required on decode and the accepted algorithm is pinned from settings, never
read from the token. No token outlives the configured access-token lifetime: exp - iat may
not exceed it and iat may not lie in the future (each plus the leeway), so a token minted
with a long life, by a bug or a misused key, is refused. The header's `kid` picks the
verification key: the current one or a retired one listed in auth.jwt_previous_keys, so the
signing key rotates without logouts.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jose import jwk, jwt
from jose.exceptions import JOSEError

from taskql.auth.roles import Role
from taskql.settings import AuthSettings

TOKEN_TYPE = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
REQUIRED_CLAIMS = ("sub", "roles", "jti", "iat", "nbf", "exp", "iss", "aud")
KNOWN_ROLES = frozenset(role.value for role in Role)


class InvalidToken(Exception):
    """The token was refused; the reason is for logs and tests, never for the client."""


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    jti: uuid.UUID
    expires_at: datetime
    expires_in: int


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    jti: uuid.UUID
    session_id: uuid.UUID
    epoch: int
    roles: tuple[str, ...]
    expires_at: datetime


def issue_access_token(
    *,
    auth: AuthSettings,
    user_id: uuid.UUID,
    role: str,
    token_epoch: int,
    session_id: uuid.UUID,
    now: datetime | None = None,
) -> AccessToken:
    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    lifetime = timedelta(minutes=auth.access_token_minutes)
    jti = uuid.uuid4()
    claims = {
        "sub": str(user_id),
        "roles": [role],
        "jti": str(jti),
        "iat": int(issued.timestamp()),
        "nbf": int(issued.timestamp()),
        "exp": int((issued + lifetime).timestamp()),
        "iss": auth.jwt_issuer,
        "aud": auth.jwt_audience,
        "sid": str(session_id),
        "epoch": token_epoch,
    }
    token = jwt.encode(
        claims,
        _signing_key(auth),
        algorithm=auth.jwt_algorithm,
        headers={"kid": auth.jwt_key_id},
    )
    return AccessToken(
        token=token,
        jti=jti,
        expires_at=issued + lifetime,
        expires_in=int(lifetime.total_seconds()),
    )


def decode_access_token(token: str, auth: AuthSettings) -> AccessClaims:
    """Verify signature, algorithm and every claim; raises InvalidToken with the reason."""
    try:
        header = jwt.get_unverified_header(token)
        key = _verification_key(auth, header.get("kid"))
        claims = jwt.decode(
            token,
            key,
            algorithms=[auth.jwt_algorithm],
            audience=auth.jwt_audience,
            issuer=auth.jwt_issuer,
            options={
                **{f"require_{claim}": True for claim in REQUIRED_CLAIMS},
                "leeway": auth.jwt_leeway_seconds,
            },
        )
        _check_lifetime(claims, auth)
        return _claims(claims)
    except InvalidToken:
        raise
    except (JOSEError, ValueError, TypeError, KeyError) as error:
        raise InvalidToken(type(error).__name__) from None


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    """SHA-256 is enough here: the token is 256 random bits, so there is nothing to brute force."""
    return hashlib.sha256(token.encode()).hexdigest()


def _check_lifetime(claims: dict[str, Any], auth: AuthSettings) -> None:
    # jose checks that exp is ahead and nbf behind, but neither how far apart iat and exp
    # are nor that iat is not in the future (which would stretch the span at will).
    issued, expires = int(claims["iat"]), int(claims["exp"])
    if expires - issued > auth.access_token_minutes * 60 + auth.jwt_leeway_seconds:
        raise InvalidToken("lifetime")
    if issued > time.time() + auth.jwt_leeway_seconds:
        raise InvalidToken("issued in the future")


def _claims(claims: dict[str, Any]) -> AccessClaims:
    roles = claims["roles"]
    if not isinstance(roles, list) or not roles or not set(roles) <= KNOWN_ROLES:
        raise InvalidToken("roles")
    epoch = claims.get("epoch")
    if not isinstance(epoch, int) or isinstance(epoch, bool):
        raise InvalidToken("epoch")
    return AccessClaims(
        user_id=uuid.UUID(str(claims["sub"])),
        jti=uuid.UUID(str(claims["jti"])),
        session_id=uuid.UUID(str(claims["sid"])),
        epoch=epoch,
        roles=tuple(roles),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )


def _signing_key(auth: AuthSettings) -> jwk.Key:
    material = auth.jwt_secret if auth.jwt_algorithm == "HS256" else auth.jwt_private_key
    return _key(material, auth.jwt_algorithm)


def _verification_key(auth: AuthSettings, kid: object) -> jwk.Key:
    if not isinstance(kid, str):
        raise InvalidToken("missing kid")
    if kid == auth.jwt_key_id:
        material = auth.jwt_secret if auth.jwt_algorithm == "HS256" else auth.jwt_public_key
    elif kid in auth.jwt_previous_keys:
        material = auth.jwt_previous_keys[kid]
    else:
        raise InvalidToken("unknown kid")
    return _key(material, auth.jwt_algorithm)


@functools.lru_cache(maxsize=32)
def _key(material: str, algorithm: str) -> jwk.Key:
    # Parsing a PEM key costs more than verifying a signature: build each key once. jose refuses
    # an asymmetric key as an HMAC secret here, which closes the HS/RS confusion from this side.
    return jwk.construct(material, algorithm)
