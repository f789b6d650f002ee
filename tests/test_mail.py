"""The mailer: its settings, the development files backend, failures and the job bound."""

from __future__ import annotations

import asyncio
import email
import email.policy

import orjson
import pytest

from taskql.mail.jobs import MailJobs
from taskql.settings import ConfigError, load_settings
from tests.cli import GOOD_SECRET, free_port, run_taskql, taskql_env
from tests.conftest import with_overrides
from tests.factories import create_user
from tests.mail_sink import LINK_TOKEN, settle

PRODUCTION = {"TASKQL_ENV": "production", "TASKQL_AUTH__JWT_SECRET": GOOD_SECRET}
REQUEST_RESET = "mutation($email: String!) { requestPasswordReset(email: $email) }"


def test_production_refuses_the_files_backend_unless_allowed():
    """Production with mail.backend = files stops before binding (exit 2, naming the key);
    with allow_files_backend_in_production it starts, and the SMTP password stays redacted."""
    refused = run_taskql("serve", env=taskql_env(**PRODUCTION, TASKQL_MAIL__BACKEND="files"))
    allowed = run_taskql(
        "check-config",
        env=taskql_env(
            **PRODUCTION,
            TASKQL_MAIL__BACKEND="files",
            TASKQL_MAIL__ALLOW_FILES_BACKEND_IN_PRODUCTION="true",
            TASKQL_MAIL__PASSWORD="smtp-pass-hunter2",
        ),
    )

    assert refused.returncode == 2
    assert "mail.backend" in refused.stderr
    assert allowed.returncode == 0, allowed.stderr
    printed = orjson.loads(allowed.stdout)
    assert printed["mail"]["backend"] == "files"
    assert printed["mail"]["password"] == "***"
    assert "smtp-pass-hunter2" not in allowed.stdout


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ACCOUNTS__PASSWORD_RESET_URL", "http://app.example/reset"),
        ("ACCOUNTS__EMAIL_VERIFICATION_URL", "javascript:alert(1)//{token}"),
        ("MAIL__SECURITY", "maybe"),
        ("MAIL__FROM_ADDRESS", "not an address"),
        ("MAIL__BACKEND", "pigeon"),
    ],
)
def test_invalid_mail_settings_name_the_key(monkeypatch, key, value):
    """A link template without {token} or not http(s), an unknown security mode, a bad
    sender and an unknown backend are ConfigErrors naming the setting, never its value."""
    monkeypatch.setenv(f"TASKQL_{key}", value)
    with pytest.raises(ConfigError) as refused:
        load_settings("test")
    assert refused.value.setting == key.lower().replace("__", ".")
    assert value not in str(refused.value)


async def test_files_backend_writes_the_message_and_logs_no_token(
    make_client, settings, tmp_path, logs
):
    """The development backend writes one .eml per message into files_directory and logs the
    file's name, never the link inside it."""
    directory = tmp_path / "mail"
    client = await make_client(
        with_overrides(settings, mail={"backend": "files", "files_directory": str(directory)})
    )
    user = await create_user()

    response = await client.post(
        "/graphql", json={"query": REQUEST_RESET, "variables": {"email": user.email}}
    )
    await settle(client)

    assert (await response.json()) == {"data": {"requestPasswordReset": True}}
    [written] = list(directory.glob("*.eml"))
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert message["To"] == user.email
    token = LINK_TOKEN.search(message.get_body().get_content()).group(1)  # type: ignore[union-attr]
    lines = [r for r in logs.records if r.get("event") == "mail written"]
    assert [line["path"] for line in lines] == [str(written)]
    assert token not in logs.text


async def test_an_unreachable_smtp_server_fails_the_job_not_the_request(
    make_client, settings, logs
):
    """With nobody listening on the SMTP port the request still answers true; the job's
    failure is logged by its error type, with no token and no address."""
    closed = {"backend": "smtp", "host": "127.0.0.1", "port": free_port(), "security": "none"}
    client = await make_client(with_overrides(settings, mail=closed))
    user = await create_user()

    response = await client.post(
        "/graphql", json={"query": REQUEST_RESET, "variables": {"email": user.email}}
    )
    await settle(client)

    assert (await response.json()) == {"data": {"requestPasswordReset": True}}
    failures = [r for r in logs.records if r.get("event") == "mail job failed"]
    assert [f["kind"] for f in failures] == ["password_reset"]
    assert user.email not in orjson.dumps(failures).decode()


async def test_jobs_run_a_few_at_a_time_and_drop_beyond_the_backlog():
    """concurrency=2, backlog=1: two run, one waits, the fourth is dropped; drain waits."""
    jobs = MailJobs(concurrency=2, backlog=1)
    release = asyncio.Event()
    running = 0
    peak = 0

    async def job() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await release.wait()
        running -= 1

    accepted = [jobs.submit("test", job) for _ in range(4)]
    await asyncio.sleep(0.05)
    release.set()
    await jobs.drain(grace_seconds=5)

    assert accepted == [True, True, True, False]
    assert jobs.dropped == 1
    assert peak == 2
    assert jobs.in_flight == 0
