# Two commands: `make run` (install, build the warehouse from data/raw, serve the dashboard on :8501)
# and `make test` (install test extras and system browsers/fonts, lint, run the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

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

clean:
	rm -rf data/warehouse data/geo .pytest_cache
