"""GraphiQL served by TaskQL itself, so the IDE works with no internet.

The browser files are vendored from npm by scripts/fetch_graphiql_assets.py (pinned versions,
manifest.json with their hashes) and shipped as package data, like the example operations.
"""

from server.graphiql.assets import add_graphiql_routes
from server.graphiql.page import graphiql_response

__all__ = ["add_graphiql_routes", "graphiql_response"]
