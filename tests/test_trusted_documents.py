"""graphql.trusted_documents_only: only the operations of operations/manifest.json run, by
hash or as their exact text; anything else is refused before a resolver runs."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlencode

import pytest

from server.operations_manifest import MANIFEST_FILE, load_manifest
from tests.cli import run_taskql, taskql_env
from tests.conftest import with_overrides
from tests.task_factories import create_tasks, signed_in_user

MANIFEST = load_manifest(MANIFEST_FILE)
TASKS_WITH_OWNERS = next(sha for sha, text in MANIFEST.items() if "query TasksWithOwners " in text)
AD_HOC = "query Mine { tasks(first: 1) { edges { node { id title } } } }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def persisted(sha: str) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


@pytest.fixture
async def trusted(make_client, settings):
    client = await make_client(with_overrides(settings, graphql={"trusted_documents_only": True}))
    user, token = await signed_in_user(settings)
    await create_tasks(user, 3)
    return client, token


async def post(client, token, body):
    response = await client.post(
        "/graphql", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    return response, await response.json()


async def test_manifest_operation_runs_by_hash(trusted):
    """A manifest hash alone runs its operation."""
    client, token = trusted
    response, body = await post(client, token, {"extensions": persisted(TASKS_WITH_OWNERS)})
    assert response.status == 200, body
    assert len(body["data"]["tasks"]["edges"]) == 3


async def test_manifest_operation_runs_as_its_exact_text(trusted):
    """A frontend that ships the file verbatim may send the text itself (its hash is in the
    manifest), with or without the hash."""
    client, token = trusted
    text = MANIFEST[TASKS_WITH_OWNERS]
    _, plain = await post(client, token, {"query": text})
    assert len(plain["data"]["tasks"]["edges"]) == 3
    _, both = await post(client, token, {"query": text, "extensions": persisted(sha256(text))})
    assert both == plain


async def test_ad_hoc_document_is_refused_before_any_resolver(trusted, sql_statements):
    """A document outside the manifest is refused with TRUSTED_DOCUMENT_REQUIRED; no task is
    read (the only statement is the viewer's)."""
    client, token = trusted
    sql_statements.reset()
    response, body = await post(client, token, {"query": AD_HOC})
    assert response.status == 400
    assert body["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
    assert "manifest" in body["errors"][0]["message"]
    assert "data" not in body
    assert not [s for s in sql_statements.statements if "tasks" in s]


async def test_registration_is_refused_and_unknown_hashes_stay_refused(trusted):
    """APQ registration cannot add a document: hash + ad-hoc text is refused, and so is that
    hash alone afterwards (TRUSTED_DOCUMENT_REQUIRED, not NOT_FOUND, so clients do not retry)."""
    client, token = trusted
    sha = sha256(AD_HOC)
    _, registered = await post(client, token, {"query": AD_HOC, "extensions": persisted(sha)})
    assert registered["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
    _, by_hash = await post(client, token, {"extensions": persisted(sha)})
    assert by_hash["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"


async def test_get_by_manifest_hash(trusted):
    """GET with a manifest hash in `extensions` runs it (the CDN-cacheable form)."""
    client, token = trusted
    extensions = json.dumps(persisted(TASKS_WITH_OWNERS))
    response = await client.get(
        "/graphql?" + urlencode({"extensions": extensions}),
        headers={"Authorization": f"Bearer {token}", "Accept": "*/*"},
    )
    assert response.status == 200
    assert len((await response.json())["data"]["tasks"]["edges"]) == 3


async def test_manifest_hashes_run_without_trusted_mode(make_client, settings):
    """Outside trusted mode the manifest still answers its hashes from the first request,
    before any registration, and ad-hoc documents run as before."""
    client = await make_client(settings)
    _user, token = await signed_in_user(settings)
    _, body = await post(client, token, {"extensions": persisted(TASKS_WITH_OWNERS)})
    assert body["data"]["tasks"]["edges"] == []
    _, ad_hoc = await post(client, token, {"query": AD_HOC})
    assert ad_hoc["data"]["tasks"]["edges"] == []


def test_serve_refuses_to_start_without_its_manifest():
    """Trusted mode with a manifest that does not exist stops `taskql serve` at once (exit 2)
    naming the setting, instead of serving a server that refuses everything."""
    result = run_taskql(
        "serve",
        env=taskql_env(
            TASKQL_ENV="test",
            TASKQL_GRAPHQL__TRUSTED_DOCUMENTS_ONLY="true",
            TASKQL_GRAPHQL__TRUSTED_DOCUMENTS_MANIFEST="operations/missing.json",
        ),
    )
    assert result.returncode == 2, result.stderr
    assert "graphql.trusted_documents_manifest" in result.stderr
    assert "taskql operations build" in result.stderr
