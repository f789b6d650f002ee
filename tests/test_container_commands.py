"""The image's commands work: run what the Dockerfile runs, outside Docker (no engine here).

The runtime stage holds settings.toml and migrations/ in TASKQL_HOME, runs from there with
TASKQL_ENV=production, `taskql migrate` then ENTRYPOINT+CMD (`taskql serve`), and probes
/healthz with the HEALTHCHECK command.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from tests.cli import GOOD_SECRET, ROOT, free_port, serving, taskql_env

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def exec_form(instruction: str) -> list[str]:
    match = re.search(
        rf"^\s*(?:HEALTHCHECK .*\\\n\s*)?{instruction} (\[.*\])$", DOCKERFILE, re.MULTILINE
    )
    assert match, f"no exec-form {instruction} in the Dockerfile"
    return list(json.loads(match.group(1)))


def test_dockerfile_runs_as_non_root_in_production():
    """The runtime stage is multi-stage, non-root, production, with a health check."""
    assert DOCKERFILE.count("\nFROM ") + DOCKERFILE.startswith("FROM ") >= 2
    assert re.search(r"^USER (?!root|0\b)\S+", DOCKERFILE, re.MULTILINE)
    assert "TASKQL_ENV=production" in DOCKERFILE
    assert exec_form("ENTRYPOINT") == ["taskql"]
    assert exec_form("CMD")[0] == "python"  # the HEALTHCHECK probe


def test_image_commands_serve_and_pass_the_healthcheck(tmp_path: Path):
    """Migrate, serve and health-check exactly as the container would, from TASKQL_HOME."""
    home = tmp_path / "app"
    home.mkdir()
    shutil.copy(ROOT / "settings.toml", home)
    shutil.copytree(ROOT / "migrations", home / "migrations")
    port = free_port()
    env = taskql_env(
        TASKQL_HOME=str(home),
        TASKQL_ENV="production",
        TASKQL_AUTH__JWT_SECRET=GOOD_SECRET,
        TASKQL_SERVER__HOST="127.0.0.1",
        TASKQL_SERVER__PORT=str(port),
    )
    taskql = [sys.executable, "-m", "taskql.cli"]
    migrated = subprocess.run(
        [*taskql, "migrate"], env=env, cwd=home, capture_output=True, text=True, check=False
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert (home / "data" / "taskql.sqlite3").exists()

    cmd = re.search(r'^CMD \["serve"\]$', DOCKERFILE, re.MULTILINE)
    assert cmd, "the image's default command is `serve`"
    with serving("serve", port=port, env=env, cwd=home) as server:
        probe = [arg.replace("8000", str(port)) for arg in exec_form("CMD")]
        probe[0] = sys.executable
        assert subprocess.run(probe, env=env, check=False, timeout=10).returncode == 0
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
