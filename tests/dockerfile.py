"""Read the Dockerfile's stages, so tests can do what the image does without a Docker engine."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from tests.cli import ROOT

DOCKERFILE = ROOT / "Dockerfile"


@dataclass
class Stage:
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def arguments(self, instruction: str) -> list[str]:
        return [value for name, value in self.instructions if name == instruction]

    def workdir(self) -> PurePosixPath:
        return PurePosixPath(self.arguments("WORKDIR")[-1])

    def copies_from_context(self) -> list[tuple[list[str], str]]:
        """(sources, destination) of each COPY that reads the build context (not --from)."""
        copies = []
        for value in self.arguments("COPY"):
            words = shlex.split(value)
            if any(word.startswith("--from") for word in words):
                continue
            paths = [word for word in words if not word.startswith("--")]
            copies.append((paths[:-1], paths[-1]))
        return copies

    def env(self) -> dict[str, str]:
        pairs = (
            word.split("=", 1) for value in self.arguments("ENV") for word in shlex.split(value)
        )
        return dict(pairs)

    def exec_form(self, instruction: str) -> list[str]:
        value = self.arguments(instruction)[-1]
        if instruction == "HEALTHCHECK":
            value = value.split(" CMD ", 1)[1]
        return list(json.loads(value))


def stages() -> list[Stage]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    result: list[Stage] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        instruction, _, value = line.strip().partition(" ")
        value = re.sub(r"\s+", " ", value).strip()
        if instruction == "FROM":
            result.append(Stage(name=value.rsplit(" AS ", 1)[-1]))
        else:
            result[-1].instructions.append((instruction, value))
    return result


def stage(name: str) -> Stage:
    return next(s for s in stages() if s.name == name)


def copy_from_context(stage: Stage, context: Path, image_root: Path) -> None:
    """Do the stage's COPY instructions with Docker's rules; the image's / is image_root."""
    for sources, destination in stage.copies_from_context():
        target = image_root / (stage.workdir() / destination).relative_to("/")
        into_directory = destination.endswith("/") or len(sources) > 1
        for source in sources:
            origin = context / source
            if origin.is_dir():  # a directory's contents are copied, not the directory
                shutil.copytree(origin, target, dirs_exist_ok=True)
            elif into_directory:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy(origin, target / origin.name)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(origin, target)
