# 掌上办 — two commands: `make run` and `make test`. Everything they need, they install.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FRONTEND_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) \
	frontend/index.html frontend/vite.config.js frontend/package.json

.PHONY: help run serve install install-test frontend migrate seed test test-sqlite test-services \
	chromium schema makemigrations bench clean nginx compose-client prod-smoke soak

help:
	@echo "make run    install, build the PWA, migrate, seed demo data, serve http://127.0.0.1:8000"
	@echo "make test   install test needs (incl. Debian chromium) and run every test"
	@echo "make schema re-export schema.graphql · make makemigrations · make bench"
	@echo "make prod-smoke  nginx + two app instances + a worker on PostgreSQL and Redis, driven through nginx"
	@echo "make soak   the reliability batteries at full size on PostgreSQL + Redis (docs/RELIABILITY.md)"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Re-install only when the dependency list changes, so a second `make run` starts in seconds.
$(VENV)/.stamp-run: pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	@touch $@

$(VENV)/.stamp-test: pyproject.toml $(VENV)/.stamp-run
	$(PIP) install --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.stamp-run
install-test: $(VENV)/.stamp-test

frontend/node_modules/.stamp: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

frontend/static/index.html: frontend/node_modules/.stamp $(FRONTEND_SOURCES)
	cd frontend && npm run build --silent
	@touch $@

frontend: frontend/static/index.html

migrate: install
	$(PY) -m backend migrate

seed: migrate
	$(PY) -m backend seed

run: install frontend seed
	$(PY) -m backend serve

serve: install
	$(PY) -m backend serve

chromium:
	@command -v chromium >/dev/null || { \
		echo "installing Debian chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Runs the suite on embedded SQLite + in-process bus, and again on PostgreSQL + Redis when
# TEST_DATABASE_URL / TEST_REDIS_URL are set (as .ci/run does).
test: install-test chromium nginx compose-client frontend
	@echo "== tests on SQLite + in-process bus =="
	env -u TEST_DATABASE_URL -u TEST_REDIS_URL $(PY) -m pytest $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== tests on PostgreSQL + Redis =="; \
		$(PY) -m pytest $(PYTEST_ARGS); \
	fi

nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { \
		echo "installing Debian nginx (with Brotli) for the production smoke test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light \
			libnginx-mod-http-brotli-filter libnginx-mod-http-brotli-static >/dev/null; }

# `docker compose config` validates docker/compose.yaml without an engine (tests/test_deploy_config.py);
# this machine kind has the docker client without the compose plugin, so Debian's docker-compose.
compose-client:
	@docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null || { \
		echo "installing Debian docker-compose to validate docker/compose.yaml"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; }

# The production shape on loopback (tests/test_prod_smoke.py): its own database, dropped and
# recreated (PROD_SMOKE_DATABASE_URL, a name ending in _prod), and a Redis database of its own.
PROD_SMOKE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/zsb_smoke_prod
PROD_SMOKE_REDIS_URL ?= redis://127.0.0.1:6379/6
prod-smoke: install-test frontend nginx
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-$(PROD_SMOKE_DATABASE_URL)} PROD_SMOKE_DATABASE_URL=$(PROD_SMOKE_DATABASE_URL) \
		PROD_SMOKE_REDIS_URL=$(PROD_SMOKE_REDIS_URL) $(PY) -m pytest tests/test_prod_smoke.py tests/test_deploy_config.py -v $(PYTEST_ARGS)

# The reliability batteries (docs/RELIABILITY.md) at the sizes issue 15 asks for, on the
# PostgreSQL + Redis of TEST_DATABASE_URL / TEST_REDIS_URL. FAULT_EVENTS, FAULT_SUBSCRIBERS and
# FAULT_WRITES override the fault sizes, FUZZ_EXAMPLES and FUZZ_UPLOAD_EXAMPLES the fuzzers'.
SOAK_TESTS := tests/test_access_matrix.py tests/test_faults.py tests/test_push_delivery.py tests/test_zz_fuzz_schema.py \
	tests/test_zz_fuzz_uploads.py tests/test_zz_secrets_scan.py
soak: install-test
	@if [ -z "$$TEST_DATABASE_URL" ] || [ -z "$$TEST_REDIS_URL" ]; then \
		echo "make soak runs on PostgreSQL + Redis: set TEST_DATABASE_URL and TEST_REDIS_URL"; exit 2; fi
	SOAK=1 $(PY) -m pytest -s -p no:cacheprovider $(SOAK_TESTS) $(PYTEST_ARGS)

schema: install
	$(PY) -m backend export-schema

makemigrations: install
	$(VENV)/bin/tortoise -c backend.db.TORTOISE_ORM makemigrations

bench: install
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) bench/catalog_throughput.py

clean:
	rm -rf $(VENV) frontend/node_modules frontend/static data
