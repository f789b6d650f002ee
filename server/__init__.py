"""The wiring: the app factory, the GraphQL view, middlewares, the server and the CLI.

The top layer: it builds the application from everything below it (schema, resolvers, models,
and the core in taskql/), and nothing below imports it. See [tool.importlinter] in
pyproject.toml.
"""
