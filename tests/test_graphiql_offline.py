"""GraphiQL is served by TaskQL itself: pinned vendored files, and a real browser that may reach
no host but the server still renders the IDE and runs queries.

The browser tests need Debian's chromium (`apt-get install -y chromium`) and the `playwright`
package of the dev extras; they fail, never skip, when either is missing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import runpy
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, Route, async_playwright, expect
from yarl import URL

from tests.conftest import ROOT, with_overrides
from tests.factories import access_token_for, create_user
from tests.task_factories import create_tasks

PACKAGE = ROOT / "server" / "graphiql"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Belt and braces beside the route interception: no name resolves but the server's.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
# Generous: the first start of chromium in a fresh profile is slow on a loaded CI box.
BROWSER_TIMEOUT_MS = 30_000
expect.set_options(timeout=BROWSER_TIMEOUT_MS)
# The visible one of the variables/headers editors (the page opens on headers).
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden)"


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((PACKAGE / "manifest.json").read_text())
    return loaded


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def fetch_script() -> dict[str, Any]:
    return runpy.run_path(str(ROOT / "scripts" / "fetch_graphiql_assets.py"))


def test_vendored_files_are_the_pinned_ones():
    """Each committed file has the size and sha384 the manifest records, and the manifest
    names exactly the versions and registry integrities pinned in the fetch script."""
    recorded = manifest()
    pins = fetch_script()["PINS"]
    assert [(p["name"], p["version"], p["integrity"]) for p in recorded["packages"]] == [
        (pin.name, pin.version, pin.integrity) for pin in pins
    ]
    assert [f["file"] for f in recorded["files"]] == [
        vendored.file for pin in pins for vendored in pin.files
    ]
    on_disk = sorted(path.name for path in (PACKAGE / "static").iterdir())
    assert on_disk == sorted(f["file"] for f in recorded["files"])
    for entry in recorded["files"]:
        data = (PACKAGE / "static" / entry["file"]).read_bytes()
        assert (len(data), sri(data)) == (entry["bytes"], entry["sha384"]), entry["file"]
    # Production builds only: a development build of GraphiQL alone would exceed this.
    assert sum(f["bytes"] for f in recorded["files"]) < 2_000_000


def test_fetch_script_refuses_a_tarball_that_is_not_the_pinned_one():
    """A tarball is vendored only when its sha512 matches the pin and the registry's record."""
    script = fetch_script()
    tarball = b"the bytes the registry served"
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    pin = script["Pin"]("demo", "1.0.0", integrity, ())
    script["check_integrity"](pin, integrity, tarball)
    with pytest.raises(SystemExit, match="registry says"):
        script["check_integrity"](pin, "sha512-other", tarball)
    with pytest.raises(SystemExit, match="does not match"):
        script["check_integrity"](pin, integrity, tarball + b" tampered")


def test_packaged_examples_are_the_frontend_operations():
    """The IDE's example tabs are the operations/ files; on drift, the fix is named."""
    packaged = {p.name: p.read_text() for p in (PACKAGE / "examples").glob("*.graphql")}
    committed = {p.name: p.read_text() for p in (ROOT / "operations").glob("*.graphql")}
    assert packaged == committed, "run `python scripts/fetch_graphiql_assets.py --examples-only`"


async def test_page_and_assets_come_from_the_server_with_integrity(client):
    """The page references only /graphiql/static files, each with the sha384 of what the
    server sends, cached for good; a CSP forbids every other origin."""
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status == 200
    page = await response.text()
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "connect-src 'self'" in policy
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    references = re.findall(r'(?:src|href)="(/[^"]+)" integrity="([^"]+)"', page)
    assert sorted(url for url, _ in references) == sorted(
        f"/graphiql/static/{f['file']}" for f in manifest()["files"]
    )
    for url, integrity in references:
        asset = await client.get(url)
        assert asset.status == 200
        assert sri(await asset.read()) == integrity
        assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert asset.headers["Content-Type"].startswith(("text/javascript", "text/css"))
    missing = await client.get("/graphiql/static/nothing.js")
    assert missing.status == 404


async def test_assets_are_not_served_when_graphiql_is_off(make_client, settings):
    """With server.graphiql off (production's default) neither the page nor its files exist."""
    client = await make_client(with_overrides(settings, server={"graphiql": False}))
    first = manifest()["files"][0]["file"]
    assert (await client.get(f"/graphiql/static/{first}")).status == 404
    assert (await client.get("/graphql", headers={"Accept": "text/html"})).status == 404


@dataclass
class Traffic:
    """What the browser asked for while a test ran."""

    server: URL
    refused: list[str] = field(default_factory=list)
    graphql_posts: list[dict[str, str]] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def is_server(self, url: str) -> bool:
        parsed = URL(url)
        return (parsed.host, parsed.port) == (self.server.host, self.server.port)


@pytest.fixture
async def browser(client, tmp_path) -> AsyncIterator[tuple[BrowserContext, Traffic]]:
    """Chromium in a fresh profile whose every request to another host is aborted (and kept)."""
    traffic = Traffic(server=client.make_url("/"))

    async def only_the_server(route: Route) -> None:
        request = route.request
        if not traffic.is_server(request.url):
            traffic.refused.append(request.url)
            await route.abort("blockedbyclient")
            return
        if request.method == "POST" and URL(request.url).path == "/graphql":
            traffic.graphql_posts.append(await request.all_headers())
        await route.continue_()

    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
        )
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        await context.route("**/*", only_the_server)
        await context.route_web_socket(re.compile(".*"), lambda ws: traffic.refused.append(ws.url))
        try:
            yield context, traffic
        finally:
            await context.close()


async def open_graphiql(context: BrowserContext, traffic: Traffic) -> Page:
    page = context.pages[0] if context.pages else await context.new_page()
    page.on(
        "console",
        lambda message: (
            traffic.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: traffic.console_errors.append(str(error)))
    await page.goto(str(traffic.server.with_path("/graphql")))
    await expect(page.locator(".graphiql-query-editor .CodeMirror")).to_be_visible()
    # The schema arrived (introspection ran): the documentation explorer can list Query.
    await expect(page.locator(".graphiql-container")).to_be_visible()
    return page


async def editor_text(page: Page, selector: str) -> str:
    text: str = await page.locator(f"{selector} .CodeMirror").evaluate(
        "element => element.CodeMirror.getValue()"
    )
    return text


async def replace_editor_text(page: Page, selector: str, text: str, *, paste: bool = False) -> None:
    """Select all in the editor, then type `text` key by key (or insert it at once, as a paste)."""
    await page.locator(f"{selector} .CodeMirror").click()
    await page.keyboard.press("ControlOrMeta+A")
    await page.keyboard.press("Backspace")
    if paste:
        await page.keyboard.insert_text(text)
    else:
        await page.keyboard.type(text)


async def test_graphiql_runs_a_typed_query_with_no_internet(browser):
    """The IDE renders from TaskQL's own files, a typed query runs and its data is shown;
    the Authorization hint is pre-filled but not sent; no request leaves the host and the
    console shows no error."""
    context, traffic = browser
    page = await open_graphiql(context, traffic)
    tabs = page.locator(".graphiql-tab")
    await expect(tabs).to_have_count(1 + len(list((ROOT / "operations").glob("*.graphql"))))
    await expect(tabs.filter(has_text="TasksWithOwners").first).to_be_visible()
    assert '"Authorization": "Bearer <token>"' in await editor_text(page, HEADERS_EDITOR)

    await replace_editor_text(
        page, ".graphiql-query-editor", "query Typed { serverInfo { environment } }"
    )
    assert "query Typed { serverInfo { environment } }" in await editor_text(
        page, ".graphiql-query-editor"
    )
    # The tab takes the operation's name once GraphiQL has parsed the typed text.
    await expect(page.locator(".graphiql-tab-active")).to_contain_text("Typed")
    await page.locator(".graphiql-execute-button").click()

    await expect(page.locator(".result-window")).to_contain_text('"environment": "test"')
    assert traffic.graphql_posts, "the query was not sent to the server"
    assert all("authorization" not in headers for headers in traffic.graphql_posts)
    assert traffic.refused == []
    assert traffic.console_errors == []


async def test_graphiql_example_runs_with_a_pasted_token(browser, settings):
    """An example tab (a frontend operation) runs once the hint is replaced by a real token."""
    context, traffic = browser
    user = await create_user()
    await create_tasks(user, 1, title="Visible in GraphiQL")
    token = access_token_for(user, settings)
    page = await open_graphiql(context, traffic)

    await page.locator(".graphiql-tab", has_text="TasksWithOwners").first.click()
    # GraphiQL re-reads the operation name 100 ms after the editor changes; run only after.
    await page.wait_for_function(
        "() => document.querySelector('.graphiql-query-editor .CodeMirror')"
        ".CodeMirror.operationName === 'TasksWithOwners'"
    )
    await replace_editor_text(
        page, HEADERS_EDITOR, f'{{"Authorization": "Bearer {token}"}}', paste=True
    )
    assert json.loads(await editor_text(page, HEADERS_EDITOR)) == {
        "Authorization": f"Bearer {token}"
    }
    await page.locator(".graphiql-execute-button").click()

    await expect(page.locator(".result-window")).to_contain_text("Visible in GraphiQL")
    assert traffic.graphql_posts[-1]["authorization"] == f"Bearer {token}"
    assert traffic.refused == []
    assert traffic.console_errors == []
