"""Properties of the reference evaluator (hypothesis)."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from policyc.cli import default_policy
from policyc.evaluate import ToolCall, decide, evaluate
from policyc.dialects.rampart.frontend import load_file
from policyc.ir import (
    RAMPART_COMBINING, Condition, Effect, Field, FieldPredicate, Pattern, PatternLanguage, Policy, Rule, Scope, Tier,
)
from policyc.loader import assemble

STANDARD = assemble([load_file(default_policy())])

WORDS = ["git", "rm", "-rf", "/", "~/.ssh/id_rsa", "curl", "|", "bash", "&&", "sudo", "ls", ".env",
         "$(", ")", "'", '"', "base64", "-d", "cat", "/etc/shadow", "npm", "install", "x"]
commands = st.lists(st.sampled_from(WORDS) | st.text(max_size=6), max_size=8).map(" ".join)
tools = st.sampled_from(["exec", "read", "write", "edit", "fetch", "mcp", "web_search", "other"])
calls = st.builds(
    ToolCall,
    tool=tools,
    params=st.fixed_dictionaries({}, optional={
        "command": commands, "path": commands, "url": st.text(max_size=30), "cmd": commands}),
    agent=st.text(max_size=5),
    session=st.text(max_size=5),
    agent_depth=st.integers(0, 5),
    response=st.none() | st.text(max_size=40),
)


@settings(max_examples=300, deadline=None)
@given(calls)
def test_decide_never_raises_and_returns_an_effect(call):
    assert isinstance(decide(STANDARD, call).action, Effect)


globs = st.sampled_from(["*", "git *", "rm *", "**", "*curl*", "ls", "sudo **", "cat **/.env"])
rules = st.builds(
    lambda effect, pats: Rule(effect, Condition(predicates=(FieldPredicate(
        Field.COMMAND, tuple(Pattern(p, PatternLanguage.COMMAND_GLOB) for p in pats)),))),
    st.sampled_from([Effect.ALLOW, Effect.WATCH, Effect.ASK, Effect.DENY]),
    st.lists(globs, min_size=1, max_size=3),
)
policies = st.builds(
    lambda name, rs, prio: Policy(name, Scope(tools=(Pattern("exec", PatternLanguage.COMMAND_GLOB),)),
                                  tuple(dataclasses.replace(r, index=i) for i, r in enumerate(rs)),
                                  priority=prio),
    st.uuids().map(str), st.lists(rules, min_size=1, max_size=3), st.integers(1, 300))
exec_calls = commands.map(lambda c: ToolCall("exec", {"command": c}, agent="a"))


@settings(max_examples=400, deadline=None)
@given(st.lists(policies, min_size=1, max_size=4), st.lists(policies, max_size=3),
       st.sampled_from([Effect.ALLOW, Effect.WATCH, Effect.ASK, Effect.DENY]), exec_calls)
def test_project_tier_never_weakens_the_global_decision(global_policies, project_policies, default, call):
    global_only = dataclasses.replace(STANDARD, policies=tuple(global_policies), default=default)
    merged = dataclasses.replace(global_only, policies=tuple(global_policies) + tuple(
        dataclasses.replace(p, tier=Tier.PROJECT) for p in project_policies))
    assert not RAMPART_COMBINING.overrides(evaluate(global_only, call).action, evaluate(merged, call).action)


@settings(max_examples=300, deadline=None)
@given(st.lists(policies, min_size=1, max_size=5), st.randoms(use_true_random=False), exec_calls)
def test_action_does_not_depend_on_file_order(ps, rnd, call):
    shuffled = list(ps)
    rnd.shuffle(shuffled)
    a = dataclasses.replace(STANDARD, policies=tuple(ps))
    b = dataclasses.replace(STANDARD, policies=tuple(shuffled))
    assert evaluate(a, call).action is evaluate(b, call).action
