# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Non-editable install: what users get (grammars and stdlib policies ship in the wheel).
install: $(BIN)/python
	$(BIN)/pip install -q .

install-test: $(BIN)/python
	$(BIN)/pip install -q ".[test]"

# The main job on the embedded default policy (stdlib_policies/standard.yaml).
run: install
	$(BIN)/policyc check --verbose
	$(BIN)/policyc test
	$(BIN)/policyc compile stdlib_policies/standard.yaml -o $(VENV)/standard.bundle.json
	$(BIN)/policyc coverage --format text

test: install-test
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis
