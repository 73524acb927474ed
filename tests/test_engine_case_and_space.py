"""Lower-casing and trimming as the engine does them: Go ``strings.ToLower``
(one to one: ``İ`` is ``i``, ``Σ`` is always ``σ``) and ``strings.TrimSpace``
(Go's white space, not Python's, which adds U+001C..U+001F). Python's
``str.lower`` and ``str.strip`` decided these calls differently from Rampart
v1.8.0, some of them allowing what the engine denies (``domain_matches`` on
``EVİL.example``, ``command_contains`` on a word-final ``Σ``).

Each expectation below is the engine's decision (``rampart-oracle decide``);
the reference evaluator and the compiled bundle must both give it, and when
the oracle is available the engine is asked again."""

from __future__ import annotations

import pytest

from policyc.callfields import ToolCall, go_lower
from policyc.codegen.bundle import compile_policy_set
from policyc.evaluate import decide
from policyc.runtime import load_bundle

from .conformance.oracle import engine_decide_full, oracle_available
from .test_evaluate import policy_set

POLICY = """\
version: "1"
default_action: allow
policies:
  - name: contains
    match: {tool: ["exec"]}
    rules:
      - action: deny
        when: {command_contains: ["ασ"]}
        message: contains
  - name: param
    match: {tool: ["mcp"]}
    rules:
      - action: deny
        when:
          tool_param_matches: {q: "*ασ*"}
        message: param
  - name: domain
    match: {tool: ["fetch"]}
    rules:
      - action: deny
        when: {domain_matches: ["evil.example"]}
        message: domain
  - name: path
    match: {tool: ["read"]}
    rules:
      - action: deny
        when: {path_matches: ["/home/u/secret"]}
        message: path
"""

#: (call, the engine's action, the engine's matched policies)
CASES = [
    ({"tool": "exec", "params": {"command": "echo ΑΣ"}}, "deny", ["contains"]),
    ({"tool": "exec", "params": {"command": "echo ΑΣΒ"}}, "deny", ["contains"]),
    ({"tool": "exec", "params": {"command": "echo ας"}}, "allow", []),
    ({"tool": "mcp", "params": {}, "input": {"q": "ΑΣ"}}, "deny", ["param"]),
    ({"tool": "mcp", "params": {}, "input": {"q": "İασ"}}, "deny", ["param"]),
    ({"tool": "fetch", "params": {"domain": "EVİL.example"}}, "deny", ["domain"]),
    ({"tool": "fetch", "params": {"url": "https://EVİL.example/x"}}, "deny", ["domain"]),
    ({"tool": "fetch", "params": {"domain": "\u001fevil.example"}}, "allow", []),
    ({"tool": "fetch", "params": {"domain": "evil.example\u001c"}}, "allow", []),
    ({"tool": "fetch", "params": {"domain": " evil.example\u00a0"}}, "deny", ["domain"]),
    ({"tool": "read", "params": {"path": "secret"}, "workdir": "\u001f/home/u"}, "allow", []),
    ({"tool": "read", "params": {"path": "secret"}, "workdir": "/home/u\u001f"}, "allow", []),
    ({"tool": "read", "params": {"path": "secret"}, "workdir": " /home/u\u3000"}, "deny", ["path"]),
]
IDS = [f"{c['tool']}-{i}" for i, (c, _, _) in enumerate(CASES)]


def test_go_lower_is_one_to_one():
    assert go_lower("EVİL") == "evil" and "EVİL".lower() != "evil"
    assert go_lower("ΑΣ") == "ασ" and "ΑΣ".lower() == "ας"
    assert go_lower("\u212a") == "k" and go_lower("ABC") == "abc"


@pytest.mark.parametrize(("call", "action", "matched"), CASES, ids=IDS)
def test_reference_and_bundle_decide_as_the_engine(call, action, matched):
    ps = policy_set(POLICY)
    reference = decide(ps, ToolCall.from_mapping(call)).to_json()
    compiled = load_bundle(compile_policy_set(ps, {})).decide(call).to_json()
    assert compiled == reference
    assert (reference["action"], reference["matched_policies"]) == (action, matched)


@pytest.mark.skipif(not oracle_available(), reason="rampart oracle unavailable (../shared/oracles/rampart)")
def test_the_engine_still_decides_so(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    got = engine_decide_full([str(path)], [call for call, _, _ in CASES])
    assert [(r["action"], r.get("matched") or []) for r in got] == [(a, m) for _, a, m in CASES]
