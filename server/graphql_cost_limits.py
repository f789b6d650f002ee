"""Refuses operations by their static cost, and reports it.

Runs right after the cached validation (server.graphql_documents), before any resolver:
- an operation costing more than graphql.max_cost is QUERY_TOO_COMPLEX, with
  extensions.cost and extensions.maxCost;
- with a cost budget on, the cost is spent from the viewer's bucket (a user by id, anyone
  else by client address); an empty bucket is RATE_LIMITED with retryAfterSeconds;
- the answer carries extensions.cost when graphql.report_cost is on or the request sends
  `X-TaskQL-Cost: 1`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web
from graphql import GraphQLError, GraphQLSchema
from strawberry.extensions import SchemaExtension

from resolvers.context import Context
from server.app_keys import SETTINGS
from server.graphql_cost import CostCalculator
from taskql.cost_budget import BudgetUnavailable, CostBudget, open_budget
from taskql.database_errors import RETRY_AFTER_SECONDS
from taskql.errors import ErrorCode
from taskql.logging import get_logger

log = get_logger("taskql.cost")

COST_HEADER = "X-TaskQL-Cost"

# The app's calculator and budget, so tests can count the work and reach the buckets.
COST_CALCULATOR = web.AppKey("cost_calculator", CostCalculator)
COST_BUDGET = web.AppKey("cost_budget", CostBudget)


class CostLimits(SchemaExtension):
    def __init__(
        self,
        calculator: CostCalculator,
        *,
        max_cost: int,
        report_always: bool,
        budget: CostBudget | None,
    ) -> None:
        self.calculator = calculator
        self.max_cost = max_cost
        self.report_always = report_always
        self.budget = budget
        self.cost: int | None = None

    async def on_validate(self) -> AsyncIterator[None]:
        # Before the yield: strawberry looks at pre_execution_errors when validation ends,
        # and the cached validation (an earlier extension) has filled them by now.
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors == []:
            self.cost = self.calculator.cost(document, context.operation_name, context.variables)
            refusal = await self._refusal(self.cost) if self.cost is not None else None
            if refusal is not None:
                context.pre_execution_errors = [refusal]
        yield

    async def _refusal(self, cost: int) -> GraphQLError | None:
        if cost > self.max_cost:
            return GraphQLError(
                f"The operation costs {cost}, more than the {self.max_cost} allowed; "
                "ask for fewer rows (first) or fewer fields.",
                extensions={
                    "code": ErrorCode.QUERY_TOO_COMPLEX.value,
                    "cost": cost,
                    "maxCost": self.max_cost,
                },
            )
        context = self._context()
        if self.budget is None or context is None or cost == 0:
            return None
        try:
            refused = await self.budget.spend(_subject(context), cost)
        except BudgetUnavailable as error:
            log.warning("cost budget store unavailable", error=str(error))
            return GraphQLError(
                "The service is temporarily unavailable; try again shortly.",
                extensions={
                    "code": ErrorCode.SERVICE_UNAVAILABLE.value,
                    "retryAfterSeconds": RETRY_AFTER_SECONDS,
                },
            )
        if refused is None:
            return None
        return GraphQLError(
            f"Query cost budget exhausted: this operation costs {cost}; "
            f"try again in {refused.retry_after_seconds} s.",
            extensions={
                "code": ErrorCode.RATE_LIMITED.value,
                "retryAfterSeconds": refused.retry_after_seconds,
                "cost": cost,
            },
        )

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        context = self._context()
        asked = context is not None and context.request.headers.get(COST_HEADER) in ("1", "true")
        return {"cost": self.cost} if self.report_always or asked else {}

    def _context(self) -> Context | None:
        context = self.execution_context.context
        return context if isinstance(context, Context) else None


def _subject(context: Context) -> str:
    """Whose bucket pays: a signed-in user's own, wherever they come from; anyone else's
    by client address (the proxy-resolved one, server.trusted_proxies)."""
    user_id = context.viewer.user_id
    if user_id is not None:
        return f"user:{user_id}"
    return f"address:{context.request.remote or 'unknown'}"


def cost_limits_extension(app: web.Application) -> Callable[[], CostLimits]:
    """The extension factory; it reads what set_up_costs puts in the app."""
    graphql = app[SETTINGS].graphql
    return lambda: CostLimits(
        app[COST_CALCULATOR],
        max_cost=graphql.max_cost,
        report_always=graphql.report_cost,
        budget=app.get(COST_BUDGET),
    )


def set_up_costs(app: web.Application, schema: GraphQLSchema) -> None:
    """The calculator for the served schema, and the cost budget when one is configured."""
    settings = app[SETTINGS]
    app[COST_CALCULATOR] = CostCalculator(
        schema,
        page_size_default=settings.graphql.page_size_default,
        page_size_max=settings.graphql.page_size_max,
        bulk_max_ids=settings.graphql.bulk_max_ids,
    )
    budget = open_budget(settings.ratelimit)
    if budget is not None:
        app[COST_BUDGET] = budget
        app.cleanup_ctx.append(_close_budget)


async def _close_budget(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[COST_BUDGET].close()
