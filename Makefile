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
.PHONY: help install run test lint format typecheck imports pytest browser index bench eval screenshot mutation clean

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

screenshot: index ## Regenerate docs/screenshot.png and docs/screenshots/*.png with headless Chromium
	$(BIN)/python -m scripts.screenshot

# Mutation testing (mutmut) of the numeric guard and the lab tool's parse, units and classify.
# mutmut names a mutant by its file's path, so it runs on a copy where the lab tool sits at the
# top level like its import name (labtool/, not tools/labtool/), in reports/mutation/.
MUTATION_DIR := reports/mutation
MUTATE ?= assistant/guard/provenance.py labtool/parse.py labtool/units.py labtool/classify.py
MUTATION_TESTS ?= tests/unit/guard tests/unit/chat/test_guard.py tests/unit/labtool

mutation: install ## Mutation testing of the guard and the lab tool (not part of `make test`)
	rm -rf $(MUTATION_DIR) && mkdir -p $(MUTATION_DIR)
	cp -r assistant tests corpus evals pyproject.toml $(MUTATION_DIR)/
	cp -r tools/labtool $(MUTATION_DIR)/labtool
	find $(MUTATION_DIR) -name __pycache__ -prune -exec rm -rf {} +
	printf '[mutmut]\nsource_paths=\n  assistant\n  labtool\nonly_mutate=\n%s\npytest_add_cli_args_test_selection=\n%s\nalso_copy=\n  corpus\n  evals\n' \
		"$$(printf '  %s\n' $(MUTATE))" "$$(printf '  %s\n' $(MUTATION_TESTS))" > $(MUTATION_DIR)/setup.cfg
	cd $(MUTATION_DIR) && ../../$(BIN)/mutmut run --max-children 2 > mutmut-run.log 2>&1 || (tail -40 mutmut-run.log; exit 1)
	cd $(MUTATION_DIR) && ../../$(BIN)/mutmut results --all true > results.txt
	@echo "module                          killed  survived  other  surviving%"
	@awk -F': ' '/: /{ m=$$1; sub(/^ +/, "", m); sub(/\.x(ǁ|_).*$$/, "", m); \
		if ($$2 == "killed") k[m]++; else if ($$2 == "survived") s[m]++; else o[m]++; seen[m]=1 } \
		END { for (m in seen) { t=k[m]+s[m]; printf "%-30s %7d %9d %6d %10.1f\n", m, k[m], s[m], o[m], t ? 100*s[m]/t : 0 } }' \
		$(MUTATION_DIR)/results.txt | sort

clean: ## Remove the virtualenv, caches and local data
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
