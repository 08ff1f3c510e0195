# Two commands matter: `make run` and `make test` (see README.md); `make check` is the inner loop.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint typecheck format venv bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt --config-settings editable_mode=compat -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/duban run

# Every test, slow ones included, on SQLite and on the PostgreSQL server the tests start; the
# slow ones (real-time drills) run beside the rest (scripts/run_tests.py).
test: $(STAMP)
	$(MAKE) --no-print-directory lint
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-fonts.sh
	bash scripts/ensure-postgres.sh
	$(BIN)/python scripts/run_tests.py $(PYTEST_ARGS)

# The inner loop, in about two minutes: lint, types and the tests that need neither
# PostgreSQL, nor a browser, nor minutes of real time. `make test` before you push.
check: $(STAMP)
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest -q -n 3 -m "not slow and not postgres and not browser" \
		--ignore=tests/benchmarks $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory typecheck

# Settings (files, plugins, warn_unused_ignores) live in pyproject.toml's [tool.mypy].
typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m benchmarks.intake

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
