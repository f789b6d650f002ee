"""The plans of this process: a bounded LRU by operation.

Keyed by the operation's AST node, which the document cache (server/graphql_documents.py)
keeps for each distinct text: the same text is the same node, so a lookup is one dict read
with no hashing of the tree. The entry holds the node, so its id cannot be reused while the
entry lives, and the identity is checked on every hit. Each entry keeps a plan per
combination of the variables @skip/@include read, at most MAX_VARIANTS of them.

Holding the node keeps its syntax tree alive after the document cache dropped it, so the
cache is bounded twice: by entries, and by the length of the operations' text (the document
cache's own budget, graphql.document_cache_text_bytes), so distinct large documents cannot
pin more trees than the document cache itself would keep.
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

    @property
    def size(self) -> int:
        """Characters of the operation's text: what its tree costs, roughly in proportion."""
        location = self.operation.loc
        return 1 if location is None else max(1, location.end - location.start)


class PlanCache:
    def __init__(self, capacity: int, *, text_budget: int) -> None:
        self.capacity = capacity
        self.text_budget = text_budget
        self.text_size = 0
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
        key = id(entry.operation)
        replaced = self._entries.pop(key, None)
        if replaced is not None:
            self.text_size -= replaced.size
        self._entries[key] = entry
        self.text_size += entry.size
        while len(self._entries) > self.capacity or (
            self.text_size > self.text_budget and len(self._entries) > 1
        ):
            _, evicted = self._entries.popitem(last=False)
            self.text_size -= evicted.size
