"""The user domain of the GraphQL surface: types, connection, queries, mutations."""
