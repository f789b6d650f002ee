"""Who is calling: passwords, tokens, roles, revocation and the per-request viewer."""
