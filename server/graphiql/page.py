"""The GraphiQL page: vendored assets with their integrity, example tabs, a strict CSP."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from importlib import resources
from string import Template

from aiohttp import web

from server.graphiql.assets import vendored_assets

AUTHORIZATION_HINT = "Bearer <token>"
WELCOME = """\
# TaskQL GraphiQL, served by TaskQL itself: no internet needed.
#
# Signed-in fields need an access token. Log in, then put the
# accessToken in place of <token> in the Headers editor below:
#
#   mutation Login {
#     login(email: "you@example.com", password: "...") {
#       accessToken
#     }
#   }
#
# The other tabs are the operations the frontends send
# (operations/ in the repository).
query ServerInfo {
  serverInfo {
    version
    environment
  }
}
"""


@functools.cache
def _page() -> tuple[str, str]:
    """The HTML and its Content-Security-Policy, built once per process."""
    package = resources.files(__package__)
    boot = (package / "boot.js").read_text(encoding="utf-8")
    assets = vendored_assets()
    styles = "\n".join(
        f'    <link rel="stylesheet" href="{a.url}" integrity="{a.sha384}" />'
        for a in assets
        if a.kind == "style"
    )
    scripts = "\n".join(
        f'    <script src="{a.url}" integrity="{a.sha384}"></script>'
        for a in assets
        if a.kind == "script"
    )
    page = Template((package / "page.html").read_text(encoding="utf-8")).substitute(
        styles=styles, scripts=scripts, config=_config_json(), boot=boot
    )
    boot_hash = base64.b64encode(hashlib.sha256(boot.encode()).digest()).decode()
    # Nothing may load from or talk to another origin. Inline styles stay allowed because
    # GraphiQL's editors set them; the one inline script is allowed by its hash.
    policy = "; ".join(
        (
            "default-src 'none'",
            f"script-src 'self' 'sha256-{boot_hash}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )
    return page, policy


def _config_json() -> str:
    headers = json.dumps({"Authorization": AUTHORIZATION_HINT}, indent=2)
    examples = sorted((resources.files(__package__) / "examples").iterdir(), key=lambda f: f.name)
    tabs = [{"query": WELCOME, "headers": headers}] + [
        {"query": example.read_text(encoding="utf-8"), "headers": headers}
        for example in examples
        if example.name.endswith(".graphql")
    ]
    config = {"authorizationHint": AUTHORIZATION_HINT, "headers": headers, "tabs": tabs}
    # Inside <script type="application/json">: "<" escaped so no text can close the element.
    return json.dumps(config).replace("<", "\\u003c")


def graphiql_response() -> web.Response:
    page, policy = _page()
    return web.Response(
        text=page,
        content_type="text/html",
        headers={"Content-Security-Policy": policy, "Cache-Control": "no-cache"},
    )
