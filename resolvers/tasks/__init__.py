"""Task resolvers: input checks (input), page requests and cursors (pages), reads (queries)
and writes (mutations). They return rows, pages and plain values; schema.tasks builds types."""
