"""The OpenClaw toolkit's policies lowered to policyc's IR (policyc.dialects.openclaw.lower).

The lowering is faithful: on generated well-formed policy files and calls
with string actions, the lowered set decided first-applicable (the
module's interpreter) gives the reference evaluator's decision, by the
same entry, or throws where it throws (``FAITHFULNESS_CASES`` calls per
run). The shared passes (PC101, PC302) judge the lowered set: their
findings carry witnesses the reference evaluator decides as they say, and
no generated call is ever decided by a rule they call dead. The IR
additions leave Rampart's values as they were.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyc.analysis.implication import compare_fields, compares_imply, condition_implies
from policyc.dialects.openclaw import check_paths, decide, load_paths
from policyc.dialects.openclaw.evaluate import COMBINING
from policyc.dialects.openclaw.jsvalue import UNDEFINED, JSThrow
from policyc.dialects.openclaw.lower import first_applicable, lower
from policyc.ir import (
    OPENCLAW_COMBINING, RAMPART_COMBINING, Compare, Condition, Effect, Field, FieldPredicate, Pattern,
    PatternLanguage, PolicySet, Rule,
)

from .conftest import REPO

SHIPPED = REPO.parent / "shared" / "corpora" / "openclaw-toolkit" / "policies"

POLICIES = 400
CALLS_PER_POLICY_SET = 25
FAITHFULNESS_CASES = POLICIES * CALLS_PER_POLICY_SET
"""Generated calls decided by both the lowered IR and the reference evaluator per run."""

# ---------------------------------------------------------------- generators

TOKENS = ["read", "write", "delete", ":", "x", "a", "ticket", "é"]
AGENTS = ["support-agent", "billing", "x*", "*"]
FIELDS = ["amount", "tier", "x"]
#: Conditions the lowering keeps (a comparison, maybe with text the engine ignores) or drops
#: (never true: no parse, an operator it does not compare, a NaN threshold with another operator).
CONDITIONS = [f"{f} {op} {n}" for f in FIELDS for op in (">", "<", ">=", "<=", "==", "!=")
              for n in ("500", "$1,000", "0.5", "-3", "1e3", "Infinity")] + [
    "amount > 500 and tier == 2", "amount>=$2,500.50 USD", "amount", "big refund", "amount = 500",
    "amount => 5", "amount <> 5", "tier == gold", "tier > gold"]
#: Conditions whose agent the lowering refuses (PC507): inherited fields, `!=` with a NaN threshold.
UNLOWERED_CONDITIONS = ["constructor > 1", "toString != 3", "tier != gold"]

words = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=3).map("".join)
patterns = st.one_of(
    words, words.map(lambda w: w + "*"), words.map(lambda w: "*" + w), words.map(lambda w: "*" + w + "*"),
    st.builds(lambda a, b: a + "*" + b, words, words), st.sampled_from(["*", "", "read:*", "delete:*"]))
actions = st.one_of(words, patterns, st.sampled_from(["read:ticket", "delete:x", "refund", "", "*"]))


@st.composite
def conditional(draw) -> dict:
    entry: dict[str, Any] = {}
    action = draw(st.sampled_from(["pattern", "pattern", "absent", "", None]))
    if action == "pattern":
        entry["action"] = draw(patterns)
    elif action != "absent":
        entry["action"] = action
    condition = draw(st.sampled_from(["kept"] * 8 + ["absent", "", "unlowered"]))
    if condition == "kept":
        entry["condition"] = draw(st.sampled_from(CONDITIONS))
    elif condition == "unlowered":
        entry["condition"] = draw(st.sampled_from(UNLOWERED_CONDITIONS))
    elif condition == "":
        entry["condition"] = ""
    if draw(st.booleans()):
        entry["reason"] = "needs a human"
    return entry


escalate_entries = st.tuples(st.integers(0, 4), patterns, conditional(), st.sampled_from([5, True, False, ["x"]])) \
    .map(lambda t: t[1] if t[0] == 0 else t[3] if t[0] == 1 else t[2])


def rule_list(entries: st.SearchStrategy) -> st.SearchStrategy:
    some = st.lists(entries, min_size=1, max_size=4)
    return st.one_of(st.none(), st.just([]), some, some, some)


@st.composite
def policy_files(draw) -> list[dict]:
    agents = draw(st.lists(st.sampled_from(AGENTS), min_size=1, max_size=3, unique=True))
    files = []
    for agent in agents:
        permissions = {}
        for name, entries in (("escalate", escalate_entries), ("deny", patterns), ("allow", patterns)):
            value = draw(rule_list(entries))
            if value is not None:
                permissions[name] = value
        files.append({"agent": agent, "permissions": permissions})
    return files


context_values = st.sampled_from([0, 1, 2, 499, 500, 501, 1000, 1001, 2500.5, -3, -4, 0.5, "600", "1,000",
                                  "$700", " 5 ", "0x10", "", "abc", True, False, None, [600], "Infinity"])
contexts = st.one_of(st.none(), st.just({}), st.dictionaries(st.sampled_from(FIELDS), context_values, max_size=3))


def _texts(files: list[dict]) -> list[str]:
    """Actions near the files' patterns: each pattern, its text without the
    wildcard, and that text extended on the wildcard's side."""
    out = []
    for doc in files:
        for entries in doc["permissions"].values():
            for entry in entries or []:
                pattern = entry.get("action") if isinstance(entry, dict) else entry
                if isinstance(pattern, str):
                    core = pattern.strip("*")
                    out += [pattern, core, core + "zz", "zz" + core]
    return out or ["read:ticket"]


def calls(files: list[dict]) -> st.SearchStrategy:
    """Calls mostly of the files' agents, with actions mostly near their patterns."""
    agents = [doc["agent"] for doc in files]
    return st.builds(
        lambda agent, action, context: {"agent": agent, "action": action,
                                        **({} if context is None else {"context": context})},
        st.sampled_from(agents * 4 + ["nobody", "xy"]),
        st.tuples(st.integers(0, 3), st.sampled_from(_texts(files)), actions).map(lambda t: t[t[0] and 1 or 2]),
        contexts)


def call_lists(files: list[dict]) -> st.SearchStrategy:
    return st.lists(calls(files), min_size=CALLS_PER_POLICY_SET, max_size=CALLS_PER_POLICY_SET)


def _load(directory: Path, files: list[dict]):
    for n, doc in enumerate(files):
        (directory / f"{n}.yaml").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    return load_paths([str(directory)])


def _uses_unlowered(doc: dict) -> bool:
    return any(isinstance(e, dict) and e.get("condition") in UNLOWERED_CONDITIONS
               for e in doc["permissions"].get("escalate") or [])


def _deciding_entry_span(result, call: dict, outcome) -> Any:
    """The span of the entry the reference evaluator decided ``call`` by."""
    policy = result.policy_for(call["agent"])
    rules = policy.rule_list(outcome.decision)
    return next(e.span for e in rules.entries if e.value is outcome.rule)


# ---------------------------------------------------------------- faithfulness


@settings(max_examples=POLICIES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy_files(), st.data())
def test_lowered_set_decides_as_the_reference_evaluator(files: list[dict], data: st.DataObject) -> None:
    generated = data.draw(call_lists(files))
    with tempfile.TemporaryDirectory() as tmp:
        result = _load(Path(tmp), files)
        assert result.ok
        lowered = lower(result)
        names = {p.name for p in lowered.policy_set.policies}
        for doc in files:  # well-formed files lower, but for the conditions PC507 reports
            assert (doc["agent"] in names) is not _uses_unlowered(doc)
        for call in generated:
            if call["agent"] in {doc["agent"] for doc in files} - names:
                continue  # not lowered: its calls are not the IR's to decide
            outcome = decide(result, call)
            try:
                found = first_applicable(lowered.policy_set, call)
            except JSThrow:
                assert outcome.decision == "error", (call, outcome)
                continue
            if found is None:
                assert outcome.decision == "deny" and outcome.rule is UNDEFINED, (call, outcome)
                continue
            _, rule = found
            assert rule.effect.value == outcome.decision, (call, outcome, rule.name)
            assert rule.span == _deciding_entry_span(result, call, outcome), (call, rule.name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy_files(), st.data())
def test_shared_findings_are_proven(files: list[dict], data: st.DataObject) -> None:
    """Every PC101/PC302 finding's witness replays as it says, and no call
    is decided by a rule they report as never deciding."""
    generated = data.draw(call_lists(files))
    with tempfile.TemporaryDirectory() as tmp:
        result = _load(Path(tmp), files)
        policy_set = lower(result).policy_set
        found = [d for d in check_paths([tmp]) if d.code in ("PC101", "PC302")]
        for diag in found:
            if "witness" in diag.extra:
                assert decide(result, diag.extra["witness"]).to_json() == diag.extra["witness_decision"]
        dead = {(d.span.path, d.span.line, d.span.column) for d in found}
        for call in generated:
            try:
                decided = first_applicable(policy_set, call)
            except JSThrow:
                continue
            if decided is not None:
                span = decided[1].span
                assert (span.path, span.line, span.column) not in dead, (call, decided[1].name)


# ---------------------------------------------------------------- what lowers


def test_shipped_policies_lower_whole() -> None:
    lowered = lower(load_paths([str(SHIPPED)]))
    by_agent = {p.name: p for p in lowered.policy_set.policies}
    assert sorted(by_agent) == ["code-review-agent", "customer-service-agent"]
    assert [len(by_agent[a].rules) for a in sorted(by_agent)] == [19, 17]
    assert lowered.not_lowered == () and lowered.dropped == ()
    rules = by_agent["customer-service-agent"].rules
    assert [r.effect for r in rules] == [Effect.ESCALATE] * 5 + [Effect.DENY] * 5 + [Effect.ALLOW] * 7
    assert rules[5].name == "`permissions.deny[0]` `delete:*`" and rules[5].span.line == 27
    assert lowered.policy_set.combining is OPENCLAW_COMBINING and lowered.policy_set.default is Effect.DENY


def test_shipped_policies_have_no_shared_findings() -> None:
    assert not [d for d in check_paths([str(SHIPPED)]) if d.code in ("PC101", "PC302", "PC110")]


def _lowered(tmp_path: Path, text: str):
    path = tmp_path / "agent.yaml"
    path.write_text(text, "utf-8")
    return lower(load_paths([str(path)]))


@pytest.mark.parametrize(("permissions", "reason"), [
    ("allow: read:x", "a string, not a list"),
    ("allow: {read: x}", "not a list"),
    ("deny: [read:x, {action: x}]", "not a pattern string"),
    ("escalate: [~]", "not a pattern string"),
    ("escalate: [{action: [x], condition: amount > 1}]", "its `action` is"),
    ("escalate: [{action: x, condition: 5}]", "its `condition` is"),
    ("escalate: [{action: x, condition: tier != gold}]", "holds whenever the field is present"),
    ("escalate: [{action: x, condition: constructor > 1}]", "every object inherits"),
])
def test_policies_whose_meaning_is_not_plain_are_not_lowered(tmp_path: Path, permissions: str,
                                                             reason: str) -> None:
    lowered = _lowered(tmp_path, f"agent: a\npermissions:\n  {permissions}\n")
    assert lowered.policy_set.policies == ()
    (left,) = lowered.not_lowered
    assert reason in left.reason and left.agent == "a"


def test_entries_that_never_decide_are_dropped(tmp_path: Path) -> None:
    lowered = _lowered(tmp_path, "agent: a\npermissions:\n  escalate:\n    - 5\n    - {action: x}\n"
                                 "    - {action: x, condition: big}\n    - {action: x, condition: amount = 5}\n"
                                 "    - [x]\n    - {condition: amount > 5}\n  allow: [x]\n")
    assert [d.where for d in lowered.dropped] == [f"permissions.escalate[{i}]" for i in range(5)]
    (policy,) = lowered.policy_set.policies
    assert [(r.effect, r.index, r.name) for r in policy.rules] == [
        (Effect.ESCALATE, 0, "`permissions.escalate[5]` when `amount > 5`"),
        (Effect.ALLOW, 1, "`permissions.allow[0]` `x`")]
    assert policy.rules[0].condition == Condition(compares=(Compare("amount", ">", Decimal(5)),))


def test_a_non_string_agent_is_not_lowered(tmp_path: Path) -> None:
    lowered = _lowered(tmp_path, "agent: 5\npermissions:\n  allow: [x]\n")
    assert lowered.policy_set.policies == () and "not a string" in lowered.not_lowered[0].reason


def test_nothing_lowers_when_the_files_do_not_load(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("agent: a\npermissions:\n  allow: [x]\n")
    (tmp_path / "b.yaml").write_text("permissions: {}\n")
    lowered = lower(load_paths([str(tmp_path)]))
    assert lowered.policy_set.policies == ()
    assert "loads no policy" in lowered.not_lowered[0].reason


def test_a_replaced_policy_is_not_held(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("agent: a\npermissions:\n  allow: [x]\n")
    (tmp_path / "b.yaml").write_text("agent: a\npermissions:\n  allow: [y]\n")
    lowered = lower(load_paths([str(tmp_path)]))
    (policy,) = lowered.policy_set.policies
    assert policy.source.endswith("b.yaml") and "PC502" in lowered.not_lowered[0].reason


# ---------------------------------------------------------------- shared passes on toolkit files


def _findings(tmp_path: Path, text: str) -> list:
    path = tmp_path / "agent.yaml"
    path.write_text(text, "utf-8")
    return [d for d in check_paths([str(path)]) if d.code in ("PC101", "PC302")]


def test_an_allow_entry_decided_first_by_a_deny_is_unreachable(tmp_path: Path) -> None:
    (found,) = _findings(tmp_path, "agent: support-agent\npermissions:\n  allow:\n    - read:ticket\n"
                                   "    - read:secrets\n  deny:\n    - read:secret*\n")
    assert found.code == "PC101" and (found.span.line, found.span.column) == (5, 7)
    assert found.message == ("`permissions.allow[1]` `read:secrets` is unreachable: `permissions.deny[0]` "
                             "`read:secret*` (`deny`) comes first and it matches every call this rule matches")
    assert found.extra["witness"] == {"agent": "support-agent", "action": "read:secrets", "context": {}}
    assert found.extra["witness_decision"] == {
        "decision": "deny", "reason": "Action explicitly denied by policy rule: read:secret*"}


def test_an_allow_entry_escalated_first_is_unreachable(tmp_path: Path) -> None:
    (found,) = _findings(tmp_path, "agent: billing\npermissions:\n  allow: [refund_requests]\n"
                                   "  escalate: [refund*]\n")
    assert found.code == "PC101" and found.extra["witness_decision"]["decision"] == "escalate"


def test_a_conditional_escalation_inside_an_earlier_one_is_unreachable(tmp_path: Path) -> None:
    (found,) = _findings(tmp_path, "agent: a\npermissions:\n  escalate:\n"
                                   "    - {action: refund*, condition: amount > 500}\n"
                                   "    - {action: refund, condition: 'amount >= $1,000'}\n"
                                   "    - {action: refund, condition: amount > 400}\n")
    assert found.code == "PC101" and found.span.line == 5  # the >= 1000 one; > 400 is wider
    assert found.extra["witness"] == {"agent": "a", "action": "refund", "context": {"amount": 1000}}
    assert found.extra["witness_decision"]["decision"] == "escalate"


def test_a_condition_does_not_make_an_allow_unreachable(tmp_path: Path) -> None:
    assert _findings(tmp_path, "agent: a\npermissions:\n  escalate:\n"
                               "    - {action: refund, condition: amount > 500}\n  allow: [refund]\n") == []


def test_a_repeated_entry_is_a_duplicate(tmp_path: Path) -> None:
    (found,) = _findings(tmp_path, "agent: a\npermissions:\n  allow: [read:x, write:y, read:x]\n")
    assert found.code == "PC302"
    assert found.message == ("`permissions.allow[2]` `read:x` repeats `permissions.allow[0]` `read:x` "
                             "exactly; it can never decide a call")


def test_literal_stars_and_agents_are_read_as_the_engine_reads_them(tmp_path: Path) -> None:
    # `*read*` is the prefix `*read` (a literal star): it does not cover `read:x`.
    assert _findings(tmp_path, "agent: '*'\npermissions:\n  deny: ['*read*']\n  allow: ['read:x']\n") == []
    (found,) = _findings(tmp_path, "agent: '*'\npermissions:\n  deny: ['*read*']\n  allow: ['*reader*']\n")
    assert found.extra["witness"] == {"agent": "*", "action": "*reader", "context": {}}  # the agent id itself


# ---------------------------------------------------------------- comparisons


def _c(field: str, op: str, value: float) -> Compare:
    return Compare(field, op, Decimal(value))


@pytest.mark.parametrize(("a", "b", "implied"), [
    ([_c("x", ">", 500)], [_c("x", ">=", 500)], True),
    ([_c("x", ">=", 500)], [_c("x", ">", 500)], False),
    ([_c("x", ">", 5), _c("x", "<", 9)], [_c("x", "<=", 9)], True),
    ([_c("x", ">", 5)], [_c("y", ">", 5)], False),
    ([_c("x", "==", 5)], [_c("x", "==", 5)], True),
    ([_c("x", "==", 5)], [_c("x", "!=", 4)], True),
    ([_c("x", "==", 5)], [_c("x", ">", 4)], False),  # == reads the value loosely, > with parseFloat
    ([_c("x", ">", 5)], [_c("x", "!=", 4)], False),
    ([_c("x", ">", 5)], [], True),
    ([], [_c("x", ">", 5)], False),
    ([_c("x", "<", float("inf"))], [_c("x", "<=", float("inf"))], True),
])
def test_compares_imply(a: list[Compare], b: list[Compare], implied: bool) -> None:
    assert compares_imply(a, b) is implied


def test_compares_are_part_of_condition_implication() -> None:
    action = FieldPredicate(Field.ACTION, (Pattern("refund*", PatternLanguage.ACTION),))
    narrow = Condition((FieldPredicate(Field.ACTION, (Pattern("refund", PatternLanguage.ACTION),)),),
                       compares=(_c("amount", ">", 900),))
    wide = Condition((action,), compares=(_c("amount", ">", 500),))
    assert condition_implies(narrow, False, wide, False)
    assert not condition_implies(wide, False, narrow, False)
    assert not condition_implies(Condition((action,)), False, wide, False)


@pytest.mark.parametrize(("compares", "number"), [
    ([_c("x", ">", 500)], 501), ([_c("x", "<", -2.5)], -3), ([_c("x", ">", 5), _c("x", "<", 6)], 5.5),
    ([_c("x", "!=", 0), _c("x", "!=", 1)], -1), ([_c("x", "==", 7), _c("x", ">=", 7)], 7),
    ([_c("x", "==", 7), _c("x", ">", 8)], None), ([_c("x", ">", 5), _c("x", "<", 5)], None),
])
def test_witness_numbers(compares: list[Compare], number: float | None) -> None:
    assert compare_fields(compares)["x"].number() == number


# ---------------------------------------------------------------- the IR stays Rampart's


def test_new_ir_members_leave_rampart_values_alone() -> None:
    rule = Rule(Effect.DENY, Condition())
    assert rule == dataclasses.replace(rule, name="`permissions.deny[0]`")
    assert hash(rule) == hash(dataclasses.replace(rule, name="other"))
    assert Condition() == Condition(compares=()) and PolicySet(()) == PolicySet((), origin=object())
    assert PolicySet(()).combining is RAMPART_COMBINING and PolicySet(()).dialect == "rampart"
    with pytest.raises(ValueError):
        Effect.parse("escalate")
    assert not Effect.ESCALATE.granting


def test_one_definition_of_the_toolkit_combining() -> None:
    assert OPENCLAW_COMBINING.to_json() == COMBINING
    assert OPENCLAW_COMBINING.order == (Effect.ALLOW, Effect.DENY, Effect.ESCALATE)
