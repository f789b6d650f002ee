"""Every GraphQL error carries a stable code; unexpected ones are masked and logged once."""

from __future__ import annotations

import strawberry
from graphql import specified_rules

from schema import Query, build_schema
from server.graphql_documents import QueryDocuments
from taskql.graphql_internals import graphql_core_schema
from tests.conftest import with_overrides


@strawberry.type
class Nested:
    @strawberry.field
    def child(self) -> Nested:
        return Nested()

    @strawberry.field
    def value(self) -> int:
        return 1


@strawberry.type
class BrokenQuery(Query):
    @strawberry.field
    def nested(self) -> Nested:
        return Nested()

    @strawberry.field
    def explode(self) -> int:
        secret_detail = "SELECT password_hash FROM users"
        raise RuntimeError(secret_detail)


def broken_schema(*, extensions=(), execution_context_class=None):
    return strawberry.Schema(
        query=BrokenQuery,
        extensions=list(extensions),
        execution_context_class=execution_context_class,
    )


async def test_unexpected_error_is_masked_and_logged_once(make_client, settings, logs):
    """A resolver crash reaches the client as INTERNAL_ERROR with the request id and no
    internals, and is logged exactly once at ERROR with its traceback and request id."""
    client = await make_client(settings, schema_factory=broken_schema)
    logs.clear()
    response = await client.post(
        "/graphql",
        json={"query": "query Boom { explode }"},
        headers={"X-Request-Id": "req-boom-1"},
    )
    assert response.status == 200
    body = await response.json()
    error = body["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL_ERROR", "requestId": "req-boom-1"}
    assert "req-boom-1" in error["message"]
    assert "SELECT" not in str(body)
    assert "RuntimeError" not in str(body)

    errors = [r for r in logs.records if r["level"] == "error"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == "req-boom-1"
    assert "RuntimeError" in errors[0]["exception"]
    access = [r for r in logs.records if r["logger"] == "taskql.access"]
    assert access[0]["operation"] == "Boom"
    assert access[0]["status"] == 200
    assert all(r.get("request_id") == "req-boom-1" for r in logs.records)


async def test_syntax_error_keeps_its_message(graphql):
    """A syntax error is the client's: its message (with location) is kept."""
    body = await graphql("{ serverInfo { version ")
    error = body["errors"][0]
    assert error["message"].startswith("Syntax Error")
    assert error["extensions"]["code"] == "VALIDATION_ERROR"


async def test_validation_error_keeps_its_message(graphql):
    """Unknown fields are reported by name so the client can fix the query."""
    body = await graphql("{ serverInfo { colour } }")
    error = body["errors"][0]
    assert error["message"] == "Cannot query field 'colour' on type 'ServerInfo'."
    assert error["extensions"]["code"] == "VALIDATION_ERROR"


async def test_too_deep_query_is_query_too_complex(make_client, settings):
    """A query deeper than graphql.max_depth is refused with QUERY_TOO_COMPLEX."""
    limited = with_overrides(settings, graphql={"max_depth": 3})
    client = await make_client(limited, schema_factory=broken_schema)
    shallow = "{ nested { child { value } } }"
    response = await client.post("/graphql", json={"query": shallow})
    assert (await response.json())["data"]["nested"]["child"]["value"] == 1
    deep = "{ nested { child { child { child { value } } } } }"
    response = await client.post("/graphql", json={"query": deep})
    codes = {e["extensions"]["code"] for e in (await response.json())["errors"]}
    assert codes == {"QUERY_TOO_COMPLEX"}


async def test_too_many_aliases_is_query_too_complex(make_client, settings):
    """Alias flooding is refused before execution."""
    client = await make_client(with_overrides(settings, graphql={"max_aliases": 3}))
    query = "{ " + " ".join(f"a{i}: serverInfo {{ version }}" for i in range(5)) + " }"
    response = await client.post("/graphql", json={"query": query})
    error = (await response.json())["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_too_many_tokens_is_query_too_complex(make_client, settings):
    """A huge document is rejected by the parser's token limit, not parsed."""
    client = await make_client(with_overrides(settings, graphql={"max_tokens": 50}))
    query = "{ " + " ".join("serverInfo { version }" for _ in range(30)) + " }"
    response = await client.post("/graphql", json={"query": query})
    error = (await response.json())["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_every_log_line_of_a_request_has_its_id(client, logs):
    """Lines emitted while a request is handled carry its request id (access line included)."""
    logs.clear()
    await client.post(
        "/graphql", json={"query": "{ serverInfo { version } }"}, headers={"X-Request-Id": "r-7"}
    )
    assert logs.records
    assert all(record["request_id"] == "r-7" for record in logs.records)
    assert any(record["event"] == "request" for record in logs.records)


def test_documents_are_parsed_and_validated_once_per_text(settings):
    """A repeated operation reuses its parsed document and validation verdict; the cache
    is bounded by the bytes of the texts it keeps."""
    query = "{ serverInfo { version } }"
    limited = with_overrides(settings, graphql={"document_cache_text_bytes": 2 * len(query)})
    documents = QueryDocuments(limited.graphql)
    schema = graphql_core_schema(build_schema())
    first = documents.parse(query)
    assert documents.parse(query) is first
    assert documents.validate(query, schema, first, tuple(specified_rules)) == []
    bad = "{ serverInfo { colour } }"
    errors = documents.validate(bad, schema, documents.parse(bad), tuple(specified_rules))
    assert "colour" in errors[0].message
    documents.parse("{ a: serverInfo { version } }")
    assert len(documents) == 1  # the two before it were dropped to make room
    assert documents.parse(query) is not first
