"""Limits on password work: the bounded argon2 slots, the atomic failed-login limit (also
across instances), and lock-out per email and client address.

Every limit is proven by counting: responses by code, hashes started, rows recorded.
"""

from __future__ import annotations

import asyncio
import collections
import os
import threading
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import aiohttp
from argon2 import PasswordHasher, Type

from models import credentials as credential_models
from resolvers.auth import rate_limit
from taskql.auth.passwords import PasswordWork, password_work, work_slots
from tests.cli import free_port, serving, taskql_env
from tests.conftest import with_overrides
from tests.factories import DEFAULT_PASSWORD, create_user
from tests.test_auth_login import LOGIN

GATE_SECONDS = 20
WRONG_PASSWORD = "wrong password!"


class GatedHasher(PasswordHasher):
    """The test argon2 hasher, counting its calls and holding each one until the gate opens:
    it keeps password slots busy for as long as a test needs, without timing anything."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)
        self.gate = threading.Event()
        self._lock = threading.Lock()
        self.calls = 0
        self.thread_priorities: list[int] = []

    def _enter(self) -> None:
        with self._lock:
            self.calls += 1
            self.thread_priorities.append(
                os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
            )
        assert self.gate.wait(GATE_SECONDS), "the test never opened the gate"

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self._enter()
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:  # noqa: A002
        self._enter()
        return super().verify(hash, password)


def gate_password_work(settings) -> tuple[PasswordWork, GatedHasher]:
    """The running loop's password work for `settings` (the app's own), with a gated hasher."""
    work = password_work(settings.auth)
    gated = GatedHasher()
    work.hasher = gated
    return work, gated


async def until(condition) -> None:
    """Wait (yielding to the loop) until `condition()` holds; a hang fails the test."""
    async with asyncio.timeout(GATE_SECONDS):
        while not condition():  # noqa: ASYNC110 - the condition is set by worker threads
            await asyncio.sleep(0.01)


async def login(client, email, password=WRONG_PASSWORD, forwarded_for=None) -> dict[str, Any]:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = await client.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"email": email, "password": password}},
        headers=headers,
    )
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


def code(body: dict[str, Any]) -> str:
    if "errors" not in body:
        return "OK"
    return str(body["errors"][0]["extensions"]["code"])


async def post_status(client, email, password=WRONG_PASSWORD) -> int:
    """POST a login and return only the HTTP status (for requests that time out)."""
    variables = {"email": email, "password": password}
    response = await client.post("/graphql", json={"query": LOGIN, "variables": variables})
    return int(response.status)


async def failure_rows(subject: str) -> int:
    since = datetime.now(UTC) - timedelta(days=1)
    recent = await credential_models.recent_login_failures(subjects=(subject,), since=since)
    return len(recent.get(subject, []))


# --- the bounded password work (issue 10.1) ---------------------------------------------


async def test_full_slots_shed_extra_logins_at_once_without_hashing(make_client, settings):
    """With every slot busy and no queue, further logins are refused at once with
    SERVICE_UNAVAILABLE and retryAfterSeconds: no hash starts and no attempt is recorded."""
    busy = with_overrides(settings, auth={"password_work_slots": 2, "password_work_queue": 0})
    client = await make_client(busy)
    work, gated = gate_password_work(busy)
    user = await create_user()
    holding = [asyncio.create_task(login(client, user.email)) for _ in range(2)]
    await until(lambda: gated.calls == 2)
    rows_while_full = await failure_rows(rate_limit.email_subject(user.email))

    shed = [await login(client, user.email, DEFAULT_PASSWORD) for _ in range(5)]

    # Answered while both slots were still held by the gated hashes.
    assert not any(task.done() for task in holding)
    for body in shed:
        assert code(body) == "SERVICE_UNAVAILABLE"
        assert body["errors"][0]["extensions"]["retryAfterSeconds"] >= 1
    assert gated.calls == 2
    assert work.started == 2
    assert work.shed == 5
    assert await failure_rows(rate_limit.email_subject(user.email)) == rows_while_full == 2
    gated.gate.set()
    assert [code(await task) for task in holding] == ["UNAUTHENTICATED"] * 2


def test_automatic_slots_follow_the_cores_and_the_memory_cost(settings):
    """password_work_slots = 0 sizes the slots from the cores (one kept for the event loop)
    and from the memory budget over argon2's memory cost; an explicit value wins."""
    cores = len(os.sched_getaffinity(0))

    def slots(**auth: Any) -> int:
        return work_slots(with_overrides(settings, auth=auth).auth)

    assert slots(password_work_slots=0, password_work_memory_mib=1024, argon2_memory_kib=8) == (
        max(1, cores - 1)
    )
    assert slots(password_work_slots=0, password_work_memory_mib=64, argon2_memory_kib=65536) == 1
    assert slots(password_work_slots=3, password_work_memory_mib=64, argon2_memory_kib=65536) == 3


async def test_hashes_run_at_a_lower_cpu_priority_than_the_event_loop(make_client, settings):
    """The hashing threads run at auth.password_work_nice, so a busy machine gives the event
    loop (serving every other request) the CPU before the password work."""
    niced = with_overrides(settings, auth={"password_work_nice": 7})
    client = await make_client(niced)
    _, gated = gate_password_work(niced)
    gated.gate.set()
    user = await create_user()

    assert code(await login(client, user.email, DEFAULT_PASSWORD)) == "OK"

    assert gated.thread_priorities == [7]


async def test_the_wait_for_a_slot_is_bounded_by_the_queue(make_client, settings):
    """Beyond the slots, only `password_work_queue` requests wait; the rest are shed at once,
    and the waiting one is checked once a slot frees."""
    queued = with_overrides(
        settings,
        auth={
            "password_work_slots": 1,
            "password_work_queue": 1,
            "password_work_max_wait_seconds": 15.0,
        },
    )
    client = await make_client(queued)
    work, gated = gate_password_work(queued)
    user = await create_user()
    running = asyncio.create_task(login(client, user.email))
    await until(lambda: gated.calls == 1)
    waiting = asyncio.create_task(login(client, user.email))
    await until(lambda: work.waiting == 1)

    shed = [code(await login(client, user.email)) for _ in range(3)]

    assert shed == ["SERVICE_UNAVAILABLE"] * 3
    assert gated.calls == 1
    gated.gate.set()
    assert [code(await running), code(await waiting)] == ["UNAUTHENTICATED"] * 2
    assert gated.calls == work.started == 2


async def untimed_twin(make_client, settings):
    """A second app with the same password work (same process, same auth settings) and the
    usual request timeout, for the checks after the short timeouts have done their job."""
    return await make_client(with_overrides(settings, server={"request_timeout_seconds": 30.0}))


async def test_a_request_cancelled_while_waiting_starts_no_hash(make_client, settings):
    """A login whose request timed out while it waited for a slot never hashes, and its place
    in the queue is given up."""
    timed = with_overrides(
        settings,
        server={"request_timeout_seconds": 2.0},
        auth={
            "password_work_slots": 1,
            "password_work_queue": 1,
            "password_work_max_wait_seconds": 15.0,
        },
    )
    client = await make_client(timed)
    work, gated = gate_password_work(timed)
    user = await create_user()
    # Times out too, but its hash keeps the only slot until the gate opens.
    running = asyncio.create_task(post_status(client, user.email))
    await until(lambda: gated.calls == 1)

    assert await post_status(client, user.email) == 504
    assert work.waiting == 0

    gated.gate.set()
    await until(lambda: work.running == 0)
    assert gated.calls == work.started == 1
    assert await running == 504
    assert (
        code(await login(await untimed_twin(make_client, timed), user.email, DEFAULT_PASSWORD))
        == "OK"
    )
    assert gated.calls == 2


async def test_a_hash_outliving_its_request_keeps_its_slot(make_client, settings):
    """A request that times out during its hash gives its slot back only when the hash really
    ends, so timed-out requests cannot push the real argon2 work past the bound."""
    timed = with_overrides(
        settings,
        server={"request_timeout_seconds": 2.0},
        auth={"password_work_slots": 1, "password_work_queue": 0},
    )
    client = await make_client(timed)
    work, gated = gate_password_work(timed)
    user = await create_user()

    assert await post_status(client, user.email) == 504
    assert work.running == 1
    twin = await untimed_twin(make_client, timed)
    assert code(await login(twin, user.email)) == "SERVICE_UNAVAILABLE"
    assert gated.calls == 1

    gated.gate.set()
    await until(lambda: work.running == 0)
    assert code(await login(twin, user.email, DEFAULT_PASSWORD)) == "OK"
    assert gated.calls == work.started == 2


async def test_a_login_storm_never_runs_more_hashes_than_slots(make_client, settings):
    """30 simultaneous logins: never more hashes at once than slots, and every request is
    either checked (one hash each) or shed."""
    storm = with_overrides(
        settings,
        auth={
            "password_work_slots": 2,
            "password_work_queue": 2,
            # In-flight attempts count until verified: let the pair and address limits be.
            "login_max_failures_per_email_and_address": 1000,
            "login_max_failures_per_address": 1000,
        },
    )
    client = await make_client(storm)
    work = password_work(storm.auth)
    users = [await create_user() for _ in range(3)]

    bodies = await asyncio.gather(
        *(login(client, users[n % 3].email, DEFAULT_PASSWORD) for n in range(30))
    )

    codes = collections.Counter(code(body) for body in bodies)
    assert set(codes) <= {"OK", "SERVICE_UNAVAILABLE"}
    assert work.peak_running <= 2
    assert codes["OK"] == work.started
    assert codes["SERVICE_UNAVAILABLE"] == work.shed


# --- the atomic failed-login limit (issue 10.3) -----------------------------------------


def roomy_work(settings, **auth: Any):
    """Settings whose password work never sheds, so only the login limits decide."""
    return with_overrides(
        settings,
        auth={"password_work_slots": 8, "password_work_queue": 100, **auth},
    )


async def test_concurrent_guesses_on_two_app_instances_check_at_most_the_limit(
    make_client, settings
):
    """40 simultaneous wrong passwords for one email, 20 on each of two app instances sharing
    the database: at most the limit are checked (hashed), the rest are RATE_LIMITED; guesses
    that follow are checked only up to the limit in all."""
    limited = roomy_work(settings, login_max_failures_per_email_and_address=5)
    first = await make_client(limited)
    second = await make_client(limited)
    work = password_work(limited.auth)
    user = await create_user()

    bodies = await asyncio.gather(*(login((first, second)[n % 2], user.email) for n in range(40)))

    codes = collections.Counter(code(body) for body in bodies)
    assert set(codes) <= {"UNAUTHENTICATED", "RATE_LIMITED"}
    assert codes["UNAUTHENTICATED"] <= 5
    assert work.started == codes["UNAUTHENTICATED"]
    # Refused attempts leave no row behind: only the checked ones count as failures.
    pair = rate_limit.pair_subject(user.email, "127.0.0.1")
    assert await failure_rows(pair) == codes["UNAUTHENTICATED"]
    # One at a time, the remaining allowance (and no more) is checked.
    later = [code(await login((first, second)[n % 2], user.email)) for n in range(7)]
    assert codes["UNAUTHENTICATED"] + later.count("UNAUTHENTICATED") == 5
    assert later[-2:] == ["RATE_LIMITED"] * 2
    assert work.started == 5


async def test_concurrent_guesses_on_two_server_processes_check_at_most_the_limit(client):
    """The same limit holds across two real server processes on the same database."""
    user = await create_user()
    env = taskql_env(
        TASKQL_ENV="test",
        TASKQL_AUTH__LOGIN_MAX_FAILURES_PER_EMAIL_AND_ADDRESS="5",
        TASKQL_AUTH__PASSWORD_WORK_SLOTS="4",
        TASKQL_AUTH__PASSWORD_WORK_QUEUE="100",
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

            async def guess(number: int) -> str:
                url = f"http://127.0.0.1:{ports[number % 2]}/graphql"
                variables = {"email": user.email, "password": "wrong password!"}
                async with session.post(
                    url, json={"query": LOGIN, "variables": variables}
                ) as response:
                    return code(await response.json())

            codes = collections.Counter(await asyncio.gather(*(guess(n) for n in range(40))))

    assert set(codes) <= {"UNAUTHENTICATED", "RATE_LIMITED"}
    assert codes["UNAUTHENTICATED"] <= 5
    pair = rate_limit.pair_subject(user.email, "127.0.0.1")
    assert await failure_rows(pair) == codes["UNAUTHENTICATED"]


# --- lock-out per email and address (issue 9.8) -----------------------------------------


def behind_proxy(settings, **auth: Any):
    """Settings trusting the loopback proxy, so X-Forwarded-For names the client address."""
    return with_overrides(
        settings,
        server={"trusted_proxies": ("127.0.0.1",)},
        auth={"login_max_failures_per_email_and_address": 3, **auth},
    )


async def test_a_guesser_is_locked_out_even_with_the_right_password(make_client, settings):
    """From the guessing address, the right password is RATE_LIMITED after the pair limit, and
    further refused guesses do not extend the lock (they leave no rows)."""
    client = await make_client(behind_proxy(settings))
    user = await create_user()
    attacker = "203.0.113.66"

    guesses = [code(await login(client, user.email, forwarded_for=attacker)) for _ in range(6)]
    right = await login(client, user.email, DEFAULT_PASSWORD, forwarded_for=attacker)

    assert guesses == ["UNAUTHENTICATED"] * 3 + ["RATE_LIMITED"] * 3
    assert code(right) == "RATE_LIMITED"
    assert 0 < right["errors"][0]["extensions"]["retryAfterSeconds"] <= 900
    assert await failure_rows(rate_limit.pair_subject(user.email, attacker)) == 3


async def test_the_owner_signs_in_from_elsewhere_while_a_stranger_is_locked_out(
    make_client, settings
):
    """A stranger's failures lock only the stranger's address: the owner, from an address
    without failures, signs in with the right password, and the stranger stays locked."""
    client = await make_client(behind_proxy(settings))
    user = await create_user()
    attacker, owner = "203.0.113.66", "198.51.100.7"
    for _ in range(4):
        await login(client, user.email, forwarded_for=attacker)

    assert code(await login(client, user.email, DEFAULT_PASSWORD, forwarded_for=owner)) == "OK"
    assert code(await login(client, user.email, forwarded_for=attacker)) == "RATE_LIMITED"


async def test_the_per_email_cap_bounds_guessers_on_many_addresses(make_client, settings):
    """Guessers spread over many addresses reach the per-email cap; then every address is
    RATE_LIMITED for that email, the owner included: the documented trade-off."""
    client = await make_client(behind_proxy(settings, login_max_failures_per_email=4))
    user = await create_user()

    guesses = [
        code(await login(client, user.email, forwarded_for=f"203.0.113.{n}")) for n in range(6)
    ]
    owner = await login(client, user.email, DEFAULT_PASSWORD, forwarded_for="198.51.100.7")

    assert guesses == ["UNAUTHENTICATED"] * 4 + ["RATE_LIMITED"] * 2
    assert code(owner) == "RATE_LIMITED"


async def test_success_forgives_only_its_own_addresses_failures(make_client, settings):
    """A successful sign-in forgets the failures of its own (email, address) pair; every
    failure still counts towards the per-email cap until it leaves the window."""
    client = await make_client(behind_proxy(settings))
    user = await create_user()
    owner, other = "198.51.100.7", "203.0.113.66"
    for address in (owner, owner, other):
        await login(client, user.email, forwarded_for=address)

    assert code(await login(client, user.email, DEFAULT_PASSWORD, forwarded_for=owner)) == "OK"

    assert await failure_rows(rate_limit.pair_subject(user.email, owner)) == 0
    assert await failure_rows(rate_limit.pair_subject(user.email, other)) == 1
    assert await failure_rows(rate_limit.email_subject(user.email)) == 3
