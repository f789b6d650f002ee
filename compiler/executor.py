"""Where compiled plans meet graphql-core: an executor class whose execute_operation runs the
operation's plan when there is one, and graphql-core's own execution otherwise.

Everything before execution is unchanged (the view, parsing and validation through the
document cache, the cost limits, the schema extensions): the plan replaces only the
resolution of fields, and the result goes back through strawberry like any other."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import strawberry
from graphql import FragmentDefinitionNode, OperationDefinitionNode

from compiler.counters import ExecutionCounters
from compiler.plan import Plan, PlanCompiler
from compiler.plan_cache import MAX_VARIANTS, OperationPlans, PlanCache
from compiler.reasons import Fallback, Reason
from compiler.run import run
from compiler.selections import condition_variables
from taskql.errors import ValidationFailed
from taskql.graphql_internals import ExecutorBase, graphql_core_schema

E = TypeVar("E", bound=ExecutorBase)


class Compiler:
    """One per app: the schema, the plan cache and the counters."""

    def __init__(self, *, plan_cache_size: int, text_budget: int) -> None:
        self.plans = PlanCache(plan_cache_size, text_budget=text_budget)
        self.counters = ExecutionCounters()
        self.schema: strawberry.Schema | None = None

    def bind(self, schema: strawberry.Schema) -> None:
        """The schema the plans are compiled against (built after the executor class)."""
        self.schema = schema

    def plan_for(
        self,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> Plan:
        """The operation's plan for these (coerced) variables; Fallback when there is none."""
        if self.schema is None:
            raise Fallback(Reason.EXECUTOR)
        entry = self.plans.get(operation)
        if entry is None:
            conditions = condition_variables([operation.selection_set], fragments)
            entry = OperationPlans(operation, conditions)
            self.plans.put(entry)
        key = tuple(variables.get(name) for name in entry.conditions)
        compiled = entry.variants.get(key)
        if compiled is None:
            if len(entry.variants) >= MAX_VARIANTS:
                raise Fallback(Reason.VARIANTS)
            values = dict(zip(entry.conditions, key, strict=True))
            compiled = self._compile(operation, fragments, values)
            entry.variants[key] = compiled
        if isinstance(compiled, Reason):
            raise Fallback(compiled)
        return compiled

    async def attempt(
        self, plan: Plan, context: Any, variables: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """The plan's data, counted as compiled; None, counted with its reason, when the run
        met a surprise: nothing was sent, and graphql-core answers the whole operation, errors
        and all."""
        assert self.schema is not None  # noqa: S101 - plan_for checked it
        try:
            data = await run(plan, self.schema, context, variables)
        except Fallback as fallback:
            reason = fallback.reason
        except ValidationFailed:
            reason = Reason.ARGUMENT
        except Exception:  # noqa: BLE001 - graphql-core runs it again and reports it
            reason = Reason.ANOMALY
        else:
            self.counters.count_compiled()
            return data
        self.counters.count_fallback(reason)
        return None

    def compiled(self, operation: OperationDefinitionNode) -> bool:
        """Whether the operation has a plan, for some values of the variables @skip/@include
        read."""
        entry = self.plans.get(operation)
        return entry is not None and any(isinstance(v, Plan) for v in entry.variants.values())

    def _compile(
        self,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        conditions: dict[str, Any],
    ) -> Plan | Reason:
        assert self.schema is not None  # noqa: S101 - checked by plan_for
        compiler = PlanCompiler(
            self.schema, graphql_core_schema(self.schema), fragments, conditions
        )
        try:
            return compiler.compile(operation)
        except Fallback as fallback:
            return fallback.reason


def compiling_executor(base: type[E], compiler: Compiler) -> type[E]:
    """`base` (graphql-core's executor, or the plain-field one) running compiled plans."""

    class CompilingExecutor(base):  # type: ignore[valid-type,misc]
        def execute_operation(self, serially: bool | None = None) -> Any:
            if not getattr(self.context_value, "compiled", True):
                return super().execute_operation(serially)  # its fallback is counted already
            try:
                plan = _plan_of(self, compiler)
            except Fallback as fallback:
                compiler.counters.count_fallback(fallback.reason)
                return super().execute_operation(serially)
            return self._run_compiled(plan, serially)

        async def _run_compiled(self, plan: Plan, serially: bool | None) -> Any:
            coerced = self.variable_values.coerced
            data = await compiler.attempt(plan, self.context_value, coerced)
            if data is not None:
                return self.build_response(data)
            result = super().execute_operation(serially)
            if self.is_awaitable(result):
                return await result
            return result

    CompilingExecutor.__name__ = f"Compiling{base.__name__}"
    CompilingExecutor.__qualname__ = CompilingExecutor.__name__
    return CompilingExecutor


def _plan_of(executor: Any, compiler: Compiler) -> Plan:
    if _unusual(executor):
        raise Fallback(Reason.EXECUTOR)
    return compiler.plan_for(
        executor.operation, executor.fragment_definitions, executor.variable_values.coerced
    )


def _unusual(executor: Any) -> bool:
    """Resolver middleware (a schema extension wrapping every resolver), an abort signal or
    early incremental execution: graphql-core's path knows what they need."""
    middleware = executor.middleware_manager
    return bool(
        (middleware is not None and getattr(middleware, "middlewares", None))
        or executor.abort_signal is not None
        or executor.enable_early_execution
    )
