"""Properties of the policy set that checklist items ask for.

Each verifier takes the :class:`PolicyFacts` of the verified set and gives a
:class:`~policyc.coverage.model.Verdict` (``ok`` True/False; None only for
``notify-on-deny`` without any notify block, since the alert endpoint is a
deployment's own setting). ``PROPERTIES`` maps the names catalogs use
(``properties: [default-deny]``) to verifiers.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from policyc.diagnostics.model import Severity
from policyc.ir import Effect, Policy, Rule, Span, Tier
from policyc.loader import LoadedSet
from policyc.testing import FileResult, run_file

from .model import Verdict
from .probes import ProbeRun

#: The decision overhead the OpenClaw toolkit checklist asks for (seconds).
LATENCY_BUDGET = 0.010


@dataclass
class PolicyFacts:
    """What property verifiers read: the loaded set and the probe runs."""

    loaded: LoadedSet
    runs: list[ProbeRun]

    @cached_property
    def test_results(self) -> list[FileResult]:
        """The inline tests of every global-tier file, run as `policyc test` runs them."""
        return [run_file(f.path) for f in self.loaded.files if f.tier is Tier.GLOBAL]

    @property
    def rules(self) -> list[tuple[Policy, Rule]]:
        return [(p, r) for p in self.loaded.policy_set.policies if p.enabled for r in p.rules]


def _at(span: Span | None) -> str:
    return f" ({span.path}:{span.line}:{span.column})" if span else ""


def _verdict(name: str, ok: bool, detail: str) -> Verdict:
    evidence: dict[str, Any] = {"kind": "property", "property": name, "ok": ok, "detail": detail}
    return Verdict(ok, evidence, "" if ok else f"{name}: {detail}")


def default_deny(facts: PolicyFacts) -> Verdict:
    default = facts.loaded.policy_set.default
    where = [f"{f.path}: {f.default.value if f.default else 'deny (absent)'}"
             for f in facts.loaded.files if f.tier is Tier.GLOBAL]
    return _verdict("default-deny", default is Effect.DENY,
                    f"the set's default action is {default.value} ({'; '.join(where)})")


def check_clean(facts: PolicyFacts) -> Verdict:
    found = [d for d in facts.loaded.diagnostics if d.severity.rank >= Severity.WARNING.rank]
    if not found:
        return _verdict("check-clean", True, f"`policyc check` reports no error or warning "
                                             f"in {len(facts.loaded.files)} file(s)")
    first = "; ".join(f"{d.code} {d.message}{_at(d.span)}" for d in found[:3])
    return _verdict("check-clean", False, f"{len(found)} error(s)/warning(s), first: {first}")


def tests_pass(facts: PolicyFacts) -> Verdict:
    untested = [r.path for r in facts.test_results if not r.cases]
    failed = [c for r in facts.test_results for c in r.cases if not c.passed]
    total = sum(len(r.cases) for r in facts.test_results)
    if untested or failed:
        parts = []
        if untested:
            parts.append(f"no test cases in {', '.join(untested)}")
        if failed:
            parts.append(f"{len(failed)} of {total} case(s) fail, first: `{failed[0].case.name}`"
                         f"{_at(failed[0].case.span)}")
        return _verdict("tests-pass", False, "; ".join(parts))
    return _verdict("tests-pass", True, f"{total} test case(s) in {len(facts.test_results)} file(s) pass")


def _tests_cover(effect: Effect) -> Callable[[PolicyFacts], Verdict]:
    name = f"tests-cover-{effect.value}"

    def verify(facts: PolicyFacts) -> Verdict:
        cases = [c for r in facts.test_results for c in r.cases if c.case.expect is effect]
        passing = [c for c in cases if c.passed]
        if passing:
            return _verdict(name, True, f"{len(passing)} passing test case(s) expect {effect.value}, "
                                        f"e.g. `{passing[0].case.name}`{_at(passing[0].case.span)}")
        return _verdict(name, False, f"no passing test case expects {effect.value} "
                                     f"({len(cases)} such case(s) in total)")

    return verify


def notify_on_deny(facts: PolicyFacts) -> Verdict:
    for f in facts.loaded.files:
        notify = f.facts.notify
        if notify is None:
            continue
        if "deny" in notify.events:
            return _verdict("notify-on-deny", True, f"notify sends deny events{_at(notify.span)}")
        return _verdict("notify-on-deny", False, f"notify does not list deny in `on`{_at(notify.span)}")
    # The alert endpoint is a deployment's own setting (a shipped policy cannot
    # know it): no notify block is absent evidence, not a failure.
    detail = "no file sets `notify: {url, on: [deny]}`"
    return Verdict(None, {"kind": "property", "property": "notify-on-deny", "ok": None, "detail": detail},
                   f"notify-on-deny: {detail}")


def has_policies(facts: PolicyFacts) -> Verdict:
    n = len(facts.loaded.policy_set.policies)
    return _verdict("has-policies", n > 0, f"{n} policies")


def _deny_rules(facts: PolicyFacts) -> list[tuple[Policy, Rule]]:
    return [(p, r) for p, r in facts.rules if r.effect is Effect.DENY]


def has_deny_rules(facts: PolicyFacts) -> Verdict:
    denies = _deny_rules(facts)
    if denies:
        p, r = denies[0]
        return _verdict("has-deny-rules", True, f"{len(denies)} deny rule(s), first in `{p.name}`{_at(r.span)}")
    return _verdict("has-deny-rules", False, "no deny rule")


def _everything(policy: Policy, rule: Rule) -> bool:
    """The rule fires on every call of every tool, agent and session."""
    scope, cond = policy.scope, rule.condition
    open_scope = (not scope.tools or any(t.source == "*" for t in scope.tools)) and all(
        g is None or g.source == "*" for g in (scope.agent, scope.session))
    unconditional = cond.catch_all or not (cond.predicates or cond.any_param or cond.depth or cond.call_count)
    return open_scope and unconditional and rule.expires_at is None and not rule.once


def _allow_everything(facts: PolicyFacts) -> list[str]:
    found = [f"`{p.name}` rule {r.index + 1}{_at(r.span)}" for p, r in facts.rules
             if r.effect is Effect.ALLOW and _everything(p, r)]
    if facts.loaded.policy_set.default is Effect.ALLOW:
        found.insert(0, "default_action allow")
    return found


def no_unrestricted_allow(facts: PolicyFacts) -> Verdict:
    wide, denies = _allow_everything(facts), _deny_rules(facts)
    if wide and not denies:
        return _verdict("no-unrestricted-allow", False, f"every call is allowed ({wide[0]}) and no deny rule restricts it")
    if wide:
        return _verdict("no-unrestricted-allow", True, f"{wide[0]} allows every call, restricted by "
                                                       f"{len(denies)} deny rule(s)")
    return _verdict("no-unrestricted-allow", True, "no rule or default allows every call")


def least_privilege(facts: PolicyFacts) -> Verdict:
    wide = _allow_everything(facts)
    if wide:
        return _verdict("least-privilege", False, f"{wide[0]} allows whatever no rule objects to; "
                                                  "list what is allowed instead")
    return _verdict("least-privilege", True, "the default is not allow and no rule allows every call")


def policies_described(facts: PolicyFacts) -> Verdict:
    bare = [p for p in facts.loaded.policy_set.policies if not p.description.strip()]
    n = len(facts.loaded.policy_set.policies)
    if bare:
        return _verdict("policies-described", False, f"{len(bare)} of {n} policies have no description, "
                                                     f"first `{bare[0].name}`{_at(bare[0].span)}")
    return _verdict("policies-described", True, f"all {n} policies have a description")


def decision_latency(facts: PolicyFacts) -> Verdict:
    times = sorted(run.seconds for run in facts.runs)
    if not times:
        return _verdict("decision-latency", False, "no probe was decided")
    p95 = times[round(0.95 * (len(times) - 1))]
    detail = (f"bundle runtime: median {statistics.median(times) * 1000:.3f} ms, p95 {p95 * 1000:.3f} ms, "
              f"max {times[-1] * 1000:.3f} ms over {len(times)} probe decisions "
              f"(budget: p95 under {LATENCY_BUDGET * 1000:.0f} ms)")
    return _verdict("decision-latency", p95 < LATENCY_BUDGET, detail)


PROPERTIES: dict[str, Callable[[PolicyFacts], Verdict]] = {
    "default-deny": default_deny,
    "check-clean": check_clean,
    "tests-pass": tests_pass,
    "tests-cover-allow": _tests_cover(Effect.ALLOW),
    "tests-cover-deny": _tests_cover(Effect.DENY),
    "tests-cover-ask": _tests_cover(Effect.ASK),
    "notify-on-deny": notify_on_deny,
    "has-policies": has_policies,
    "has-deny-rules": has_deny_rules,
    "no-unrestricted-allow": no_unrestricted_allow,
    "least-privilege": least_privilege,
    "policies-described": policies_described,
    "decision-latency": decision_latency,
}
