"""How decisions combine across policies, as Rampart v1.8.0's engine does it
(engine.go ``Evaluate``, ``EvaluateResponse``, ``collectMatching``; see
docs/semantics.md "Combining"), through the reference evaluator and the
compiled bundle alike: the evaluation order (Go's unstable ``sort.Slice`` by
priority), the first deny's message and ``matched_policies``, the engine's
default messages, and the response side (ask denies, expiry unchecked, an
over-long response denied)."""

from __future__ import annotations

import datetime as _dt

import pytest

from policyc.codegen.bundle import compile_policy_set
from policyc.evaluate import decide, evaluate, evaluate_response
from policyc.runtime import load_bundle

from .test_evaluate import exec_call, policy_set

NOW = _dt.datetime(2026, 6, 1, tzinfo=_dt.timezone.utc)


def _both(ps, call, response=None):
    """The reference decision's JSON, asserted equal to the bundle's."""
    bundle = load_bundle(compile_policy_set(ps, {}))
    mapping = {"tool": call.tool, "params": dict(call.params)}
    if response is None:
        reference, compiled = evaluate(ps, call, now=NOW), bundle.evaluate(mapping, now=NOW)
    else:
        reference, compiled = evaluate_response(ps, call, response), bundle.evaluate_response(mapping, response)
    assert compiled.to_json() == reference.to_json()
    return reference.to_json()


def _denies(n: int) -> str:
    """``n`` policies of equal priority, each denying every command."""
    return "default_action: allow\npolicies:\n" + "".join(
        f"  - name: p{i}\n    match: {{tool: exec}}\n    rules:\n"
        f"      - action: deny\n        when: {{command_matches: ['*']}}\n        message: m{i}\n"
        for i in range(n))


def test_up_to_twelve_ties_keep_file_order_and_a_deny_lists_every_later_policy():
    out = _both(policy_set(_denies(12)), exec_call("ls"))
    assert out["message"] == "m0"
    assert out["matched_policies"] == [f"p{i}" for i in range(12)]  # p0 fired, p1..p11 merely in scope


def test_more_than_twelve_ties_take_go_sort_order():
    # Go's sort.Slice order on 13 equal keys (tests/test_gosort.py checks it against Go itself)
    from policyc.gosort import slice_order

    order = slice_order([100] * 13)
    out = _both(policy_set(_denies(13)), exec_call("ls"))
    assert out["message"] == f"m{order[0]}"
    assert out["matched_policies"] == [f"p{i}" for i in order]


MIXED = """
default_action: deny
policies:
  - name: watcher
    priority: 5
    match: {tool: exec}
    rules:
      - action: watch
        when: {command_matches: ["git *"]}
        message: watched
  - name: quiet-allow
    priority: 1
    match: {tool: exec}
    rules:
      - action: allow
        when: {command_matches: ["git *"]}
  - name: loud-allow
    priority: 2
    match: {tool: exec}
    rules:
      - action: allow
        when: {command_matches: ["git *"]}
        message: allowed loudly
  - name: idle
    match: {tool: exec}
    rules:
      - action: deny
        when: {command_matches: ["rm *"]}
        message: no rm
"""


def test_the_strongest_action_wins_and_the_first_allow_with_a_message_speaks():
    ps = policy_set(MIXED)
    watched = _both(ps, exec_call("git status"))
    assert (watched["action"], watched["message"]) == ("watch", "watched")
    assert watched["matched_policies"] == ["quiet-allow", "loud-allow", "watcher"]
    no_watch = policy_set(MIXED.replace('["git *"]}\n        message: watched', '["hg *"]}\n        message: watched'))
    allowed = _both(no_watch, exec_call("git status"))
    assert (allowed["action"], allowed["message"]) == ("allow", "allowed loudly")
    assert allowed["rule"]["policy"] == "loud-allow"


@pytest.mark.parametrize(("default", "tool", "message"), [
    ("deny", "exec", "project policy cannot weaken global default deny"),  # in scope, nothing fired
    ("ask", "exec", "project policy cannot weaken global default ask"),
    ("watch", "exec", "project policy cannot weaken global default watch"),
    ("allow", "exec", "no matching rule; using default action"),
    ("deny", "read", "no matching policy; using default action"),  # nothing in scope
])
def test_default_decisions_carry_the_engines_messages(default, tool, message):
    ps = policy_set(MIXED.replace("default_action: deny", f"default_action: {default}"))
    from policyc.evaluate import ToolCall

    out = _both(ps, ToolCall(tool, {"command": "ls", "path": "/x"}))
    assert (out["action"], out["message"], out["rule"]) == (default, message, None)


def test_a_project_default_is_ignored_as_the_engine_ignores_it():
    ps = policy_set("default_action: allow\npolicies: []\n", project="default_action: deny\npolicies: []\n")
    assert _both(ps, exec_call("ls"))["action"] == "allow"


RESPONSES = """
default_action: allow
policies:
  - name: asks
    priority: 1
    rules:
      - action: ask
        when: {response_matches: ["token=\\\\w+"]}
        message: token in output
  - name: denies
    priority: 2
    rules:
      - action: deny
        when: {response_matches: ["token=\\\\w+"]}
        message: token denied
  - name: expired
    priority: 3
    rules:
      - action: deny
        expires_at: "2020-01-01T00:00:00Z"
        when: {response_matches: ["stale"]}
        message: expired but still applied
"""


def test_response_ask_denies_and_the_first_fired_decides():
    out = _both(policy_set(RESPONSES), exec_call("cat"), "token=abc")
    assert (out["action"], out["message"], out["matched_policies"]) == ("deny", "token in output", ["asks"])


def test_response_rules_ignore_expiry():
    out = _both(policy_set(RESPONSES), exec_call("cat"), "stale data")
    assert (out["action"], out["message"]) == ("deny", "expired but still applied")


def test_an_over_long_response_is_denied_where_response_rules_apply():
    big = "x" * (1 << 20) + "y"
    out = _both(policy_set(RESPONSES), exec_call("cat"), big)
    assert out["action"] == "deny" and out["message"].startswith("response exceeds the 1048576-byte")
    plain = policy_set("default_action: allow\npolicies:\n  - name: p\n    rules:\n"
                       "      - action: deny\n        when: {command_matches: ['rm *']}\n")
    assert _both(plain, exec_call("cat"), big)["message"] == "no matching response rule; response allowed"


def test_decide_combines_the_response_side():
    from policyc.evaluate import ToolCall

    ps = policy_set(RESPONSES)
    call = ToolCall("exec", {"command": "cat"}, response="token=abc")
    assert decide(ps, call).action == "deny"


def test_an_over_long_field_names_its_size():
    out = _both(policy_set(MIXED), exec_call("a" * 9000))
    assert out["message"] == ("command is 9000 bytes and exceeds the 8192-byte policy matching limit; "
                              "failing closed")
