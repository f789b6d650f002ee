"""Hostile inputs (issue 9): each is refused with a stable code, cheaply, on both databases."""

from __future__ import annotations

import time

from tests.factories import create_user
from tests.test_auth_tokens import assert_refused, claims_for, sign


async def test_token_living_longer_than_the_configured_lifetime_is_refused(graphql, settings):
    """exp - iat may not exceed the access-token lifetime plus leeway, however well signed:
    ten years out is refused, as is an hour-long token issued an hour ago, and a short one
    claiming to be issued ten years from now (nbf now), which would stretch it as far."""
    user = await create_user()
    now = int(time.time())
    ten_years = claims_for(user, settings, exp=now + 10 * 365 * 24 * 3600)
    await assert_refused(graphql, sign(ten_years, settings))
    backdated = claims_for(user, settings, iat=now - 3600, nbf=now - 3600, exp=now + 60)
    await assert_refused(graphql, sign(backdated, settings))
    future = now + 10 * 365 * 24 * 3600
    postdated = claims_for(user, settings, iat=future, nbf=now, exp=future + 600)
    await assert_refused(graphql, sign(postdated, settings))
