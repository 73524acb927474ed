"""Conformance on the real Rampart corpora in ../shared (skipped when absent).

Every file must load; every inline test and suite case is an expected
decision of Rampart v1.8.0, except two stale `.env` expectations in
examples/rampart-tests.yaml for which the engine itself decides `watch`.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from policyc.cli import main
from policyc.dialects.rampart.frontend import load_file
from policyc.testing import run_file

from .conftest import CORPORA, corpora_files, needs_corpora

# (file name, case name) -> the decision Rampart v1.8.0 actually gives
STALE = {
    ("rampart-tests.yaml", "deny read env file (absolute path)"): "watch",
    ("rampart-tests.yaml", "deny read env file (bare)"): "watch",
}

RAMPART = [p for p in corpora_files() if "rampart" in p.parts]


@needs_corpora
@pytest.mark.parametrize("path", RAMPART, ids=lambda p: str(p.relative_to(CORPORA)))
def test_rampart_file_loads_without_errors(path):
    loaded = load_file(str(path))
    assert loaded.ok, [f"{d.code} {d.span.line}: {d.message}" for d in loaded.diagnostics]


@needs_corpora
@pytest.mark.parametrize("path", corpora_files(), ids=lambda p: str(p.relative_to(CORPORA)))
def test_check_never_crashes(path):
    result = CliRunner().invoke(main, ["check", "--format", "json", str(path)])
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output


def _cases():
    out = []
    for path in RAMPART:
        result = run_file(str(path))
        assert not result.diagnostics, (path, [d.message for d in result.diagnostics])
        out.extend(result.cases)
    return out


@needs_corpora
def test_every_corpus_case_decides_as_rampart():
    cases = _cases()
    assert len(cases) >= 118
    wrong = []
    for c in cases:
        expected = STALE.get((c.path.rsplit("/", 1)[-1], c.case.name), c.case.expect.value)
        if c.decision.action.value != expected or not c.message_ok:
            wrong.append(f"{c.path}: {c.case.name}: expected {expected}, got {c.decision.action.value} "
                         f"({c.decision.message})")
    assert wrong == []


@needs_corpora
def test_stale_env_cases_are_the_only_failures_of_policyc_test():
    suite = CORPORA / "rampart" / "examples" / "rampart-tests.yaml"
    result = run_file(str(suite))
    failing = {c.case.name for c in result.cases if not c.passed}
    assert failing == {name for (_, name) in STALE}
