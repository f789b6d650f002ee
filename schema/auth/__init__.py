"""The sign-in domain of the GraphQL surface: types, input, mutations, and the rule of one
password field per operation."""
