"""``policyc diff`` for ToolRampart (:mod:`policyc.dialects.toolrampart.diff`):
two versions of a tool module, written to a temporary directory, decided by
the reference evaluator on the candidate calls of both; and the shipped
examples diffed against themselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policyc.dialects.toolrampart import load_paths
from policyc.dialects.toolrampart.diff import (
    MAX_CALLS_PER_TOOL, RESTRICTIVENESS, candidate_calls, diff_results,
)
from policyc.dialects.toolrampart.evaluate import STATUSES, decide

from .conftest import CORPORA

EXAMPLES = CORPORA / "toolrampart" / "examples"

REFUND = '''\
from toolrampart import rate_limit, require_approval, scope, tool


@tool
{scope}{approval}@rate_limit({limit!r})
def refund_user(user_id: str, amount: float, reason: str) -> dict:
    return {{"user_id": user_id, "amount": amount}}
'''


def _module(tmp_path: Path, side: str, *, scope: str | None = "billing.refund",
            approval: str = "@require_approval(over_amount=500)\n", limit: str = "10/hour/user") -> list[str]:
    """A directory ``side`` holding one version of ``refund.py`` (no
    ``@scope`` when ``scope`` is ``None``)."""
    directory = tmp_path / side
    directory.mkdir()
    written = "" if scope is None else f"@scope({scope!r})\n"
    (directory / "refund.py").write_text(REFUND.format(scope=written, approval=approval, limit=limit))
    return [str(directory)]


def _diff(old: list[str], new: list[str]) -> dict:
    before, after = load_paths(old), load_paths(new)
    assert not before.diagnostics and not after.diagnostics
    return diff_results(before, after).to_json()


def test_identical_modules_give_no_change(tmp_path: Path) -> None:
    result = _diff(_module(tmp_path, "old"), _module(tmp_path, "new"))
    assert result["changes"] == []
    assert result["summary"]["changes"] == result["summary"]["weaker"] == 0
    assert result["summary"]["candidates"] > 0


def test_removing_an_approval_condition_is_weaker(tmp_path: Path) -> None:
    result = _diff(_module(tmp_path, "old"), _module(tmp_path, "new", approval=""))
    assert result["summary"]["weaker"] == result["summary"]["changes"] == 1
    change = result["changes"][0]
    assert change["witness"]["arguments"]["amount"] > 500
    assert change == {
        "witness": {"tool": "refund_user", "arguments": {"user_id": "x", "amount": 501, "reason": "x"},
                    "actor": "agent", "scopes": ["billing.refund"], "approved": False},
        "old": {"status": "requires_approval", "message": "amount exceeds 500", "stage": "approval",
                "reason": "the approval policy requires approval (ApprovalPolicy.required_reason) and the call "
                          "is not approved", "dialect": "toolrampart"},
        "new": {"status": "success", "message": None, "stage": "execution",
                "reason": "the call passes every gate and the tool's body runs (its own outcome is not known "
                          "statically)", "dialect": "toolrampart"},
        "weaker": True,
        "witnesses_found": change["witnesses_found"],
    }
    # every granting scope (exact, billing.*, billing.refund.*, *) shows it
    assert change["witnesses_found"] == 4
    # the witness replays with the reference evaluator
    assert decide(load_paths([str(tmp_path / "old")]), change["witness"]).status == "requires_approval"


def _statuses(change: dict) -> tuple[str, str]:
    return change["old"]["status"], change["new"]["status"]


def test_adding_a_scope_is_stricter(tmp_path: Path) -> None:
    result = _diff(_module(tmp_path, "old", scope=None, approval=""), _module(tmp_path, "new", approval=""))
    assert result["summary"]["weaker"] == 0
    stricter, limited = result["changes"]
    assert _statuses(stricter) == ("success", "denied") and not stricter["weaker"]
    assert stricter["witness"]["scopes"] == [] and stricter["witnesses_found"] == 4  # [], the unrelated scope
    assert stricter["new"]["message"] == "missing required scope: billing.refund"
    # the 11th call: rate limited before, denied (uncounted) now: one rank, a plain change
    assert _statuses(limited) == ("rate_limited", "denied") and limited["witness"]["history"] == 10
    # the other way round, the same calls are a weaker change
    back = diff_results(load_paths([str(tmp_path / "new")]), load_paths([str(tmp_path / "old")])).to_json()
    assert [(c["weaker"], c["witness"]) for c in back["changes"]] == [
        (True, stricter["witness"]), (False, limited["witness"])]


def test_changing_a_scope_is_weaker_and_stricter(tmp_path: Path) -> None:
    old = _module(tmp_path, "old", approval="")
    new = _module(tmp_path, "new", approval="", scope="billing.refund.large")
    changes = [c for c in _diff(old, new)["changes"] if "history" not in c["witness"]]
    # a caller holding only the new scope gains the tool; one holding only the old loses it
    assert [(c["weaker"], _statuses(c), c["witness"]["scopes"]) for c in changes] == [
        (True, ("denied", "success"), ["billing.refund.large"]),
        (False, ("success", "denied"), ["billing.refund"])]
    assert changes[1]["new"]["message"] == "missing required scope: billing.refund.large"


def test_a_lower_rate_limit_is_reached_with_history(tmp_path: Path) -> None:
    result = _diff(_module(tmp_path, "old", approval=""), _module(tmp_path, "new", approval="", limit="3/hour/user"))
    assert result["summary"]["weaker"] == 0
    (change,) = result["changes"]
    assert change["witness"]["history"] == 3
    assert change["old"]["status"] == "success"
    assert change["new"]["status"] == "rate_limited"
    assert change["new"]["message"] == "rate limit exceeded: 3/hour/user"


def test_a_renamed_tool_is_not_found(tmp_path: Path) -> None:
    old = _module(tmp_path, "old")
    renamed = tmp_path / "new"
    renamed.mkdir()
    (renamed / "refund.py").write_text((tmp_path / "old" / "refund.py").read_text().replace(
        "@tool\n", '@tool(name="refund")\n'))
    result = _diff(old, [str(renamed)])
    pairs = {(c["witness"]["tool"], c["old"]["status"], c["new"]["status"]) for c in result["changes"]}
    assert ("refund_user", "success", "not_found") in pairs
    assert ("refund", "not_found", "success") in pairs  # weaker: a tool appears


def test_candidates(tmp_path: Path) -> None:
    result = load_paths(_module(tmp_path, "old"))
    calls = candidate_calls(result, result)
    assert len({json.dumps(c, sort_keys=True) for c in calls}) == len(calls)
    assert calls[-1] == {"tool": "policyc_unregistered_tool", "arguments": {}, "actor": "agent", "scopes": [],
                         "approved": False}
    refund = [c for c in calls if c["tool"] == "refund_user"]
    assert {c["arguments"].get("amount", "missing") for c in refund} == {1, 499, 500, 501, "missing"}
    assert {tuple(c["scopes"]) for c in refund} == {
        (), ("billing.refund",), ("billing.*",), ("billing.refund.*",), ("*",), ("policyc.unrelated",)}
    assert {c.get("history", 0) for c in refund} == {0, 10}
    repeated = [c for c in refund if c.get("history")]
    assert repeated and all(c["approved"] for c in repeated)
    assert all(c["arguments"] == {"user_id": "x", "amount": 1, "reason": "x"} for c in repeated)
    assert len(refund) <= MAX_CALLS_PER_TOOL


def test_candidate_values_follow_the_annotations(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "from toolrampart import require_approval, tool\n\n\n"
        "@tool\n@require_approval(over_n=2.5, mode='prod')\n"
        "def t(n: int, label: str, mode: str = 'dev', flag: bool | None = None) -> None:\n    pass\n")
    result = load_paths([str(tmp_path / "m.py")])
    arguments = [c["arguments"] for c in candidate_calls(result, result) if c["tool"] == "t"]
    assert {"n": 1, "label": "x"} in arguments  # required fields only, optional ones take their defaults
    assert {a.get("n") for a in arguments} == {1, 2, 3, None}  # 1.5, 2.5 and 3.5 are refused by `int`
    assert {a.get("mode") for a in arguments} == {None, "prod", "prodx"}


def test_a_large_tool_is_capped(tmp_path: Path) -> None:
    conditions = ", ".join(f"over_a{i}={i}" for i in range(40))
    params = ", ".join(f"a{i}: int" for i in range(40))
    (tmp_path / "m.py").write_text(
        f"from toolrampart import require_approval, scope, tool\n\n\n@tool\n@scope('a.b.c')\n"
        f"@require_approval({conditions})\ndef t({params}) -> None:\n    pass\n")
    result = load_paths([str(tmp_path / "m.py")])
    assert len([c for c in candidate_calls(result, result) if c["tool"] == "t"]) == MAX_CALLS_PER_TOOL


def test_ranking() -> None:
    refusals = [s for s in STATUSES if s not in ("success", "requires_approval")]
    assert "unknown" in refusals and "timeout" in refusals
    for refusal in refusals:
        assert RESTRICTIVENESS.overrides(refusal, "requires_approval")
        assert RESTRICTIVENESS.overrides(refusal, "success")
        assert not RESTRICTIVENESS.overrides(refusal, "denied")
    assert RESTRICTIVENESS.overrides("requires_approval", "success")
    assert not RESTRICTIVENESS.overrides("success", "success")


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="../shared/corpora/toolrampart/examples is absent")
def test_shipped_examples_against_themselves() -> None:
    before, after = load_paths([str(EXAMPLES)]), load_paths([str(EXAMPLES)])
    result = diff_results(before, after).to_json()
    assert result["changes"] == []
    assert result["summary"]["candidates"] == len(candidate_calls(before, after)) > 100
