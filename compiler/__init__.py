"""Compiled execution: a validated query runs as a cached plan instead of graphql-core's
per-field machinery.

What is compiled. A query operation whose every selection the compiler knows: the root
lists `tasks` (arguments `filter`, `orderBy`, `first`, `after`, `last`, `before`) and `users`
(the same but `filter`), as the resolvers take them, literal or from variables; their
connections (`edges`, `cursor`, `node`, `pageInfo`), every plain field of Task and User
(`id` as the Relay global id, made by taskql.global_ids' encode_task/encode_user as the
types make it), `Task.owner`, `User.tasks` below the users list, and `__typename` anywhere;
through aliases, named and inline fragments and `@skip`/`@include` (literal or with
variables). A plan knows, per response key, which read
feeds it and how its value is made; it is built once per (document, operation name, values
of the variables that @skip/@include read) and kept in a bounded LRU (plan_cache.py).

How it reads. The reads are the resolvers' own functions (resolvers.tasks.queries.tasks_page,
owners_task_pages, resolvers.users.queries.users_page): the same scope function, the same
SQL builders, the same number of statements, chosen at compile time (one per list level,
the root tasks page joining its owners; one more for the owners of User.tasks pages). Rows go
straight into the response dicts: no strawberry object, no graphql-core field resolution.
On PostgreSQL, a list whose selection PostgreSQL can write (no cursors, no pageInfo) is one
statement returning its JSON text instead, the same page statement as its subquery
(json_sql.py says how and why it is the same answer).
Each edge and node plan is written out once, when it is compiled, as a generated Python
function (builders.py: straight-line code, one dict literal per row; only response keys and
column names, through repr, reach its source). The root field's permission classes run once
per request before its read.

What falls back, and why that is always the same answer. Anything the compiler does not
know is left to graphql-core exactly as before: mutations, subscriptions, introspection,
abstract types, fields whose resolver it does not know (totalCount, taskCounts, me, ...),
arguments it does not know, directives other than @skip/@include, an executor with resolver
middleware or an abort signal. At run time any surprise (a permission that denies or raises,
invalid arguments or cursors, a null where the type forbids one, a value that does not
convert, a database error) abandons the compiled answer before anything is sent and runs
the whole operation through graphql-core, which produces the errors, the bubbling and the
partial data exactly as it always does; the compiled path itself never reports an error.
Leaf values are converted by the schema's own output coercion, and enum and email rules by
the schema's own maps and permission function, so a compiled answer is what graphql-core
would have built from the same rows. The differential harness (wave4-harness) compares both.

Two callers run plans: the executor class (executor.py), inside strawberry's view and
Schema.execute, and server/compiled_http.py, which answers a (document, operation) pair the
executor already answered without errors straight from the HTTP body, with the same plan and
the same run, so only the fixed cost of the view differs.

`graphql.compiled_execution = false` turns it off (the app then uses the plain executor).
Each execution is counted as compiled or as a fallback with its reason (counters.py).
"""

from compiler.executor import Compiler, compiling_executor
from compiler.reasons import Reason

__all__ = ["Compiler", "Reason", "compiling_executor"]
