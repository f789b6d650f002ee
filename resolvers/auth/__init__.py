"""Signing up, in and out: the mutations' resolvers, sessions (refresh rotation) and the
login limits, all of which need the models. The primitives (tokens, passwords, the viewer)
stay in the core, taskql.auth."""
