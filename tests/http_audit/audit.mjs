// Runs graphql-http's GraphQL-over-HTTP server audits against a running server and prints
// one JSON array of {id, name, status, reason} on stdout (tests/test_graphql_over_http.py).
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

const results = [];
// One after the other: the server under test is a single small test process.
for (const { fn } of serverAudits({ url })) {
  const result = await fn();
  results.push({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.reason ?? null,
  });
}
process.stdout.write(JSON.stringify(results));
