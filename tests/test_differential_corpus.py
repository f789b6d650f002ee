"""Every operation the frontends send answers byte for byte alike, compiled or not.

Each file in operations/ goes to the differential pair (tests/differential.py) as every viewer
of the dataset: anonymous, two users and an admin; then the pages of each list walk on with
the cursors the first page handed out.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.differential import Pair, start_pair
from tests.differential_data import Dataset, build_dataset

OPERATIONS = sorted((Path(__file__).resolve().parent.parent / "operations").glob("*.graphql"))


@pytest.fixture
async def corpus(make_client, settings) -> tuple[Pair, Dataset]:
    pair = await start_pair(make_client, settings)
    return pair, await build_dataset(settings)


def test_the_corpus_is_every_operation_file():
    """The corpus is read from operations/, so a new frontend operation is compared at once."""
    assert len(OPERATIONS) >= 4
    assert all(path.read_text().strip() for path in OPERATIONS)


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda path: path.stem)
async def test_frontend_operation_answers_alike_for_every_viewer(corpus, path):
    """One operations/ file, sent as each viewer, gets the same status and bytes from both
    apps; at least one viewer gets data."""
    pair, dataset = corpus
    answered_with_data = 0
    for viewer in dataset.viewers:
        answer = await pair.compare(path.read_text(), viewer=viewer)
        answered_with_data += bool(orjson.loads(answer.body).get("data"))
    assert answered_with_data > 0


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
