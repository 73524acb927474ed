"""Suites for dialects other than Rampart (policyc/suites.py): `policyc test`
on a suite whose `policy:` names OpenClaw toolkit policies or ToolRampart
tools decides each case with the reference evaluator and the bundle."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from policyc.cli import main

from .conftest import SHARED, needs_corpora

AGENT = "agent: support\npermissions:\n  allow: [\"read:*\"]\n  deny: [\"delete:*\"]\n"


def _suite(tmp_path: Path, tests: str, policy: str = "agents") -> Path:
    (tmp_path / "agents").mkdir(parents=True, exist_ok=True)
    (tmp_path / "agents" / "support.yaml").write_text(AGENT)
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"policy: {policy}\ntests:\n{tests}")
    return suite


def test_a_toolkit_suite_runs_through_both_engines(tmp_path):
    suite = _suite(tmp_path, '  - {name: reads, call: {agent: support, action: "read:x"}, expect: allow}\n'
                             '  - {name: deletes, call: {agent: support, action: "delete:x"}, expect: allow}\n')
    result = CliRunner().invoke(main, ["test", "--format", "json", str(suite)])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert (document["passed"], document["failed"], document["diagnostics"]) == (1, 1, [])
    failed = document["cases"][1]
    assert failed == {
        "name": "deletes", "path": str(suite), "line": 4,
        "call": {"agent": "support", "action": "delete:x"}, "expected": "allow", "expected_message": None,
        "actual": "deny", "message": "Action explicitly denied by policy rule: delete:*", "passed": False,
        "engines_agree": True,
        "decision": {"action": "deny", "message": "Action explicitly denied by policy rule: delete:*",
                     "dialect": "openclaw-toolkit"},
        "bundle_decision": {"action": "deny", "message": "Action explicitly denied by policy rule: delete:*",
                            "dialect": "openclaw-toolkit"}}
    text = CliRunner().invoke(main, ["test", str(suite)]).stdout
    assert text.splitlines() == [
        f"FAIL {suite}:4 deletes: expected allow, got deny",
        '     {"action": "delete:x", "agent": "support"}',
        "     decided by Action explicitly denied by policy rule: delete:*",
        "1 passed, 1 failed"]


def test_expect_message_is_a_glob(tmp_path):
    suite = _suite(tmp_path, '  - {name: m, call: {agent: support, action: "read:x"}, expect: allow,\n'
                             '     expect_message: "*rule: read:[*]"}\n'
                             '  - {name: n, call: {agent: support, action: "read:x"}, expect: allow,\n'
                             '     expect_message: "denied*"}\n')
    result = CliRunner().invoke(main, ["test", "--format", "json", str(suite)])
    assert [c["passed"] for c in json.loads(result.stdout)["cases"]] == [True, False]


def test_bad_cases_are_pc021_on_their_place(tmp_path):
    suite = _suite(tmp_path, '  - {name: a, call: {agent: support, action: "read:x"}, expect: ask}\n'
                             '  - {name: b, expect: allow}\n'
                             '  - {name: c, call: {agent: support}, expect: deny, tool: x}\n'
                             '  - just text\n'
                             '  - {name: d, call: {agent: support, action: "read:x"}, expect: allow}\n')
    result = CliRunner().invoke(main, ["test", "--format", "json", str(suite)])
    document = json.loads(result.stdout)
    found = [(d["code"], d["line"], d["column"], d["message"]) for d in document["diagnostics"]]
    assert found == [
        ("PC021", 3, 65, "test case `a` expects 'ask', not one of this dialect's outcomes"),
        ("PC021", 4, 5, "test case `b` has no `call`"),
        ("PC021", 5, 53, "test case `c` has unknown key 'tool'"),
        ("PC021", 6, 5, "test case #4 is not a mapping")]
    assert document["passed"] == 1 and result.exit_code == 0  # the good case still ran and passed


def test_a_suite_policy_outside_the_root_is_refused_unread(tmp_path):
    outside = tmp_path / "outside"
    suite = _suite(tmp_path / "repo", '  - {name: a, call: {agent: support}, expect: deny}\n',
                   policy=str(outside))
    outside.mkdir()
    (outside / "a.yaml").write_text(AGENT)
    (tmp_path / "repo" / ".git").mkdir()
    result = CliRunner().invoke(main, ["test", str(suite)])
    assert result.exit_code == 1 and "resolves outside" in result.stdout and "0 passed, 0 failed" in result.stdout


def test_a_suite_whose_policies_do_not_load_reports_their_errors(tmp_path):
    suite = _suite(tmp_path, '  - {name: a, call: {agent: support}, expect: deny}\n')
    (tmp_path / "agents" / "broken.yaml").write_text("permissions: {}\n")  # no agent: the engine's load fails
    result = CliRunner().invoke(main, ["test", "--format", "json", str(suite)])
    document = json.loads(result.stdout)
    assert result.exit_code == 1 and document["cases"] == []
    assert [d["code"] for d in document["diagnostics"]] == ["PC501"]


def test_project_is_refused_for_a_dialect_suite(tmp_path):
    suite = _suite(tmp_path, '  - {name: a, call: {agent: support}, expect: deny}\n')
    result = CliRunner().invoke(main, ["test", "--project", str(suite), str(suite)])
    assert result.exit_code == 1 and "--project is a Rampart tier" in result.stdout


@needs_corpora
def test_the_toolkit_example_suite_passes():
    """tests/fixtures/suites/openclaw-toolkit.yaml: the decisions the
    toolkit's example states, against its shipped policies."""
    suite = Path(__file__).parent / "fixtures" / "suites" / "openclaw-toolkit.yaml"
    result = CliRunner().invoke(main, ["test", "--root", str(SHARED.parent), str(suite)])
    assert result.exit_code == 0 and result.stdout.endswith("6 passed, 0 failed\n"), result.stdout


@needs_corpora
def test_the_toolrampart_example_suite_passes():
    """tests/fixtures/suites/toolrampart.yaml: outcomes of the shipped
    examples; every case starts from a fresh runtime."""
    suite = Path(__file__).parent / "fixtures" / "suites" / "toolrampart.yaml"
    result = CliRunner().invoke(main, ["test", "--root", str(SHARED.parent), str(suite)])
    assert result.exit_code == 0 and result.stdout.endswith("6 passed, 0 failed\n"), result.stdout


def test_toolrampart_cases_are_independent(tmp_path):
    """A rate limit of 1/hour: two cases of the same call both succeed (each
    starts afresh); `history` reaches the limit."""
    (tmp_path / "tools.py").write_text(
        "from toolrampart import rate_limit, tool\n\n\n@tool\n@rate_limit(\"1/hour/user\")\n"
        "def ping() -> dict:\n    return {}\n")
    suite = tmp_path / "suite.yaml"
    suite.write_text("policy: tools.py\ntests:\n"
                     "  - {name: a, call: {tool: ping}, expect: success}\n"
                     "  - {name: b, call: {tool: ping}, expect: success}\n"
                     "  - {name: c, call: {tool: ping, history: 1}, expect: rate_limited}\n")
    result = CliRunner().invoke(main, ["test", "--format", "json", str(suite)])
    document = json.loads(result.stdout)
    assert [c["actual"] for c in document["cases"]] == ["success", "success", "rate_limited"]
    assert result.exit_code == 0 and document["cases"][2]["bundle_decision"]["status"] == "rate_limited"
