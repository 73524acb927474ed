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


def test_the_files_are_alternatives_not_one_directory():
    # standard, paranoid and ci share policy names: loaded together (a policy
    # directory) the engine refuses them, and so does policyc (PC016)
    result = CliRunner().invoke(main, ["check", "--format", "json", "--no-config",
                                       *(str(STDLIB / n) for n in FILES)])
    assert result.exit_code == 1
    errors = {d["code"] for d in json.loads(result.output)["diagnostics"] if d["severity"] == "error"}
    assert errors == {"PC016"}


@pytest.mark.parametrize("paths", [(name,) for name in FILES], ids=FILES)
def test_policyc_check_reports_no_error_or_warning(paths):
    result = CliRunner().invoke(main, ["check", "--format", "json", "--no-config", "--fail-on", "warning",
                                       *(str(STDLIB / n) for n in paths)])
    assert result.exit_code == 0, result.output
    severities = {d["severity"] for d in json.loads(result.output)["diagnostics"]}
    assert severities <= {"info"}


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
    assert len(expect) >= 150
    assert allows >= restricts
    assert expect.count(Effect.DENY) >= 50 and expect.count(Effect.ASK) >= 20


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
    allows = [r for r in _rules(PARANOID) if r.effect is Effect.ALLOW]
    assert allows, "an allow-list needs allow rules"
    assert not any(r.condition.catch_all for r in allows), "no catch-all allow"
    engines = _engines((PARANOID,))
    assert _both(engines, {"tool": "exec", "params": {"command": "some-unlisted-tool --flag"}}) == (
        "deny", "project policy cannot weaken global default deny")  # the engine's message: in scope, none fired


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
