# The README's two commands: `make run` and `make test` (and `make test-fast` for the inner loop).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
WORKERS ?= 2
# Threads let slow phone uploads (tus chunks over weak networks) wait without blocking other requests.
THREADS ?= 8
TEST_WORKERS ?= 2
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test test-fast deps dev-deps npm-deps migrate demo serve bench clean-venv

run: deps npm-deps migrate demo serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install only when the pinned requirements change (second `make run` is fast).
$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

pwa/node_modules/.installed: pwa/package.json pwa/package-lock.json
	cd pwa && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

deps: $(VENV)/.runtime-installed
dev-deps: $(VENV)/.dev-installed
npm-deps: pwa/node_modules/.installed

migrate: deps
	@$(FLASK) db upgrade 2>&1 | grep -v "^INFO" || true
	@$(FLASK) db current 2>/dev/null | grep -q "(head)" || { echo "database migration failed"; exit 1; }

demo: migrate
	@$(FLASK) demo-data --if-empty

serve:
	@echo "Serving on http://$(HOST):$(PORT)  (API docs: http://$(HOST):$(PORT)/api/v1/docs)"
	exec $(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WORKERS) --worker-class gthread --threads $(THREADS) --no-control-socket \
		--access-logfile - --timeout 120 wsgi:app

test: dev-deps npm-deps
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The inner loop: SQLite only (TEST_DATABASE_URL is ignored), no browser tests, nothing marked
# slow. Not a substitute for `make test`, which stays the whole suite and what .ci/run runs.
test-fast: dev-deps npm-deps
	env -u TEST_DATABASE_URL -u REQUIRE_POSTGRES -u REQUIRE_BROWSER \
		$(BIN)/pytest -n $(TEST_WORKERS) -m "not browser and not slow" $(PYTEST_ARGS)

bench: dev-deps
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean-venv:
	rm -rf $(VENV) pwa/node_modules
