"""Access tokens verified once per process.

The signature and claim checks are pure CPU (python-jose: about a tenth of a millisecond)
and a client sends the same token with every request until it expires, so a verified token
is remembered with its claims. Only what a later request could change is checked again on
every hit: expiry, here; the session and the user's state, by the statement in
server/authenticate.py. Refused tokens are never remembered, and an entry verified under
other auth settings (another app in the same process) does not count.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from taskql.auth.tokens import AccessClaims, decode_access_token
from taskql.settings import AuthSettings

# ~1 KB per token: a few MB at most, whatever clients send.
CAPACITY = 4096


class VerifiedTokens:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._verified: OrderedDict[str, tuple[AuthSettings, AccessClaims]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._verified)

    def decode(self, token: str, auth: AuthSettings) -> AccessClaims:
        """decode_access_token's claims; raises InvalidToken as it does."""
        entry = self._verified.get(token)
        if entry is not None:
            verified_under, claims = entry
            if verified_under is auth and _unexpired(claims, auth):
                self._verified.move_to_end(token)
                return claims
            del self._verified[token]  # verified again below: refused if it expired
        claims = decode_access_token(token, auth)
        self._verified[token] = (auth, claims)
        if len(self._verified) > self.capacity:
            self._verified.popitem(last=False)
        return claims


def _unexpired(claims: AccessClaims, auth: AuthSettings) -> bool:
    # python-jose's own rule: refused once now is past exp by more than the leeway.
    return time.time() <= claims.expires_at.timestamp() + auth.jwt_leeway_seconds
