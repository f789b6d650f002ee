"""The image's commands work: run what the Dockerfile runs, outside Docker (no engine here).

The runtime stage holds settings.toml, migrations/ and the operations manifest in TASKQL_HOME,
runs from there with TASKQL_ENV=production, `taskql migrate` then ENTRYPOINT+CMD
(`taskql serve`), and probes /healthz with the HEALTHCHECK command.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from tests.cli import GOOD_SECRET, ROOT, free_port, serving, taskql_env
from tests.dockerfile import stage, stages


def test_dockerfile_runs_as_non_root_in_production():
    """The image is multi-stage, runs `taskql serve` as non-root in production, with a probe."""
    build, runtime = stages()
    assert (build.name, runtime.name) == ("build", "runtime")
    assert re.fullmatch(r"(?!root\b|0\b)\S+", runtime.arguments("USER")[-1])
    assert runtime.env()["TASKQL_ENV"] == "production"
    assert runtime.exec_form("ENTRYPOINT") == ["taskql"]
    assert runtime.exec_form("CMD") == ["serve"]
    assert runtime.exec_form("HEALTHCHECK")[0] == "python"
    # No compilers or sources in the runtime stage: it only installs the build stage's wheels.
    assert not any("apt-get" in run for run in runtime.arguments("RUN"))
    assert [sources for sources, _ in runtime.copies_from_context()] == [
        ["settings.toml"],
        ["migrations"],
        ["operations/manifest.json"],
    ]


def test_image_commands_serve_and_pass_the_healthcheck(tmp_path: Path):
    """Migrate, serve and health-check as the container would, from TASKQL_HOME, on a port
    other than 8000: the HEALTHCHECK asks the port TASKQL_SERVER__PORT names."""
    home = tmp_path / "app"
    home.mkdir()
    shutil.copy(ROOT / "settings.toml", home)
    shutil.copytree(ROOT / "migrations", home / "migrations")
    (home / "operations").mkdir()
    shutil.copy(ROOT / "operations" / "manifest.json", home / "operations")
    port = free_port()
    env = taskql_env(
        TASKQL_HOME=str(home),
        TASKQL_ENV="production",
        TASKQL_AUTH__JWT_SECRET=GOOD_SECRET,
        TASKQL_SERVER__HOST="127.0.0.1",
        TASKQL_SERVER__PORT=str(port),
        # Finds the image's manifest in TASKQL_HOME (the serve command stops without it).
        TASKQL_GRAPHQL__TRUSTED_DOCUMENTS_ONLY="true",
    )
    taskql = [sys.executable, "-m", "server.cli"]
    migrated = subprocess.run(
        [*taskql, "migrate"], env=env, cwd=home, capture_output=True, text=True, check=False
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert (home / "data" / "taskql.sqlite3").exists()

    runtime = stage("runtime")
    with serving(*runtime.exec_form("CMD"), port=port, env=env, cwd=home) as server:
        probe = runtime.exec_form("HEALTHCHECK")
        probe[0] = sys.executable
        assert subprocess.run(probe, env=env, check=False, timeout=10).returncode == 0
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
