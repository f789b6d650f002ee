"""Tokens mailed in links (password reset, email verification): random, stored hashed."""

from __future__ import annotations

import hashlib
import secrets

# 32 random bytes, URL-safe base64: 43 characters. A longer presented value cannot be one of
# ours and is refused before it is hashed or looked up.
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 64


def new_link_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_link_token(token: str) -> str:
    """SHA-256, hex: the token is 256 random bits, so a slow hash would add nothing."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
