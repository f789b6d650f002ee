"""The SQL of task pages: one page in page order, the same page for many owners, the filters.

Every builder takes the statement's `Sql` (it numbers the bound parameters) and returns text
whose values are all bound parameters. SQLite's `?` placeholders are positional, so text is
always built in the order it reads (callables make the repeated parts afresh each time).

A page is read forward (`first`: page order) or backward (`last`: reversed page order, the rows
nearest `before` first); either way the rows come back in *read* order with one look-ahead row.
When the page starts at a cursor in its read direction (`after` forward, `before` backward),
the same statement also looks for one row on the cursor's far side (the "probe", marked
`side = 1`), so hasPreviousPage / hasNextPage are exact at no extra statement.

Each page of a one-key ordering is a range scan of an (owner, sort, id) index; the docstrings
say how the shapes that an index cannot bound directly are split. Several keys are compared
lexicographically (mixed directions allowed), bounded on the first key so the scan still
starts at the cursor.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from models import task_search
from models.sql import SIDE, PageQuery, ReadKey, Sql
from models.task_values import (
    CLOSED_STATUSES,
    LIST_COLUMNS,
    NULLABLE_SORTS,
    TaskFilterSpec,
    TaskKeyset,
    TaskPage,
    TaskSort,
)

# Owners per UNION ALL of per-owner pages on SQLite; its compound SELECT takes 500 parts at most.
SQLITE_UNION_MAX_OWNERS = 200
OWNER_PREFIX = "owner__"
_NOTHING = "1 = 0"


def scope_clause(sql: Sql, owner_scope: uuid.UUID | None) -> list[str]:
    return [] if owner_scope is None else [f"owner_id = {sql.param(str(owner_scope))}"]


def scoped_owner_ids(owner_scope: uuid.UUID | None, owner_ids: Sequence[str]) -> list[str]:
    if owner_scope is None:
        return list(owner_ids)
    own = str(owner_scope)
    return [owner_id for owner_id in owner_ids if owner_id == own]


def ranked(page: TaskPage) -> bool:
    return any(key.sort is TaskSort.RELEVANCE for key in page.order)


def filter_clauses(sql: Sql, filters: TaskFilterSpec, *, ranked: bool = False) -> list[str]:
    """WHERE conditions of the filters. `ranked`: the page reads from the ranked search
    (source()), which applies the search itself."""
    clauses = []
    if filters.owner_id is not None:
        clauses.append(f"owner_id = {sql.param(str(filters.owner_id))}")
    if filters.statuses:
        clauses.append(f"status IN ({', '.join(sql.param(s.value) for s in filters.statuses)})")
    if filters.priorities:
        clauses.append(f"priority IN ({', '.join(sql.param(int(p)) for p in filters.priorities)})")
    if filters.due_before is not None:
        clauses.append(f"due_at < {sql.param(utc(filters.due_before))}")
    if filters.due_after is not None:
        clauses.append(f"due_at > {sql.param(utc(filters.due_after))}")
    if filters.overdue is not None:
        now = sql.param(datetime.now(UTC))
        closed = ", ".join(f"'{status.value}'" for status in CLOSED_STATUSES)
        if filters.overdue:
            clauses.append(f"(due_at < {now} AND status NOT IN ({closed}))")
        else:
            clauses.append(f"(due_at IS NULL OR due_at >= {now} OR status IN ({closed}))")
    if filters.title_contains:
        escaped = re.sub(r"([\\%_])", r"\\\1", filters.title_contains)
        # SQLite's LIKE ignores case (ASCII only); PostgreSQL needs ILIKE.
        operator = "ILIKE" if sql.postgres else "LIKE"
        clauses.append(f"title {operator} {sql.param(f'%{escaped}%')} ESCAPE '\\'")
    if filters.search is not None and not ranked:
        clauses.append(search_clause(sql, filters.search))
    return clauses


def search_clause(sql: Sql, words: str) -> str:
    """Tasks whose title or description holds every word (as a word prefix), by the index."""
    if not words:
        return _NOTHING
    if sql.postgres:
        query = sql.param(task_search.tsquery(words))
        return f"search_vector @@ to_tsquery('{task_search.TS_CONFIG}', {query})"
    match = sql.param(task_search.fts5_query(words))
    return f"rowid IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH {match})"  # noqa: S608


def source(sql: Sql, page: TaskPage) -> str:
    """What a page reads FROM: the table, or for a RELEVANCE order the matching tasks with
    their rank as the column `relevance` (higher is more relevant), named `tasks` too."""
    if not ranked(page):
        return "tasks"
    words = page.filters.search or ""
    if not words:
        return f"(SELECT tasks.*, 0.0 AS relevance FROM tasks WHERE {_NOTHING}) AS tasks"  # noqa: S608
    if sql.postgres:
        query = f"to_tsquery('{task_search.TS_CONFIG}', {sql.param(task_search.tsquery(words))})"
        return (
            f"(SELECT tasks.*, ts_rank(search_vector, {query}) AS relevance FROM tasks"  # noqa: S608
            f" WHERE search_vector @@ {query}) AS tasks"
        )
    # bm25() is lower for better matches; negated, higher is better as on PostgreSQL.
    match = sql.param(task_search.fts5_query(words))
    return (
        "(SELECT tasks.*, -bm25(tasks_fts) AS relevance FROM tasks_fts"  # noqa: S608
        f" JOIN tasks ON tasks.rowid = tasks_fts.rowid WHERE tasks_fts MATCH {match}) AS tasks"
    )


def read_keys(page: TaskPage) -> list[ReadKey]:
    """The keys rows are read in: the page order (reversed when reading backward), then id."""
    keys = [
        ReadKey(key.sort.value, key.descending, "last" if key.sort in NULLABLE_SORTS else None)
        for key in page.order
    ]
    keys.append(ReadKey("id", page.order[-1].descending, None))
    return [key.reversed() for key in keys] if page.backward else keys


def page_query(page: TaskPage, text: str) -> PageQuery:
    """`text`, page_select's statement for `page` (or with_owners' of it), as part of a
    larger statement."""
    keys = tuple(read_keys(page))
    return PageQuery(text, probe=page.probe is not None, read_keys=keys, backward=page.backward)


def order_by(keys: Sequence[ReadKey], prefix: str = "") -> str:
    return ", ".join(key.sql(prefix) for key in keys)


def with_owners(page: TaskPage, query: str, owner_columns: Sequence[str]) -> str:
    """The page's rows, each with its owner's columns (named OWNER_PREFIX + column): the
    owners come in the same statement instead of a read of their own. The join is ordered
    again in the page's read order, by the page's own columns (select_columns always holds
    the sort keys), qualified: users has columns of the same names."""
    keys = order_by(read_keys(page), prefix="page.")
    order = keys if page.probe is None else f"page.{SIDE}, {keys}"
    owner = ", ".join(f"owner.{column} AS {OWNER_PREFIX}{column}" for column in owner_columns)
    return (
        f"SELECT page.*, {owner} FROM ({query}) AS page"  # noqa: S608 - fixed parts
        f" LEFT JOIN users AS owner ON owner.id = page.owner_id ORDER BY {order}"
    )


def page_select(sql: Sql, page: TaskPage, base: Callable[[], list[str]]) -> str:
    """SELECT of one page in read order, with the probe row when the page starts at a cursor.

    `base` makes the scope/filter clauses; it is called once per part (positional `?`).
    """
    keys = read_keys(page)
    start, end = (page.before, page.after) if page.backward else (page.after, page.before)
    main = _scan(sql, page, base, keys, start=start, inclusive=False, end=end, limit=page.limit)
    if page.probe is None:
        return main
    probe = _scan(
        sql,
        page,
        base,
        [key.reversed() for key in keys],
        start=page.probe,
        inclusive=True,
        end=None,
        limit=1,
    )
    names = select_columns(page)
    return (
        f"SELECT {names}, 0 AS {SIDE} FROM ({main}) AS page"  # noqa: S608 - fixed parts
        f" UNION ALL SELECT {names}, 1 AS {SIDE} FROM ({probe}) AS probe"
        f" ORDER BY {SIDE}, {order_by(keys)}"
    )


def _scan(
    sql: Sql,
    page: TaskPage,
    base: Callable[[], list[str]],
    keys: list[ReadKey],
    *,
    start: TaskKeyset | None,
    inclusive: bool,
    end: TaskKeyset | None,
    limit: int,
) -> str:
    """The first `limit` rows in the order `keys` after `start` (at or after: `inclusive`)
    and before `end`.

    A nullable one-key order (dueAt, nulls last) is split into the dated and the undated
    tasks: "(due_at, id) > cursor OR due_at IS NULL" cannot bound an index scan, and DESC
    NULLS LAST is not the order of a backward scan of an ascending index.
    """
    columns = select_columns(page)
    if len(keys) == 2 and keys[0].nulls is not None:  # noqa: PLR2004 - one key and the id
        return _split_scan(sql, page, base, keys, start, inclusive, end, limit)
    from_ = source(sql, page)  # first: its parameters come first in the text
    where = [*base()]
    if start is not None:
        where.append(beyond(sql, keys, start, inclusive=inclusive))
    if end is not None:
        where.append(beyond(sql, [key.reversed() for key in keys], end, inclusive=False))
    return (
        f"SELECT {columns} FROM {from_}{where_sql(where)}"  # noqa: S608 - fixed parts
        f" ORDER BY {order_by(keys)} LIMIT {sql.limit(limit)}"
    )


def _split_scan(  # noqa: PLR0917 - the private half of _scan
    sql: Sql,
    page: TaskPage,
    base: Callable[[], list[str]],
    keys: list[ReadKey],
    start: TaskKeyset | None,
    inclusive: bool,
    end: TaskKeyset | None,
    limit: int,
) -> str:
    columns = select_columns(page)
    due, id_key = keys
    bounds = [
        (keyset, key, closed)
        for keyset, key, closed in ((start, due, inclusive), (end, due.reversed(), False))
        if keyset is not None
    ]
    parts: list[str] = []
    for dated in (True, False) if due.nulls == "last" else (False, True):
        if any(_half_skipped(key, keyset, dated=dated) for keyset, key, _ in bounds):
            continue
        from_ = source(sql, page)
        where = [*base(), "due_at IS NOT NULL" if dated else "due_at IS NULL"]
        for keyset, key, closed in bounds:
            bound = _half_bound(sql, key, keyset, dated=dated, inclusive=closed)
            if bound is not None:
                where.append(bound)
        # The dated half holds no NULL: a plain direction is the index's order (or its
        # backward scan), where NULLS LAST on DESC would force a sort.
        plain_due = ReadKey(due.column, due.descending, None)
        order = order_by([plain_due, id_key] if dated else [id_key])
        parts.append(
            f"SELECT * FROM (SELECT {columns} FROM {from_}"  # noqa: S608 - fixed parts
            f"{where_sql(where)} ORDER BY {order} LIMIT {sql.limit(limit)}) AS half{len(parts)}"
        )
    if not parts:
        return f"SELECT {columns} FROM tasks WHERE {_NOTHING}"  # noqa: S608 - fixed parts
    return f"{' UNION ALL '.join(parts)} ORDER BY {order_by(keys)} LIMIT {sql.limit(limit)}"


def _half_skipped(key: ReadKey, keyset: TaskKeyset, *, dated: bool) -> bool:
    """Whether no row of the dated (undated) half lies beyond `keyset` in `key`'s order."""
    undated_cursor = keyset.values[0] is None
    nulls_last = key.nulls == "last"
    # Beyond an undated cursor, reading with NULLs last, only undated rows remain; beyond a
    # dated cursor, reading with NULLs first, only dated ones.
    return (dated and undated_cursor and nulls_last) or (
        not dated and not undated_cursor and not nulls_last
    )


def _half_bound(
    sql: Sql, key: ReadKey, keyset: TaskKeyset, *, dated: bool, inclusive: bool
) -> str | None:
    """The bound "beyond `keyset` in `key`'s order" within a half that is not skipped
    (None: the whole half lies beyond it)."""
    value = keyset.values[0]
    operator = ("<" if key.descending else ">") + ("=" if inclusive else "")
    if dated:
        if value is None:  # an undated cursor read with NULLs first: every dated row follows
            return None
        return f"(due_at, id) {operator} ({sql.param(bind(value))}, {sql.param(keyset.id)})"
    if value is None:
        return f"id {operator} {sql.param(keyset.id)}"
    return None  # a dated cursor read with NULLs last: every undated row follows


def beyond(sql: Sql, keys: Sequence[ReadKey], keyset: TaskKeyset, *, inclusive: bool) -> str:
    """Rows after `keyset` in the order `keys` (at or after it: `inclusive`)."""
    values = (*keyset.values, keyset.id)
    if all(key.nulls is None for key in keys) and len({key.descending for key in keys}) == 1:
        # One direction, no NULLs: a row-value comparison, which bounds an index scan.
        operator = ("<" if keys[0].descending else ">") + ("=" if inclusive else "")
        columns = ", ".join(key.column for key in keys)
        params = ", ".join(sql.param(bind(value)) for value in values)
        return f"({columns}) {operator} ({params})"
    clauses = []
    first, first_value = keys[0], values[0]
    if first.nulls is None:
        # Not needed for the result; it lets the scan start at the cursor's first key.
        operator = "<=" if first.descending else ">="
        clauses.append(f"{first.column} {operator} {sql.param(bind(first_value))}")
    alternatives = []
    for index, key in enumerate(keys):
        closed = inclusive and index == len(keys) - 1
        if values[index] is None and key.nulls == "last" and not closed:
            continue  # nothing follows NULL when NULLs come last (checked before binding)
        equal = [_equal(sql, keys[i], values[i]) for i in range(index)]
        alternatives.append(
            " AND ".join([*equal, _after(sql, key, values[index], inclusive=closed)])
        )
    clauses.append(f"({' OR '.join(alternatives) or _NOTHING})")
    return f"({' AND '.join(clauses)})"


def _equal(sql: Sql, key: ReadKey, value: Any) -> str:
    return f"{key.column} IS NULL" if value is None else f"{key.column} = {sql.param(bind(value))}"


def _after(sql: Sql, key: ReadKey, value: Any, *, inclusive: bool) -> str:
    """Rows whose `key` lies after `value` (or equals it: `inclusive`) in the key's order."""
    nulls_last = key.nulls == "last"
    if value is None:
        if inclusive:
            return f"{key.column} IS NULL" if nulls_last else "1 = 1"
        return _NOTHING if nulls_last else f"{key.column} IS NOT NULL"
    operator = ("<" if key.descending else ">") + ("=" if inclusive else "")
    compared = f"{key.column} {operator} {sql.param(bind(value))}"
    return f"({compared} OR {key.column} IS NULL)" if nulls_last else compared


def select_columns(page: TaskPage) -> str:
    """Only what the operation reads: lists are the hot path and rows cost per column."""
    return ", ".join(_column_names(page))


def _column_names(page: TaskPage) -> list[str]:
    sorts = {key.sort.value for key in page.order}
    everything = (*LIST_COLUMNS, "description")
    if page.columns is None:
        names = list(everything)
    else:
        wanted = {"id", "owner_id"} | sorts | page.columns
        names = [column for column in everything if column in wanted]
    if TaskSort.RELEVANCE.value in sorts:
        names.append(TaskSort.RELEVANCE.value)
    return names


def where_sql(clauses: list[str]) -> str:
    return f" WHERE {' AND '.join(clauses)}" if clauses else ""


def utc(value: datetime | None) -> datetime | None:
    # SQLite compares the stored ISO text, so every datetime written or compared must be UTC.
    return None if value is None else value.astimezone(UTC)


def bind(value: Any) -> Any:
    return utc(value) if isinstance(value, datetime) else value


def owners_pages_select(sql: Sql, page: TaskPage, owner_ids: Sequence[str]) -> str:
    """The same page for each owner in one statement, ordered by owner then read order."""
    keys = read_keys(page)
    side = f"{SIDE}, " if page.probe is not None else ""
    is_ranked = ranked(page)
    if sql.postgres:
        # LATERAL walks each owner's (owner_id, sort, id) index and stops after `limit` rows.
        owners = sql.param(list(owner_ids))
        per_owner = page_select(
            sql,
            page,
            lambda: [
                "tasks.owner_id = o.owner_id",
                *filter_clauses(sql, page.filters, ranked=is_ranked),
            ],
        )
        outer_side = f"t.{SIDE}, " if page.probe is not None else ""
        return (
            f"SELECT t.* FROM unnest({owners}::uuid[]) WITH ORDINALITY AS o(owner_id, ord)"  # noqa: S608
            f" CROSS JOIN LATERAL ({per_owner}) AS t ORDER BY o.ord, {outer_side}"
            f"{order_by(keys, 't.')}"
        )
    if len(owner_ids) <= SQLITE_UNION_MAX_OWNERS:
        # SQLite has no LATERAL: one page per owner, each a range scan of the owner's index,
        # joined by UNION ALL. 20 owners of 50 tasks: 0.6 ms, against 7 ms for the window
        # function below, which reads and sorts every task of those owners.
        parts = [
            f"SELECT * FROM ({page_select(sql, page, _owner_clauses(sql, page, owner_id))})"  # noqa: S608
            for owner_id in owner_ids
        ]
        return f"{' UNION ALL '.join(parts)} ORDER BY owner_id, {side}{order_by(keys)}"
    # More owners than a compound SELECT may join: one window function over their tasks.
    main = _windowed(sql, page, owner_ids, keys, page.limit, start_inclusive=False)
    if page.probe is None:
        return f"{main} ORDER BY owner_id, {order_by(keys)}"
    probe = _windowed(
        sql, page, owner_ids, [key.reversed() for key in keys], 1, start_inclusive=True
    )
    names = select_columns(page)
    return (
        f"SELECT {names}, 0 AS {SIDE} FROM ({main}) AS page"  # noqa: S608 - fixed parts
        f" UNION ALL SELECT {names}, 1 AS {SIDE} FROM ({probe}) AS probe"
        f" ORDER BY owner_id, {SIDE}, {order_by(keys)}"
    )


def _windowed(
    sql: Sql,
    page: TaskPage,
    owner_ids: Sequence[str],
    keys: list[ReadKey],
    limit: int,
    *,
    start_inclusive: bool,
) -> str:
    columns = select_columns(page)
    from_ = source(sql, page)
    placeholders = ", ".join(sql.param(owner_id) for owner_id in owner_ids)
    where = [
        f"owner_id IN ({placeholders})",
        *filter_clauses(sql, page.filters, ranked=ranked(page)),
    ]
    if start_inclusive:
        probe = page.probe
        if probe is not None:
            where.append(beyond(sql, keys, probe, inclusive=True))
    else:
        start, end = (page.before, page.after) if page.backward else (page.after, page.before)
        if start is not None:
            where.append(beyond(sql, keys, start, inclusive=False))
        if end is not None:
            where.append(beyond(sql, [key.reversed() for key in keys], end, inclusive=False))
    return (
        f"SELECT {columns} FROM (SELECT {columns}, ROW_NUMBER() OVER"  # noqa: S608
        f" (PARTITION BY owner_id ORDER BY {order_by(keys)}) AS rn"
        f" FROM {from_}{where_sql(where)}) AS numbered WHERE rn <= {sql.param(limit)}"
    )


def _owner_clauses(sql: Sql, page: TaskPage, owner_id: str) -> Callable[[], list[str]]:
    is_ranked = ranked(page)
    return lambda: [
        f"owner_id = {sql.param(owner_id)}",
        *filter_clauses(sql, page.filters, ranked=is_ranked),
    ]
