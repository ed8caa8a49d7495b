# Two entry points for people: `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Offline at run time and in tests: no hub, no telemetry.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export TOKENIZERS_PARALLELISM := false

.DEFAULT_GOAL := help
.PHONY: help install run test lint format typecheck imports pytest browser index bench eval screenshot clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install pinned dependencies (idempotent)

index: install ## Build or update the search index from corpus/
	$(BIN)/assistant ingest

run: index ## Set up, build the index if needed, start the app on 127.0.0.1:7860
	$(BIN)/assistant serve

lint: install ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## Apply ruff formatting and fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install ## mypy --strict
	$(BIN)/mypy

imports: install ## The layer contracts of the source tree (import-linter)
	$(BIN)/lint-imports

browser: ## Install Debian's chromium for the browser test if it is missing
	bash scripts/install_chromium.sh

pytest: install browser ## Run the test suite only
	$(BIN)/pytest

test: lint typecheck imports pytest ## Set up, then lint, type-check and run the whole test suite

eval: index ## Run the gated evaluation; reports in reports/eval/ (make test runs it too)
	$(BIN)/assistant eval

bench: install ## Run the benchmarks and write reports to reports/bench/
	$(BIN)/python -m scripts.bench

screenshot: index ## Regenerate docs/screenshot.png with headless Chromium
	$(BIN)/python -m scripts.screenshot

clean: ## Remove the virtualenv, caches and local data
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
