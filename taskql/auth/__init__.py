"""Who is calling: the primitives (passwords, tokens, roles, the per-request viewer); sessions
and login limits, which need the models, are in resolvers.auth."""
