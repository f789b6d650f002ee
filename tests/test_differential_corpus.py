"""Every operation the frontends send answers byte for byte alike, compiled or not.

Each query operation in operations/ goes to the differential pair (tests/differential.py) as
every viewer of the dataset: anonymous, two users and an admin, with the variables it needs;
then the pages of each list walk on with the cursors the first page handed out.

Mutations and subscriptions are not sent: a mutation cannot run twice on the same data (the
second answer differs whatever the executor), and neither is ever compiled: the compiler
hands them to graphql-core before looking at a field, so both apps run the same code for
them. The last test below holds every such file to that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from graphql import OperationDefinitionNode, parse

from compiler.plan import PlanCompiler
from compiler.reasons import Fallback, Reason
from schema import build_schema
from taskql.graphql_internals import graphql_core_schema
from tests.differential import Pair, start_pair
from tests.differential_data import Dataset, build_dataset

OPERATIONS = sorted((Path(__file__).resolve().parent.parent / "operations").glob("*.graphql"))


def _operation(path: Path) -> OperationDefinitionNode:
    (operation,) = (
        definition
        for definition in parse(path.read_text(encoding="utf-8")).definitions
        if isinstance(definition, OperationDefinitionNode)
    )
    return operation


QUERIES = [path for path in OPERATIONS if _operation(path).operation.value == "query"]
WRITES = [path for path in OPERATIONS if path not in QUERIES]
# Variables a query operation needs ("ids": the global ids the admin's task list shows).
SEARCH_VARIABLES: dict[str, dict[str, Any]] = {"tasks_search": {"search": "Notes"}}


@pytest.fixture
async def corpus(make_client, settings) -> tuple[Pair, Dataset]:
    pair = await start_pair(make_client, settings)
    return pair, await build_dataset(settings)


def test_the_corpus_is_every_operation_file():
    """The corpus is read from operations/, so a new frontend operation is compared at once."""
    assert len(OPERATIONS) >= 4
    assert all(path.read_text().strip() for path in OPERATIONS)


@pytest.mark.parametrize("path", QUERIES, ids=lambda path: path.stem)
async def test_frontend_operation_answers_alike_for_every_viewer(corpus, path):
    """One query operation of operations/, sent as each viewer, gets the same status and
    bytes from both apps; at least one viewer gets data."""
    pair, dataset = corpus
    variables = SEARCH_VARIABLES.get(path.stem)
    if path.stem.startswith("node"):
        variables = await _refetch_variables(pair, dataset)
    answered_with_data = 0
    for viewer in dataset.viewers:
        answer = await pair.compare(path.read_text(), variables, viewer=viewer)
        answered_with_data += bool(orjson.loads(answer.body).get("data"))
    assert answered_with_data > 0


async def _refetch_variables(pair: Pair, dataset: Dataset) -> dict[str, Any]:
    """Global ids of tasks of every owner and of the owners (each viewer may see some)."""
    answer = await pair.compare(
        "{ tasks(first: 100) { edges { node { id owner { id } } } } }",
        viewer=dataset.viewer("admin"),
    )
    edges = orjson.loads(answer.body)["data"]["tasks"]["edges"]
    ids = [edge["node"]["id"] for edge in edges]
    ids += list(dict.fromkeys(edge["node"]["owner"]["id"] for edge in edges))
    return {"id": ids[0], "ids": ids}


@pytest.mark.parametrize("path", WRITES, ids=lambda path: path.stem)
def test_mutations_and_subscriptions_are_never_compiled(path):
    """What the corpus does not send: graphql-core answers it in both apps alike."""
    schema = build_schema()
    operation = _operation(path)
    compiler = PlanCompiler(schema, graphql_core_schema(schema), {}, {})

    with pytest.raises(Fallback) as refused:
        compiler.compile(operation)

    assert refused.value.reason in {Reason.MUTATION, Reason.SUBSCRIPTION}


async def test_pages_walked_with_cursors_answer_alike(corpus):
    """The task list walked page by page (cursors of the previous page, several orderings and
    page sizes, the last page and past it) answers alike at every step."""
    pair, dataset = corpus
    query = """
    query Page($first: Int, $after: String, $order: [TaskOrder!]) {
      tasks(first: $first, after: $after, orderBy: $order) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id title status priority dueAt createdAt owner { id } } }
      }
    }"""
    orders = [
        {"field": field, "direction": direction}
        for field in ("CREATED_AT", "UPDATED_AT", "DUE_AT", "PRIORITY")
        for direction in ("ASC", "DESC")
    ]
    pages = 0
    for viewer in (dataset.viewer("alice"), dataset.viewer("admin")):
        for order, first in zip(orders, (1, 3, 5, 7, 10, 4, 6, 2), strict=True):
            after = None
            while True:
                variables = {"first": first, "after": after, "order": order}
                answer = await pair.compare(query, variables, viewer=viewer)
                page = orjson.loads(answer.body)["data"]["tasks"]
                pages += 1
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            # Past the end: the last cursor again gives an empty page.
            await pair.compare(
                query, {"first": first, "after": after, "order": order}, viewer=viewer
            )
    assert pages > 40
