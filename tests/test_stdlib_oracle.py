"""The stdlib stays valid Rampart (issue 15): every ``stdlib_policies/*.yaml``
loads in Rampart v1.8.0's own engine, and each of its inline test cases is
decided by that engine exactly as policyc decides it.

The engine is ``rampart-oracle`` from ``../shared/oracles/rampart``, located
(or built once) by ``tests/conformance/oracle.py``; everything here skips,
with the reason, when it is unavailable. The cases are read and turned into
calls as the engine's test runner does (``tests/conformance/calls.py``:
agent ``test`` when the case names none), and policyc decides them with the
compiled bundle and the reference evaluator (``tests/conformance/harness.py``).

* ``test_engine_loads``: the engine loads each file as it is (inline tests
  included: it decodes them strictly) and ``rampart policy lint`` finds no
  error; the project template also loads as the project tier on top of each
  global stdlib file.
* ``test_policyc_decides_as_the_engine[FILE::CASE]``: the engine's action,
  the bundle's and the reference evaluator's are the same.
* ``test_engine_passes_the_case[FILE::CASE]``: the case passes in the
  engine's own test runner (``rampart test``): the action is ``expect:`` and
  ``expect_message`` (a ``filepath.Match`` glob) matches the engine's message.
* ``test_messages_and_matched_policies_are_the_engines``: the bundle's
  message and ``matched_policies`` are the engine's on every case.
* the project template layered on each global file, and the request side of
  the out-of-line stdlib cases (``tests/fixtures/stdlib``): actions agree.
"""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

import pytest

from .conformance.calls import CorpusCase, corpus_cases
from .conformance.cases import _message_matches
from .conformance.harness import PROJECT_TEMPLATE, STDLIB, Policyc, PolicySetSpec
from .conformance.oracle import engine_decide_full, engine_loads, require_oracle

FILES = sorted(STDLIB.glob("*.yaml"))
GLOBALS = [p for p in FILES if p != PROJECT_TEMPLATE]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "stdlib"
CASES: list[CorpusCase] = corpus_cases(STDLIB)

#: The keys of the engine's TestCase (it refuses a file whose inline cases
#: carry any other key) and the actions its ParseAction reads.
ENGINE_CASE_KEYS = {"name", "tool", "agent", "params", "expect", "expect_message"}
ENGINE_ACTIONS = {"allow", "deny", "ask", "watch", "log", "webhook", "require_approval"}

def _key(case: CorpusCase) -> tuple[str, str]:
    return Path(case.file).name, case.name


def _case_params():
    out = []
    for case in CASES:
        out.append(pytest.param(case, id="::".join(_key(case))))
    return out


@pytest.fixture(scope="module")
def oracle() -> str:
    return require_oracle()


@cache
def _policyc(paths: tuple[str, ...], project: str | None = None) -> Policyc:
    pc = Policyc(PolicySetSpec(Path(paths[0]).stem, paths, project))
    assert pc.ok, pc.errors
    return pc


@cache
def _decisions() -> dict[tuple[str, str], dict]:
    """Every inline case, decided by the engine (one process per file) and
    by both of policyc's engines."""
    out: dict[tuple[str, str], dict] = {}
    for path in FILES:
        group = [c for c in CASES if c.policy == str(path)]
        if not group:
            continue
        pc = _policyc((str(path),))
        engine = engine_decide_full([str(path)], [c.call for c in group])
        for case, e in zip(group, engine):
            decision = pc.bundle.evaluate(case.call, history=pc.history)
            assert _key(case) not in out, f"two cases named {case.name!r} in {path.name}"
            out[_key(case)] = {"case": case, "engine": str(e.get("action")), "engine_message": str(e.get("message", "")),
                               "engine_matched": list(e.get("matched") or []),
                               "bundle": str(decision.action), "bundle_message": decision.message,
                               "bundle_matched": list(decision.matched_policies),
                               "reference": pc.reference_action(case.call)}
    return out


def test_there_are_cases_in_every_file():
    assert {Path(c.file).name for c in CASES} == {p.name for p in FILES}
    assert len(CASES) >= 300


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_engine_reads_the_inline_cases(path):
    """What the engine's strict decoding of `tests:` accepts (no oracle
    needed): only TestCase keys and actions ParseAction knows."""
    import yaml

    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for case in doc.get("tests") or []:
        assert set(case) <= ENGINE_CASE_KEYS, (path.name, case.get("name"), set(case) - ENGINE_CASE_KEYS)
        assert str(case.get("expect", "")).strip().lower() in ENGINE_ACTIONS, (path.name, case.get("name"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_engine_loads(path, oracle):
    ok, error = engine_loads([str(path)])
    assert ok, f"Rampart's engine refuses {path.name}: {error}"
    lint = subprocess.run([oracle, "lint", str(path)], capture_output=True, text=True, timeout=60)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert ": error:" not in lint.stdout, lint.stdout


@pytest.mark.parametrize("base", GLOBALS, ids=lambda p: p.name)
def test_engine_loads_the_template_as_project_tier(base, oracle):
    ok, error = engine_loads([str(base)], project=str(PROJECT_TEMPLATE))
    assert ok, f"Rampart's engine refuses {PROJECT_TEMPLATE.name} on top of {base.name}: {error}"


@pytest.mark.parametrize("case", _case_params())
def test_policyc_decides_as_the_engine(case, oracle):
    row = _decisions()[_key(case)]
    assert (row["bundle"], row["reference"]) == (row["engine"], row["engine"]), (
        f"{_key(case)}: engine={row['engine']} bundle={row['bundle']} reference={row['reference']} call={case.call}")


@pytest.mark.parametrize("case", _case_params())
def test_engine_passes_the_case(case, oracle):
    row = _decisions()[_key(case)]
    expect = {"log": "watch", "require_approval": "require_approval"}.get(case.expect, case.expect)
    assert row["engine"] == expect, f"{_key(case)}: expect {expect}, the engine decides {row['engine']}"
    if case.expect_message is not None:
        assert _message_matches(case.expect_message, row["engine_message"]), (
            f"{_key(case)}: expect_message {case.expect_message!r} does not match the engine's "
            f"{row['engine_message']!r} (policyc: {row['bundle_message']!r})")


def test_messages_and_matched_policies_are_the_engines(oracle):
    """engine.go ``Evaluate``'s messages (default decisions included) and
    ``MatchedPolicies`` (a deny lists every later policy in scope, in the
    order of Go's unstable sort by priority)."""
    differing = [f"  {k}: policyc {r['bundle_message']!r} {r['bundle_matched']}, "
                 f"engine {r['engine_message']!r} {r['engine_matched']}"
                 for k, r in sorted(_decisions().items())
                 if (r["bundle_message"], r["bundle_matched"]) != (r["engine_message"], r["engine_matched"])]
    assert not differing, f"{len(differing)} case(s) differ:\n" + "\n".join(differing)


def _compare(paths: tuple[str, ...], cases: list[CorpusCase], project: str | None = None) -> list[str]:
    pc = _policyc(paths, project)
    engine = engine_decide_full(list(paths), [c.call for c in cases], project)
    wrong = []
    for case, e in zip(cases, engine):
        bundle = pc.bundle_action(case.call)
        if bundle != e.get("action"):
            wrong.append(f"{_key(case)}: engine={e.get('action')} bundle={bundle} call={case.call}")
    return wrong


@pytest.mark.parametrize("base", GLOBALS, ids=lambda p: p.name)
def test_template_layered_on_a_global_file_decides_as_the_engine(base, oracle):
    cases = [c for c in CASES if c.policy in (str(base), str(PROJECT_TEMPLATE))]
    wrong = _compare((str(base),), cases, project=str(PROJECT_TEMPLATE))
    assert not wrong, "\n".join(wrong)


def test_out_of_line_cases_request_side_decides_as_the_engine(oracle):
    """tests/fixtures/stdlib: cases with a working directory or an agent
    depth (the oracle takes both); a case with a response is decided on the
    request side only, so those are left out (the oracle cannot see it)."""
    fixtures = [c for c in corpus_cases(FIXTURES) if not c.has_response]
    assert fixtures
    wrong = []
    for policy in sorted({c.policy for c in fixtures}):
        wrong += _compare((policy,), [c for c in fixtures if c.policy == policy])
    assert not wrong, "\n".join(wrong)
