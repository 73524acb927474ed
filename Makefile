# Two commands on a fresh machine: `make run` and `make test`.
# Both install from the checked-in locks (exact versions with hashes), so a
# fresh clone gets exactly what CI tested; `make lock` refreshes the locks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
UV_VERSION := 0.13.9
RUN_LOCK := requirements/run.lock
TEST_LOCK := requirements/test.lock
# A locked hatchling (in both locks) builds policyc: no unpinned build env.
INSTALL_SELF := $(PIP) install -q --no-deps --no-build-isolation .

.PHONY: run test conformance docs install install-test lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Non-editable install: what users get (grammars and stdlib policies ship in the wheel).
install: $(BIN)/python
	$(PIP) install -q --require-hashes -r $(RUN_LOCK)
	$(INSTALL_SELF)

install-test: $(BIN)/python
	$(PIP) install -q --require-hashes -r $(TEST_LOCK)
	$(INSTALL_SELF)

# The main job on the embedded default policy (stdlib_policies/standard.yaml).
run: install
	$(BIN)/policyc check --verbose
	$(BIN)/policyc test
	$(BIN)/policyc compile stdlib_policies/standard.yaml -o $(VENV)/standard.bundle.json
	$(BIN)/policyc coverage --format text

test: install-test
	$(BIN)/python -m pytest

# Differential conformance against Rampart's own engine (../shared/oracles/rampart,
# built once into ~/.cache); the tests skip themselves when it cannot be built.
# `make test` runs them too (tests/conformance is under testpaths).
conformance: install-test
	$(BIN)/python -m pytest tests/conformance -q

# Regenerate what docs/checks/ derives from the check registry and the
# fixtures: each page's title, severity line and example output (what
# `policyc check` prints for the fixture) and the index table. Run it after
# changing a check or a fixture an example shows; tests/test_checks_meta.py
# fails while the docs are out of date.
docs: install
	$(BIN)/python -m policyc.checks.docgen

# Re-resolve the locks from pyproject.toml's ranges (and requirements/build.in)
# with uv: run it after changing a dependency or a range (pins that still fit
# are kept), `make lock LOCK_ARGS=--upgrade` to take the newest releases; then
# run `make test` and commit the locks with the change.
LOCK_ARGS ?=
lock: $(BIN)/python
	$(PIP) install -q uv==$(UV_VERSION)
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	  --no-header $(LOCK_ARGS) pyproject.toml requirements/build.in --extra test -o $(TEST_LOCK)
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	  --no-header $(LOCK_ARGS) pyproject.toml requirements/build.in -c $(TEST_LOCK) -o $(RUN_LOCK)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis
