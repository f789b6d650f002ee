"""Tortoise models and the keyword-only functions that read and write them.

Nothing here knows about GraphQL. The module list is what Tortoise and aerich load.
"""

MODEL_MODULES = ["models.users", "models.credentials", "models.tasks", "models.audit"]
