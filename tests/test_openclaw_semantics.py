"""The OpenClaw engine's semantics, one behaviour per test
(``../shared/spec/other-dialects.md`` §A). They run without node; when the
oracle is available, every decision made through ``_decide`` is also asked
of the real engine and must be the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from policyc.dialects.openclaw import claims, decide, load_paths, recognise
from policyc.dialects.openclaw.patterns import covers, literal_stars, matches, shape
from policyc.frontends.yaml_source import parse_yaml

from .test_openclaw_oracle import oracle_command, run_oracle


def _load(tmp_path: Path, files: dict[str, str]):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return load_paths([str(tmp_path)])


def _decide(tmp_path: Path, policy: str, action, context=None, agent: str = "a"):
    result = _load(tmp_path, {"p.yaml": "agent: a\n" + policy})
    call = {"agent": agent, "action": action}
    if context is not None:
        call["context"] = context
    ours = decide(result, call).to_json()
    command = oracle_command()
    if not isinstance(command, str):
        assert run_oracle(command, tmp_path, [call]) == {"outcomes": [ours]}
    return ours


# ---------------------------------------------------------------- patterns


@pytest.mark.parametrize(("pattern", "action", "expected"), [
    ("read:*", "read:x", True), ("read:*", "read:", True), ("read:*", "reads", False),
    ("*:data", "read:data", True), ("*", "", True), ("*foo*", "*foobar", True),
    ("*foo*", "xfoox", False), ("a*b", "axb", False), ("a*b", "a*b", True), ("", "", True),
    ("**", "*x", True), ("**", "x", False),
])
def test_pattern_semantics(pattern: str, action: str, expected: bool) -> None:
    assert matches(action, pattern) is expected


def test_pattern_shapes_and_inclusion() -> None:
    assert shape("*foo*").kind == "prefix" and shape("*foo*").text == "*foo"
    assert covers("read:*", "read:secret*") and not covers("read:secret*", "read:*")
    assert covers("*", "*:x") and not covers("*:x", "*")
    assert covers("*_data", "*customer_data") and covers("read:*", "read:x")
    assert not covers("read:*", "*:x") and not covers("*:x", "read:*")
    assert literal_stars("read:*") is None and literal_stars("a*b") and literal_stars("*x*")


# ---------------------------------------------------------------- decisions


def test_order_is_escalate_deny_allow_default(tmp_path: Path) -> None:
    policy = "permissions:\n  allow: ['*']\n  deny: ['delete:*']\n  escalate: ['delete:all']\n"
    assert _decide(tmp_path, policy, "delete:all") == {
        "decision": "escalate", "reason": "Action requires human escalation: delete:all"}
    assert _decide(tmp_path, policy, "delete:x")["reason"] == "Action explicitly denied by policy rule: delete:*"
    assert _decide(tmp_path, policy, "read:x")["reason"] == "Action allowed by policy rule: *"
    assert _decide(tmp_path, "permissions: {}\n", "read:x")["reason"] == "Action not explicitly allowed (default deny)"
    assert _decide(tmp_path, policy, "x", agent="b")["reason"] == "No policy found for agent: b"


@pytest.mark.parametrize(("condition", "context", "decision"), [
    ("amount > 500", {"amount": 600}, "escalate"),
    ("amount > $1,000", {"amount": 1500}, "escalate"),
    ("amount > 500", {"amount": "1,000"}, "deny"),      # the context value is not stripped: 1
    ("amount > 500", {"amount": " 600 "}, "escalate"),  # parseFloat skips leading whitespace
    ("amount > 500", {}, "deny"),                       # undefined: false
    ("amount = 500", {"amount": 500}, "deny"),          # not an operator the engine compares
    ("tier != gold", {"tier": "gold"}, "escalate"),     # NaN threshold: != is always true
    ("tier == gold", {"tier": "gold"}, "deny"),
    ("amount == 16", {"amount": "0x10"}, "escalate"),   # loose equality: Number("0x10")
    ("amount == 0", {"amount": []}, "escalate"),        # [] == 0
    ("amount == 0", {"amount": None}, "deny"),          # null == 0 is false
    ("constructor != 5", {}, "escalate"),               # inherited: a function, not undefined
    ("length > 1", [1, 2, 3], "escalate"),              # a list context has a length
    ("amount > 5 and tier == 2", {"amount": 6}, "escalate"),
])
def test_conditions(tmp_path: Path, condition: str, context, decision: str) -> None:
    policy = ("permissions:\n  escalate:\n    - action: refund\n"
              f"      condition: {condition!r}\n")
    assert _decide(tmp_path, policy, "refund", context)["decision"] == decision


def test_escalate_mapping_reason_is_json_in_engine_key_order(tmp_path: Path) -> None:
    policy = "permissions:\n  escalate:\n    - {condition: 'amount > 1', 2: b, action: refund, 1: a}\n"
    assert _decide(tmp_path, policy, "refund", {"amount": 2})["reason"] == (
        'Action requires human escalation: {"1":"a","2":"b","condition":"amount > 1","action":"refund"}')


def test_escalate_without_condition_never_and_without_action_always(tmp_path: Path) -> None:
    never = "permissions:\n  allow: [refund]\n  escalate:\n    - action: refund\n"
    assert _decide(tmp_path, never, "refund")["decision"] == "allow"
    always = "permissions:\n  allow: ['*']\n  escalate:\n    - condition: amount > 5\n"
    assert _decide(tmp_path, always, "read:x", {"amount": 6})["decision"] == "escalate"


def test_engine_errors(tmp_path: Path) -> None:
    mapping_in_allow = "permissions:\n  allow:\n    - read:x\n    - {action: y}\n"
    assert _decide(tmp_path, mapping_in_allow, "read:x")["decision"] == "allow"  # not reached
    assert _decide(tmp_path, mapping_in_allow, "z") == {"error": "pattern.endsWith is not a function"}
    not_iterable = "permissions:\n  deny: {a: b}\n"
    assert _decide(tmp_path, not_iterable, "x") == {"error": "rules is not iterable"}
    prefix_on_number = "permissions:\n  allow: ['read:*']\n"
    assert _decide(tmp_path, prefix_on_number, 5) == {"error": "action.startsWith is not a function"}
    assert _decide(tmp_path, prefix_on_number, "read:x", {"x": 1}) == {
        "decision": "allow", "reason": "Action allowed by policy rule: read:*"}


def test_string_list_is_walked_per_character(tmp_path: Path) -> None:
    policy = "permissions:\n  allow: read:*\n"
    assert _decide(tmp_path, policy, "anything") == {
        "decision": "allow", "reason": "Action allowed by policy rule: *"}
    assert _decide(tmp_path, "permissions:\n  allow: read\n", "r")["decision"] == "allow"


def test_non_string_values(tmp_path: Path) -> None:
    result = _load(tmp_path, {"p.yaml": "agent: 5\npermissions:\n  allow: [5]\n"})
    assert decide(result, {"agent": 5, "action": 5}).to_json() == {
        "decision": "allow", "reason": "Action allowed by policy rule: 5"}
    assert decide(result, {"agent": "5", "action": 5}).reason == "No policy found for agent: 5"
    assert decide(result, {"agent": ["a", None], "action": 5}).reason == "No policy found for agent: a,"
    assert decide(result, {"agent": {"toString": 1}}).to_json() == {
        "error": "Cannot convert object to primitive value"}
    assert decide(result, None).to_json() == {"error": "Cannot read properties of null (reading 'agent')"}
    assert decide(result, {"action": "x"}).reason == "No policy found for agent: undefined"
    assert decide(result, {"agent": object()}).decision == "error"  # not JSON


# ---------------------------------------------------------------- loading


def test_directory_order_suffixes_and_replacement(tmp_path: Path) -> None:
    result = _load(tmp_path, {
        "b.yml": "agent: x\npermissions: {allow: [from-b]}\n",
        "a.yaml": "agent: x\npermissions: {allow: [from-a]}\n",
        "C.yaml": "agent: y\n", "c.YAML": "agent: ignored\n", "notes.txt": "agent: ignored\n",
        ".yaml": "agent: hidden\n",
    })
    assert [Path(f).name for f in result.files] == [".yaml", "C.yaml", "a.yaml", "b.yml"]
    assert list(result.policies) == ["hidden", "y", "x"]
    assert decide(result, {"agent": "x", "action": "from-b"}).decision == "allow"
    assert decide(result, {"agent": "x", "action": "from-a"}).decision == "deny"
    [dup] = [d for d in result.diagnostics if d.code == "PC502"]
    assert dup.span.path.endswith("b.yml") and "a.yaml" in dup.message


def test_one_file_without_agent_fails_the_whole_load(tmp_path: Path) -> None:
    result = _load(tmp_path, {"a.yaml": "agent: x\n", "b.yaml": "permissions: {}\n"})
    assert not result.ok and "missing required 'agent' field" in result.load_error
    assert decide(result, {"agent": "x", "action": "y"}).decision == "error"
    assert [d.code for d in result.diagnostics] == ["PC501"]


def test_empty_directory_and_missing_path(tmp_path: Path) -> None:
    assert load_paths([str(tmp_path)]).ok
    missing = load_paths([str(tmp_path / "nope")])
    assert not missing.ok and [d.code for d in missing.diagnostics] == ["PC501"]


def test_recognise() -> None:
    assert recognise(parse_yaml("agent: a\n", "x.yaml"))
    assert recognise(parse_yaml("permissions: {}\n", "x.yaml"))
    assert not recognise(parse_yaml("version: '1'\npolicies: []\n", "x.yaml"))
    assert not recognise(parse_yaml("- agent\n", "x.yaml")) and not recognise(None)


def test_claims_as_the_dialect_registry_asks() -> None:
    assert claims({"agent": "a", "permissions": None}) and claims({"permissions": None})
    assert claims(["agent"]) and not claims({"policies": None, "agent": "a"})
    assert not claims({"version": "1"}) and not claims({None: None, 1: "x"})
