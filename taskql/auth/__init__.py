"""Who is calling: passwords, tokens, revocation and the per-request viewer."""
