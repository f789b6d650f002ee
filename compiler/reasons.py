"""Why an operation ran through graphql-core instead of a compiled plan: a bounded set, so
the values can label metrics."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    MUTATION = "mutation"
    SUBSCRIPTION = "subscription"
    INTROSPECTION = "introspection"
    # A field whose resolver the compiler does not know.
    FIELD = "field"
    # An argument the compiler does not know, or invalid (reported by graphql-core).
    ARGUMENT = "argument"
    # A directive other than @skip/@include (@defer, @stream, ...).
    DIRECTIVE = "directive"
    # An interface or union type condition.
    ABSTRACT = "abstract"
    # A permission class denied, raised, or could not be run once for the request.
    PERMISSION = "permission"
    # At run time: a null in a non-null field, a value that did not convert, an error.
    ANOMALY = "anomaly"
    # The executor has resolver middleware, an abort signal or incremental delivery.
    EXECUTOR = "executor"
    # Too many @skip/@include variable combinations of one operation kept already.
    VARIANTS = "variants"


class Fallback(Exception):
    """Raised while compiling or running a plan: graphql-core answers instead."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value)
        self.reason = reason
