"""The operations frontends send cost a fixed number of SQL statements, whatever the row count.

Counts are of the statements really sent (tortoise.db_client's log), on SQLite and PostgreSQL.
Every authenticated request also costs the viewer's 1 statement (token state + revocation).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from models.users import Role
from taskql import global_ids
from tests.conftest import base_settings
from tests.subscriptions import Stream, socket_session, until_listening
from tests.task_factories import create_tasks, signed_in_user

OPERATIONS = Path(__file__).resolve().parent.parent / "operations"
VIEWER = 1
POSTGRES = base_settings().database.dialect == "postgres"


def operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


async def add_users_with_tasks(settings, users: int, tasks_each: int) -> None:
    for _ in range(users):
        user, _token = await signed_in_user(settings)
        await create_tasks(user, tasks_each)


async def statements_for(
    graphql, sql_statements, query: str, token: str, variables: dict[str, Any] | None = None
) -> list[str]:
    sql_statements.reset()
    body = await graphql(query, variables, token=token)
    assert "errors" not in body, body
    return list(sql_statements.statements)


def touching(statements: list[str], table: str) -> int:
    return sum(f"FROM {table}" in s or f'FROM "{table}"' in s for s in statements)


@pytest.mark.parametrize("name", ["tasks_with_owners", "tasks_with_owners_email"])
async def test_admin_task_list_with_owners_costs_two_statements(
    graphql, settings, sql_statements, name
):
    """tasks(first: 50) with owners: viewer + tasks joined to their owners, also with 5x
    more rows."""
    _admin, token = await signed_in_user(settings, role=Role.ADMIN)
    await add_users_with_tasks(settings, users=4, tasks_each=15)
    query = operation(name)

    small = await statements_for(graphql, sql_statements, query, token)
    await add_users_with_tasks(settings, users=16, tasks_each=15)
    large = await statements_for(graphql, sql_statements, query, token)
    body = await graphql(query, token=token)

    assert len(body["data"]["tasks"]["edges"]) == 50
    assert len({e["node"]["owner"]["id"] for e in body["data"]["tasks"]["edges"]}) >= 3
    assert len(small) == len(large) == VIEWER + 1, large
    assert touching(large, "tasks") == 1
    assert touching(large, "users") == 1  # the viewer's statement
    assert sum("JOIN users" in s for s in large) == 1  # the owners, with the tasks


async def test_own_task_list_costs_the_same(graphql, settings, sql_statements):
    """A user's own list with owners costs viewer + tasks with their owner, at 60 or 300
    tasks."""
    user, token = await signed_in_user(settings)
    await create_tasks(user, 60)
    query = operation("tasks_with_owners")

    small = await statements_for(graphql, sql_statements, query, token)
    await create_tasks(user, 240)
    large = await statements_for(graphql, sql_statements, query, token)

    assert len(small) == len(large) == VIEWER + 1, large


async def test_total_count_costs_one_more_statement(graphql, settings, sql_statements):
    """Selecting totalCount adds exactly one COUNT statement; not selecting it adds none."""
    _admin, token = await signed_in_user(settings, role=Role.ADMIN)
    await add_users_with_tasks(settings, users=3, tasks_each=20)
    query = operation("tasks_with_owners")
    with_total = query.replace("tasks(first: 50) {", "tasks(first: 50) {\n    totalCount", 1)
    assert with_total != query

    without = await statements_for(graphql, sql_statements, query, token)
    counted = await statements_for(graphql, sql_statements, with_total, token)

    assert len(without) == VIEWER + 1
    assert len(counted) == VIEWER + 2
    assert sum("COUNT(" in s for s in counted) == 1
    assert not any("COUNT(" in s for s in without)


@pytest.mark.parametrize("name", ["users_with_tasks", "users_with_tasks_email"])
async def test_users_with_their_tasks_cost_a_fixed_number_of_statements(
    graphql, settings, sql_statements, name
):
    """users(first: 20) with tasks(first: 10) each: viewer + users + one batched task read;
    on PostgreSQL viewer + one statement that writes the users with their tasks
    (compiler/json_sql.py)."""
    _admin, token = await signed_in_user(settings, role=Role.ADMIN)
    await add_users_with_tasks(settings, users=8, tasks_each=4)
    query = operation(name)

    small = await statements_for(graphql, sql_statements, query, token)
    await add_users_with_tasks(settings, users=32, tasks_each=14)
    large = await statements_for(graphql, sql_statements, query, token)
    body = await graphql(query, token=token)

    users = body["data"]["users"]["edges"]
    assert len(users) == 20
    assert all(len(u["node"]["tasks"]["edges"]) == 10 for u in users)
    assert len(small) == len(large) == VIEWER + (1 if POSTGRES else 2), large
    assert touching(large, "tasks") == 1


async def test_user_task_counts_and_totals_are_batched(graphql, settings, sql_statements):
    """taskCounts and tasks.totalCount on 20 users add one statement each, not one per user."""
    _admin, token = await signed_in_user(settings, role=Role.ADMIN)
    await add_users_with_tasks(settings, users=25, tasks_each=3)
    query = """{ users(first: 20) { edges { node { id taskCounts { todo total }
        tasks(first: 2) { totalCount edges { node { id } } } } } } }"""

    statements = await statements_for(graphql, sql_statements, query, token)

    assert len(statements) == VIEWER + 4, statements


async def test_backward_page_costs_one_statement_with_exact_page_info(
    graphql, settings, sql_statements
):
    """tasks_previous_page (last: 20, before) reads its page and the row beyond `before`
    (hasNextPage) in one statement, at 60 or 300 tasks; without `before` too."""
    user, token = await signed_in_user(settings)
    await create_tasks(user, 60)
    query = operation("tasks_previous_page")
    end = await graphql(query, token=token)
    before = end["data"]["tasks"]["pageInfo"]["startCursor"]

    small = await statements_for(graphql, sql_statements, query, token, {"before": before})
    await create_tasks(user, 240)
    large = await statements_for(graphql, sql_statements, query, token, {"before": before})
    last = await statements_for(graphql, sql_statements, query, token)
    body = await graphql(query, {"before": before}, token=token)

    assert len(small) == len(large) == len(last) == VIEWER + 1, large
    assert body["data"]["tasks"]["pageInfo"]["hasNextPage"] is True
    assert len(body["data"]["tasks"]["edges"]) == 20


async def test_multi_key_order_costs_one_statement(graphql, settings, sql_statements):
    """tasks_by_urgency (priority DESC, dueAt ASC) costs one statement on the first page and
    on a later one (its hasPreviousPage read by the same statement)."""
    user, token = await signed_in_user(settings)
    await create_tasks(user, 40)
    await create_tasks(user, 40, due_at=datetime.now(UTC))
    query = operation("tasks_by_urgency")
    first = await statements_for(graphql, sql_statements, query, token)
    body = await graphql(query, token=token)
    after = body["data"]["tasks"]["pageInfo"]["endCursor"]
    later = await statements_for(graphql, sql_statements, query, token, {"after": after})

    assert len(first) == len(later) == VIEWER + 1, later
    assert touching(later, "tasks") == 1


async def test_search_costs_the_page_and_its_count(graphql, settings, sql_statements):
    """tasks_search (search by RELEVANCE with totalCount) costs the page and one COUNT, at
    30 or 150 matching tasks, on the first page and after a cursor."""
    user, token = await signed_in_user(settings)
    await create_tasks(user, 30, title="find me")
    query = operation("tasks_search")
    variables = {"search": "find"}
    small = await statements_for(graphql, sql_statements, query, token, variables)
    await create_tasks(user, 120, title="find me too")
    large = await statements_for(graphql, sql_statements, query, token, variables)
    body = await graphql(query, variables, token=token)
    after = body["data"]["tasks"]["pageInfo"]["endCursor"]
    later = await statements_for(
        graphql, sql_statements, query, token, {**variables, "after": after}
    )

    assert body["data"]["tasks"]["totalCount"] == 150
    assert len(small) == len(large) == len(later) == VIEWER + 2, later


async def test_users_by_email_costs_the_page_and_its_count(graphql, settings, sql_statements):
    """users_by_email costs the users page and one COUNT, also after a cursor."""
    _admin, token = await signed_in_user(settings, role=Role.ADMIN)
    await add_users_with_tasks(settings, users=60, tasks_each=0)
    query = operation("users_by_email")
    first = await statements_for(graphql, sql_statements, query, token)
    body = await graphql(query, token=token)
    after = body["data"]["users"]["pageInfo"]["endCursor"]
    later = await statements_for(graphql, sql_statements, query, token, {"after": after})

    assert len(first) == len(later) == VIEWER + 2, later


async def test_read_ahead_user_tasks_backward_cost_the_same(graphql, settings, sql_statements):
    """users(first: 20) { tasks(last: 5, before) } still reads every user's page (and the
    rows beyond the cursor) in one statement."""
    _admin, token = await signed_in_user(settings, role=Role.ADMIN)
    await add_users_with_tasks(settings, users=25, tasks_each=8)
    query = """query($before: String) { users(first: 20) { edges { node { id
        tasks(last: 5, before: $before) { edges { cursor node { id } }
        pageInfo { hasNextPage hasPreviousPage } } } } } }"""
    body = await graphql(query, token=token)
    edges = body["data"]["users"]["edges"]
    before = next(e for e in edges if e["node"]["tasks"]["edges"])["node"]["tasks"]["edges"][0][
        "cursor"
    ]
    without = await statements_for(graphql, sql_statements, query, token)
    with_cursor = await statements_for(graphql, sql_statements, query, token, {"before": before})

    assert len(without) == len(with_cursor) == VIEWER + 2, with_cursor
    assert touching(with_cursor, "tasks") == 1


async def statements_with(graphql, sql_statements, query, variables, token) -> list[str]:
    sql_statements.reset()
    body = await graphql(query, variables, token=token)
    assert "errors" not in body, body
    return list(sql_statements.statements)


async def test_node_refetch_costs_two_statements(graphql, settings, sql_statements):
    """NodeRefetch of a task with its owner: viewer + task + owner; of a user: viewer + user."""
    user, token = await signed_in_user(settings)
    (task,) = await create_tasks(user, 1)
    query = operation("node_refetch")

    of_task = await statements_with(
        graphql, sql_statements, query, {"id": global_ids.encode_task(str(task.id))}, token
    )
    of_user = await statements_with(
        graphql, sql_statements, query, {"id": global_ids.encode_user(str(user.id))}, token
    )

    assert len(of_task) == VIEWER + 2, of_task
    assert touching(of_task, "tasks") == 1
    assert len(of_user) == VIEWER + 1, of_user


async def test_nodes_refetch_costs_one_statement_per_type(graphql, settings, sql_statements):
    """NodesRefetch of 10 or 100 mixed ids (tasks with owners, users): viewer + tasks + users."""
    _admin, token = await signed_in_user(settings, role=Role.ADMIN)
    users = [(await signed_in_user(settings))[0] for _ in range(10)]
    tasks = [task for user in users for task in await create_tasks(user, 9)]
    ids = [global_ids.encode_task(str(task.id)) for task in tasks]
    ids += [global_ids.encode_user(str(user.id)) for user in users]
    query = operation("nodes_refetch")

    small = await statements_with(graphql, sql_statements, query, {"ids": ids[85:95]}, token)
    large = await statements_with(graphql, sql_statements, query, {"ids": ids}, token)

    assert len(ids) == 100
    assert len(small) == len(large) == VIEWER + 2, large
    assert touching(large, "tasks") == 1


async def test_users_search_costs_one_statement(graphql, settings, sql_statements):
    """UsersSearch (search, role, isActive, a page): viewer + one users statement."""
    _admin, token = await signed_in_user(settings, role=Role.ADMIN)
    await add_users_with_tasks(settings, users=30, tasks_each=1)
    query = operation("users_search")
    variables = {"search": "example", "role": "USER", "first": 20}

    statements = await statements_with(graphql, sql_statements, query, variables, token)
    body = await graphql(query, variables, token=token)

    assert len(body["data"]["users"]["edges"]) == 20
    assert len(statements) == VIEWER + 1, statements


async def test_task_event_delivery_costs_the_same_for_1_or_10_subscribers(
    client, graphql, settings, sql_statements
):
    """A createTask delivered to N subscriptions selecting the same fields (task_events, task
    and owner included) costs the same statements for 1 as for 10: the write's, plus 2 shared
    reads (tasks, owners) per instance; ownership is checked per subscriber in memory."""
    owner, token = await signed_in_user(settings)
    _admin, admin_token = await signed_in_user(settings, role=Role.ADMIN)
    query = operation("task_events")

    async def delivery_statements(subscribers: int) -> list[str]:
        async with contextlib.AsyncExitStack() as stack:
            streams = []
            for number in range(subscribers):
                viewer = admin_token if number % 2 else token  # tabs of the owner, and admins
                session = await stack.enter_async_context(socket_session(client, viewer))
                stream = Stream(session, query, {})
                stream.start()
                streams.append(stream)
            await until_listening(client, subscribers)
            sql_statements.reset()
            created = await graphql(
                'mutation { createTask(input: {title: "live"}) { id } }', token=token
            )
            events = [(await stream.next())["taskEvents"] for stream in streams]
            statements = list(sql_statements.statements)
            task_id = created["data"]["createTask"]["id"]
            assert {e["task"]["id"] for e in events} == {task_id}
            assert {e["task"]["owner"]["id"] for e in events} == {
                global_ids.encode_user(str(owner.id))
            }
            for stream in streams:
                await stream.close()
        return statements

    one = await delivery_statements(1)
    ten = await delivery_statements(10)
    assert len(one) == len(ten), ten
    shared_reads = [s for s in ten if s.startswith("SELECT") and "WHERE id IN" in s]
    assert len(shared_reads) == 2, ten
    assert touching(shared_reads, "tasks") == touching(shared_reads, "users") == 1
