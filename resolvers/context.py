"""The typed per-request context every resolver receives as `info.context`."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry
from aiohttp import web

from resolvers.loaders import Loaders
from taskql.auth.viewer import Viewer
from taskql.settings import Settings


@dataclass(slots=True)
class Context:
    request: web.Request
    response: web.StreamResponse
    settings: Settings
    viewer: Viewer
    loaders: Loaders


Info = strawberry.Info[Context, None]
