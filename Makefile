# One set of targets for everyone: make test (what CI runs), make demo, make lint, make pr.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# aws-sam-cli and checkov pin older boto3 than the runtime does: each gets a virtual environment of its own.
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: venv tools lint format typecheck test test-unit test-integration demo bench soak build validate deploy pr clean

venv: $(VENV)/.installed
tools: $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed

$(VENV)/.installed: layers/runtime/requirements.txt tests/requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_QUIET) -r layers/runtime/requirements.txt -r tests/requirements.txt
	$(BIN)/pip install $(PIP_QUIET) --no-deps -e .
	touch $@

$(SAM_VENV)/.installed: tests/tools/sam-requirements.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install $(PIP_QUIET) -r tests/tools/sam-requirements.txt
	touch $@

$(CHECKOV_VENV)/.installed: tests/tools/checkov-requirements.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install $(PIP_QUIET) -r tests/tools/checkov-requirements.txt
	touch $@

lint: venv
	$(BIN)/ruff check functions tests
	$(BIN)/ruff format --check functions tests
	$(BIN)/cfn-lint template.yaml

format: venv
	$(BIN)/ruff format functions tests
	$(BIN)/ruff check --fix functions tests

typecheck: venv
	$(BIN)/mypy

# Every test: unit, integration (moto + loopback servers), soak (CI size), deploy and runtime proofs.
test: venv tools
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pytest --cov --cov-report=term

test-unit: venv
	$(BIN)/pytest tests/unit

demo: venv
	$(BIN)/jobwatch demo

bench: venv
	$(BIN)/python -m tests.bench

soak: venv
	JOBWATCH_SOAK_SIZE=full $(BIN)/pytest tests/soak -s

build: tools
	$(SAM_VENV)/bin/sam build --template-file template.yaml

validate: venv tools
	$(SAM_VENV)/bin/sam validate --lint --template-file template.yaml
	$(BIN)/cfn-lint template.yaml
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --framework cloudformation -f template.yaml

deploy: build
	$(SAM_VENV)/bin/sam deploy --guided

# Everything a reviewer runs before merging.
pr: lint typecheck validate test

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache .coverage
