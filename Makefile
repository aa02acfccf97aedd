# One way to start: `make run` serves Collab on a local chain; `make test` runs the whole suite.
# Both install what they need into .venv and node_modules, and skip that when nothing changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# Test processes (pytest-xdist): one per core by default, tests handed out one by one (a worker
# that runs dry takes over queued ones); `make test TEST_WORKERS=0` runs in one.
TEST_WORKERS ?= auto

.PHONY: run test deps lint format contracts check-contracts bench clean

run: deps
	$(BIN)/collab serve

test: deps
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal --durations=15 $(PYTEST_ARGS)

deps: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

contracts: deps
	$(BIN)/python -m contracts.build

check-contracts: deps
	$(BIN)/python -m contracts.build --check

bench: deps
	$(BIN)/python bench/gas.py
	$(BIN)/python bench/matching.py

clean:
	rm -rf var .pytest_cache .hypothesis
