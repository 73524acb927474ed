"""Project-tier checks (spec §3.5): what a checked-in ``.rampart/policy.yaml``
tries and fails to loosen, and the proof that the merged set never decides
below the global set alone.

:func:`check_project_tier(ctx) <check_project_tier>` -> list of
diagnostics:

* PC202 ``project-allow-cannot-grant``: an ``allow`` rule in the project
  tier. The tier only restricts, so the rule can at most exempt calls from
  the later rules of its own policy or from the project's default; it never
  allows what the global set decides otherwise. With global files in the
  set, a witness call the rule matches is attached with the merged decision
  (which is the global set's), when one is found. The search is one budget
  item per rule (PC110 when the budget stops it; the PC202 finding stands,
  without a witness).
* PC203 ``project-default-ignored``: a project ``default_action``. The
  engine keeps the global default whatever the project file says
  (dirstore.go ``mergeProjectPolicy``: "Base wins for DefaultAction"), so
  the line changes no decision, stricter or not (the spec's "can only
  restrict" is not what the engine does).

The proof that the merged set never decides below the global set alone
is :func:`policyc.diff.verify_no_weakening` (a comparison of two sets, not
a check of one).
"""

from __future__ import annotations

from policyc.checks import Check, check
from policyc.diagnostics.model import Diagnostic, Severity
from policyc.analysis.candidates import rule_calls
from policyc.analysis.witness import decided_in, replay
from policyc.ir import Effect, PolicySet

from .context import Context, rule_name

#: The checks this module reports (assembled by :mod:`policyc.checks`).
CHECKS = [
    Check("PC202", "project-allow-cannot-grant", Severity.WARNING,
          "An allow rule in the project tier, which only restricts."),
    Check("PC203", "project-default-ignored", Severity.WARNING,
          "A project default_action, which the engine ignores: the global default stands."),
]


def check_project_tier(ctx: Context) -> list[Diagnostic]:
    """PC202 and PC203 for every project-tier file of the context."""
    global_set = ctx.global_set
    out: list[Diagnostic] = []
    for f in ctx.project_files:
        if f.default is not None:
            kept = f"the global default `{global_set.default.value}`" if global_set is not None else "the global default"
            out.append(check("PC203").at(
                f.default_span, f"project `default_action: {f.default.value}` has no effect: Rampart's engine keeps "
                f"{kept} for every call", help="remove it; to restrict calls the global policy leaves to its "
                "default, add a project rule that matches them (`action: ask` or `deny`)"))
        for policy in f.policies:
            for rule in policy.rules:
                if rule.effect is Effect.ALLOW:
                    extra = {}
                    if global_set is not None and f.in_set:  # a refused file is in no merged set
                        extra = ctx.attempt(f.path, rule.span, f"the witness of {rule_name(policy, rule)}",
                                            ("PC202",), _witness, ctx.policy_set, policy, rule, global_set,
                                            default={})
                    out.append(_allow_finding(policy, rule, extra))
    return out


def _witness(merged: PolicySet, policy, rule, global_set: PolicySet) -> dict:
    """``witness`` and ``witness_decision`` of a call the project rule matches
    and the merged set decides as the global set does, not allow (or ``{}``)."""
    for call in rule_calls(policy, rule):
        if decided_in(merged, policy, call) != rule.index:
            continue  # the candidate does not reach this rule
        decision = replay(merged, call)
        if decision.action != Effect.ALLOW and replay(global_set, call).action == decision.action:
            return {"witness": call, "witness_decision": decision.to_json()}
    return {}


def _allow_finding(policy, rule, extra: dict) -> Diagnostic:
    message = (f"`allow` in project policy `{policy.name}` cannot grant anything: the project tier only "
               "restricts, so calls it matches are still decided by the global policy")
    if extra:
        message += f" (this one: {extra['witness_decision']['action']})"
    return check("PC202").at(
        rule.span, message,
        help="remove the rule; to spare calls from a later rule of this policy, narrow that rule "
             "(command_not_matches / path_not_matches) instead", **extra)
