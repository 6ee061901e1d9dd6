# 進修規劃 — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
export PYTHONDONTWRITEBYTECODE := 1
# `make test` runs the suite in this many processes (pytest-xdist); 1 per core by default
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 1)

.PHONY: run test setup lint format bench bench-load messages screenshots clean

setup: .stamp-system .stamp-venv static/vendor/htmx.min.js translations/en/LC_MESSAGES/messages.mo
	@mkdir -p var

.stamp-system: scripts/setup-system.sh
	bash scripts/setup-system.sh
	@touch $@

.stamp-venv: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

static/vendor/htmx.min.js: node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js

translations/en/LC_MESSAGES/messages.mo: translations/en/LC_MESSAGES/messages.po .stamp-venv
	$(BIN)/pybabel compile -d translations

run: setup
	$(FLASK) db upgrade
	$(FLASK) demo seed
	@echo "進修規劃 serving on http://127.0.0.1:5000"
	$(FLASK) run --host 127.0.0.1 --port 5000

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-extract the interface texts into the English catalog, the one source of the English
# interface (edit its msgstr lines); fails while a text has no English translation.
messages: .stamp-venv
	@mkdir -p var
	$(BIN)/pybabel extract -F babel.cfg -k _l -k _lp:1c,2 --no-location -o var/messages.pot .
	$(BIN)/pybabel update -i var/messages.pot -d translations -l en --no-fuzzy-matching --ignore-obsolete -w 100
	$(BIN)/pybabel compile -d translations
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_translations.py

bench: setup
	$(BIN)/python -m bench

# The peak-load benchmark (docs/capacity.md): gunicorn, RQ worker, PostgreSQL, Redis and
# Locust; ARGS passes options, e.g. `make bench-load ARGS="--national --hosts 2"`.
bench-load: setup
	$(BIN)/python -m bench.load $(ARGS)

# The manuals' screenshots (docs/manuals.md): the demo data in a temporary SQLite database,
# Debian's Chromium at 1024×768; PNGs and manifest.json into static/screenshots/.
screenshots: setup
	$(BIN)/python -m scripts.screenshots

clean:
	rm -rf var .stamp-* static/vendor
