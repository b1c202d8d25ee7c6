# crisi_portal — developer tasks (GNU make).
#
#   make run     local portal on http://127.0.0.1:8000 with demo data (SQLite, Celery in-process)
#   make test    the whole test suite on every core (pytest-xdist), with the coverage floor
#                (installs the browser tests' axe-core first: npm ci, package-lock.json);
#                PYTEST_ARGS="..." passes options to pytest (then no coverage floor: a part of
#                the suite covers less), PYTEST_WORKERS=0 runs it in one process
#
# Both create the virtualenv (.venv) themselves on first use.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     := .venv
VENV_PY  := $(VENV)/bin/python
STAMP    := $(VENV)/.installed
PYTEST_ARGS ?=
# pytest-xdist workers: "auto" is one per core; 0 runs the suite in this process.
PYTEST_WORKERS ?= auto
# Line coverage of the whole suite may not fall below this (percent, rounded down from the
# figure measured when it was set: 95.16% on the SQLite stage, 5 Dec 2026; raise it when
# coverage rises).
COVERAGE_FLOOR ?= 95
# On SQLite, code that only runs on PostgreSQL (the benchmark) is not counted: the PostgreSQL
# stage counts it (tools/coverage-sqlite.toml).
COVERAGE_CONFIG = $(if $(filter postgres%,$(DATABASE_URL)),,--cov-config=tools/coverage-sqlite.toml)
COVERAGE_ARGS = --cov --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_FLOOR) $(COVERAGE_CONFIG)
# --dist loadgroup: tests marked xdist_group("name") run on one worker (the browser package,
# whose Playwright lives for the package; modules with costly module-scoped fixtures).
XDIST_ARGS = $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadgroup)

# --- Finding a Python >= 3.12 ----------------------------------------------
# Every candidate is *run*, not just looked up: a pyenv shim such as python3.13
# can exist on PATH and still fail. The first one that runs and reports a
# version >= 3.12 wins. Override with `make PYTHON=/path/to/python3 ...`.
PYTHON_CANDIDATES = python3.13 python3.12 \
	$(shell ls -d $(HOME)/.pyenv/versions/3.13*/bin/python3 2>/dev/null | sort -rV) \
	$(shell ls -d $(HOME)/.pyenv/versions/3.12*/bin/python3 2>/dev/null | sort -rV) \
	python3

PYTHON_OK_CHECK := -c 'import sys; sys.exit(sys.version_info < (3, 12))'

# Recursive (=) so the search only runs when a recipe actually needs it.
# Only a PYTHON given on the command line overrides the search (an exported
# PYTHON from the shell environment is ignored).
ifneq ($(origin PYTHON),command line)
PYTHON = $(shell for c in $(PYTHON_CANDIDATES); do \
	if "$$c" $(PYTHON_OK_CHECK) >/dev/null 2>&1; then echo "$$c"; break; fi; \
	done)
endif

.PHONY: help venv axe run test lint fmt typecheck messages lock clean distclean print-python

help:
	@echo "make run       migrate, load demo data and serve on http://127.0.0.1:8000 (DJANGO_DEBUG=1)"
	@echo "make test      run the test suite on every core, with the coverage floor"
	@echo "               (PYTEST_ARGS='...' passes options to pytest; PYTEST_WORKERS=0: one process)"
	@echo "make lint      ruff check + ruff format --check + lint-imports (the layers)"
	@echo "make fmt       ruff check --fix + ruff format"
	@echo "make typecheck mypy on services, selectors and scoping ([tool.mypy] in pyproject.toml)"
	@echo "make messages  update and compile the it/en translation catalogues"
	@echo "make lock      regenerate requirements.lock (hashes) from pyproject.toml"
	@echo "make venv      create/refresh .venv (automatic for the targets above)"
	@echo "make clean     remove caches and build artefacts (distclean also removes .venv, db.sqlite3, media/)"

print-python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "No Python >= 3.12 found (tried: $(strip $(PYTHON_CANDIDATES)))" >&2; exit 1; \
	fi
	@if ! "$(PYTHON)" $(PYTHON_OK_CHECK) >/dev/null 2>&1; then \
		echo "$(PYTHON) does not run or is older than 3.12" >&2; exit 1; \
	fi
	@echo "$(PYTHON)"
	@"$(PYTHON)" --version

# --- Virtualenv -------------------------------------------------------------
venv: $(STAMP)

$(VENV_PY):
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: no Python >= 3.12 found." >&2; \
		echo "       tried: $(strip $(PYTHON_CANDIDATES))" >&2; \
		echo "       install Python 3.12 or 3.13, or run: make PYTHON=/path/to/python3.12 $(MAKECMDGOALS)" >&2; \
		exit 1; \
	fi
	@if ! "$(PYTHON)" $(PYTHON_OK_CHECK) >/dev/null 2>&1; then \
		echo "error: $(PYTHON) does not run or is older than 3.12." >&2; exit 1; \
	fi
	@echo ">>> creating $(VENV) with $(PYTHON) ($$("$(PYTHON)" --version 2>&1))"
	"$(PYTHON)" -m venv $(VENV)

# Re-installs only when pyproject.toml changes (or the venv is new).
$(STAMP): pyproject.toml | $(VENV_PY)
	$(VENV_PY) -m pip install --upgrade pip
	$(VENV_PY) -m pip install -e '.[dev]'
	@touch $@

# --- Test-only npm packages ---------------------------------------------------
# axe-core, which the browser tests inject into every page (tests/browser/conftest.py), pinned
# by package-lock.json; --ignore-scripts: no install script of a package runs. Without npm the
# browser tests skip (or, with CRISI_REQUIRE_BROWSER=1, fail) and say why.
AXE := node_modules/axe-core/axe.min.js

axe: $(AXE)

$(AXE): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --ignore-scripts --no-audit --no-fund && touch $@; \
	else \
		echo "warning: npm not found (apt-get install npm): the browser tests will skip" >&2; \
	fi

# --- Running ----------------------------------------------------------------
# CELERY_BROKER_URL is deliberately not touched: when it is unset (the normal
# case) tasks run in-process; if you exported one, a worker must be running.
run: export DJANGO_DEBUG = 1
run: venv
	$(VENV_PY) manage.py migrate --noinput
	$(VENV_PY) manage.py seed_demo
	@if [ -n "$$CELERY_BROKER_URL" ]; then \
		echo ">>> CELERY_BROKER_URL=$$CELERY_BROKER_URL is set: background tasks go to that broker;"; \
		echo "    start a worker with: $(VENV)/bin/celery -A crisi_portal worker -l info"; \
	else \
		echo ">>> CELERY_BROKER_URL unset: background tasks run in-process"; \
	fi
	@echo ">>> demo accounts: nucleo.bg, nucleo.mi, regione, operatore.a, operatore.b, admin (password: demo-password)"
	$(VENV_PY) manage.py runserver 127.0.0.1:8000

test: venv $(AXE)
	$(VENV_PY) -m pytest $(XDIST_ARGS) $(if $(PYTEST_ARGS),,$(COVERAGE_ARGS)) $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo

fmt: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# What it checks, and how strictly: [tool.mypy] in pyproject.toml (tests/test_tooling.py runs it).
typecheck: venv
	$(VENV_PY) -m mypy

MESSAGES_IGNORE := --ignore=.venv --ignore=static --ignore=staticfiles --ignore=media --ignore=node_modules

messages: export DJANGO_DEBUG = 1
messages: venv
	$(VENV_PY) manage.py makemessages -l it -l en $(MESSAGES_IGNORE)
	$(VENV_PY) manage.py compilemessages $(MESSAGES_IGNORE)

# requirements.lock: every runtime dependency pinned with hashes; the Dockerfile installs it
# with --require-hashes. Regenerate after changing dependencies in pyproject.toml.
lock: venv
	$(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
		--output-file requirements.lock pyproject.toml

clean:
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache .mypy_cache build dist *.egg-info staticfiles test-results \
		.coverage .coverage.* htmlcov

distclean: clean
	rm -rf $(VENV) db.sqlite3 media node_modules
