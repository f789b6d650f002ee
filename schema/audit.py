"""The admin's audit log: who changed what, when, from where (rows of models/audit.py)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from resolvers import audit as audit_resolvers
from resolvers.context import Info
from schema.pagination import PageInfo, given
from schema.permissions import IsAdmin, IsAuthenticated, requires
from taskql.global_ids import encode_task, encode_user


@strawberry.enum(description="What an audit event records.")
class AuditAction(Enum):
    TASK_CREATED = "TASK_CREATED"
    TASK_UPDATED = "TASK_UPDATED"
    TASK_STATUS_CHANGED = "TASK_STATUS_CHANGED"
    TASK_DELETED = "TASK_DELETED"
    USER_CREATED = "USER_CREATED"
    USER_UPDATED = "USER_UPDATED"
    USER_ROLE_CHANGED = "USER_ROLE_CHANGED"
    USER_DEACTIVATED = "USER_DEACTIVATED"
    USER_REACTIVATED = "USER_REACTIVATED"
    USER_PASSWORD_CHANGED = "USER_PASSWORD_CHANGED"  # noqa: S105 - an action name
    USER_PASSWORD_RESET = "USER_PASSWORD_RESET"  # noqa: S105 - an action name
    USER_EMAIL_VERIFIED = "USER_EMAIL_VERIFIED"
    USER_SESSIONS_REVOKED = "USER_SESSIONS_REVOKED"
    LOGIN = "LOGIN"
    LOGOUT = "LOGOUT"
    REFRESH_TOKEN_REUSED = "REFRESH_TOKEN_REUSED"  # noqa: S105 - an action name
    SESSION_REVOKED = "SESSION_REVOKED"


@strawberry.enum(description="The kind of record an audit event is about.")
class AuditTargetType(Enum):
    TASK = "TASK"
    USER = "USER"
    SESSION = "SESSION"


@strawberry.type(description="One field of a change, before and after.")
class AuditFieldChange:
    field: str = strawberry.field(description="The column, e.g. title, status, role.")
    old_value: JSON | None = strawberry.field(
        description="Before the change; null if none or not recorded (see AuditEvent.changes)."
    )
    new_value: JSON | None = strawberry.field(
        description="After the change; null if none or not recorded (see AuditEvent.changes)."
    )
    redacted: bool = strawberry.field(
        description="A secret (the password) that changed: its values are never recorded."
    )


@strawberry.type(description="One change of data, recorded in the transaction that made it.")
class AuditEvent:
    id: strawberry.ID
    actor_id: strawberry.ID | None = strawberry.field(
        description="The signed-in user who made it (their global id); null when anonymous "
        "or from the CLI."
    )
    action: AuditAction
    target_type: AuditTargetType
    target_id: strawberry.ID = strawberry.field(
        description="The task or user (its global id), or the session (its uuid)."
    )
    changes: list[AuditFieldChange] = strawberry.field(
        description=(
            "The fields the change set. Created and deleted tasks and changed users carry old"
            " and new values. TASK_UPDATED and TASK_STATUS_CHANGED (one write, no read of the"
            " old row) name the fields set with values null, except `status` (its new value)"
            " and `version` (old and new): the task's values are in the task, not copied here."
        )
    )
    request_id: str | None = strawberry.field(description="The X-Request-Id of the request.")
    client_address: str | None = strawberry.field(description="The client's address.")
    created_at: datetime


@strawberry.type
class AuditEventEdge:
    cursor: str
    node: AuditEvent


@strawberry.type(description="A page of audit events (Relay cursor connection).")
class AuditEventConnection:
    edges: list[AuditEventEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: audit_resolvers.AuditPage) -> AuditEventConnection:
        edges = [
            AuditEventEdge(cursor=cursor, node=_event(row))
            for row, cursor in zip(page.events, page.cursors, strict=True)
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )


@strawberry.input(description="Audit events matching all the given conditions.")
class AuditEventFilter:
    actor_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only events made by this user."
    )
    target_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only events about this task, user or session."
    )
    action: AuditAction | None = None
    since: datetime | None = strawberry.field(
        default=None, description="At or after this instant (timezone required)."
    )
    until: datetime | None = strawberry.field(
        default=None, description="Before this instant (timezone required)."
    )


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Admin only: the audit log, newest first (createdAt, then id, descending).",
        extensions=requires(IsAuthenticated(), IsAdmin()),
    )
    async def audit_events(
        self,
        info: Info,
        filter: AuditEventFilter | None = strawberry.UNSET,  # noqa: A002 - the GraphQL name
        first: int | None = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
    ) -> AuditEventConnection:
        wanted = given(filter) or AuditEventFilter()
        page = await audit_resolvers.audit_events(
            info,
            actor_id=wanted.actor_id,
            target_id=wanted.target_id,
            action=wanted.action.value if wanted.action is not None else None,
            since=wanted.since,
            until=wanted.until,
            first=given(first),
            after=given(after),
        )
        return AuditEventConnection.from_page(page)


def _event(row: audit_resolvers.AuditEventRow) -> AuditEvent:
    return AuditEvent(
        id=strawberry.ID(str(row.id)),
        actor_id=strawberry.ID(encode_user(str(row.actor_id)))
        if row.actor_id is not None
        else None,
        action=AuditAction[row.action.name],
        target_type=AuditTargetType[row.target_type.name],
        target_id=strawberry.ID(_target_id(row)),
        changes=[
            AuditFieldChange(
                field=change["field"],
                old_value=change.get("old"),
                new_value=change.get("new"),
                redacted=bool(change.get("redacted")),
            )
            for change in row.changes
        ],
        request_id=row.request_id,
        client_address=row.client_address,
        created_at=row.created_at,
    )


def _target_id(row: audit_resolvers.AuditEventRow) -> str:
    """The id the API hands out for the target: global for a task or user (what their `id`
    fields say); sessions are no Node, so theirs stays the uuid."""
    target = str(row.target_id)
    kind = row.target_type.name
    if kind == AuditTargetType.TASK.name:
        return encode_task(target)
    if kind == AuditTargetType.USER.name:
        return encode_user(target)
    return target
