"""The differential harness can fail: differences injected into one app are reported.

Until compiled execution exists both apps answer through the same executor, so these tests
are what shows that an equal answer means something: the compiled side is given a schema
whose results are altered in a way JSON equality would miss (key order) or that only some
generated operations trigger, and the harness must report it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import strawberry
from graphql import FieldNode, TypeInfo, TypeInfoVisitor, Visitor, parse, validate, visit
from graphql import build_schema as graphql_build_schema
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from schema import build_schema
from tests.differential import Difference, Pair, live_schema, start_pair
from tests.differential_data import Dataset, build_dataset, collect_pools
from tests.operation_generator import CI_EXAMPLES, object_types, operations

QUERY = "query Two { serverInfo { version environment } me { id displayName } }"


def _reversed(value: Any) -> Any:
    """The same JSON value with the keys of every object in reverse order."""
    if isinstance(value, dict):
        return {key: _reversed(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed(item) for item in value]
    return value


def altering(when: Callable[[str], bool]) -> Callable[..., strawberry.Schema]:
    """A schema factory whose schema reverses the key order of results of the documents
    `when` accepts: the data is equal as JSON, and different as bytes."""

    def factory(**options: Any) -> strawberry.Schema:
        schema = build_schema(**options)
        execute = schema.execute

        async def execute_altered(query: str | None, *args: Any, **kwargs: Any) -> Any:
            result = await execute(query, *args, **kwargs)
            if query is not None and when(query) and result.data is not None:
                result.data = _reversed(result.data)
            return result

        schema.execute = execute_altered  # type: ignore[method-assign]
        return schema

    return factory


async def altered_pair(make_client, settings, when: Callable[[str], bool]) -> Pair:
    return await start_pair(
        make_client, settings, compiled_options={"schema_factory": altering(when)}
    )


async def test_key_order_alone_is_a_difference(make_client, settings):
    """Two bodies equal as JSON but with keys in another order are reported, with the
    operation, the viewer and both bodies."""
    pair = await altered_pair(make_client, settings, lambda _query: True)
    dataset = await build_dataset(settings)
    with pytest.raises(Difference) as raised:
        await pair.compare(QUERY, viewer=dataset.viewer("alice"))
    report = str(raised.value)
    assert "viewer: alice" in report
    assert QUERY in report
    assert '{"data":{"serverInfo":{"version"' in report
    assert '{"data":{"me":{"displayName"' in report


async def test_unaltered_answers_pass(make_client, settings):
    """The same factory, altering nothing, is not reported: the harness compares answers,
    not apps."""
    pair = await altered_pair(make_client, settings, lambda _query: False)
    dataset = await build_dataset(settings)
    answer = await pair.compare(QUERY, viewer=dataset.viewer("alice"))
    assert answer.status == 200


def _uses_aliased_fragment_variables(query: str) -> bool:
    return "fragment " in query and "@include(if: $" in query and ": " in query.split("{", 1)[1]


@pytest.mark.parametrize(
    "when",
    [
        pytest.param(_uses_aliased_fragment_variables, id="fragments-include-variables-aliases"),
        pytest.param(lambda query: "first: 0" in query or "after:" in query, id="page-arguments"),
    ],
)
async def test_generated_operations_find_a_narrow_difference(make_client, settings, when):
    """The generator, with the CI seed and budget, reaches named fragments, @include with
    variables, aliases, page sizes and cursors: an alteration that only such operations
    trigger is reported."""
    pair = await altered_pair(make_client, settings, when)
    dataset: Dataset = await build_dataset(settings)
    schema = await live_schema(pair.stock)
    await collect_pools(pair, schema, dataset)
    found = []
    for operation in generated_sample(operations(schema, dataset), CI_EXAMPLES):
        try:
            await pair.compare(
                operation.text,
                operation.variables,
                viewer=dataset.viewer("admin"),
                operation_name=operation.operation_name,
            )
        except Difference as difference:
            found.append(difference)
            break
    assert found, "the injected difference was not found"
    assert "compiled and stock execution answered differently" in str(found[0])


def generated_sample(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """`count` examples of `strategy` as the CI run draws them (derandomized), without
    sending anything: hypothesis runs its examples synchronously, the apps need the loop."""
    sample: list[Any] = []

    @hypothesis_settings(
        max_examples=count,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(operation: Any) -> None:
        sample.append(operation)

    collect()
    return sample


class FieldCollector(Visitor):
    """Notes (parent type, field name) of every field a document selects."""

    def __init__(self, type_info: TypeInfo, selected: set[tuple[str, str]]) -> None:
        super().__init__()
        self.type_info = type_info
        self.selected = selected

    def enter_field(self, node: FieldNode, *_args: Any) -> None:
        parent = self.type_info.get_parent_type()
        if parent is not None:
            self.selected.add((parent.name, node.name.value))


def test_generated_operations_cover_the_schema():
    """Within the CI budget the generator selects every root field and nearly every field of
    every type reachable from the query root, read from the schema as it is today."""
    schema = graphql_build_schema(build_schema().as_str())
    dataset = Dataset(viewers=[], ids=["id"], cursors=["cursor"], texts=["text"])
    dataset.instants = ["2026-06-01T12:00:00+00:00"]
    selected: set[tuple[str, str]] = set()
    valid = 0
    for operation in generated_sample(operations(schema, dataset), CI_EXAMPLES):
        document = parse(operation.text)
        valid += not validate(schema, document)
        type_info = TypeInfo(schema)
        visit(document, TypeInfoVisitor(type_info, FieldCollector(type_info, selected)))
    reachable = {
        (object_type.name, name)
        for object_type in object_types(schema)
        for name in object_type.fields
    }
    query_type = schema.query_type
    assert query_type is not None
    assert {("Query", name) for name in query_type.fields} <= selected
    assert len(selected & reachable) >= 0.85 * len(reachable), sorted(reachable - selected)
    assert valid >= 0.8 * CI_EXAMPLES
