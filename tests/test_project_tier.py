"""Project tier (spec §3.5): the checks PC202/PC203 on real invocations, and
the property behind them: merging a project tier never decides a call less
restrictively than the global set alone."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyc.cli import main
from policyc.evaluate import ToolCall, decide
from policyc.ir import RAMPART_COMBINING, Tier
from policyc.loader import load_policy_set
from policyc.analysis.budget import Budget, Limits
from policyc.passes import context_of
from policyc.passes.context import budget_diagnostics
from policyc.diff import verify_no_weakening
from policyc.passes.project_tier import check_project_tier

from .test_bundle import NOW, _policy_sets, calls, targeted_calls

GLOBAL = """\
version: "1"
default_action: ask
policies:
  - name: destructive
    match: {tool: exec}
    rules:
      - action: deny
        when:
          command_matches: ["rm -rf *"]
        message: destructive
  - name: dev
    match: {tool: exec}
    rules:
      - action: allow
        when:
          command_matches: ["git *", "ls*"]
"""

PROJECT = """\
version: "1"
default_action: allow
policies:
  - name: cleanup
    match: {tool: exec}
    rules:
      - action: allow
        when:
          command_matches: ["rm -rf ./build/*"]
      - action: deny
        when:
          command_matches: ["git push *"]
        message: no pushes from here
"""


def _write(tmp_path: Path) -> tuple[str, str]:
    (tmp_path / "global.yaml").write_text(GLOBAL)
    (tmp_path / "project.yaml").write_text(PROJECT)
    return str(tmp_path / "global.yaml"), str(tmp_path / "project.yaml")


def test_allow_and_default_in_project_tier_are_reported_with_a_replayable_witness(tmp_path):
    global_, project = _write(tmp_path)
    loaded = load_policy_set([global_], project=project)
    found = {d.code: d for d in check_project_tier(context_of(loaded))}
    assert set(found) == {"PC202", "PC203"}
    assert "global default `ask`" in found["PC203"].message and found["PC203"].span.line == 2
    allow = found["PC202"]
    assert allow.span.line == 7
    witness = allow.extra["witness"]
    replay = decide(loaded.policy_set, ToolCall.from_mapping(witness))
    assert replay.to_json() == allow.extra["witness_decision"] and replay.action.value == "deny"


def test_the_witness_search_is_budgeted(tmp_path):
    """A witness search the budget stops: PC202 stands without a witness, and
    PC110 says which rule's witness was not searched for."""
    global_, project = _write(tmp_path)
    loaded = load_policy_set([global_], project=project)
    ctx = context_of(loaded, Budget(Limits(item_steps=50)))
    (allow,) = [d for d in check_project_tier(ctx) if d.code == "PC202"]
    assert "witness" not in allow.extra
    (miss,) = budget_diagnostics(ctx)
    assert miss.code == "PC110" and miss.span == allow.span
    assert "the witness of rule 1 of `cleanup`" in miss.message and "PC202 makes no claim" in miss.message


def test_a_webhook_does_not_hide_the_other_findings(tmp_path):
    """PC201 refuses the file in the engine; its allow rule and its default
    are independent problems, reported too (without a witness: a refused
    file is in no merged set)."""
    global_, _ = _write(tmp_path)
    project = tmp_path / "webhook.yaml"
    project.write_text(PROJECT.replace(
        "      - action: deny\n        when:\n          command_matches: [\"git push *\"]\n",
        "      - action: webhook\n        webhook: {url: \"https://example.com/h\"}\n"
        "        when:\n          command_matches: [\"git push *\"]\n"))
    loaded = load_policy_set([global_], project=str(project))
    assert [d.code for d in loaded.diagnostics] == ["PC201"]
    found = {d.code: d for d in check_project_tier(context_of(loaded))}
    assert set(found) == {"PC202", "PC203"} and found["PC202"].span.line == 7
    assert "witness" not in found["PC202"].extra


def test_without_global_files_the_project_default_is_still_ineffective(tmp_path):
    _, project = _write(tmp_path)
    found = check_project_tier(context_of(load_policy_set([], project=project)))
    assert sorted(d.code for d in found) == ["PC202", "PC203"]
    assert "witness" not in found[0].extra and "keeps the global default for every call" in \
        next(d for d in found if d.code == "PC203").message


def test_check_with_global_verifies_the_merge(tmp_path):
    global_, project = _write(tmp_path)
    out = CliRunner().invoke(main, ["check", "--global", global_, "--project", project, "--format", "json"])
    doc = json.loads(out.output)
    codes = sorted(d["code"] for d in doc["diagnostics"])
    assert codes == ["PC202", "PC203"] and out.exit_code == 0
    loaded = load_policy_set([global_], project=project)
    assert verify_no_weakening(loaded.global_set, loaded.policy_set) > 0
    text = CliRunner().invoke(main, ["check", "--global", global_, "--project", project])
    assert "none decided less restrictively than the global policy alone" in text.output


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_policy_sets(), st.lists(targeted_calls | calls, min_size=4, max_size=8))
def test_merging_the_project_tier_never_weakens_a_decision(policy_set, generated):
    global_only = dataclasses.replace(
        policy_set, policies=tuple(p for p in policy_set.policies if p.tier is Tier.GLOBAL))
    for call in generated:
        parsed = ToolCall.from_mapping(call)
        merged, alone = decide(policy_set, parsed, now=NOW), decide(global_only, parsed, now=NOW)
        assert not RAMPART_COMBINING.overrides(alone.action, merged.action), json.dumps(call)
