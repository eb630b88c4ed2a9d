# shg-check: two commands from a fresh clone.
#   make run   set up .venv and check the bundled sample export
#   make test  set up .venv and run the whole test suite with coverage
.DEFAULT_GOAL := help
SHELL := /bin/bash

# durable-rules does not import on Python 3.13: pick 3.11 or 3.12.
PYTHON ?= $(shell for p in python3.11 python3.12 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not ((3,11) <= sys.version_info[:2] <= (3,12)))' 2>/dev/null; then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COVERAGE_FLOOR ?= 90
TEST_JOBS ?= auto
BENCH_ARGS ?=
AS_OF ?= 2026-11-27

.PHONY: help venv run test fuzz test-office rules-check bench clean

help:
	@echo "make run    - set up and check the bundled sample export (reports/ gets the reports)"
	@echo "make test   - set up and run every test, with coverage"
	@echo "make fuzz   - the property and fuzz tests with the deep example counts (HYPOTHESIS_PROFILE=deep)"
	@echo "make bench  - print speed figures"
	@echo "make test-office - install LibreOffice and check the tracker template converts to PDF"
	@echo "make clean  - remove .venv and reports/"

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "error: Python 3.11 or 3.12 is needed (durable-rules does not import on 3.13)"; exit 2; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	@mkdir -p reports
	@# exit code 1 means "gaps found": expected for the sample export
	@# writes reports/report.{json,html,csv,md,junit.xml,txt} and prints the text report
	$(BIN)/shg-check check fixtures/sample-export --incidents fixtures/incidents/incidents-2026.csv --as-of $(AS_OF) --output-dir reports --format text || [ $$? -eq 1 ]

test: $(STAMP)
	@# the HTML report is tested in a real headless browser (Debian's chromium)
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	$(BIN)/coverage erase
	@# in parallel (pytest-xdist, one worker per core); pytest-cov combines the workers' coverage
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist worksteal --cov --cov-report= -p no:cacheprovider
	$(BIN)/coverage report --fail-under=$(COVERAGE_FLOOR)

fuzz: $(STAMP)
	@# `make test` runs the property and fuzz tests with quick example counts; this runs the deep ones
	HYPOTHESIS_PROFILE=deep $(BIN)/python -m pytest -n $(TEST_JOBS) --dist worksteal -p no:cacheprovider \
		tests/test_property.py tests/test_fastvalidate.py tests/test_fuzz_inputs.py tests/test_summary_agreement.py

test-office: $(STAMP)
	@# not part of `make test`: installs LibreOffice (large) to check the tracker opens and converts to PDF
	command -v soffice >/dev/null || (apt-get update && apt-get install -y libreoffice-calc-nogui poppler-utils)
	$(BIN)/python -m pytest tests/test_tabular.py -k libreoffice

bench: $(STAMP)
	$(BIN)/python scripts/benchmark.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) reports
