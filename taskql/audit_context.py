"""Who is asking, for the audit log: set once per request, read where a change is written.

The wiring sets it where the viewer is resolved (the GraphQL view's get_context); the data
functions of models/ read it when they write an audit row (models/audit.py). Passing the
facts this way keeps every resolver and data function signature free of them. A context
variable is private to the request's task and the tasks it starts, so concurrent requests
never see each other's facts; code running outside a request (CLI, housekeeping) sees
NO_REQUEST: no actor, no request id, no address.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestFacts:
    actor_id: uuid.UUID | None = None
    request_id: str | None = None
    client_address: str | None = None


NO_REQUEST = RequestFacts()

_facts: ContextVar[RequestFacts] = ContextVar("taskql_audit_request_facts", default=NO_REQUEST)


def begin_request(
    *, actor_id: uuid.UUID | None, request_id: str | None, client_address: str | None
) -> None:
    """Called once per request, after authentication; replaces what a previous request on the
    same task (keep-alive) set."""
    _facts.set(
        RequestFacts(actor_id=actor_id, request_id=request_id, client_address=client_address)
    )


def current() -> RequestFacts:
    return _facts.get()
