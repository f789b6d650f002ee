"""Wiring of compiled execution (compiler/): the app's compiler, when the setting is on."""

from __future__ import annotations

from typing import TypeVar

import strawberry
from aiohttp import web

from compiler import Compiler, compiling_executor
from server.app_keys import DATABASE_MONITOR, SETTINGS
from server.compiled_http import CompiledAnswers
from server.graphql_cost_limits import COST_BUDGET, COST_CALCULATOR
from server.graphql_documents import DOCUMENTS
from server.persisted_queries import PERSISTED_QUERIES
from taskql.graphql_internals import ExecutorBase, graphql_core_schema
from taskql.settings import Settings

E = TypeVar("E", bound=ExecutorBase)

# The app's compiler (plans and counters), absent when graphql.compiled_execution is off.
COMPILER = web.AppKey("compiler", Compiler)
# Its answers straight from the HTTP body (server/compiled_http.py), present with it.
COMPILED_ANSWERS = web.AppKey("compiled_answers", CompiledAnswers)


def with_compiled_plans(app: web.Application, settings: Settings, executor: type[E]) -> type[E]:
    """`executor` running compiled plans, when graphql.compiled_execution is on."""
    if not settings.graphql.compiled_execution:
        return executor
    compiler = Compiler(
        plan_cache_size=settings.graphql.compiled_plan_cache_size,
        # Plans keep their operation's tree: no more text than the document cache keeps.
        text_budget=settings.graphql.document_cache_text_bytes,
    )
    app[COMPILER] = compiler
    return compiling_executor(executor, compiler)


def bind_compiled_plans(app: web.Application, schema: strawberry.Schema) -> None:
    if COMPILER in app:
        app[COMPILER].bind(schema)


def answer_compiled_over_http(app: web.Application, schema: strawberry.Schema) -> None:
    """Compiled answers without the view, once the documents, costs and persisted queries
    of the app are set up."""
    if COMPILER not in app:
        return
    app[COMPILED_ANSWERS] = CompiledAnswers(
        app[COMPILER],
        schema=graphql_core_schema(schema),
        documents=app[DOCUMENTS],
        persisted=app[PERSISTED_QUERIES],
        costs=app[COST_CALCULATOR],
        settings=app[SETTINGS].graphql,
        budget=COST_BUDGET in app,
        monitor=app[DATABASE_MONITOR],
    )
