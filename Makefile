# elitekb developer tasks (GNU make). `make help` lists them; `make run` is the quick start.
# Every tool is called as .venv/bin/<tool>, so nothing depends on an activated virtualenv.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules --no-builtin-variables

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Extra flags for bench/http_bench.py, e.g. BENCH_ARGS='--seconds-c64 30 --tool httpx'.
BENCH_ARGS ?=
# Extra flags for bench/search_bench.py, e.g. SEARCH_BENCH_ARGS='--backend sqlite --claims 20000'.
SEARCH_BENCH_ARGS ?=
# Extra flags for bench/read_bench.py, e.g. READ_BENCH_ARGS='--backends sqlite --sizes 2000,20000'.
READ_BENCH_ARGS ?=
# Extra flags for bench/feed_bench.py, e.g. FEED_BENCH_ARGS='--backends sqlite --claims 20000'.
FEED_BENCH_ARGS ?=
# Extra flags for `make lock`, e.g. LOCK_FLAGS=--upgrade or LOCK_FLAGS='--upgrade-package fastapi'.
LOCK_FLAGS ?=
UV_VERSION ?= 0.13.9
# Only the source directories that exist yet.
LINT_DIRS := $(wildcard app tests migrations seed bench)

export PIP_DISABLE_PIP_VERSION_CHECK := 1

# The stamps make re-running install cheap: pip runs again only when a lock file or
# pyproject.toml is newer than the last successful install.
INSTALL_STAMP := $(VENV)/.install.stamp
INSTALL_DEV_STAMP := $(VENV)/.install-dev.stamp

# Locks target Python 3.11 on Linux whatever machine regenerates them. The dev lock is resolved
# first and constrains the runtime one, so the two never pin different versions of a package.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --quiet --generate-hashes \
	--python-version 3.11 --python-platform linux --custom-compile-command 'make lock' $(LOCK_FLAGS)

.PHONY: help install install-dev run test lint fmt lock bench bench-search bench-reads bench-feed clean clean-data

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  Variables: HOST=$(HOST) PORT=$(PORT) PYTEST_ARGS='$(PYTEST_ARGS)' LOCK_FLAGS='$(LOCK_FLAGS)'"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# `pip check` catches a lock file that no longer covers pyproject.toml's dependencies.
define pip_install
	$(BIN)/pip install --require-hashes -r $(1)
	$(BIN)/pip install --no-deps -e .
	$(BIN)/pip check || { echo "$(1) is out of date with pyproject.toml: run 'make lock'" >&2; exit 1; }
	touch $@
endef

$(INSTALL_STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(call pip_install,requirements.lock)

$(INSTALL_DEV_STAMP): requirements-dev.lock pyproject.toml | $(BIN)/python
	$(call pip_install,requirements-dev.lock)

install: $(INSTALL_STAMP) ## Create .venv and install the locked runtime dependencies + elitekb
install-dev: $(INSTALL_DEV_STAMP) ## Same, with the dev tools (pytest, ruff, mypy, hadolint...)

run: install ## Migrate, seed and serve on HOST:PORT (honours ELITEKB_DATABASE_URL)
	$(BIN)/elitekb db upgrade
	$(BIN)/elitekb seed
	$(BIN)/elitekb serve --host $(HOST) --port $(PORT)

test: install-dev ## Run the test suite (PYTEST_ARGS='-k person -x' passes options through)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev ## ruff check, ruff format --check, mypy app, hadolint Dockerfile
	$(BIN)/ruff check $(LINT_DIRS)
	$(BIN)/ruff format --check $(LINT_DIRS)
	$(BIN)/mypy app
	$(BIN)/hadolint Dockerfile

fmt: install-dev ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix-only $(LINT_DIRS)
	$(BIN)/ruff format $(LINT_DIRS)

bench: install-dev ## HTTP load benchmark vs a /livez baseline (PostgreSQL too if ELITEKB_BENCH_POSTGRES_URL is set)
	$(BIN)/python bench/http_bench.py $(BENCH_ARGS)

bench-search: install-dev ## /v1/search and /v1/match latency on a generated KB (10k persons, 1M claims), SQLite and PostgreSQL
	$(BIN)/python bench/search_bench.py $(SEARCH_BENCH_ARGS)

bench-reads: install-dev ## Every GET (and match, annotation POST) at 10k and 1M claims vs bare FastAPI, SQLite and PostgreSQL (~45 min)
	$(BIN)/python bench/read_bench.py $(READ_BENCH_ARGS)

bench-feed: install-dev ## Change feed on a generated KB (1M claims), SQLite and PostgreSQL: walk rate, write-to-follower latency, idle long-pollers' connections
	$(BIN)/python bench/feed_bench.py $(FEED_BENCH_ARGS)

$(BIN)/uv: | $(BIN)/python
	$(BIN)/pip install uv==$(UV_VERSION)

lock: | $(BIN)/uv ## Regenerate requirements*.lock from pyproject.toml (keeps current pins unless LOCK_FLAGS=--upgrade)
	$(UV_COMPILE) --extra dev -o requirements-dev.lock
	$(UV_COMPILE) --constraint requirements-dev.lock -o requirements.lock

clean: ## Remove .venv, caches and build output (keeps ./data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist *.egg-info
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

clean-data: ## Remove ./data (the default SQLite database)
	rm -rf data
