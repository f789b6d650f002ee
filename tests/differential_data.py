"""The data the differential tests ask about: viewers, their tasks, and values to ask with.

A small, varied dataset: two users and an admin with tasks of every status and priority, due
dates in the past, the future and none, descriptions or not, several tasks sharing one
creation instant (ties that only the id breaks), and audit events. The pools (ids, cursors,
texts, instants) are read back through the app, so that generated arguments name real rows
and real page boundaries, whatever the ids and cursors look like.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_object_type,
    is_required_argument,
)

from models.tasks import Priority, Status
from models.users import Role
from taskql.settings import Settings
from tests.differential import Pair, Viewer
from tests.factories import access_token_for, create_user
from tests.task_factories import create_tasks

ESCAPED_TEXT = 'q"b\\s/<\u2028\u2029\u00e9\U0001f600\ufeff\u007f' + "".join(
    chr(code) for code in range(1, 0x20)
)
# Far from "now" on purpose: `overdue` compares with the clock, and both apps must agree.
BASE = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@dataclass
class Dataset:
    viewers: list[Viewer]
    ids: list[str] = field(default_factory=list)
    cursors: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    instants: list[str] = field(default_factory=list)

    def viewer(self, name: str) -> Viewer:
        return next(viewer for viewer in self.viewers if viewer.name == name)


async def build_dataset(settings: Settings) -> Dataset:
    admin = await create_user(role=Role.ADMIN, display_name="Ada Admin")
    alice = await create_user(display_name="Alice")
    bob = await create_user(display_name="Bob")
    statuses, priorities = list(Status), list(Priority)
    for index in range(24):
        status = statuses[index % len(statuses)]
        # Groups of three share a creation instant: the id alone orders them.
        created = BASE - timedelta(hours=index // 3)
        await create_tasks(
            alice,
            1,
            created_at=created,
            status=status,
            priority=priorities[(index * 3) % len(priorities)],
            due_at=None if index % 4 == 0 else BASE + timedelta(days=(index % 7) - 3),
            description=None if index % 3 else f"Notes {index}\nsecond line",
            completed_at=created if status is Status.DONE else None,
        )
    await create_tasks(bob, 6, created_at=BASE - timedelta(days=2), priority=Priority.HIGH)
    # Text every JSON writer must escape alike: quotes, backslashes, every control character
    # (NUL aside: PostgreSQL's text cannot hold it), and characters beyond ASCII.
    await create_tasks(
        bob,
        1,
        created_at=BASE - timedelta(days=2, microseconds=1),
        title=ESCAPED_TEXT,
        description=ESCAPED_TEXT[::-1],
        due_at=BASE + timedelta(microseconds=500_000),
    )
    await create_tasks(admin, 2, due_at=BASE + timedelta(days=30))
    viewers = [
        Viewer("anonymous"),
        Viewer("alice", access_token_for(alice, settings)),
        Viewer("bob", access_token_for(bob, settings)),
        Viewer("admin", access_token_for(admin, settings)),
    ]
    instants = [(BASE + timedelta(days=offset)).isoformat() for offset in (-400, -3, -1, 0, 2, 400)]
    return Dataset(
        viewers=viewers,
        ids=[str(user.id) for user in (admin, alice, bob)],
        texts=["Task", "task 1", "Notes", "a", "zz-nothing", ""],
        instants=[*instants, "2026-06-01T12:00:00"],  # no timezone: refused
    )


async def collect_pools(pair: Pair, schema: GraphQLSchema, dataset: Dataset) -> None:
    """Read every root connection (a field whose type has `edges { cursor node }`) as each
    viewer, and keep the cursors and ids the app hands out."""
    query_type = schema.query_type
    assert query_type is not None
    selections = []
    for name, root_field in query_type.fields.items():
        node_type = _connection_node(root_field.type)
        if node_type is None or any(is_required_argument(arg) for arg in root_field.args.values()):
            continue
        first = "(first: 100)" if "first" in root_field.args else ""
        node_id = "id" if "id" in node_type.fields else "__typename"
        selections.append(f"{name}{first} {{ edges {{ cursor node {{ {node_id} }} }} }}")
    for viewer in dataset.viewers:
        for selection in selections:
            answer = await pair.compare(f"{{ {selection} }}", viewer=viewer)
            _harvest(_json(answer.body), dataset)
    dataset.ids = sorted(set(dataset.ids))
    dataset.cursors = sorted(set(dataset.cursors))


def _connection_node(output_type: Any) -> GraphQLObjectType | None:
    named = get_named_type(output_type)
    if not is_object_type(named) or "edges" not in named.fields:
        return None
    edge = get_named_type(named.fields["edges"].type)
    if not is_object_type(edge) or "cursor" not in edge.fields or "node" not in edge.fields:
        return None
    node = get_named_type(edge.fields["node"].type)
    return node if is_object_type(node) else None


def _json(body: bytes) -> Any:
    return orjson.loads(body)


def _harvest(value: Any, dataset: Dataset) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "cursor" and isinstance(item, str):
                dataset.cursors.append(item)
            elif key == "id" and isinstance(item, str):
                dataset.ids.append(item)
            else:
                _harvest(item, dataset)
    elif isinstance(value, list):
        for item in value:
            _harvest(item, dataset)
