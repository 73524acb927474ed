"""PC302 duplicate-rule and PC101 unreachable-rule: first-applicable inside
one policy (spec §3.2) leaves a later rule nothing to decide.

Both judge any policy set the analysis has calls for
(:mod:`policyc.analysis.witness`): Rampart's, and the OpenClaw toolkit's
lowered set, where a policy is an agent's rules in the engine's checking
order (escalate, deny, allow entries), so an allow entry that a deny or
escalate entry decides first is unreachable."""

from __future__ import annotations

import dataclasses

from policyc.analysis import condition_implies, decided_in, fires, replay, request_view, witness_call
from policyc.analysis.witness import sample_call
from policyc.checks import Check, check
from policyc.diagnostics.model import Diagnostic, Severity
from policyc.ir import Policy, Rule

from .context import Context, rule_name

#: The checks this module reports (assembled by :mod:`policyc.checks`).
CHECKS = [
    Check("PC101", "unreachable-rule", Severity.WARNING,
          "Every call the rule matches is decided by an earlier rule of its policy."),
    Check("PC302", "duplicate-rule", Severity.WARNING, "A rule structurally equal to an earlier rule of its policy."),
]


def _twins(policy: Policy) -> dict[int, Rule]:
    """Rule index -> the first earlier rule structurally equal to it (a
    dictionary over the rules with their index blanked: linear, so a policy
    of thousands of rules costs no quadratic comparisons)."""
    first: dict = {}
    out = {}
    for rule in policy.rules:
        key = dataclasses.replace(rule, index=0)
        try:
            twin = first.setdefault(key, rule)
        except TypeError:  # an unhashable value somewhere: compare one by one
            twin = next((r for r in policy.rules[:rule.index] if dataclasses.replace(r, index=0) == key), rule)
        if twin is not rule:
            out[rule.index] = twin
    return out


def _shadower(policy: Policy, rule: Rule) -> Rule | None:
    """An earlier rule that fires for every call ``rule`` matches (proven),
    skipping rules that can expire or need a call history."""
    granting = rule.effect.granting
    for earlier in policy.rules[:rule.index]:
        if earlier.expires_at or earlier.condition.call_count is not None:
            continue
        if request_view(earlier.condition).always or condition_implies(
                rule.condition, granting, earlier.condition, earlier.effect.granting):
            return earlier
    return None


def check_reachability(ctx: Context) -> list[Diagnostic]:
    """PC302 for a rule structurally equal to an earlier rule of its policy;
    PC101 for a rule every call of which an earlier rule of the same policy
    decides (proven by :func:`condition_implies`), reported only with a
    witness call that the reference evaluator shows decided by the earlier
    rule. Response-side rules are left alone (they also act on output).
    PC101 is judged per rule as one budget item."""
    out = []
    for policy in ctx.policy_set.policies:
        twins = _twins(policy)
        for rule in policy.rules:
            if ctx.is_dead(policy, rule) or rule.condition.response_side:
                continue
            twin = twins.get(rule.index)
            if twin is not None:
                ctx.kill(policy, rule)
                out.append(check("PC302").at(
                    rule.span, f"{rule_name(policy, rule)} repeats {_earlier(twin)} exactly; "
                    "it can never decide a call", label="duplicate", help="delete the repeat"))
                continue
            if ctx.skipped(policy.source, rule.span, rule_name(policy, rule), ("PC101",)):
                continue
            finding = ctx.attempt(policy.source, rule.span, rule_name(policy, rule), ("PC101",),
                                  _unreachable, ctx, policy, rule)
            if finding is not None:
                ctx.kill(policy, rule)
                out.append(finding)
    return out


def _earlier(rule: Rule) -> str:
    """How a message names an earlier rule of the same policy."""
    return rule.name or f"rule {rule.index + 1}"


def _unreachable(ctx: Context, policy: Policy, rule: Rule) -> Diagnostic | None:
    earlier = _shadower(policy, rule)
    if earlier is None:
        return None
    dialect = ctx.policy_set.dialect
    # A sampled call first (direct matchers, no automata: a rule of dozens of
    # globs behind a catch-all costs milliseconds), then the automaton search.
    for find in (sample_call, witness_call):
        call = find([(rule.condition, rule.effect.granting)], [policy.scope], dialect=dialect)
        if call is not None and fires(policy, rule, call, dialect=dialect) \
                and decided_in(ctx.policy_set, policy, call) == earlier.index:
            break
    else:
        return None
    decision = replay(ctx.policy_set, call)
    what = "it matches every call" if request_view(earlier.condition).always else "it matches every call this rule matches"
    by = _earlier(earlier)
    # A rule with its dialect's own name sits where its engine checks it (a toolkit entry's list).
    fix = f"narrow {by}, or delete it" if earlier.name else f"move it above {by}, narrow {by}, or delete it"
    return check("PC101").at(
        rule.span, f"{rule_name(policy, rule)} is unreachable: {by} "
        f"(`{earlier.effect.value}`) comes first and {what}", label="never decides",
        help=fix, witness=call, witness_decision=decision.to_json())
