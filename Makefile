# Relais — two commands: `make run` (the product, locally) and `make test` (every test).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
STAGE ?= prod

.PHONY: run test unit integration browser lint bench browser-deps clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# Debian's chromium drives the browser tests (Playwright never downloads a browser here).
browser-deps:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

run: $(STAMP)
	PORT=$(PORT) $(PY) -m local.run

test: $(STAMP) browser-deps
	$(PY) -m ruff check .
	$(PY) -m pytest

unit: $(STAMP)
	$(PY) -m pytest tests/unit

integration: $(STAMP)
	$(PY) -m pytest tests/integration

browser: $(STAMP) browser-deps
	$(PY) -m pytest tests/browser

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy chalicelib app.py

bench: $(STAMP)
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) .local .pytest_cache
