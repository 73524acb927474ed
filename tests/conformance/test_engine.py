"""policyc's decisions against Rampart v1.8.0's own engine (the oracle).

* ``test_policy_set_agrees_with_engine[SET]``: for every policy set
  (``harness.policy_sets``: each corpus and stdlib file singly, the
  directory sets the engine loads together, project-tier layerings) the
  corpus and stdlib cases plus ``$POLICYC_CONFORMANCE_CALLS`` (default 600)
  generated calls are decided by the engine, the compiled bundle and (on a
  sample and on every disagreement) the reference evaluator: 0
  disagreements. Both refusing to load a set is agreement; one refusing is
  a disagreement.
* ``test_corpus_cases``: every inline test / suite case is decided by the
  engine as ``expect:`` says (except the known stale expectations, which the
  engine itself decides otherwise) and policyc agrees with the engine.
* ``test_property_*``: hypothesis batches from the same generators.

Everything skips when ../shared or the oracle is unavailable. Reproduce a
failure with ``python -m tests.conformance.report --set NAME`` (README.md).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .calls import PolicyFacts, call_strategy, generate
from .cases import check_cases
from .harness import Policyc, SetResult, compact_report, policy_sets, run_sets, seed_cases
from .oracle import EngineRefused, OracleUnavailable, _locate, engine_decide, engine_decide_full

pytestmark = pytest.mark.conformance

SPECS = policy_sets()
BY_NAME = {s.name: s for s in SPECS}
CALLS = int(os.environ.get("POLICYC_CONFORMANCE_CALLS", "600"))
SEED = int(os.environ.get("POLICYC_CONFORMANCE_SEED", "0"))

# (file, case) -> what Rampart v1.8.0 decides, where `expect:` says otherwise
STALE = {
    ("rampart-tests.yaml", "deny read env file (absolute path)"): "watch",
    ("rampart-tests.yaml", "deny read env file (bare)"): "watch",
}


# ------------------------------------------------------------ policy sets


@pytest.fixture(scope="module")
def set_results(request, oracle) -> dict[str, SetResult]:
    """All selected sets, decided once, in parallel (only the sets whose
    test is selected, so ``-k standard`` stays quick)."""
    wanted = []
    for item in request.session.items:
        spec = getattr(item, "callspec", None) and item.callspec.params.get("spec")
        if spec is not None and spec.name in BY_NAME and spec not in wanted:
            wanted.append(spec)
    results = run_sets(wanted or SPECS, CALLS, SEED)
    return {r.spec.name: r for r in results}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_policy_set_agrees_with_engine(spec, set_results):
    res = set_results[spec.name]
    if res.status in ("oracle-error", "harness-error"):
        pytest.fail(f"{spec.name}: {res.status}: {res.detail}")
    if res.status == "both-refuse":
        return
    if res.status == "engine-refuses":
        pytest.fail(f"load disagreement: policyc loads {spec.name}, the engine refuses it: {res.detail[:800]}")
    if res.status == "policyc-refuses":
        pytest.fail(f"load disagreement: the engine loads {spec.name}, policyc refuses it: {res.detail[:800]}")
    if res.disagreements:
        pytest.fail("\n" + compact_report(res), pytrace=False)


# ------------------------------------------------------------ corpus cases


def test_corpus_cases(oracle):
    report = check_cases()
    assert report.rows, "no corpus case was decided"
    assert not report.load_problems, report.text()
    stale = {(Path(r.case.file).name, r.case.name): r.engine for r in report.expect_vs_engine}
    unknown = {k: v for k, v in stale.items() if STALE.get(k) != v}
    assert not unknown, "expect: disagrees with the engine beyond the known stale cases:\n" + report.text()
    assert not report.policyc_vs_engine, "policyc disagrees with the engine on corpus cases:\n" + report.text()


def test_known_stale_expectations_are_still_what_the_engine_decides(oracle):
    """The stale `expect:` values are documented, not silently ignored: the
    engine decides them as STALE says (if the corpora change, revisit)."""
    report = check_cases()
    decided = {(Path(r.case.file).name, r.case.name): r.engine for r in report.rows}
    for key, action in STALE.items():
        assert decided.get(key) == action, (key, decided.get(key))


# ------------------------------------------------------------ properties

PROPERTY_SETS = ["policies/standard", "policies/openclaw", "dir:openclaw+guard",
                 "project:standard+template[no-tests]", "policies/block-prompt-injection"]
_PC: dict[str, Policyc] = {}


@pytest.mark.parametrize("name", PROPERTY_SETS)
def test_property_bundle_agrees_with_engine(name, oracle):
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    spec = BY_NAME.get(name)
    if spec is None:
        pytest.skip(f"{name} is not in ../shared")
    pc = _PC.setdefault(name, Policyc(spec))
    if not pc.ok:
        pytest.skip(f"policyc does not load {name}")
    facts = PolicyFacts.of(spec.all_paths, seed_cases())

    @settings(max_examples=int(os.environ.get("POLICYC_CONFORMANCE_EXAMPLES", "8")), deadline=None,
              derandomize=True, database=None, phases=[Phase.explicit, Phase.generate],  # no shrinking:
              # each call stands alone and the failure lists every disagreeing one
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.lists(call_strategy(facts), min_size=5, max_size=40))
    def prop(batch):
        calls = [g.call for g in batch]
        engine = engine_decide(spec.paths, calls, spec.project)
        wrong = [(g, e, pc.bundle_action(g.call)) for g, e in zip(batch, engine)
                 if pc.bundle_action(g.call) != e]
        if wrong:
            raise AssertionError("\n".join(f"[{g.cls}] engine={e} bundle={b} {json.dumps(g.call, ensure_ascii=False)[:300]}"
                                       for g, e, b in wrong[:10]))
        first = batch[0]
        assert pc.reference_action(first.call) == engine[0], (first.cls, first.call, engine[0])

    prop()


# ------------------------------------------------------------ the harness itself


def test_generator_is_deterministic_and_json(tmp_path):
    spec = BY_NAME.get("policies/standard")
    if spec is None:
        pytest.skip("../shared/corpora is absent")
    facts = PolicyFacts.of(spec.all_paths, seed_cases())
    a = generate(facts, 400, seed=7)
    b = generate(facts, 400, seed=7)
    assert [g.to_json() for g in a] == [g.to_json() for g in b]
    assert [g.to_json() for g in a] != [g.to_json() for g in generate(facts, 400, seed=8)]
    for g in a:
        json.loads(json.dumps(g.call))
        assert isinstance(g.call["tool"], str) and g.call["tool"]
    classes = {g.cls.split(".")[0] for g in a}
    assert {"case", "cmd", "pattern", "path", "url", "alias"} <= classes, classes


def test_oracle_batches_are_robust_to_bad_lines(oracle, tmp_path):
    spec = BY_NAME["policies/standard"]
    calls = [{"tool": "exec", "params": {"command": "rm -rf /"}},
             {"tool": "exec", "params": {"command": {1, 2}}},          # not JSON-serialisable
             {"tool": 5, "params": {}},                                # the harness cannot read it
             {"tool": "exec", "params": {"command": "git status\nrm -rf /"}},
             {"tool": "read", "params": {"path": "x" * 9000}}]
    rows = engine_decide_full(spec.paths, calls)
    assert [r["action"] for r in rows] == ["deny", "error", "error", "deny", "deny"]
    bad = tmp_path / "bad.yaml"
    bad.write_text('version: "2"\npolicies: []\n')
    with pytest.raises(EngineRefused):
        engine_decide([str(bad)], calls[:1])


def test_oracle_unavailable_is_reported(monkeypatch):
    monkeypatch.setenv("RAMPART_ORACLE", "/nonexistent/rampart-oracle")
    with pytest.raises(OracleUnavailable):
        _locate()
