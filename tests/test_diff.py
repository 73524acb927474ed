"""`policyc diff`: changes between two policy sets, each with a witness the
reference evaluator replays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyc.cli import main
from policyc.analysis.fields import samples
from policyc.diff import diff_sets
from policyc.evaluate import ToolCall, decide
from policyc.ir import Field, Pattern, PatternLanguage
from policyc.loader import load_policy_set
from policyc.patterns import match_command_glob, match_path_glob

OLD = """\
version: "1"
default_action: allow
policies:
  - name: destructive
    match: {tool: exec}
    rules:
      - action: deny
        when:
          command_matches: ["rm -rf *", "mkfs*"]
  - name: secrets
    match: {tool: read}
    rules:
      - action: deny
        when:
          path_matches: ["**/.env", "**/.ssh/**"]
"""

NEW = OLD.replace('"rm -rf *"', '"rm -rf /*"').replace('["**/.env", "**/.ssh/**"]', '["**/.ssh/**"]') + """\
  - name: pushes
    match: {tool: exec}
    rules:
      - action: ask
        when:
          command_matches: ["git push --force*"]
"""


@pytest.fixture()
def files(tmp_path: Path) -> tuple[str, str]:
    (tmp_path / "old.yaml").write_text(OLD)
    (tmp_path / "new.yaml").write_text(NEW)
    return str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml")


def _sets(old: str, new: str):
    return load_policy_set([old]).policy_set, load_policy_set([new]).policy_set


def test_changes_are_grouped_by_rule_pair_and_every_witness_replays(files):
    old, new = _sets(*files)
    result = diff_sets(old, new)
    pairs = {(c.old.rule.policy if c.old.rule else None, c.new.rule.policy if c.new.rule else None,
              c.old.action.value, c.new.action.value, c.weaker) for c in result.changes}
    assert pairs == {("destructive", None, "deny", "allow", True), ("secrets", None, "deny", "allow", True),
                     (None, "pushes", "allow", "ask", False)}
    for change in result.changes:
        call = ToolCall.from_mapping(change.witness)
        assert decide(old, call).to_json() == change.old.to_json()
        assert decide(new, call).to_json() == change.new.to_json()
    assert [c.weaker for c in result.changes] == sorted((c.weaker for c in result.changes), reverse=True)


def test_identical_sets_have_no_changes(files):
    old, _ = _sets(*files)
    result = diff_sets(old, old)
    assert result.changes == [] and result.candidates > 0


@pytest.mark.parametrize(("source", "flavor", "matcher"), [
    ("rm -rf *", Field.COMMAND, match_command_glob), ("**/.env", Field.PATH, match_path_glob),
    ("/etc/[a-c]?*/x", Field.PATH, match_path_glob), ("git [!a]*", Field.COMMAND, match_command_glob)])
def test_rule_candidates_use_values_the_glob_accepts(source, flavor, matcher):
    language = PatternLanguage.PATH_GLOB if flavor is Field.PATH else PatternLanguage.COMMAND_GLOB
    values = samples(Pattern(source, language))
    assert values and all(matcher(source, s) for s in values)


def test_cli_two_files_text_and_exit_codes(files):
    runner = CliRunner()
    text = runner.invoke(main, ["diff", *files])
    assert text.exit_code == 0, text.output
    assert "weaker" in text.output and "3 change(s), 2 weaker" in text.output
    strict = runner.invoke(main, ["diff", "--fail-on-weaker", files[0], "--", files[1]])
    assert strict.exit_code == 1
    same = runner.invoke(main, ["diff", "--fail-on-weaker", files[0], files[0]])
    assert same.exit_code == 0 and "0 change(s)" in same.output


def test_cli_json_shape(files):
    out = CliRunner().invoke(main, ["diff", "--format", "json", files[0], "--", files[1]])
    doc = json.loads(out.output)
    assert doc["summary"]["changes"] == 3 and doc["summary"]["weaker"] == 2
    first = doc["changes"][0]
    assert set(first) == {"witness", "old", "new", "weaker", "witnesses_found"}
    assert first["weaker"] is True and first["old"]["action"] == "deny" and first["new"]["action"] == "allow"


def test_cli_usage_errors(files):
    runner = CliRunner()
    assert runner.invoke(main, ["diff", files[0]]).exit_code == 2
    assert runner.invoke(main, ["diff", files[0], files[1], files[0]]).exit_code == 2
    assert runner.invoke(main, ["diff", files[0], "--"]).exit_code == 2
    missing = runner.invoke(main, ["diff", files[0], "/nonexistent.yaml"])
    assert missing.exit_code == 2 and "Traceback" not in missing.output
