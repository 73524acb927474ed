"""The pass pipeline: ordered, named, timed; `policyc check --timings`;
corpora and the embedded standard policy under the semantic checks."""

from __future__ import annotations

import json

from click.testing import CliRunner

from policyc.cli import default_policy, main
from policyc.diagnostics.model import Severity
from policyc.loader import load_policy_set
from policyc.passes import PASSES, run_passes

from .conftest import CORPORA, FIXTURES, needs_corpora


def test_every_pass_is_named_and_timed():
    timings = []
    loaded = load_policy_set([str(FIXTURES / "checks" / "PC101" / "fail_broader_pattern_first.yaml")])
    found = run_passes(loaded, timings=timings)
    assert [t.name for t in timings] == [p.name for p in PASSES]
    assert sum(t.findings for t in timings) == len(found) and all(t.seconds >= 0 for t in timings)


def test_check_timings_flag_prints_each_pass():
    path = FIXTURES / "checks" / "PC302" / "fail_duplicate_deny.yaml"
    result = CliRunner().invoke(main, ["check", "--timings", "--format", "json", str(path)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [d["code"] for d in doc["diagnostics"]] == ["PC302"]
    assert all(f"pass {p.name}" in result.stderr for p in PASSES)


def test_json_carries_witness_and_decision():
    path = FIXTURES / "checks" / "PC102" / "fail_allow_under_deny.yaml"
    result = CliRunner().invoke(main, ["check", "--format", "json", str(path)])
    finding = json.loads(result.stdout)["diagnostics"][0]
    assert finding["code"] == "PC102" and result.exit_code == 1
    assert finding["witness"]["tool"] == "exec" and finding["witness_decision"]["action"] == "deny"


def test_embedded_standard_policy_has_no_semantic_errors():
    found = run_passes(load_policy_set([default_policy()]))
    assert [d.message for d in found if d.severity is Severity.ERROR] == []


@needs_corpora
def test_rampart_standard_policy_findings():
    """What the semantic checks find on the upstream standard policy (each
    reviewed by hand, see the report in docs/analysis.md)."""
    found = run_passes(load_policy_set([str(CORPORA / "rampart" / "policies" / "standard.yaml")]))
    codes = {d.code for d in found}
    assert codes <= {"PC103", "PC301"}, sorted((d.code, d.message) for d in found if d.code not in ("PC103", "PC301"))
