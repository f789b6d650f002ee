"""The @cost schema directive: what a field weighs in the query cost analysis.

It is printed in the SDL, so frontend teams read every field's cost where they read its type;
the server reads the same annotations back (server/graphql_cost.py).
"""

from __future__ import annotations

import strawberry
from strawberry.schema_directive import Location


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="The field's part in an operation's cost (refused over graphql.max_cost): "
    "`weight`, what the field costs itself (1 when absent); `multiplier`, the argument whose "
    "value (graphql.page_size_default when not given) multiplies the cost of the list fields "
    "selected directly below it, such as a connection's edges; `perItem`, the list argument whose "
    "length (at most graphql.bulk_max_ids) multiplies the field's whole cost, as in a bulk "
    "mutation.",
)
class Cost:
    # UNSET rather than a default: the SDL then shows only what a field sets.
    weight: int | None = strawberry.UNSET
    multiplier: str | None = strawberry.UNSET
    # A bulk mutation: the list argument whose length (at most graphql.bulk_max_ids) the
    # field's whole cost, its weight and its selection, is counted by.
    per_item: str | None = strawberry.UNSET


# The annotations the schema uses, named for what they describe.
PAGE = Cost(multiplier="first")
# A bulk mutation: the field and its selection once per id.
PER_ID = Cost(per_item="ids")
