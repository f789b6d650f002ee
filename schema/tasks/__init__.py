"""The task domain of the GraphQL surface: types, connection, input, queries, mutations."""
