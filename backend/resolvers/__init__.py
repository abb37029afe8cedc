"""Root-field resolvers: check input, call one service, map the result to GraphQL types."""
