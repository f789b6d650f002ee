"""Every code TaskQL sends comes from ErrorCode, and limit errors carry theirs by type."""

from __future__ import annotations

import pytest
from graphql import GraphQLSyntaxError, parse

from server.graphql_documents import QueryDocuments
from server.graphql_limits import QueryTooComplex
from server.http_errors import CODES_BY_STATUS, code_for_status
from taskql.errors import ErrorCode
from tests.conftest import with_overrides

TOO_MANY_TOKENS = "{ " + " ".join("serverInfo { version }" for _ in range(30)) + " }"
TOO_DEEP = "{ " + "me { " * 2000 + "id" + " }" * 2001


def test_every_http_status_maps_to_an_error_code():
    """Whatever status an HTTP-level error has, its code is an ErrorCode member."""
    assert all(isinstance(code, ErrorCode) for code in CODES_BY_STATUS.values())
    for status in range(400, 600):
        assert isinstance(code_for_status(status), ErrorCode), status
    assert code_for_status(413) is ErrorCode.PAYLOAD_TOO_LARGE
    assert code_for_status(504) is ErrorCode.TIMEOUT
    assert code_for_status(418) is ErrorCode.BAD_REQUEST
    assert code_for_status(502) is ErrorCode.INTERNAL_ERROR


async def test_http_level_errors_answer_error_codes(make_client, settings):
    """Errors answered before GraphQL runs (unknown path, wrong method, wrong content type,
    body not JSON, body too big) all carry an ErrorCode value."""
    client = await make_client(with_overrides(settings, server={"max_body_bytes": 2048}))
    responses = [
        await client.get("/no-such-path"),
        await client.put("/graphql", json={"query": "{ __typename }"}),
        await client.post("/graphql", data="{ __typename }", headers={"Content-Type": "text/x"}),
        await client.post("/graphql", data="{", headers={"Content-Type": "application/json"}),
        await client.post("/graphql", json={"query": "{ __typename }" + " " * 4096}),
    ]
    sent = set()
    for response in responses:
        assert 400 <= response.status < 500, response.status
        sent.add((await response.json())["errors"][0]["extensions"]["code"])
    assert sent <= {code.value for code in ErrorCode}
    assert "PAYLOAD_TOO_LARGE" in sent


@pytest.mark.parametrize(
    ("query", "max_tokens", "wording"),
    [
        (TOO_MANY_TOKENS, 50, "Document contains more than 50 tokens."),
        (TOO_DEEP, 100_000, "Document is nested too deeply."),
    ],
    ids=["tokens", "nesting"],
)
def test_parser_limits_raise_query_too_complex(settings, query, max_tokens, wording):
    """The parser's size limits become QueryTooComplex at the one call that sets max_tokens,
    with graphql-core's own message and position: this pins graphql-core's wording."""
    limited = with_overrides(settings, graphql={"max_tokens": max_tokens})
    documents = QueryDocuments(limited.graphql)
    with pytest.raises(GraphQLSyntaxError) as expected:
        parse(query, max_tokens=max_tokens)
    with pytest.raises(QueryTooComplex) as raised:
        documents.parse(query)
    assert raised.value.message == f"Syntax Error: {wording} Parsing aborted."
    assert raised.value.message == expected.value.message
    assert raised.value.locations == expected.value.locations
    assert raised.value.extensions == {"code": "QUERY_TOO_COMPLEX"}


def test_other_syntax_errors_stay_syntax_errors(settings):
    """A syntax error that is no size limit is not QueryTooComplex, even when it quotes a
    limit's wording."""
    documents = QueryDocuments(settings.graphql)
    for query in ("{ serverInfo { version }", '{ "tokens. Parsing aborted." }'):
        with pytest.raises(GraphQLSyntaxError) as raised:
            documents.parse(query)
        assert not isinstance(raised.value, QueryTooComplex), query


async def test_limit_wording_in_a_syntax_error_is_not_a_limit(graphql):
    """The code of an error comes from its type, not its text: a syntax error quoting the
    parser's limit wording is VALIDATION_ERROR."""
    body = await graphql('{ "Document contains more than 5 tokens. Parsing aborted." }')
    assert [e["extensions"]["code"] for e in body["errors"]] == ["VALIDATION_ERROR"]
