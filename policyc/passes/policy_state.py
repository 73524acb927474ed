"""PC108 disabled-policy and PC109 expired-rule: policies and rules the
engine skips (spec §1 ``enabled``, ``expires_at``; §3.1, §3.2)."""

from __future__ import annotations

import datetime as _dt

from policyc.checks import Check, check
from policyc.diagnostics.model import Diagnostic, Severity
from policyc.evaluate import _expired

from .context import Context, rule_name

#: The checks this module reports (assembled by :mod:`policyc.checks`).
CHECKS = [
    Check("PC108", "disabled-policy", Severity.INFO, "A policy with `enabled: false`; none of its rules is evaluated."),
    Check("PC109", "expired-rule", Severity.WARNING, "A rule whose expires_at has passed; the engine skips it."),
]


def check_policy_state(ctx: Context) -> list[Diagnostic]:
    """PC108 for every policy with ``enabled: false``; PC109 for every rule
    whose ``expires_at`` is not later than now (UTC). Both mark the rules
    dead for later passes."""
    now = _dt.datetime.now(_dt.timezone.utc)
    out = []
    for policy in ctx.policy_set.policies:
        if not policy.enabled:
            out.append(check("PC108").at(
                policy.span, f"policy `{policy.name}` is disabled (`enabled: false`); none of its "
                f"{len(policy.rules)} rule(s) is evaluated", label="disabled",
                help="delete the policy, or remove `enabled: false` to enforce it"))
            continue
        for rule in policy.rules:
            if _expired(rule, now):
                ctx.kill(policy, rule)
                out.append(check("PC109").at(
                    rule.span, f"{rule_name(policy, rule)} expired at {rule.expires_at}; the engine skips it",
                    label="expired", help="delete the rule, or move `expires_at` into the future"))
    return out
