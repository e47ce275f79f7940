# Two commands do all set-up on a fresh machine with Python 3.11 and make:
#   make serve   install, migrate, load rubrics, seed the demo, serve on :8000
#   make test    install with the dev extras and run the whole suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: serve test lint format bench browsers clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# irrCAC (a test-only reference for Gwet's AC1/AC2) pins scipy==1.12, which conflicts with
# pingouin's floor; it runs fine on current scipy, so it is installed without its pins.
$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps 'irrCAC==0.4.4'
	touch $(STAMP) $@

serve: $(STAMP)
	$(BIN)/guidinghand db upgrade
	$(BIN)/guidinghand rubrics load
	$(BIN)/guidinghand demo seed --if-empty
	$(BIN)/guidinghand serve

# One worker per core (pytest-xdist); each has its own databases (tests/support/databases.py).
test: $(DEV_STAMP)
	$(BIN)/pytest -q --durations=25 --numprocesses=auto $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(DEV_STAMP)
	OPENBLAS_NUM_THREADS=1 $(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache guidinghand.db*
