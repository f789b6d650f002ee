"""A batch (graphql.batching) is priced as a whole: its operations' costs are summed before the
first one runs, and a batch over graphql.max_cost is refused entire.

Each operation is priced only when it parses and validates (the linear document limits first,
so a hostile entry costs bounded work); one that does not is left to its own execution, which
answers its error without running anything, so it adds nothing to the sum.
"""

from __future__ import annotations

from aiohttp import web
from graphql import GraphQLError, specified_rules, validate
from strawberry.http import GraphQLRequestData

from server.graphql_cost_limits import COST_CALCULATOR
from server.graphql_documents import DOCUMENTS
from server.graphql_http import BatchRefused
from taskql.errors import ErrorCode
from taskql.settings import GraphQLSettings


def refuse_costly_batch(
    app: web.Application, batch: list[GraphQLRequestData], settings: GraphQLSettings
) -> None:
    """Raise BatchRefused (QUERY_TOO_COMPLEX, with the batch's cost) when the sum of the
    operations' costs is over graphql.max_cost."""
    total = sum(_cost(app, data) for data in batch)
    if total > settings.max_cost:
        refusal = BatchRefused(
            f"The batch costs {total}, more than the {settings.max_cost} allowed for one "
            "request; send fewer operations or ask for fewer rows.",
            max_operations=settings.max_batch_operations,
        )
        refusal.extensions.update(
            code=ErrorCode.QUERY_TOO_COMPLEX.value, cost=total, maxCost=settings.max_cost
        )
        raise refusal


def _cost(app: web.Application, data: GraphQLRequestData) -> int:
    if not isinstance(data.query, str):
        return 0
    documents = app[DOCUMENTS]
    calculator = app[COST_CALCULATOR]
    try:
        document = documents.parse(data.query)
    except GraphQLError:
        return 0
    if validate(calculator.schema, document, documents.limit_rules) or validate(
        calculator.schema, document, specified_rules
    ):
        return 0
    return calculator.cost(document, data.operation_name, data.variables) or 0
