"""Which fields of interest an operation selects below the current field.

Resolvers use it to skip work nobody asked for: columns not selected, owners not selected,
cursors (an HMAC each) not selected.
"""

from __future__ import annotations

from resolvers.context import Info

CURSOR_NAMES = frozenset({"cursor", "startCursor", "endCursor"})


def selected_names(info: Info) -> frozenset[str]:
    """The names of the fields selected anywhere below this field (nested ones included).

    Memoised per request by response path without list indices: User.tasks resolves once
    per user with the same selection, and converting a selection is not free.
    """
    memo = info.context.loaders.selections
    key = tuple(part for part in info.path.as_list() if isinstance(part, str))
    names = memo.get(key)
    if names is None:
        found: set[str] = set()
        pending = list(info.selected_fields)
        while pending:
            selection = pending.pop()
            name = getattr(selection, "name", None)
            if name is not None:
                found.add(name)
            pending.extend(selection.selections)
        names = memo[key] = frozenset(found)
    return names
