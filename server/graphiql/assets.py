"""The vendored GraphiQL files: read once from the package, served under /graphiql/static/."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources

from aiohttp import web

STATIC_PATH = "/graphiql/static/"
# File names carry their package version, so a browser may keep them for good.
IMMUTABLE = "public, max-age=31536000, immutable"
CONTENT_TYPES = {"script": "text/javascript", "style": "text/css"}


@dataclass(frozen=True)
class Asset:
    file: str
    kind: str  # "script" or "style"
    sha384: str  # Subresource Integrity value, as written by the fetch script
    body: bytes

    @property
    def url(self) -> str:
        return STATIC_PATH + self.file


@functools.cache
def vendored_assets() -> tuple[Asset, ...]:
    """The files in manifest.json, in the order the page loads them."""
    package = resources.files(__package__)
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    return tuple(
        Asset(
            file=entry["file"],
            kind=entry["kind"],
            sha384=entry["sha384"],
            body=(package / "static" / entry["file"]).read_bytes(),
        )
        for entry in manifest["files"]
    )


def add_graphiql_routes(app: web.Application) -> None:
    assets = {asset.file: asset for asset in vendored_assets()}

    async def serve_asset(request: web.Request) -> web.Response:
        asset = assets.get(request.match_info["file"])
        if asset is None:
            raise web.HTTPNotFound
        return web.Response(
            body=asset.body,
            content_type=CONTENT_TYPES[asset.kind],
            charset="utf-8",
            headers={"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"},
        )

    app.router.add_get(STATIC_PATH + "{file}", serve_asset)
