"""Every bad access-token shape gives UNAUTHENTICATED; key rotation keeps old kids valid."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt

from taskql.global_ids import encode_user
from tests.conftest import with_overrides
from tests.factories import access_token_for, create_user

ME = "{ me { id } }"


def claims_for(user, settings, **overrides):
    now = int(time.time())
    claims = {
        "sub": str(user.id),
        "roles": [user.role.value],
        "jti": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "iss": settings.auth.jwt_issuer,
        "aud": settings.auth.jwt_audience,
        "sid": str(user.id),  # the standing session create_user starts
        "epoch": user.token_epoch,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def sign(claims, settings, *, key=None, kid=None, algorithm="HS256"):
    return jwt.encode(
        claims,
        key or settings.auth.jwt_secret,
        algorithm=algorithm,
        headers={"kid": kid or settings.auth.jwt_key_id},
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header, claims, sign_with=None) -> str:
    """A token built by hand: for algorithms that jose refuses to produce."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    if sign_with is None:
        return signing_input + "."
    mac = hmac.new(sign_with, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


async def assert_refused(graphql, token):
    body = await graphql(ME, token=token)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "invalid or expired token" in body["errors"][0]["message"]


async def test_a_valid_token_is_accepted(graphql, settings):
    """The baseline the refusals are measured against: a well-formed token works."""
    user = await create_user()
    body = await graphql(ME, token=sign(claims_for(user, settings), settings))
    assert body["data"]["me"]["id"] == encode_user(str(user.id))


async def test_expired_token_is_refused(graphql, settings):
    """A token past exp (beyond the leeway) is refused."""
    user = await create_user()
    past = int(time.time()) - 3600
    claims = claims_for(user, settings, iat=past - 900, nbf=past - 900, exp=past)
    await assert_refused(graphql, sign(claims, settings))


async def test_not_yet_valid_token_is_refused(graphql, settings):
    """A token whose nbf lies in the future (beyond the leeway) is refused."""
    user = await create_user()
    await assert_refused(
        graphql, sign(claims_for(user, settings, nbf=int(time.time()) + 3600), settings)
    )


async def test_tampered_signature_is_refused(graphql, settings):
    """Changing one character of the signature invalidates the token."""
    user = await create_user()
    token = access_token_for(user, settings)
    head, payload, signature = token.split(".")
    flipped = ("A" if signature[5] != "A" else "B").join((signature[:5], signature[6:]))
    await assert_refused(graphql, f"{head}.{payload}.{flipped}")


async def test_tampered_claims_are_refused(graphql, settings):
    """Promoting yourself by editing the payload breaks the signature."""
    user = await create_user()
    head, _, signature = access_token_for(user, settings).split(".")
    forged = b64(json.dumps(claims_for(user, settings, roles=["ADMIN"])).encode())
    await assert_refused(graphql, f"{head}.{forged}.{signature}")


async def test_wrong_issuer_is_refused(graphql, settings):
    """A token from another issuer is refused even with the right key."""
    user = await create_user()
    await assert_refused(graphql, sign(claims_for(user, settings, iss="someone-else"), settings))


async def test_wrong_audience_is_refused(graphql, settings):
    """A token meant for another audience is refused."""
    user = await create_user()
    await assert_refused(graphql, sign(claims_for(user, settings, aud="other-api"), settings))


async def test_missing_claim_is_refused(graphql, settings):
    """Every registered claim is required: a token without jti is refused."""
    user = await create_user()
    claims = claims_for(user, settings)
    del claims["jti"]
    await assert_refused(graphql, sign(claims, settings))


async def test_alg_none_is_refused(graphql, settings):
    """An unsigned token (alg none) is refused."""
    user = await create_user()
    header = {"alg": "none", "typ": "JWT", "kid": settings.auth.jwt_key_id}
    await assert_refused(graphql, handmade(header, claims_for(user, settings)))


async def test_other_hs_algorithm_is_refused(graphql, settings):
    """The algorithm is pinned: an HS512 token signed with the real secret is refused."""
    user = await create_user()
    await assert_refused(graphql, sign(claims_for(user, settings), settings, algorithm="HS512"))


async def test_unknown_kid_is_refused(graphql, settings):
    """A kid that is neither the current nor a listed previous key is refused."""
    user = await create_user()
    await assert_refused(
        graphql, sign(claims_for(user, settings), settings, kid="retired-long-ago")
    )


async def test_token_at_the_lifetime_bound_is_accepted(graphql, settings):
    """The lifetime bound (exp - iat <= lifetime + leeway; tests/test_hostile_inputs.py has the
    refusals) is exactly that: a token at it is accepted."""
    user = await create_user()
    now = int(time.time())
    longest = settings.auth.access_token_minutes * 60 + settings.auth.jwt_leeway_seconds
    claims = claims_for(user, settings, iat=now, nbf=now, exp=now + longest)
    body = await graphql(ME, token=sign(claims, settings))
    assert body["data"]["me"]["id"] == encode_user(str(user.id))


async def test_stale_epoch_is_refused(graphql, settings):
    """A token carrying an older token epoch than the user's is refused."""
    user = await create_user()
    user.token_epoch = 3
    await user.save(update_fields=["token_epoch"])
    await assert_refused(graphql, sign(claims_for(user, settings, epoch=2), settings))


async def test_malformed_header_and_garbage_are_refused(client):
    """A non-Bearer Authorization header or a non-JWT token gives UNAUTHENTICATED."""
    for header in ("Basic dXNlcjpwYXNz", "Bearer not-a-jwt", "Bearer "):
        response = await client.post(
            "/graphql", json={"query": ME}, headers={"Authorization": header}
        )
        body = await response.json()
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", header


def rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


async def post_me(client, token):
    response = await client.post(
        "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"}
    )
    return await response.json()


async def test_rs256_accepts_its_tokens_and_refuses_hs_confusion(make_client, settings):
    """With RS256, real tokens work and an HS256 token MACed with the public key is refused."""
    private, public = rsa_pair()
    rs_settings = with_overrides(
        settings,
        auth={"jwt_algorithm": "RS256", "jwt_private_key": private, "jwt_public_key": public},
    )
    client = await make_client(rs_settings)
    user = await create_user()

    good = await post_me(client, access_token_for(user, rs_settings))
    assert good["data"]["me"]["id"] == encode_user(str(user.id))

    header = {"alg": "HS256", "typ": "JWT", "kid": rs_settings.auth.jwt_key_id}
    confused = handmade(header, claims_for(user, rs_settings), sign_with=public.encode())
    refused = await post_me(client, confused)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_token_signed_with_a_previous_key_is_accepted(make_client, settings):
    """Rotation: tokens signed with a retired key listed in jwt_previous_keys keep working."""
    old_secret = secrets.token_urlsafe(48)
    rotated = with_overrides(
        settings,
        auth={
            "jwt_key_id": "2026-11",
            "jwt_secret": secrets.token_urlsafe(48),
            "jwt_previous_keys": {"2026-10": old_secret},
        },
    )
    client = await make_client(rotated)
    user = await create_user()

    old = sign(claims_for(user, rotated), rotated, key=old_secret, kid="2026-10")
    assert (await post_me(client, old))["data"]["me"]["id"] == encode_user(str(user.id))
    new = access_token_for(user, rotated)
    assert jwt.get_unverified_header(new)["kid"] == "2026-11"
    assert (await post_me(client, new))["data"]["me"]["id"] == encode_user(str(user.id))
    # The old key only verifies tokens that name its kid.
    mislabelled = sign(claims_for(user, rotated), rotated, key=old_secret, kid="2026-11")
    assert (await post_me(client, mislabelled))["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )
