"""How many executions ran compiled, and how many fell back and why: kept in the process
(tests, debugging), logged at DEBUG and counted in Prometheus when metrics are on."""

from __future__ import annotations

import logging
from collections import Counter

from compiler.reasons import Reason
from taskql import metrics
from taskql.logging import get_logger

log = get_logger("taskql.compiler")

COMPILED = "compiled"
FALLBACK = "fallback"


class ExecutionCounters:
    def __init__(self) -> None:
        self.compiled = 0
        self.fallbacks: Counter[Reason] = Counter()

    def count_compiled(self) -> None:
        self.compiled += 1
        metrics.count_execution(COMPILED, "none")
        if log.isEnabledFor(logging.DEBUG):  # skip structlog's processors on the hot path
            log.debug("graphql execution", path=COMPILED)

    def count_fallback(self, reason: Reason) -> None:
        self.fallbacks[reason] += 1
        metrics.count_execution(FALLBACK, reason.value)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("graphql execution", path=FALLBACK, reason=reason.value)
