# The two commands of the README, and the one CI runs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# A hung test must fail the run, never stall it.
TEST_TIMEOUT ?= 1500

.PHONY: run test check lint layers typecheck format migrations schema bench clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

run: $(INSTALLED)  ## migrate the SQLite default and serve GraphiQL on http://127.0.0.1:8000/graphql
	$(BIN)/taskql migrate
	$(BIN)/taskql serve

test: $(INSTALLED)  ## the whole suite (SQLite unless TASKQL_DATABASE__URL says otherwise)
	timeout $(TEST_TIMEOUT) $(BIN)/pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile

# Imports go one way: server > compiler > schema > resolvers > models > taskql (contracts in
# pyproject.toml, [tool.importlinter]).
layers: $(INSTALLED)
	$(BIN)/lint-imports

typecheck: $(INSTALLED)
	$(BIN)/mypy .

check: lint layers typecheck test  ## exactly what CI runs on SQLite

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations: $(INSTALLED)  ## after changing models: make migrations NAME=add_something
	$(BIN)/taskql make-migrations $(NAME)

schema: $(INSTALLED)  ## after changing the GraphQL schema
	$(BIN)/taskql export-schema

bench: $(INSTALLED)  ## seed the bench databases, measure TaskQL against the ceiling (bench/README.md)
	$(BIN)/python -m bench.compare $(BENCH_ARGS)

clean:
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache
