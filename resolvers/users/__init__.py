"""User resolvers: input checks (input), the users list's cursors (pages), reads (queries) and
writes (mutations). They return model instances, rows and pages; schema.users builds types."""
