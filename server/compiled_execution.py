"""Wiring of compiled execution (compiler/): the app's compiler, when the setting is on."""

from __future__ import annotations

from typing import TypeVar

import strawberry
from aiohttp import web

from compiler import Compiler, compiling_executor
from taskql.graphql_internals import ExecutorBase
from taskql.settings import Settings

E = TypeVar("E", bound=ExecutorBase)

# The app's compiler (plans and counters), absent when graphql.compiled_execution is off.
COMPILER = web.AppKey("compiler", Compiler)


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
