"""Registration rules, sign-in failures, brute-force limits and password hashing behaviour."""

from __future__ import annotations

import asyncio
import logging

import pytest

from models import users as user_models
from tests.conftest import with_overrides
from tests.factories import DEFAULT_PASSWORD, create_user

REGISTER = """mutation($input: RegisterInput!) {
  register(input: $input) { accessToken user { id email displayName } } }"""
LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken user { id } } }"""


def register_vars(
    email="new@example.test",
    password="a long passphrase",  # noqa: S107 - a test password
    display_name="New",
):
    return {"input": {"email": email, "password": password, "displayName": display_name}}


class SetWhenLogged(logging.Handler):
    """Sets an event once a log message containing `fragment` is emitted (on the loop thread)."""

    def __init__(self, fragment, event):
        super().__init__(logging.DEBUG)
        self.fragment = fragment
        self.event = event

    def emit(self, record):
        if self.fragment in record.getMessage():
            self.event.set()


def error(body):
    return body["errors"][0]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        (register_vars(email="not-an-email"), "email"),
        (register_vars(email="two@@example.test"), "email"),
        (register_vars(password="short"), "password"),
        (register_vars(password="x" * 1025), "password"),
        (
            register_vars(email="same.as.mail@example.test", password="Same.As.Mail@example.test"),
            "password",
        ),
        (register_vars(display_name="   "), "displayName"),
        (register_vars(display_name="n" * 101), "displayName"),
    ],
)
async def test_register_validation_names_the_field(graphql, variables, field):
    """Invalid registrations are VALIDATION_ERROR with extensions.field naming the input."""
    body = await graphql(REGISTER, variables)
    assert error(body)["extensions"] == {"code": "VALIDATION_ERROR", "field": field}
    assert await user_models.get_by_email(email=variables["input"]["email"]) is None


async def test_register_accepts_the_boundaries(graphql):
    """12-character passwords and 100-character display names are allowed; names are trimmed."""
    body = await graphql(
        REGISTER, register_vars(password="x" * 12, display_name=" " + "n" * 100 + " ")
    )
    assert body["data"]["register"]["user"]["displayName"] == "n" * 100


async def test_duplicate_email_in_other_case_conflicts(graphql):
    """An email already registered, in any letter case, is a CONFLICT."""
    await create_user(email="taken@example.test")
    body = await graphql(REGISTER, register_vars(email="  TAKEN@Example.TEST "))
    assert error(body)["extensions"]["code"] == "CONFLICT"


async def test_unknown_email_and_wrong_password_look_the_same(graphql):
    """Both failures give the same UNAUTHENTICATED message, so accounts cannot be probed."""
    user = await create_user()
    unknown = await graphql(LOGIN, {"email": "nobody@example.test", "password": DEFAULT_PASSWORD})
    wrong = await graphql(LOGIN, {"email": user.email, "password": "not the password"})
    assert error(unknown) == {**error(wrong), "locations": error(unknown)["locations"]}
    assert error(wrong)["extensions"] == {"code": "UNAUTHENTICATED"}
    assert error(wrong)["message"] == "Invalid email or password."


async def test_deactivated_user_is_told_the_account_is_disabled(graphql):
    """The right password of a deactivated user is refused with ACCOUNT_DISABLED and a
    message saying so, not the invalid-credentials answer."""
    user = await create_user(active=False)
    body = await graphql(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "ACCOUNT_DISABLED"}
    assert "disabled" in error(body)["message"]


async def test_deactivated_user_with_a_wrong_password_gets_invalid_credentials(graphql):
    """Only the holder of the password learns the account is disabled: a wrong password for a
    deactivated user is the usual UNAUTHENTICATED "Invalid email or password."."""
    user = await create_user(active=False)
    body = await graphql(LOGIN, {"email": user.email, "password": "not the password"})
    assert error(body)["extensions"] == {"code": "UNAUTHENTICATED"}
    assert error(body)["message"] == "Invalid email or password."


async def test_failures_per_email_are_rate_limited(make_client, settings):
    """After the allowed failures for one email, even the right password is RATE_LIMITED."""
    limited = with_overrides(settings, auth={"login_max_failures_per_email": 3})
    client = await make_client(limited)
    user = await create_user()

    async def login(password):
        response = await client.post(
            "/graphql",
            json={"query": LOGIN, "variables": {"email": user.email, "password": password}},
        )
        return await response.json()

    for _ in range(3):
        assert error(await login("wrong password"))["extensions"]["code"] == "UNAUTHENTICATED"
    refused = error(await login(DEFAULT_PASSWORD))
    assert refused["extensions"]["code"] == "RATE_LIMITED"
    assert 0 < refused["extensions"]["retryAfterSeconds"] <= 900


async def test_success_resets_the_count_of_its_address(make_client, settings):
    """A successful login forgets that email's earlier failures from the same address."""
    client = await make_client(
        with_overrides(settings, auth={"login_max_failures_per_email_and_address": 3})
    )
    user = await create_user()

    async def login(password):
        response = await client.post(
            "/graphql",
            json={"query": LOGIN, "variables": {"email": user.email, "password": password}},
        )
        return await response.json()

    for _ in range(2):
        for _ in range(2):
            await login("wrong password")
        assert "errors" not in await login(DEFAULT_PASSWORD)


async def test_failures_per_address_are_rate_limited(make_client, settings):
    """Failures across many emails from one client address hit the per-address limit."""
    client = await make_client(with_overrides(settings, auth={"login_max_failures_per_address": 2}))
    bodies = []
    for number in range(3):
        variables = {"email": f"probe{number}@example.test", "password": "guess guess guess"}
        response = await client.post("/graphql", json={"query": LOGIN, "variables": variables})
        bodies.append(await response.json())
    codes = [error(body)["extensions"]["code"] for body in bodies]
    assert codes == ["UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED"]


async def test_login_upgrades_an_outdated_hash(make_client, settings):
    """A hash made with older argon2 parameters is replaced on the next successful login."""
    client = await make_client(with_overrides(settings, auth={"argon2_time_cost": 2}))
    user = await create_user()  # hashed with the cheap test parameters (t=1)
    variables = {"email": user.email, "password": DEFAULT_PASSWORD}
    response = await client.post("/graphql", json={"query": LOGIN, "variables": variables})
    assert "errors" not in await response.json()
    upgraded = await user_models.get_by_id(user_id=user.id)
    assert upgraded is not None
    assert upgraded.password_hash.startswith("$argon2id$")
    assert ",t=2," in upgraded.password_hash
    assert upgraded.token_epoch == user.token_epoch  # an upgrade is not a password change


async def test_requests_are_served_while_a_password_hashes(make_client, settings, sql_statements):
    """The loop is not blocked by argon2: other requests finish while a registration hashes."""
    heavy = with_overrides(
        settings, auth={"argon2_time_cost": 12, "argon2_memory_kib": 65536, "argon2_parallelism": 1}
    )
    client = await make_client(heavy)
    variables = register_vars(email="slow@example.test")
    email_checked = asyncio.Event()
    watcher = SetWhenLogged("slow@example.test", email_checked)
    logging.getLogger("tortoise.db_client").addHandler(watcher)
    registering = asyncio.create_task(
        client.post("/graphql", json={"query": REGISTER, "variables": variables})
    )

    # register checks the email (SELECT), hashes, then INSERTs: wait until it is past the SELECT.
    await asyncio.wait_for(email_checked.wait(), 10)
    for _ in range(3):
        response = await client.post("/graphql", json={"query": "{ serverInfo { version } }"})
        assert (await response.json())["data"]["serverInfo"]["version"]
    # Three whole requests were served, and the registration is still hashing.
    assert not any('INSERT INTO "users"' in sql for sql in sql_statements.statements)
    assert not registering.done()

    body = await (await registering).json()
    logging.getLogger("tortoise.db_client").removeHandler(watcher)
    assert body["data"]["register"]["user"]["email"] == "slow@example.test"
