"""Tortoise models and the keyword-only functions that read and write them.

Nothing here knows about GraphQL. The module list Tortoise and aerich load is
`taskql.database.MODEL_MODULES` (strings, so the core imports no model): add new modules there.
"""
