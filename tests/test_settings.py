"""Settings are validated before the server binds, and secrets never leave the process."""

from __future__ import annotations

import shutil

import orjson
import pytest

from taskql.settings import ConfigError, load_settings
from tests.cli import GOOD_SECRET, ROOT, free_port, run_taskql, taskql_env

PRODUCTION = {"TASKQL_ENV": "production", "TASKQL_AUTH__JWT_SECRET": GOOD_SECRET}


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"TASKQL_AUTH__JWT_SECRET": ""}, "auth.jwt_secret"),
        ({"TASKQL_AUTH__JWT_SECRET": "change-me-change-me-change-me-change-me"}, "auth.jwt_secret"),
        ({"TASKQL_AUTH__JWT_SECRET": "Zq8s2LxK9v"}, "auth.jwt_secret"),
        ({"TASKQL_DATABASE__POOL_MIN": "8", "TASKQL_DATABASE__POOL_MAX": "2"}, "database.pool_max"),
        ({"TASKQL_SERVER__HOST": "not a host!"}, "server.host"),
        ({"TASKQL_SERVER__PORT": "99999"}, "server.port"),
        ({"TASKQL_LOGGING__LEVEL": "CHATTY"}, "logging.level"),
        (
            {
                "TASKQL_DATABASE__STATEMENT_TIMEOUT_SECONDS": "25",
                "TASKQL_DATABASE__POOL_ACQUIRE_TIMEOUT_SECONDS": "5",
            },
            "database.statement_timeout_seconds",
        ),
        ({"TASKQL_DATABASE__POOL_ACQUIRE_TIMEOUT_SECONDS": "0"}, "database.pool_acquire"),
    ],
    ids=[
        "missing-secret",
        "placeholder-secret",
        "short-secret",
        "pool",
        "host",
        "port",
        "level",
        "db-timeouts-over-request-timeout",
        "no-pool-wait",
    ],
)
def test_invalid_production_settings_stop_serve_with_status_2(overrides, setting):
    """Each invalid setting stops `taskql serve` before binding: exit 2, one line naming it."""
    result = run_taskql("serve", env=taskql_env(**{**PRODUCTION, **overrides}))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert setting in lines[0]
    assert "serving" not in result.stdout
    secret = overrides.get("TASKQL_AUTH__JWT_SECRET")
    if secret:
        assert secret not in result.stderr


def test_workers_given_on_the_command_line_are_validated_like_the_setting():
    """`serve --workers 2` over SQLite with the in-process event bus (events.backend auto)
    would let one worker's subscribers miss the other's writes: refused like the setting."""
    # A free port: should the check ever regress, the workers must not squat on 8000.
    port = str(free_port())
    result = run_taskql(
        "serve", "--port", port, "--workers", "2", env=taskql_env(**PRODUCTION), timeout=15
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "events.backend" in lines[0]
    assert "serving" not in result.stdout


def test_check_config_prints_effective_settings_redacted():
    """check-config shows env-var overrides and masks the secret and the database password."""
    env = taskql_env(
        **PRODUCTION,
        TASKQL_SERVER__PORT="9123",
        TASKQL_DATABASE__URL="postgres://app:hunter2-db-pass@db.internal:5432/taskql",
    )
    result = run_taskql("check-config", env=env)
    assert result.returncode == 0, result.stderr
    printed = orjson.loads(result.stdout)
    assert printed["environment"] == "production"
    assert printed["server"]["port"] == 9123
    assert printed["auth"]["jwt_secret"] == "***"
    assert printed["database"]["url"] == "postgres://app:***@db.internal:5432/taskql"
    assert GOOD_SECRET not in result.stdout
    assert "hunter2-db-pass" not in result.stdout


def test_check_config_masks_a_password_in_the_url_query_and_keeps_ipv6_hosts():
    """A password given as `?password=` (asyncpg reads it) is masked too, and an IPv6 host
    keeps its brackets so the printed URL still parses."""
    env = taskql_env(
        **PRODUCTION,
        TASKQL_DATABASE__URL="postgres://app:pw-in-user@[::1]:5432/taskql?password=pw-in-query",
    )
    result = run_taskql("check-config", env=env)
    assert result.returncode == 0, result.stderr
    printed = orjson.loads(result.stdout)
    assert printed["database"]["url"] == "postgres://app:***@[::1]:5432/taskql?password=***"
    assert "pw-in-user" not in result.stdout
    assert "pw-in-query" not in result.stdout


def test_unknown_environment_is_refused():
    """A typo in TASKQL_ENV is an error, not a silent fallback to development."""
    with pytest.raises(ConfigError, match="TASKQL_ENV"):
        load_settings("staging")


def test_production_turns_graphiql_off_by_default():
    """GraphiQL is for development: production settings disable it unless asked."""
    result = run_taskql("check-config", env=taskql_env(**PRODUCTION))
    assert orjson.loads(result.stdout)["server"]["graphiql"] is False


def test_dotenv_is_read_in_development_only(tmp_path):
    """A .env beside settings.toml overrides settings in development, never in production."""
    shutil.copy(ROOT / "settings.toml", tmp_path)
    (tmp_path / ".env").write_text("TASKQL_SERVER__PORT=9555\n", encoding="utf-8")
    development = run_taskql("check-config", env=taskql_env(TASKQL_HOME=str(tmp_path)))
    assert orjson.loads(development.stdout)["server"]["port"] == 9555
    production = run_taskql("check-config", env=taskql_env(TASKQL_HOME=str(tmp_path), **PRODUCTION))
    assert orjson.loads(production.stdout)["server"]["port"] == 8000
