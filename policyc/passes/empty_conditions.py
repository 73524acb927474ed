"""PC105 empty-condition: rules whose condition no call satisfies."""

from __future__ import annotations

from policyc.analysis import condition_unsatisfiable
from policyc.checks import Check, check
from policyc.diagnostics.model import Diagnostic, Severity
from policyc.ir import Effect

from .context import Context, rule_name

#: The checks this module reports (assembled by :mod:`policyc.checks`).
CHECKS = [
    Check("PC105", "empty-condition", Severity.WARNING, "A rule whose condition no call can satisfy."),
]


def check_empty_conditions(ctx: Context) -> list[Diagnostic]:
    """PC105 for every live rule whose condition is proven unsatisfiable on
    its side (:func:`policyc.analysis.condition_unsatisfiable`); marks it
    dead. Each rule is one budget item."""
    out = []
    for policy in ctx.policy_set.policies:
        for rule in policy.rules:
            if ctx.is_dead(policy, rule):
                continue
            if ctx.skipped(policy.source, rule.span, rule_name(policy, rule), ("PC105",)):
                break
            reason = ctx.attempt(policy.source, rule.span, rule_name(policy, rule), ("PC105",),
                                 condition_unsatisfiable, rule.condition, rule.effect.granting)
            if reason is not None:
                ctx.kill(policy, rule)
                out.append(check("PC105").at(
                    rule.condition.span or rule.span, f"{rule_name(policy, rule)} never applies: {reason}",
                    label="never holds", help="fix the condition, or delete the rule"))
    return out
