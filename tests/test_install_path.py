"""The image's install path, outside Docker (no engine here), step by step as its Dockerfile.

Build stage: its COPY instructions applied to a clean copy of the project (tracked and
not-ignored files only, so no stale build/ or egg-info output), then a wheel of it. Runtime
stage: that wheel installed into a fresh virtual environment with nothing else on its path,
its COPY instructions and ENV, then `taskql migrate`, ENTRYPOINT + CMD and the HEALTHCHECK.
Every image path P lives at image_root/P.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from taskql.settings import Settings
from tests.cli import GOOD_SECRET, ROOT, free_port, serving, taskql_env
from tests.dockerfile import copy_from_context, stage

BUILD_WHEELS = "pip wheel --wheel-dir /wheels ."
PIP = [sys.executable, "-m", "pip"]
DEPENDENCY_CACHE = ROOT / "data" / "install-path-venvs"


def run_command(run_arguments: str) -> str:
    """A RUN instruction's shell command without its --mount flags."""
    return " ".join(word for word in run_arguments.split() if not word.startswith("--mount="))


def clean_context(destination: Path) -> Path:
    """The files a fresh clone would have (plus new, not-ignored ones), nothing generated."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the work tree is gone from the clone too
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def venv_with_dependencies(wheel: Path, venv: Path) -> None:
    """A venv at `venv` holding only the dependencies the wheel declares (from the package
    index and pip's cache). Installing them is the slow part, so a venv of them is kept in
    data/ under a key of those declarations and the Python version, and copied."""
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith("/METADATA")))
    requirements = sorted(
        line.split(":", 1)[1].strip()
        for line in metadata.decode().splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    )
    key = hashlib.sha256("\n".join([sys.version, *requirements]).encode()).hexdigest()[:16]
    cached = DEPENDENCY_CACHE / key
    if not cached.exists():
        staging = DEPENDENCY_CACHE / f"{key}.{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        run([sys.executable, "-m", "venv", "--without-pip", str(staging)])  # no pip: faster
        run([*PIP, "--python", str(staging / "bin" / "python"), "install", "-q", *requirements])
        with contextlib.suppress(OSError):  # another run cached the same set meanwhile
            staging.rename(cached)
        shutil.rmtree(staging, ignore_errors=True)
    # A venv works from a copy: its python finds pyvenv.cfg next to itself.
    shutil.copytree(cached, venv, symlinks=True)


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def image_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both stages done: the wheel built from the clean sources and installed in /opt/venv."""
    root = tmp_path_factory.mktemp("image")
    context = clean_context(tmp_path_factory.mktemp("context"))
    build = stage("build")
    # The one step emulated below; a build stage that does more must be emulated here too.
    assert [run_command(value) for value in build.arguments("RUN")] == [BUILD_WHEELS]
    copy_from_context(build, context, root)
    source = root / build.workdir().relative_to("/")
    run([*PIP, "wheel", "--no-deps", "--wheel-dir", str(root / "wheels"), "."], cwd=source)
    wheel = next((root / "wheels").glob("taskql-*.whl"))
    venv = root / "opt" / "venv"
    venv_with_dependencies(wheel, venv)
    python = str(venv / "bin" / "python")
    run([*PIP, "--python", python, "install", "--quiet", "--no-deps", str(wheel)])
    # The venv holds the wheel's declared dependencies and nothing else: if one were missing,
    # this check (and the imports below) would fail.
    run([*PIP, "--python", python, "check"])
    copy_from_context(stage("runtime"), context, root)
    return root


def test_the_wheel_holds_every_module_and_the_schema_unchanged(image_root: Path):
    """Wheel and installed copy hold each package file byte for byte: none stale, none empty."""
    source = image_root / "src"
    packages = [p.name for p in source.iterdir() if (p / "__init__.py").is_file()]
    assert {"taskql", "server", "compiler", "schema", "resolvers", "models"} <= set(packages)
    expected = {
        path.relative_to(source).as_posix()
        for package in packages
        for path in (source / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert "schema/schema.graphql" in expected
    wheel = next((image_root / "wheels").glob("taskql-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        packaged = {name for name in archive.namelist() if name.split("/")[0] in packages}
    assert packaged == expected
    site_packages = next((image_root / "opt" / "venv" / "lib").glob("python3*/site-packages"))
    for name in sorted(expected):
        installed = (site_packages / name).read_bytes()
        assert installed == (source / name).read_bytes(), f"{name} differs from its source"
    assert (site_packages / "schema" / "__init__.py").stat().st_size > 0


def test_the_installed_command_migrates_serves_and_passes_the_healthcheck(
    image_root: Path, settings: Settings
):
    """From /app (settings.toml, migrations/ and the operations manifest only), the venv's
    `taskql` migrates and serves."""
    runtime = stage("runtime")
    app = image_root / runtime.workdir().relative_to("/")
    assert sorted(p.name for p in app.iterdir()) == ["migrations", "operations", "settings.toml"]
    port = free_port()
    env = taskql_env(**image_env(runtime.env(), image_root))
    env.update(TASKQL_AUTH__JWT_SECRET=GOOD_SECRET, TASKQL_SERVER__HOST="127.0.0.1")
    env.update(TASKQL_SERVER__PORT=str(port))
    if settings.database.dialect == "postgres":  # the driver must be installed too
        env["TASKQL_DATABASE__URL"] = settings.database.url
    env.pop("PYTHONPATH", None)

    command = [*runtime.exec_form("ENTRYPOINT"), *runtime.exec_form("CMD")]
    program = [shutil.which(command[0], path=env["PATH"]) or command[0]]
    assert program[0].startswith(str(image_root)), "taskql must come from the image's venv"
    run([*program, "migrate"], env=env, cwd=app)
    with serving(*command[1:], program=program, port=port, env=env, cwd=app) as server:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            assert response.status == 200
        probe = runtime.exec_form("HEALTHCHECK")
        assert subprocess.run(probe, env=env, cwd=app, check=False, timeout=10).returncode == 0
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0


def image_env(env: dict[str, str], image_root: Path) -> dict[str, str]:
    """The stage's ENV with image paths moved under image_root and $PATH expanded."""

    def move(part: str) -> str:
        if part == "$PATH":
            return os.environ["PATH"]
        return str(image_root / part.lstrip("/")) if part.startswith("/") else part

    return {key: ":".join(move(part) for part in value.split(":")) for key, value in env.items()}
