"""The policies policyc ships (stdlib_policies/): they load cleanly, their
inline cases pass through both engines, and each file keeps the shape its
README promises (standard: balanced cases; ci: no ask; paranoid: an
allow-list over default deny; project template: only tightens)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyc.cli import main
from policyc.codegen.bundle import compile_policy_set
from policyc.evaluate import ToolCall, decide
from policyc.dialects.rampart.frontend import load_file
from policyc.ir import Effect, Tier
from policyc.loader import load_policy_set
from policyc.runtime import load_bundle
from policyc.testing import run_file

from .conftest import REPO

STDLIB = REPO / "stdlib_policies"
FILES = ("standard.yaml", "paranoid.yaml", "ci.yaml", "project-template.yaml")
STANDARD, PARANOID, CI, TEMPLATE = (STDLIB / name for name in FILES)


def _rules(path: Path, tier: Tier = Tier.GLOBAL):
    return [rule for policy in load_file(str(path), tier=tier).policies for rule in policy.rules]


def _expectations(path: Path) -> list[Effect]:
    return [case.expect for case in load_file(str(path)).tests]


@cache
def _engines(paths: tuple[Path, ...], project: Path | None = None):
    """(reference policy set, compiled bundle) for ``paths`` (+ project tier)."""
    loaded = load_policy_set([str(p) for p in paths], project=str(project) if project else None)
    assert loaded.ok, [d.message for d in loaded.diagnostics]
    sources = {f.path: Path(f.path).read_bytes() for f in loaded.files}
    return loaded.policy_set, load_bundle(compile_policy_set(loaded.policy_set, sources))


def _both(engines, call: dict, history=None) -> tuple[str, str]:
    policy_set, bundle = engines
    reference = decide(policy_set, ToolCall.from_mapping(call), history=history)
    compiled = bundle.decide(call, history=history)
    assert compiled.to_json() == reference.to_json(), call
    return reference.action.value, reference.message


@pytest.mark.parametrize("name", FILES)
def test_file_loads_without_diagnostics_and_under_the_size_limit(name):
    path = STDLIB / name
    assert path.stat().st_size < 1024 * 1024
    tier = Tier.PROJECT if path == TEMPLATE else Tier.GLOBAL
    loaded = load_file(str(path), tier=tier)
    assert loaded.ok
    assert loaded.diagnostics == []


def test_the_files_load_together_as_one_directory():
    # policy names are unique across the files (ci-, paranoid- prefixes), so
    # the directory loads as one set, as the engine loads a policy directory
    # (a repeated name is PC016, an error, and the engine refuses the set)
    names = [p.name for n in FILES for p in load_file(str(STDLIB / n)).policies]
    assert len(names) == len(set(names))
    result = CliRunner().invoke(main, ["check", "--format", "json", "--no-config", "--fail-on", "info",
                                       str(STDLIB)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["diagnostics"] == []


@pytest.mark.parametrize("paths", [(name,) for name in FILES], ids=FILES)
def test_policyc_check_reports_nothing(paths):
    # issue 15: not even an info, PC110 (the analysis ran out of budget and
    # makes no claim) included
    result = CliRunner().invoke(main, ["check", "--format", "json", "--no-config", "--fail-on", "info",
                                       *(str(STDLIB / n) for n in paths)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["diagnostics"] == []


@pytest.mark.parametrize("name", FILES)
def test_inline_cases_pass_through_both_engines(name):
    result = run_file(str(STDLIB / name))
    assert result.diagnostics == []
    assert len(result.cases) >= 10
    failed = [(c.case.name, c.decision.action.value, c.engines_agree) for c in result.cases if not c.passed]
    assert failed == []


def test_standard_has_enough_cases_and_as_many_benign_controls_as_attacks():
    expect = _expectations(STANDARD)
    allows = expect.count(Effect.ALLOW)
    restricts = expect.count(Effect.DENY) + expect.count(Effect.ASK)
    assert len(expect) >= 600
    assert allows >= restricts
    assert expect.count(Effect.DENY) >= 50 and expect.count(Effect.ASK) >= 20


def test_standard_attack_cases_are_named_by_technique():
    # issue 15: every case that expects deny or ask names the technique it
    # stands for (MITRE ATT&CK or ATLAS id, OWASP Agentic id, GTFOBins, LOLBAS)
    import re

    technique = re.compile(r"\b(T1\d{3}|AML\.T\d{4}|ASI\d\d|GTFOBins|LOLBAS)")
    unnamed = [c.name for c in load_file(str(STANDARD)).tests
               if c.expect in (Effect.DENY, Effect.ASK) and not technique.search(c.name)]
    assert unnamed == []


@pytest.mark.parametrize(("command", "expected"), [
    ("cd src && npm test", "allow"),
    ("npm test 2>&1 | tee test-output.log", "allow"),
    ("timeout 300 npm test", "allow"),
    ("git status && weirdtool", "ask"),
    ("sh -c 'weirdtool --sync'", "ask"),
    ("echo $(weirdtool)", "ask"),
    ("weirdtool", "ask"),
])
def test_standard_asks_before_unknown_executables(command, expected):
    engines = _engines((STANDARD,))
    assert _both(engines, {"tool": "exec", "params": {"command": command}})[0] == expected


@pytest.mark.parametrize("command", [
    "git status", "git push origin feature/x", "npm test", "python -m pytest -q", "make",
    "ls -la", "cat README.md", "docker build -t app .", "kubectl get pods -n dev",
    "ssh deploy@build.internal uptime", "curl -sL https://docs.python.org/3/ -o py.html",
])
def test_standard_allows_everyday_development(command):
    engines = _engines((STANDARD,))
    assert _both(engines, {"tool": "exec", "params": {"command": command}})[0] == "allow"


def test_ci_has_no_ask_anywhere():
    assert all(rule.effect is not Effect.ASK for rule in _rules(CI))
    assert Effect.ASK not in _expectations(CI)
    assert "action: ask" not in CI.read_text()


def test_paranoid_is_an_allow_list_over_default_deny():
    loaded = load_file(str(PARANOID))
    assert loaded.default is Effect.DENY
    allows = [(p, r) for p in loaded.policies for r in p.rules if r.effect is Effect.ALLOW]
    assert allows, "an allow-list needs allow rules"
    # the command allow-list is written as its complement: the one catch-all
    # allow is the last rule of the exec policy, after a deny of every
    # command none of whose components is listed
    catch_all = [(p, r) for p, r in allows if r.condition.catch_all]
    assert [(p.name, r.index) for p, r in catch_all] == [("paranoid-commands", len(catch_all[0][0].rules) - 1)]
    policy = catch_all[0][0]
    assert [t.source for t in policy.scope.tools] == ["exec", "bash", "shell"]
    complement = policy.rules[-2]
    assert complement.effect is Effect.DENY
    assert [p.source for p in complement.condition.predicates[0].patterns] == ["*"]
    assert complement.condition.predicates[0].exclusions
    engines = _engines((PARANOID,))
    for command in ("some-unlisted-tool --flag", "git status && weirdtool", "weirdtool $(ls)", "ls `weirdtool`",
                    "sh -c 'weirdtool'", "curl -s https://example.com", "cat README.md > copy.md"):
        assert _both(engines, {"tool": "exec", "params": {"command": command}})[0] == "deny", command
    for command in ("ls -la", "git status && make test", "grep -rn TODO src | sort"):
        assert _both(engines, {"tool": "exec", "params": {"command": command}})[0] == "allow", command


def test_project_template_only_tightens():
    rules = _rules(TEMPLATE, Tier.PROJECT)
    assert rules
    assert {r.effect for r in rules} <= {Effect.DENY, Effect.ASK, Effect.WATCH}
    assert all(r.webhook is None for r in rules)
    text = TEMPLATE.read_text()
    assert "\ndefault_action:" not in text and "\nnotify:" not in text


def test_project_template_on_top_of_standard():
    engines = _engines((STANDARD,), project=TEMPLATE)
    assert _both(engines, {"tool": "exec", "params": {"command": "git status"}})[0] == "allow"
    assert _both(engines, {"tool": "edit", "params": {"file_path": "/w/app/package.json"}})[0] == "watch"
    call = {"tool": "read", "params": {"file_path": "/w/app/deploy/tls.key"}}
    action, message = _both(engines, call)
    decision = engines[1].decide(call)
    # the engine's message, no prefix; `project` marks the project tier's rule (Rampart's hook prefixes it)
    assert action == "deny" and decision.project and not message.startswith("[Project Policy]")
    # the global tier still decides what the template does not mention
    assert _both(engines, {"tool": "read", "params": {"file_path": "/home/dev/.ssh/id_rsa"}})[0] == "deny"


class _Burst:
    """A call history in which every tool was just called ``n`` times."""

    def __init__(self, n: int):
        self.n = n

    def count(self, tool, window_seconds, now):
        return self.n


@pytest.mark.parametrize(("path", "calm", "burst"), [
    (STANDARD, "allow", "ask"), (CI, "allow", "deny"), (PARANOID, "allow", "deny"),
])
def test_call_rate_limits(path, calm, burst):
    engines = _engines((path,))
    call = {"tool": "exec", "params": {"command": "git status"}}
    assert _both(engines, call, history=_Burst(3))[0] == calm
    assert _both(engines, call, history=_Burst(500))[0] == burst


def _policyc_only_cases() -> list[tuple[str, dict]]:
    """Cases the engine's TestCase cannot hold inline (a response, a workdir,
    an agent depth): tests/fixtures/stdlib/<file>.cases.yaml."""
    import yaml

    out = []
    for fixture in sorted((REPO / "tests" / "fixtures" / "stdlib").glob("*.cases.yaml")):
        doc = yaml.safe_load(fixture.read_text("utf-8"))
        for case in doc["tests"]:
            out.append((fixture.name.replace(".cases.yaml", ".yaml"), case))
    return out


@pytest.mark.parametrize(("name", "case"), _policyc_only_cases(), ids=lambda v: v if isinstance(v, str) else v["name"])
def test_policyc_only_cases_pass_through_both_engines(name, case):
    path = STDLIB / name
    engines = _engines((), path) if path == TEMPLATE else _engines((path,))
    call = {k: case[k] for k in ("tool", "params", "agent", "workdir", "agent_depth", "response") if k in case}
    call.setdefault("agent", "test")
    action, _ = _both(engines, call)
    assert action == Effect.parse(case["expect"]).value, case["name"]
