"""Lists written as JSON by one PostgreSQL statement (compiler/json_sql.py): which plans are
written, that the text is graphql-core's to the byte for awkward values, and that anything
graphql-core would report leaves the answer to graphql-core. On SQLite the same plans run
through the row builders, and the same answers are asserted."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from tortoise import connections

from models.tasks import Priority, Status
from models.users import Role
from server.compiled_execution import COMPILER
from tests.differential_data import ESCAPED_TEXT
from tests.task_factories import create_tasks, signed_in_user
from tests.test_compiled_execution import POSTGRES, both, compiled_app, counters

EVERY_TASK_FIELD = """
  __typename id title description status priority dueAt completedAt version
  clientMutationId createdAt updatedAt
"""
EVERY_USER_FIELD = "__typename id email displayName role isActive createdAt updatedAt"
TASKS = f"""{{ tasks(first: 20, orderBy: [{{field: DUE_AT, direction: ASC}}]) {{
  __typename edges {{ __typename node {{ {EVERY_TASK_FIELD} owner {{ {EVERY_USER_FIELD} }} }} }}
}} }}"""
USERS = f"""{{ users(first: 5) {{ edges {{ node {{ {EVERY_USER_FIELD}
  open: tasks(first: 3, filter: {{status: [TODO]}}) {{ edges {{ node {{ {EVERY_TASK_FIELD} }} }} }}
  last: tasks(last: 2) {{ __typename edges {{ node {{ id title }} }} }}
}} }} }} }}"""

# Selections a plan answers but a statement does not write, with why.
NOT_WRITTEN = {
    "a cursor": "{ tasks(first: 3) { edges { cursor node { id } } } }",
    "pageInfo": "{ tasks(first: 3) { pageInfo { hasNextPage } edges { node { id } } } }",
    "a nested cursor": "{ users(first: 3) { edges { node { tasks(first: 2) "
    "{ edges { cursor node { id } } } } } } }",
    "Task.owner below User.tasks": "{ users(first: 3) { edges { node { tasks(first: 2) "
    "{ edges { node { owner { id } } } } } } } }",
}


@pytest.fixture
async def app(make_client, settings):
    return await compiled_app(make_client, settings)


async def awkward_rows(settings, *, as_owner: bool = False) -> str:
    """Tasks whose text and instants a JSON writer could get wrong; the admin's token, or
    with `as_owner` the token of the (not admin) owner of the awkward ones."""
    admin, token = await signed_in_user(settings, role=Role.ADMIN)
    owner, owner_token = await signed_in_user(settings)
    await create_tasks(
        owner,
        1,
        title=ESCAPED_TEXT,
        description=ESCAPED_TEXT[::-1],
        due_at=datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC),  # no microseconds: none written
        client_mutation_id="retry-\u00e9",
    )
    await create_tasks(
        owner,
        1,
        status=Status.DONE,
        priority=Priority.CRITICAL,
        due_at=datetime(2031, 2, 3, 4, 5, 6, 7, tzinfo=UTC),
        completed_at=datetime(999, 1, 2, 3, 4, 5, 600_000, tzinfo=UTC),  # a 3-digit year
    )
    for status in Status:
        await create_tasks(admin, 1, status=status, due_at=None)
    return owner_token if as_owner else token


def plan_of(app, query: str):
    """The plan the app compiled for `query` (the only one it holds)."""
    (entry,) = [
        entry
        for entry in app[0].app[COMPILER].plans._entries.values()
        if entry.operation.loc is not None and entry.operation.loc.source.body == query
    ]
    (plan,) = entry.variants.values()
    return plan


@pytest.mark.parametrize("query", [TASKS, USERS], ids=["tasks", "users"])
async def test_written_lists_answer_as_graphql_core(app, settings, sql_statements, query):
    token = await awkward_rows(settings)

    sql_statements.reset()
    compiled, stock = await both(app, query, token=token)

    assert compiled == stock
    assert b'"errors"' not in compiled
    assert counters(app).compiled == 1
    assert plan_of(app, query).roots[0].read.written
    # The compiled request's list is one statement writing the connection on PostgreSQL
    # (graphql-core's request never writes one); SQLite reads rows for the row builders.
    written = [s for s in sql_statements.statements if s.startswith("SELECT '{")]
    assert len(written) == (1 if POSTGRES else 0)


async def test_a_users_own_list_writes_their_email_alike(app, settings, sql_statements):
    """Not an admin: the list is scoped to the viewer's tasks, and the email is written under
    the self-or-admin rule as a condition on the owner's id."""
    token = await awkward_rows(settings, as_owner=True)

    sql_statements.reset()
    compiled, stock = await both(app, TASKS, token=token)

    assert compiled == stock
    owners = {
        edge["node"]["owner"]["email"] for edge in orjson.loads(compiled)["data"]["tasks"]["edges"]
    }
    assert len(owners) == 1
    assert None not in owners
    written = [s for s in sql_statements.statements if s.startswith("SELECT '{")]
    assert len(written) == (1 if POSTGRES else 0)
    assert all("owner_id = $" in s for s in written)


async def test_the_escaped_text_arrives_intact(app, settings):
    token = await awkward_rows(settings)

    compiled, _ = await both(app, TASKS, token=token)

    titles = [edge["node"]["title"] for edge in orjson.loads(compiled)["data"]["tasks"]["edges"]]
    assert ESCAPED_TEXT in titles


@pytest.mark.parametrize("why", sorted(NOT_WRITTEN))
async def test_what_a_statement_cannot_write_keeps_the_row_builders(app, settings, why):
    token = await awkward_rows(settings)
    query = NOT_WRITTEN[why]

    compiled, stock = await both(app, query, token=token)

    assert compiled == stock
    assert counters(app).compiled == 1
    assert not plan_of(app, query).roots[0].read.written


async def test_a_value_graphql_core_would_report_falls_back(app, settings):
    """A status the enum does not know, stored behind the application's back: the written
    statement's value is NULL, and graphql-core answers with its error."""
    token = await awkward_rows(settings)
    await connections.get("default").execute_script(
        "UPDATE tasks SET status = 'ARCHIVED' WHERE title LIKE 'Task %'"
    )

    compiled, stock = await both(app, TASKS, token=token)

    assert compiled == stock
    assert orjson.loads(compiled)["errors"]
    assert counters(app).compiled == 0
    assert sum(counters(app).fallbacks.values()) == 1
