"""The plans of this process: a bounded LRU by operation.

Keyed by the operation's AST node, which the document cache (server/graphql_documents.py)
keeps for each distinct text: the same text is the same node, so a lookup is one dict read
with no hashing of the tree. The entry holds the node, so its id cannot be reused while the
entry lives, and the identity is checked on every hit. Each entry keeps a plan per
combination of the variables @skip/@include read, at most MAX_VARIANTS of them.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from graphql import OperationDefinitionNode

from compiler.plan import Plan
from compiler.reasons import Reason

MAX_VARIANTS = 16

# A plan, or why the operation (with these condition values) is not compiled.
Compiled = Plan | Reason


@dataclass(slots=True)
class OperationPlans:
    operation: OperationDefinitionNode
    conditions: tuple[str, ...]  # the variables @skip/@include read
    variants: dict[tuple[object, ...], Compiled] = field(default_factory=dict)


class PlanCache:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[int, OperationPlans] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, operation: OperationDefinitionNode) -> OperationPlans | None:
        key = id(operation)
        entry = self._entries.get(key)
        if entry is None or entry.operation is not operation:
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, entry: OperationPlans) -> None:
        self._entries[id(entry.operation)] = entry
        self._entries.move_to_end(id(entry.operation))
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
