"""Generated operations over the live schema answer byte for byte alike, compiled or not.

Hypothesis draws operations (tests/operation_generator.py) from the schema the app serves and
sends each, as a random viewer, to both apps of the differential pair. CI runs a fixed seed and
a bounded number of examples; a longer local run:

    TASKQL_DIFFERENTIAL_EXAMPLES=5000 TASKQL_DIFFERENTIAL_SEED=7 \
        .venv/bin/pytest -q tests/test_differential_generated.py

(any seed; without TASKQL_DIFFERENTIAL_SEED the run is derandomized, the same every time).
A difference fails with the operation, its variables, the viewer and both bodies, shrunk by
hypothesis to a small operation that still differs.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from tests.differential import Pair, live_schema, start_pair
from tests.differential_data import Dataset, build_dataset, collect_pools
from tests.operation_generator import CI_EXAMPLES, GeneratedOperation, operations

EXAMPLES = int(os.environ.get("TASKQL_DIFFERENTIAL_EXAMPLES", str(CI_EXAMPLES)))
SEED = os.environ.get("TASKQL_DIFFERENTIAL_SEED")

VIEWERS = ("admin", "admin", "admin", "alice", "alice", "bob", "anonymous")

SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=SEED is None,
    deadline=None,
    database=None,  # nothing written under .hypothesis/; a failure prints its own example
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the pair and its data serve every example
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def seeded(test):
    return seed(int(SEED))(test) if SEED is not None else test


@pytest.fixture
async def generated(make_client, settings) -> tuple[Pair, Dataset, st.SearchStrategy]:
    pair = await start_pair(make_client, settings)
    dataset = await build_dataset(settings)
    schema = await live_schema(pair.stock)
    await collect_pools(pair, schema, dataset)
    return pair, dataset, operations(schema, dataset)


@seeded
@SETTINGS
@given(data=st.data())
async def test_generated_operations_answer_alike(generated, data):
    """Every generated operation, as a drawn viewer, gets the same status and bytes from the
    compiled and the stock app."""
    pair, dataset, strategy = generated
    operation: GeneratedOperation = data.draw(strategy, label="operation")
    # Mostly signed in: an anonymous viewer is refused before most fields resolve.
    viewer = data.draw(st.sampled_from(VIEWERS), label="viewer")
    viewer = dataset.viewer(viewer)
    await pair.compare(
        operation.text,
        operation.variables,
        viewer=viewer,
        operation_name=operation.operation_name,
    )
