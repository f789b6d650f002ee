"""What the task data functions write beside a change: the audit entry's fields, changes and
action, and the fingerprint that makes a createTask idempotency key stand for one input."""

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


# Of the fields an update sets, those whose new value its audit entry records (not secret,
# short). Other fields are named only: their values are in the task, not copied here.
NEW_VALUE_RECORDED = frozenset({"status"})


def update_changes(changes: Mapping[str, Any], new_version: int) -> list[audit.Change]:
    """The audit entry of updateTask / setTaskStatus, built without reading the old row: the
    fields the UPDATE set, in input order, as {"field"} (or {"field", "new"} for the status),
    then {"field": "version", "old", "new"}. "old"/"new" absent means not recorded, unlike a
    recorded null. The old version is new - 1: the UPDATE added exactly 1 under its row lock.
    completed_at is not named: it follows status."""
    entries: list[audit.Change] = [
        {"field": name, "new": audit.plain(value)}
        if name in NEW_VALUE_RECORDED
        else {"field": name}
        for name, value in changes.items()
    ]
    entries.append({"field": "version", "old": new_version - 1, "new": new_version})
    return entries


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
