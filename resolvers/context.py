"""The typed per-request context every resolver receives as `info.context`."""

from __future__ import annotations

from dataclasses import dataclass, replace

import strawberry
from aiohttp import web

from resolvers.loaders import Loaders, build_loaders
from taskql.auth.viewer import Viewer
from taskql.events.hub import EventHub
from taskql.settings import Settings


@dataclass(slots=True)
class Context:
    request: web.Request
    response: web.StreamResponse
    settings: Settings
    viewer: Viewer
    loaders: Loaders
    # This instance's task events: committed writes publish to it, subscriptions listen.
    events: EventHub | None = None
    # False once a compiled answer of this request fell back (server/compiled_http.py):
    # graphql-core answers it, without running the same plan a second time.
    compiled: bool = True

    def for_event(self) -> Context:
        """A copy with fresh loaders, for one subscription event: a socket's context lives
        as long as the connection, and one event's loader cache must not answer the next."""
        return replace(self, loaders=build_loaders(self.viewer))


Info = strawberry.Info[Context, None]
