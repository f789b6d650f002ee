"""The requests the bench sends: the two measured operations and the admin's login."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bench.seed import ADMIN_EMAIL, BENCH_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
SHARED_QUERIES = Path("/work/shared/bench/queries")

# The frontend's own documents (operations/), so the bench measures what clients send.
# A spec is PATH or PATH#OperationName when the file holds several operations.
TASKQL_OPERATIONS = {
    "Q1": "operations/tasks_with_owners_email.graphql",
    "Q2": "operations/users_with_tasks_email.graphql",
}
# The ceiling answers only these exact texts (it looks the query up verbatim).
CEILING_OPERATIONS = {
    "Q1": str(SHARED_QUERIES / "q1.graphql"),
    "Q2": str(SHARED_QUERIES / "q2.graphql"),
}

LOGIN_DOCUMENT = """
mutation BenchLogin($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken }
}
"""


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    document: str
    operation_name: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)

    def body(self) -> bytes:
        payload: dict[str, Any] = {"query": self.document}
        if self.operation_name:
            payload["operationName"] = self.operation_name
        if self.variables:
            payload["variables"] = self.variables
        return orjson.dumps(payload)


def load_operation(name: str, spec: str, variables: dict[str, Any] | None = None) -> Operation:
    path_text, _, operation_name = spec.partition("#")
    path = Path(path_text)
    document = (path if path.is_absolute() else ROOT / path).read_text(encoding="utf-8")
    if operation_name and not re.search(rf"\b(query|mutation)\s+{operation_name}\b", document):
        raise ValueError(f"{spec}: no operation named {operation_name}")
    return Operation(name, document, operation_name or None, variables or {})


def login_body(
    document: str = LOGIN_DOCUMENT, email: str = ADMIN_EMAIL, password: str = BENCH_PASSWORD
) -> bytes:
    return orjson.dumps({"query": document, "variables": {"email": email, "password": password}})


def token_from(response: Any) -> str:
    """The access token anywhere in a login response: the payload's shape may evolve."""
    token = _find_token(response)
    if token is None:
        raise LoginFailed(orjson.dumps(response).decode()[:500])
    return token


def _find_token(value: Any) -> str | None:
    if isinstance(value, dict):
        if isinstance(token := value.get("accessToken"), str):
            return token
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            if (token := _find_token(item)) is not None:
                return token
    return None


def first_errors(response: Any) -> str | None:
    """The response's GraphQL errors, shortened, or None when it is a clean result."""
    if not isinstance(response, dict) or "data" not in response:
        return orjson.dumps(response).decode()[:500]
    if response.get("errors"):
        return orjson.dumps(response["errors"]).decode()[:500]
    return None


class LoginFailed(Exception):
    pass
