"""Password reset and email verification end to end: the real app over HTTP, a real SMTP
sink (aiosmtpd) receiving the mail, the token read from the mail, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import collections
import os
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from models import account_tokens as token_models
from models import audit as audit_models
from models import users as user_models
from models.account_tokens import AccountToken, TokenPurpose
from taskql.auth.link_tokens import hash_link_token, new_link_token
from tests.cli import free_port, serving, taskql_env
from tests.conftest import with_overrides
from tests.factories import DEFAULT_PASSWORD, access_token_for, create_user
from tests.mail_sink import MailSink, running_sink, settle, token_in

PAIR = "accessToken refreshToken user { id }"
LOGIN = f"""mutation($email: String!, $password: String!) {{
  login(email: $email, password: $password) {{ {PAIR} }} }}"""
REFRESH = f"mutation($t: String!) {{ refreshTokens(refreshToken: $t) {{ {PAIR} }} }}"
ME = "{ me { id email emailVerified } }"
REQUEST_RESET = "mutation($email: String!) { requestPasswordReset(email: $email) }"
RESET = "mutation($token: String!, $pw: String!) { resetPassword(token: $token, newPassword: $pw) }"
REQUEST_VERIFICATION = "mutation { requestEmailVerification }"
VERIFY = "mutation($token: String!) { verifyEmail(token: $token) }"
NEW_PASSWORD = "a brand new passphrase"


def code(body):
    return body["errors"][0]["extensions"]["code"]


@pytest.fixture
def sink():
    with running_sink() as running:
        yield running


@pytest.fixture
async def mailing(make_client, settings, sink: MailSink):
    """The app sending its mail over SMTP to the sink."""
    return await make_client(with_overrides(settings, mail=sink.mail_settings()))


async def post(client, query, variables=None, *, token=None, headers=None):
    all_headers = dict(headers or {})
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers
    )
    assert response.status == 200, await response.text()
    return await response.json()


async def login(client, email, password=DEFAULT_PASSWORD):
    return await post(client, LOGIN, {"email": email, "password": password})


async def test_reset_by_mail_ends_sessions_and_sets_the_password(mailing, sink, logs):
    """Request -> mail in the sink -> token from the mail -> reset: the old sessions' access
    and refresh tokens are refused, the new password signs in, the old one does not, the
    token is refused a second time, the address counts as verified, and no log line holds
    the token."""
    user = await create_user()
    signed_in = (await login(mailing, user.email))["data"]["login"]

    asked = await post(mailing, REQUEST_RESET, {"email": user.email.upper()})
    await settle(mailing)

    assert asked == {"data": {"requestPasswordReset": True}}
    [message] = sink.inbox.to(user.email)
    assert message["Subject"] == "Reset your TaskQL password"
    token = token_in(message)
    assert "http://localhost:3000/reset-password?token=" in message.get_content()
    assert token not in logs.text

    reset = await post(mailing, RESET, {"token": token, "pw": NEW_PASSWORD})

    assert reset == {"data": {"resetPassword": True}}
    assert code(await post(mailing, ME, token=signed_in["accessToken"])) == "UNAUTHENTICATED"
    assert code(await post(mailing, REFRESH, {"t": signed_in["refreshToken"]})) == (
        "UNAUTHENTICATED"
    )
    assert code(await login(mailing, user.email)) == "UNAUTHENTICATED"
    fresh = (await login(mailing, user.email, NEW_PASSWORD))["data"]["login"]
    me = (await post(mailing, ME, token=fresh["accessToken"]))["data"]["me"]
    assert me["emailVerified"] is True
    again = await post(mailing, RESET, {"token": token, "pw": "yet another passphrase"})
    assert code(again) == "VALIDATION_ERROR"
    assert again["errors"][0]["extensions"]["field"] == "token"
    assert token not in logs.text
    events = await audit_models.AuditEvent.filter(target_id=user.id)
    assert audit_models.AuditAction.USER_PASSWORD_RESET in {e.action for e in events}


async def test_unknown_email_gets_the_same_answer_and_no_mail(mailing, sink):
    """An address without an account is answered exactly like one with, and mails nothing."""
    user = await create_user()

    unknown = await post(mailing, REQUEST_RESET, {"email": "nobody-here@example.test"})
    known = await post(mailing, REQUEST_RESET, {"email": user.email})
    await settle(mailing)

    assert unknown == known == {"data": {"requestPasswordReset": True}}
    assert [m["To"] for m in sink.inbox.messages] == [user.email]
    assert await AccountToken.filter(user_id=user.id).count() == 1


async def test_expired_token_is_refused(mailing, sink):
    """A token past its expiry is refused and leaves the password as it was."""
    user = await create_user()
    await post(mailing, REQUEST_RESET, {"email": user.email})
    await settle(mailing)
    token = token_in(sink.inbox.to(user.email)[0])
    await AccountToken.filter(user_id=user.id).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )

    refused = await post(mailing, RESET, {"token": token, "pw": NEW_PASSWORD})

    assert code(refused) == "VALIDATION_ERROR"
    assert "data" in (await login(mailing, user.email))


async def test_malformed_and_wrong_tokens_are_refused_cheaply(graphql):
    """A made-up, an empty and an overlong token are VALIDATION_ERROR, never a 500."""
    for token in (new_link_token(), "", "x" * 5000):
        body = await graphql(RESET, {"token": token, "pw": NEW_PASSWORD})
        assert code(body) == "VALIDATION_ERROR", body


async def test_a_weak_new_password_keeps_the_token_usable(mailing, sink):
    """A refused new password does not spend the token."""
    user = await create_user()
    await post(mailing, REQUEST_RESET, {"email": user.email})
    await settle(mailing)
    token = token_in(sink.inbox.to(user.email)[0])

    weak = await post(mailing, RESET, {"token": token, "pw": "short"})
    good = await post(mailing, RESET, {"token": token, "pw": NEW_PASSWORD})

    assert weak["errors"][0]["extensions"]["field"] == "newPassword"
    assert good == {"data": {"resetPassword": True}}


async def test_requests_are_rate_limited_per_email_known_or_not(make_client, settings, sink):
    """Past recovery_max_per_email, both a known and an unknown email get RATE_LIMITED, and
    the refused requests mail nothing."""
    limited = with_overrides(
        settings, mail=sink.mail_settings(), accounts={"recovery_max_per_email": 2}
    )
    client = await make_client(limited)
    user = await create_user()

    known = [await post(client, REQUEST_RESET, {"email": user.email}) for _ in range(3)]
    unknown = [await post(client, REQUEST_RESET, {"email": "ghost@example.test"}) for _ in range(3)]
    await settle(client)

    for answers in (known, unknown):
        assert [a.get("data") for a in answers[:2]] == [{"requestPasswordReset": True}] * 2
        assert code(answers[2]) == "RATE_LIMITED"
        assert answers[2]["errors"][0]["extensions"]["retryAfterSeconds"] > 0
    assert len(sink.inbox.to(user.email)) == 2


async def test_requests_are_rate_limited_per_client_address(make_client, settings, sink):
    """One address asking for many emails is cut off at recovery_max_per_address."""
    limited = with_overrides(
        settings,
        mail=sink.mail_settings(),
        accounts={"recovery_max_per_address": 3},
        server={"trusted_proxies": ("127.0.0.1",)},
    )
    client = await make_client(limited)

    async def ask(number: int, address: str):
        variables = {"email": f"r{number}@example.test"}
        return await post(client, REQUEST_RESET, variables, headers={"X-Forwarded-For": address})

    answers = [await ask(n, "198.51.100.7") for n in range(4)]
    elsewhere = await ask(99, "198.51.100.8")
    await settle(client)

    assert [code(a) if "errors" in a else "OK" for a in answers] == ["OK"] * 3 + ["RATE_LIMITED"]
    assert elsewhere == {"data": {"requestPasswordReset": True}}


async def issued_token(user: user_models.User) -> str:
    """A live reset token of `user`, stored by the real data function (as the mail job does)."""
    token = new_link_token()
    await token_models.add(
        user_id=user.id,
        purpose=TokenPurpose.PASSWORD_RESET,
        token_hash=hash_link_token(token),
        expires_at=datetime.now(UTC) + timedelta(minutes=5),
    )
    return token


async def test_thirty_concurrent_resets_with_one_token_let_exactly_one_through(
    make_client, settings
):
    """30 resetPassword calls at once with one token: exactly one succeeds."""
    roomy = with_overrides(settings, auth={"password_work_slots": 4, "password_work_queue": 40})
    client = await make_client(roomy)
    user = await create_user()
    token = await issued_token(user)

    answers = await asyncio.gather(
        *(post(client, RESET, {"token": token, "pw": f"passphrase number {n}"}) for n in range(30))
    )

    outcomes = collections.Counter("OK" if "errors" not in a else code(a) for a in answers)
    assert outcomes == {"OK": 1, "VALIDATION_ERROR": 29}, outcomes
    winner = next(n for n, a in enumerate(answers) if "errors" not in a)
    assert "data" in await login(client, user.email, f"passphrase number {winner}")


async def test_concurrent_resets_on_two_server_processes_let_exactly_one_through(client):
    """The same token sent 30 times at once to two real server processes: one success."""
    user = await create_user()
    token = await issued_token(user)
    env = taskql_env(
        TASKQL_ENV="test",
        TASKQL_AUTH__PASSWORD_WORK_SLOTS="4",
        TASKQL_AUTH__PASSWORD_WORK_QUEUE="40",
        TASKQL_LOGGING__LEVEL="WARNING",
    )
    if os.environ.get("TASKQL_DATABASE__URL"):
        env["TASKQL_DATABASE__URL"] = os.environ["TASKQL_DATABASE__URL"]
    ports = (free_port(), free_port())
    with (
        serving("serve", "--port", str(ports[0]), port=ports[0], env=env),
        serving("serve", "--port", str(ports[1]), port=ports[1], env=env),
    ):
        async with aiohttp.ClientSession() as session:

            async def reset(number: int) -> str:
                url = f"http://127.0.0.1:{ports[number % 2]}/graphql"
                variables = {"token": token, "pw": f"passphrase number {number}"}
                async with session.post(url, json={"query": RESET, "variables": variables}) as r:
                    body = await r.json()
                return "OK" if "errors" not in body else code(body)

            outcomes = collections.Counter(await asyncio.gather(*(reset(n) for n in range(30))))

    assert outcomes == {"OK": 1, "VALIDATION_ERROR": 29}, outcomes


async def test_email_verification_by_mail(mailing, sink, settings):
    """requestEmailVerification mails a link; verifyEmail (signed in or not) marks the address
    verified once; the token is refused a second time; asking again then sends nothing."""
    user = await create_user()
    token = access_token_for(user, settings)
    assert (await post(mailing, ME, token=token))["data"]["me"]["emailVerified"] is False

    asked = await post(mailing, REQUEST_VERIFICATION, token=token)
    await settle(mailing)
    [message] = sink.inbox.to(user.email)
    link_token = token_in(message)
    assert "http://localhost:3000/verify-email?token=" in message.get_content()

    verified = await post(mailing, VERIFY, {"token": link_token})  # anonymous: from a browser
    again = await post(mailing, VERIFY, {"token": link_token})
    await post(mailing, REQUEST_VERIFICATION, token=token)
    await settle(mailing)

    assert asked == {"data": {"requestEmailVerification": True}}
    assert verified == {"data": {"verifyEmail": True}}
    assert code(again) == "VALIDATION_ERROR"
    assert (await post(mailing, ME, token=token))["data"]["me"]["emailVerified"] is True
    assert len(sink.inbox.to(user.email)) == 1
    events = await audit_models.AuditEvent.filter(
        target_id=user.id, action=audit_models.AuditAction.USER_EMAIL_VERIFIED
    ).count()
    assert events == 1


async def test_a_reset_token_does_not_verify_and_a_verification_token_does_not_reset(graphql):
    """Each token works only for its own purpose."""
    user = await create_user()
    reset_token = await issued_token(user)

    body = await graphql(VERIFY, {"token": reset_token})

    assert code(body) == "VALIDATION_ERROR"
    assert await AccountToken.filter(user_id=user.id, used_at=None).count() == 1


async def test_email_verification_needs_a_sign_in(graphql):
    """requestEmailVerification is UNAUTHENTICATED without a token."""
    assert code(await graphql(REQUEST_VERIFICATION)) == "UNAUTHENTICATED"
