# Two commands: `make run` (install, build the warehouse from data/raw, serve the dashboard on :8501)
# and `make test` (install test extras and system browsers/fonts, lint, run the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench
BENCH_ARGS ?=

.PHONY: run install build test test-deps system-deps lint bench soak clean

run: install build
	$(BIN)/streamlit run dashboard/app.py --server.port $(PORT)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

install: $(STAMP)

build: install
	$(BIN)/python -m etl build

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP) $@

test-deps: $(TEST_STAMP) system-deps

# Debian chromium (browser tests, kaleido image export) and Noto CJK (Chinese text in charts).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing system packages:$$missing (run as root or: sudo apt-get install$$missing)"; fi; \
	fi

lint: $(TEST_STAMP)
	$(BIN)/python -m ruff check .

test: test-deps lint
	$(BIN)/python -m pytest

# Long reliability runs (RELIABILITY.md): random SIGKILLs of `etl build`/`etl add` and many mutated reports.
# `make test` runs the same tests reduced (6 kills, 40 examples); CI may reduce this too:
#   make soak SOAK_KILLS=8 PROPERTY_EXAMPLES=60
SOAK_KILLS ?= 40
PROPERTY_EXAMPLES ?= 300
soak: $(TEST_STAMP)
	SOAK_KILLS=$(SOAK_KILLS) PROPERTY_EXAMPLES=$(PROPERTY_EXAMPLES) $(BIN)/python -m tests.soak

$(BENCH_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	touch $(STAMP) $(TEST_STAMP) $@

# Benchmarks, not part of `make test`: SYNTHETIC data in temporary folders, one table printed, JSON in
# benchmarks/results/. Options: make bench BENCH_ARGS="--size smoke" (CI-sized) or "--scaling --profile".
bench: $(BENCH_STAMP) system-deps
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf data/warehouse data/geo .pytest_cache
