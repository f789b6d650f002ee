"""Hostile inputs (issue 9): each is refused with a stable code, cheaply, by counting work."""

from __future__ import annotations

import asyncio
import collections

import pytest

from models import users as user_models
from taskql.auth.passwords import password_work
from tests.conftest import with_overrides
from tests.factories import DEFAULT_PASSWORD, access_token_for, create_user

AUTH_FIELDS = "accessToken"


def register_field(alias: str, number: int) -> str:
    return (
        f'{alias}: register(input: {{email: "alias{number}@example.test", '
        f'password: "a long passphrase", displayName: "Alias {number}"}}) {{ {AUTH_FIELDS} }}'
    )


def first_error(body):
    return body["errors"][0]


async def user_count() -> int:
    return await user_models.User.all().count()


# --- 9.2: at most one password-hashing field per request ---------------------------------


async def test_register_aliased_thirty_times_is_refused_before_any_hash(client, settings, graphql):
    """`register` aliased 30 times is one QUERY_TOO_COMPLEX error: no account, no hash."""
    work = password_work(settings.auth)
    fields = " ".join(register_field(f"r{n}", n) for n in range(30))

    body = await graphql(f"mutation {{ {fields} }}")

    assert body.get("data") is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TOO_COMPLEX"]
    assert "only one field" in first_error(body)["message"]
    assert work.started == 0
    assert await user_count() == 0


@pytest.mark.parametrize(
    "document",
    [
        # Two different password fields, one through a fragment on the root.
        """mutation { login(email: "a@example.test", password: "p") { accessToken } ...F }
        fragment F on Mutation { changePassword(currentPassword: "a", newPassword: "b")
        { accessToken } }""",
        # The same field under two aliases, hidden in nested and inline fragments.
        """mutation { ... on Mutation { a: login(email: "a@example.test", password: "p")
        { accessToken } } ...G } fragment G on Mutation { ...H }
        fragment H on Mutation { b: login(email: "a@example.test", password: "p")
        { accessToken } }""",
    ],
)
async def test_password_fields_hidden_in_fragments_are_counted(settings, graphql, document):
    """Fragments and inline fragments on the root do not hide a second password field."""
    work = password_work(settings.auth)
    body = await graphql(document)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TOO_COMPLEX"]
    assert work.started == 0


async def test_one_password_field_spread_twice_is_one_field(graphql):
    """A fragment spread twice yields one `register` (same response key): it runs once."""
    body = await graphql(
        f"mutation {{ ...R ...R }} fragment R on Mutation {{ {register_field('r', 1)} }}"
    )
    assert "errors" not in body
    assert body["data"]["r"]["accessToken"]
    assert await user_count() == 1


async def test_self_referencing_root_fragments_stay_cheap(graphql):
    """A fragment cycle on the root is a validation error, not a loop in the password rule."""
    body = await graphql(
        "mutation { ...A } fragment A on Mutation { ...B logout } "
        "fragment B on Mutation { ...A logout }"
    )
    assert first_error(body)["extensions"]["code"] == "VALIDATION_ERROR"


# --- 9.2: register is rate-limited per client address --------------------------------------


async def test_register_is_rate_limited_per_address(make_client, settings):
    """After `register_max_per_address` registrations from one address, the next is
    RATE_LIMITED with retryAfterSeconds, before any hash."""
    limited = with_overrides(settings, auth={"register_max_per_address": 3})
    client = await make_client(limited)
    work = password_work(limited.auth)
    bodies = []
    for number in range(5):
        response = await client.post(
            "/graphql", json={"query": f"mutation {{ {register_field('r', number)} }}"}
        )
        bodies.append(await response.json())

    codes = [first_error(b)["extensions"]["code"] if "errors" in b else "OK" for b in bodies]
    assert codes == ["OK"] * 3 + ["RATE_LIMITED"] * 2
    assert first_error(bodies[-1])["extensions"]["retryAfterSeconds"] >= 1
    assert work.started == 3
    assert await user_count() == 3


async def test_concurrent_registrations_from_one_address_stay_within_the_limit(
    make_client, settings
):
    """30 simultaneous registrations from one address create at most the limit of accounts."""
    limited = with_overrides(
        settings,
        auth={"register_max_per_address": 3, "password_work_slots": 8, "password_work_queue": 64},
    )
    client = await make_client(limited)

    async def register(number):
        query = f"mutation {{ {register_field('r', number)} }}"
        response = await client.post("/graphql", json={"query": query})
        body = await response.json()
        return first_error(body)["extensions"]["code"] if "errors" in body else "OK"

    codes = collections.Counter(await asyncio.gather(*(register(n) for n in range(30))))

    assert set(codes) <= {"OK", "RATE_LIMITED"}
    assert codes["OK"] <= 3
    assert await user_count() == codes["OK"]


# --- 9.2: changePassword guesses count like failed logins -----------------------------------

CHANGE_PASSWORD = """mutation($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new) { accessToken } }"""


async def test_change_password_guesses_are_rate_limited(make_client, settings):
    """Wrong current passwords with a stolen token count like failed logins: after the limit,
    RATE_LIMITED, even for the right one, and no more hashes are started."""
    limited = with_overrides(settings, auth={"login_max_failures_per_email_and_address": 3})
    client = await make_client(limited)
    work = password_work(limited.auth)
    user = await create_user()
    headers = {"Authorization": f"Bearer {access_token_for(user, limited)}"}

    async def change(current):
        variables = {"current": current, "new": "a brand new passphrase"}
        response = await client.post(
            "/graphql", json={"query": CHANGE_PASSWORD, "variables": variables}, headers=headers
        )
        return first_error(await response.json())

    guesses = [await change(f"guess number {n}") for n in range(5)]
    right = await change(DEFAULT_PASSWORD)

    codes = [e["extensions"]["code"] for e in guesses]
    assert codes == ["VALIDATION_ERROR"] * 3 + ["RATE_LIMITED"] * 2
    assert right["extensions"]["code"] == "RATE_LIMITED"
    assert right["extensions"]["retryAfterSeconds"] >= 1
    assert work.started == 3
