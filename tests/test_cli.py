"""The command line: exit codes, output formats, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyc.cli import main

from .conftest import FIXTURES

CHECKS = FIXTURES / "checks"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_check_default_policy_is_clean():
    result = run("check", "--verbose")
    assert result.exit_code == 0, result.output
    assert "0 error(s)" in result.output


def test_check_json_shape_and_exit_code():
    path = CHECKS / "PC007" / "fail_path_match_typo.yaml"
    result = run("check", "--format", "json", str(path))
    assert result.exit_code == 1
    doc = json.loads(result.output)
    diag = doc["diagnostics"][0]
    assert {k: diag[k] for k in ("code", "name", "severity", "line", "column")} == {
        "code": "PC007", "name": "unknown-key", "severity": "error", "line": 9, "column": 11}
    assert diag["path"] == str(path)
    assert "path_matches" in diag["help"]
    assert doc["summary"]["errors"] == 1


def test_check_text_has_snippet_and_caret():
    path = CHECKS / "PC007" / "fail_path_match_typo.yaml"
    result = run("check", str(path))
    assert f"{path}:9:11" in result.output
    assert "path_match: [\"**/.env\"]" in result.output
    assert "^^^^^^^^^^" in result.output
    assert "did you mean `path_matches`?" in result.output


def test_fail_on_threshold():
    path = CHECKS / "PC007" / "pass_tool_params_free_keys.yaml"
    assert run("check", "--fail-on", "info", str(path)).exit_code == 0


def test_missing_file_is_exit_2_without_traceback():
    result = run("check", "/nonexistent/policy.yaml")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "no such file" in result.output.lower() or "nonexistent" in result.output


def test_unknown_option_is_usage_error():
    assert run("check", "--nope").exit_code == 2


@pytest.mark.parametrize("name", [
    "PC001/fail_unclosed_flow.yaml", "PC002/fail_duplicate_rule_key.yaml",
    "PC003/fail_billion_laughs.yaml", "PC005/fail_deep_flow.yaml", "PC006/fail_latin1.yaml",
])
def test_malformed_input_names_the_line(name):
    path = CHECKS / name
    result = run("check", "--format", "json", str(path))
    assert result.exit_code == 1
    diag = json.loads(result.output)["diagnostics"][0]
    assert diag["line"] >= 1 and diag["path"] == str(path)


def test_test_command_json_and_failure_exit(tmp_path: Path):
    policy = tmp_path / "p.yaml"
    policy.write_text(
        'version: "1"\ndefault_action: deny\npolicies:\n  - name: git\n    match: {tool: exec}\n'
        '    rules:\n      - action: allow\n        when: {command_matches: ["git *"]}\n'
        'tests:\n  - {name: ok, tool: exec, params: {command: "git status"}, expect: allow}\n'
        '  - {name: wrong, tool: exec, params: {command: "ls"}, expect: allow}\n')
    result = run("test", "--format", "json", str(policy))
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert (doc["passed"], doc["failed"]) == (1, 1)
    failing = [c for c in doc["cases"] if not c["passed"]][0]
    assert (failing["name"], failing["expected"], failing["actual"]) == ("wrong", "allow", "deny")


def test_test_default_policy_passes():
    result = run("test")
    assert result.exit_code == 0, result.output


def test_engine_disagreement_fails_a_case():
    from policyc.evaluate import Decision
    from policyc.dialects.rampart.frontend import TestCase
    from policyc.ir import Effect
    from policyc.testing import CaseResult

    case = TestCase("t", {"tool": "exec", "params": {"command": "ls"}}, Effect.DENY, None)
    reference = Decision(Effect.DENY, "no")
    agreeing = CaseResult("p.yaml", case, reference, reference.to_json())
    disagreeing = CaseResult("p.yaml", case, reference, Decision(Effect.ALLOW, "yes").to_json())
    assert agreeing.passed
    assert not disagreeing.passed and not disagreeing.engines_agree


EMPTY_FILES = {"zero-bytes": "", "whitespace": "\n   \n", "comments": "# only a comment\n",
               "bare-document": "---\n", "null": "null\n", "tilde": "--- ~\n"}


@pytest.mark.parametrize("command", [
    ["check"], ["check", "--format", "json"], ["test"], ["compile", "-o", "{out}"], ["coverage"]])
@pytest.mark.parametrize("content", EMPTY_FILES.values(), ids=EMPTY_FILES.keys())
def test_empty_policy_file_is_pc025_in_every_command(tmp_path: Path, command, content):
    out = tmp_path / "bundle.json"
    args = [a.replace("{out}", str(out)) for a in command]
    policy = tmp_path / "guard.yaml"
    policy.write_text(content)
    result = run(*args, str(policy))
    assert result.exit_code == 1, result.output
    if "json" in args:
        [diag] = json.loads(result.output)["diagnostics"]
        assert (diag["code"], diag["path"], diag["line"], diag["column"]) == ("PC025", str(policy), 1, 1)
    else:
        assert f"error[PC025] the file holds no policy: {policy}" in result.output
        assert f" --> {policy}:1:1" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_empty_file_in_a_policy_directory_is_named(tmp_path: Path):
    (tmp_path / "a-profile.yaml").write_text('version: "1"\ndefault_action: ask\npolicies: []\n')
    (tmp_path / "b-guard.yaml").write_bytes(b"")
    result = run("check", "--format", "json", str(tmp_path))
    assert result.exit_code == 1
    [diag] = json.loads(result.output)["diagnostics"]
    assert (diag["code"], diag["name"], diag["line"], diag["column"]) == ("PC025", "empty-file", 1, 1)
    assert diag["path"] == str(tmp_path / "b-guard.yaml")
    assert str(tmp_path / "b-guard.yaml") in diag["message"]
