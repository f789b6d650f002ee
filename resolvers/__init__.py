"""Thin resolver functions: validate input, call models/, map results to schema types."""
