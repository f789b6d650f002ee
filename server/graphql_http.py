"""GraphQL over HTTP (the GraphQL Foundation's specification): what /graphql says at the HTTP level.

The view (server/graphql_view.py) asks this module, request by request:
- which media type to answer with (`Accept`): `application/graphql-response+json` when the
  client names it, `application/json` for legacy clients, nothing (406) otherwise;
- whether the POST body is a type we read (`Content-Type: application/json`, else 415);
- whether the body's shape is a request at all (an object, or an array when batching is on)
  and its parameters have their types (`query`, `operationName` strings, `variables` and
  `extensions` objects);
- which HTTP status a GraphQL response gets: with `application/graphql-response+json` a
  request error (nothing executed: no `data`) is a 4xx without a `data` key, and 200 once
  execution started; `application/json` clients keep HTTP 200 with `"data": null`;
- whether a GET answer may be cached (a query that ran without errors, and only then).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from cross_web import HTTPException

from taskql.errors import ErrorCode
from taskql.settings import GraphQLSettings

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"

# A request error's HTTP status under application/graphql-response+json, by error code:
# what the client can do about it (retry later, slow down) outranks "fix the request" (400).
STATUS_BY_CODE = {
    ErrorCode.SERVICE_UNAVAILABLE.value: 503,
    ErrorCode.RATE_LIMITED.value: 429,
}
BAD_REQUEST = 400


class RequestRefused(Exception):
    """An HTTP-level refusal with headers (HTTPException carries none): 405 + Allow, ..."""

    def __init__(
        self, status: int, message: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.extensions: dict[str, Any] = {}


class BatchRefused(RequestRefused):
    """Every refusal of a JSON array body has this one shape: HTTP 400, code BAD_REQUEST and
    `extensions.maxBatchOperations` (0 while batching is off)."""

    def __init__(self, message: str, *, max_operations: int) -> None:
        super().__init__(BAD_REQUEST, message)
        self.extensions = {"maxBatchOperations": max_operations}


@dataclass(slots=True)
class Exchange:
    """What the view learns about one /graphql request while answering it."""

    media_type: str
    batch: bool = False
    # Per operation: the 4xx/5xx of a request error, or None once execution started.
    request_errors: list[int | None] = field(default_factory=list)
    any_errors: bool = False


EXCHANGE = web.RequestKey("graphql_exchange", Exchange)


def negotiate_media_type(accept: str | None) -> str | None:
    """The media type to answer with for this Accept header, or None when it allows neither.

    application/graphql-response+json only when named (it wins ties with application/json);
    wildcards and a missing header mean application/json, as legacy clients expect.
    """
    if accept is None or not accept.strip():
        return APPLICATION_JSON
    response_q = 0.0
    json_q = {APPLICATION_JSON: 0.0, "application/*": 0.0, "*/*": 0.0}
    seen: set[str] = set()
    for part in accept.split(","):
        media_type, *parameters = (piece.strip() for piece in part.split(";"))
        media_type = media_type.lower()
        q = _quality(parameters)
        if media_type == GRAPHQL_RESPONSE_JSON:
            response_q = max(response_q, q)
        elif media_type in json_q:
            json_q[media_type] = max(json_q[media_type], q)
            seen.add(media_type)
    # The most specific range that names application/json decides its quality (RFC 9110).
    legacy_q = next((json_q[t] for t in (APPLICATION_JSON, "application/*", "*/*") if t in seen), 0)
    if response_q > 0 and response_q >= legacy_q:
        return GRAPHQL_RESPONSE_JSON
    if legacy_q > 0:
        return APPLICATION_JSON
    return None


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value.strip()), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def check_content_type(content_type: str | None) -> None:
    """A POST body must be JSON in UTF-8 (the charset may be left out): else 415."""
    media_type, *parameters = (piece.strip() for piece in (content_type or "").split(";"))
    charset = next(
        (
            value.strip().strip('"').lower()
            for name, _, value in (p.partition("=") for p in parameters)
            if name.strip().lower() == "charset"
        ),
        "utf-8",
    )
    if media_type.lower() != APPLICATION_JSON or charset not in ("utf-8", "utf8"):
        raise RequestRefused(
            415,
            "Send the request body as Content-Type: application/json (UTF-8).",
        )


def check_body(body: object, settings: GraphQLSettings) -> None:
    """The body is one request object, or (batching on) a bounded array of them: else 400,
    before anything runs."""
    if isinstance(body, list):
        check_batch(body, settings)
        for item in body:
            check_parameters(item)
        return
    check_parameters(body)


def check_batch(body: list[Any], settings: GraphQLSettings) -> None:
    if not settings.batching:
        raise BatchRefused(
            "Batching is off: send one operation as a JSON object.", max_operations=0
        )
    cap = settings.max_batch_operations
    if not body:
        raise BatchRefused("A batch must hold at least one operation.", max_operations=cap)
    if len(body) > cap:
        raise BatchRefused(
            f"A batch may hold at most {cap} operations; this one has {len(body)}.",
            max_operations=cap,
        )
    # The cost limit for the batch as a whole belongs after parsing: see the hook in
    # TaskQLView.execute_operation.


def check_parameters(request: object) -> None:
    """The parameters of one GraphQL request have the types the specification gives them."""
    if not isinstance(request, dict):
        raise HTTPException(BAD_REQUEST, "The request body must be a JSON object.")
    expected = {
        "query": (str, "a string"),
        "operationName": (str, "a string"),
        "variables": (dict, "a JSON object"),
        "extensions": (dict, "a JSON object"),
    }
    for name, (kind, described) in expected.items():
        value = request.get(name)
        if value is not None and not isinstance(value, kind):
            raise HTTPException(BAD_REQUEST, f"`{name}` must be {described} or null.")


def request_error_status(response: Mapping[str, Any]) -> int | None:
    """The HTTP status of a GraphQL response that is a request error, else None.

    A request error never reached execution: `data` is null and no error has a `path`
    (parse, validation, variable coercion, limits). Field errors always carry a path, and
    once execution started the answer is 200 whatever its data.
    """
    errors = response.get("errors") or []
    if response.get("data") is not None or not errors:
        return None
    if any(error.get("path") for error in errors):
        return None
    codes = {(error.get("extensions") or {}).get("code") for error in errors}
    return max(STATUS_BY_CODE.get(str(code), BAD_REQUEST) for code in codes)


def cache_control(
    request: web.Request, exchange: Exchange | None, status: int, max_age: int
) -> str:
    """Only a GET query that ran without errors may be cached: publicly when anonymous
    (same answer for every stranger), in the browser only when signed in."""
    cacheable = (
        request.method == "GET"
        and status == 200  # noqa: PLR2004
        and exchange is not None
        and exchange.request_errors
        and not exchange.any_errors
    )
    if not cacheable:
        return "no-store"
    if request.headers.get("Authorization"):
        return "private, no-cache"
    return f"public, max-age={max_age}"
