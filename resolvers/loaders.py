"""Per-request dataloaders: built in get_context, so their cache lives for one request."""

from __future__ import annotations

from dataclasses import dataclass

from taskql.auth.viewer import Viewer


@dataclass(slots=True)
class Loaders:
    viewer: Viewer


def build_loaders(viewer: Viewer) -> Loaders:
    return Loaders(viewer=viewer)
