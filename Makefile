# The two commands of the README: `make run` and `make test`. Both build .venv from this project's own files.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint setup bench

$(BIN)/sskdt: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/sskdt

setup: $(BIN)/sskdt

run: setup
	$(BIN)/sskdt run

lint: setup
	$(BIN)/ruff check bot handlers models tests bench
	$(BIN)/mypy

test: setup
	bash scripts/test-services.sh
	$(BIN)/ruff check bot handlers models tests bench
	$(BIN)/mypy
	SSKDT_TEST_POSTGRES_URL=$${SSKDT_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	  $(BIN)/pytest -q -p no:cacheprovider

# Benchmarks (bench/, not part of the tests): results in bench/results/*.json and tables on stdout.
bench: setup
	$(BIN)/pip install -q -e '.[test,bench]'
	bash scripts/test-services.sh
	PYTHONPATH=. $(BIN)/python bench/run_all.py
