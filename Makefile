# make run / make test / make bench each create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARENA := $(BIN)/arena

.PHONY: help run test lint fmt typecheck db-upgrade seed bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@

run: $(VENV)/.installed ## prepare SQLite, Redis, the sample banks, then start the server
	$(ARENA) db upgrade
	$(ARENA) seed
	$(ARENA) serve

# Two workers, one per core: the suite waits on servers, browsers and sleeps as much as it
# computes. worksteal: a worker that runs out takes tests from the other, so that one long file
# does not leave a core idle at the end. PYTEST_WORKERS=0 runs the suite in one process.
PYTEST_WORKERS ?= 2

test: $(VENV)/.installed ## run the whole test suite
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(VENV)/.installed ## ruff lint
	$(BIN)/ruff check app question_bank tests

fmt: $(VENV)/.installed ## ruff format
	$(BIN)/ruff format app question_bank tests

typecheck: $(VENV)/.installed ## mypy on the pure packages
	$(BIN)/mypy question_bank

db-upgrade: $(VENV)/.installed ## apply database migrations
	$(ARENA) db upgrade

seed: $(VENV)/.installed ## create the first organizer and load the sample banks into an empty database
	$(ARENA) seed

bench: $(VENV)/.installed ## load benchmarks: the cost curve, the floor, 2 processes, gevent (results under bench/results/)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench suite $(BENCH_ARGS)

clean: ## remove the virtual environment
	rm -rf $(VENV)
