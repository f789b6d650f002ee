"""What the task data functions write beside a change: the audit entry's fields and action,
and the fingerprint that makes a createTask idempotency key stand for one input."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from models import audit

# The columns an audit entry of a task reports (updated_at moves with every change anyway).
AUDITED_COLUMNS = (
    "title",
    "description",
    "status",
    "priority",
    "due_at",
    "completed_at",
    "version",
)


def update_action(changes: Mapping[str, Any]) -> audit.AuditAction:
    """setTaskStatus (and an updateTask of the status alone) is a status change."""
    if set(changes) == {"status"}:
        return audit.AuditAction.TASK_STATUS_CHANGED
    return audit.AuditAction.TASK_UPDATED


def input_fingerprint(given: Mapping[str, Any]) -> str:
    """SHA-256 of the cleaned createTask input (column -> value), the same for the same input
    however the client wrote it: values are normalised (UTC ISO text, enum values) and keys
    sorted before hashing."""
    canonical = json.dumps(
        {column: audit.plain(value) for column, value in given.items()},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
