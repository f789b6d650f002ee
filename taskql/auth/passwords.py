"""argon2id password hashing, always off the event loop.

A hash costs hundreds of milliseconds of CPU with production parameters; running it in the
default thread pool (argon2's C code releases the GIL) keeps the loop serving other requests.
"""

from __future__ import annotations

import asyncio
import functools
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from taskql.settings import AuthSettings


@functools.lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
    )


def password_hasher(auth: AuthSettings) -> PasswordHasher:
    """The hasher for these settings, built once per parameter set (not per request)."""
    return _hasher(auth.argon2_time_cost, auth.argon2_memory_kib, auth.argon2_parallelism)


async def hash_password(hasher: PasswordHasher, password: str) -> str:
    return await asyncio.to_thread(hasher.hash, password)


async def verify_password(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    return await asyncio.to_thread(_verify, hasher, password_hash, password)


async def burn_verification(hasher: PasswordHasher, password: str) -> None:
    """Cost what a real verification costs: unknown emails answer as slowly as known ones."""
    dummy = await asyncio.to_thread(_dummy_hash, hasher)
    await asyncio.to_thread(_verify, hasher, dummy, password)


def needs_rehash(hasher: PasswordHasher, password_hash: str) -> bool:
    """True when the stored hash was made with other parameters than the configured ones."""
    try:
        return hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def _verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.lru_cache(maxsize=8)
def _dummy_hash(hasher: PasswordHasher) -> str:
    # Made with the live parameters, so verifying it costs exactly what a real user's costs.
    return hasher.hash(secrets.token_urlsafe(16))
