"""Load agreement on small probe files: policyc loads a file (no error
diagnostics) exactly when Rampart's engine does. The engine decodes policy
YAML strictly (``yaml.Decoder.KnownFields(true)`` in dirstore.go
``safeUnmarshal``), so an unknown key anywhere, test cases included, makes
it refuse the whole file."""

from __future__ import annotations

import pytest

from .harness import Policyc, PolicySetSpec
from .oracle import engine_loads

pytestmark = pytest.mark.conformance

HEAD = 'version: "1"\n'
RULE = ("policies:\n  - name: p\n    match:\n      tool: exec\n    rules:\n      - action: deny\n"
        "        when:\n          command_matches: [\"rm *\"]\n")

PROBES = {
    "minimal": HEAD + RULE,
    "no-version": RULE,
    "version-2": 'version: "2"\n' + RULE,
    "unknown-when-key": HEAD + RULE + "          path_match: [\"**/.env\"]\n",
    "unknown-rule-key": HEAD + RULE + "        mesage: typo\n",
    "unknown-policy-key": HEAD + RULE.replace("    match:", "    descripton: x\n    match:"),
    "unknown-top-key": HEAD + "extra: 1\n" + RULE,
    "test-case-known-keys": HEAD + RULE + "tests:\n  - name: t\n    tool: exec\n    params: {command: rm x}\n"
                            "    expect: deny\n    expect_message: \"*\"\n    agent: a\n",
    "test-case-response": HEAD + RULE + "tests:\n  - name: t\n    tool: exec\n    params: {command: ls}\n"
                          "    response: hi\n    expect: allow\n",
    "test-case-workdir": HEAD + RULE + "tests:\n  - name: t\n    tool: read\n    params: {path: x}\n"
                         "    workdir: /tmp\n    expect: deny\n",
    "test-case-agent-depth": HEAD + RULE + "tests:\n  - name: t\n    tool: exec\n    params: {command: ls}\n"
                             "    agent_depth: 1\n    expect: deny\n",
    "test-case-session": HEAD + RULE + "tests:\n  - name: t\n    tool: exec\n    params: {command: ls}\n"
                         "    session: s\n    expect: deny\n",
    "duplicate-name": HEAD + RULE + RULE.replace("policies:\n", ""),
    "require-approval": HEAD + RULE.replace("action: deny", "action: require_approval"),
    "empty-contains": HEAD + RULE.replace('command_matches: ["rm *"]', 'command_contains: [" "]'),
    "two-documents": HEAD + RULE + "---\n" + HEAD,
    "priority-string": HEAD + RULE.replace("    match:", "    priority: high\n    match:"),
    "default-action-log": HEAD + "default_action: log\n" + RULE,
    "default-action-bogus": HEAD + "default_action: maybe\n" + RULE,
    "webhook-without-url": HEAD + RULE.replace("action: deny", "action: webhook"),
    "glob-1101-bytes": HEAD + RULE.replace('"rm *"', '"' + "a" * 1100 + '*"'),
    "glob-8193-bytes": HEAD + RULE.replace('"rm *"', '"' + "a" * 8192 + '*"'),
    "doublestar-glob-257-bytes": HEAD + RULE.replace('"rm *"', '"**' + "a" * 255 + '"'),
    "three-doublestars": HEAD + RULE.replace('"rm *"', '"**a**b**c"'),
}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_loads_iff_engine_loads(name, oracle, tmp_path):
    path = tmp_path / "probe.yaml"
    path.write_text(PROBES[name], encoding="utf-8")
    engine_ok, engine_err = engine_loads([str(path)])
    pc = Policyc(PolicySetSpec(name, (str(path),)))
    if engine_ok != pc.ok:
        pytest.fail(f"{name}: engine {'loads' if engine_ok else 'refuses: ' + engine_err.strip()[:300]}; "
                    f"policyc {'loads' if pc.ok else 'refuses: ' + '; '.join(e[:160] for e in pc.errors[:3])}", pytrace=False)
