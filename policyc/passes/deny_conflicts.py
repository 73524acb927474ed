"""PC102 exception-never-applies, PC103 partial-deny-overlap and PC104
priority-cannot-beat-deny: deny-overrides across policies (spec §3.3).

An allow (or ask/watch) rule decides a call only when no policy in scope
denies it; priority orders evaluation and picks the reported message, but
deny still wins.

Each pair of an exception rule and a deny policy it is judged against is
one budget item (PC110 when the budget stops it); the pairs are only formed
between related policies (:func:`_related`), so files checked together do
not multiply each other's work."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from policyc.analysis import condition_implies, decided_in, fires, replay, request_view, scope_includes, witness_call
from policyc.analysis import Unsupported
from policyc.analysis.errors import BudgetExceeded
from policyc.analysis.fields import patterns_subsumed, prefixes_meet, share_sample
from policyc.analysis.witness import sample_call
from policyc.checks import Check, check
from policyc.diagnostics.model import Diagnostic, Severity
from policyc.evaluate import Decision
from policyc.ir import Effect, Field, PatternLanguage, Policy, Rule, Scope, Tier

from .context import Context, rule_name

#: The checks this module reports (assembled by :mod:`policyc.checks`).
CHECKS = [
    Check("PC102", "exception-never-applies", Severity.ERROR,
          "An allow/ask/watch rule whose every call a deny elsewhere overrides."),
    Check("PC103", "partial-deny-overlap", Severity.INFO,
          "Some calls an allow rule matches are denied by another policy."),
    Check("PC104", "priority-cannot-beat-deny", Severity.WARNING,
          "An allow policy ordered before a deny policy it overlaps: deny still wins."),
]

_EXCEPTIONS = (Effect.ALLOW, Effect.ASK, Effect.WATCH)


@dataclass(frozen=True)
class _Overlap:
    policy: Policy
    rule: Rule
    deny_policy: Policy
    call: dict[str, Any]
    decision: Decision


def _live(ctx: Context, policy: Policy, rule: Rule) -> bool:
    return not ctx.is_dead(policy, rule) and not rule.condition.response_side \
        and not request_view(rule.condition).never


def _prover(ctx: Context, policy: Policy, rule: Rule, other: Policy) -> Rule | None:
    """A deny rule of ``other`` that surely decides ``other`` for every call
    ``rule`` matches: it holds for them (proven) and every rule of ``other``
    before it that could fire is a deny too."""
    granting = rule.effect.granting
    for candidate in other.rules:
        if ctx.is_dead(other, candidate) or request_view(candidate.condition).never:
            continue
        if candidate.effect is not Effect.DENY:
            return None
        if candidate.expires_at or candidate.condition.call_count is not None:
            continue
        if condition_implies(rule.condition, granting, candidate.condition, False):
            return candidate
    return None


def _verified(ctx: Context, policy: Policy, rule: Rule, call: dict | None) -> Decision | None:
    """The replayed decision when ``call`` is decided by ``rule`` inside its
    own policy and the whole set denies it; else None."""
    if call is None or not fires(policy, rule, call) or decided_in(ctx.policy_set, policy, call) != rule.index:
        return None
    decision = replay(ctx.policy_set, call)
    return decision if decision.action == Effect.DENY else None


def _tools_overlap(a: Scope, b: Scope) -> bool:
    return not a.tools or not b.tools or share_sample(list(a.tools), list(b.tools))


def _may_overlap(a: Rule, b: Rule) -> bool:
    """Cheap filter before building a joint witness: the conditions read a
    common field (an overlap only through unrelated fields, such as a deny
    on agent depth, says nothing about this rule), and on every field both
    read, literal prefixes of their patterns can meet."""
    mine = {p.field: p for p in request_view(a.condition).predicates if p.patterns}
    theirs = {p.field for p in request_view(b.condition).predicates if p.patterns}
    if not mine.keys() & theirs:
        return False
    for pred in request_view(b.condition).predicates:
        other = mine.get(pred.field)
        if other is not None and pred.patterns and not prefixes_meet(list(other.patterns), list(pred.patterns)):
            return False
    return True


#: The budget codes of the pairs this pass judges.
_CODES = ("PC102", "PC103", "PC104")


def check_deny_conflicts(ctx: Context) -> list[Diagnostic]:
    """PC102 for an exception rule every call of which a deny rule of
    another policy (whose scope includes its own) surely denies; PC103 for
    one with a witness call it decides that the set denies; PC104 for an
    allow policy with a lower priority number than a deny policy that
    overlaps it. Every finding carries a replayed witness."""
    out: list[Diagnostic] = []
    policies = [p for p in ctx.policy_set.policies if p.enabled]
    deny_policies = [q for q in policies if any(r.effect is Effect.DENY for r in q.rules)]
    related = _Related(deny_policies)
    overlaps: list[_Overlap] = []
    for policy in policies:
        for rule in policy.rules:
            if rule.effect not in _EXCEPTIONS or not _live(ctx, policy, rule) \
                    or request_view(rule.condition).always or policy.tier is Tier.PROJECT:
                continue  # a catch-all is a default, not an exception; PC202 judges project allows
            if ctx.skipped(policy.source, rule.span, rule_name(policy, rule), _CODES):
                break
            finding = _never_applies(ctx, policy, rule, related.to(policy))
            if finding is not None:
                ctx.kill(policy, rule)
                out.append(finding)
                continue
            if rule.effect is Effect.ALLOW:  # a partly denied ask/watch is ordinary layering
                # the project tier exists to restrict global allows: only its proven overrides (PC102) are news
                global_denies = [q for q in related.to(policy) if q.tier is Tier.GLOBAL]
                overlaps.extend(_partial(ctx, policy, rule, global_denies))
    out.extend(_report_overlaps(overlaps))
    return out


def _related(policy: Policy, other: Policy) -> bool:
    """Policies judged together: of one file, or of different tiers. Sibling
    global files are often alternative profiles (the stdlib's), so pairs
    across them are not reported."""
    return other is not policy and (other.source == policy.source or other.tier is not policy.tier)


class _Related:
    """The deny policies :func:`_related` to a policy, in set order, found
    through indexes by file and tier (not by testing every deny policy of
    every file checked)."""

    def __init__(self, deny_policies: list[Policy]):
        self._order = {id(q): n for n, q in enumerate(deny_policies)}
        self._by_source: dict[str, list[Policy]] = {}
        self._by_tier: dict[Tier, list[Policy]] = {}
        for q in deny_policies:
            self._by_source.setdefault(q.source, []).append(q)
            self._by_tier.setdefault(q.tier, []).append(q)
        self._cache: dict[tuple[str, Tier], list[Policy]] = {}

    def to(self, policy: Policy) -> list[Policy]:
        key = (policy.source, policy.tier)
        found = self._cache.get(key)
        if found is None:
            pool = {id(q): q for q in self._by_source.get(policy.source, [])}
            for tier, members in self._by_tier.items():
                if tier is not policy.tier:
                    pool.update((id(q), q) for q in members)
            found = self._cache[key] = sorted(pool.values(), key=lambda q: self._order[id(q)])
        return [q for q in found if q is not policy and _related(policy, q)]


def _pair(policy: Policy, rule: Rule, other: Policy) -> str:
    return f"{rule_name(policy, rule)} against `{other.name}`"


#: :func:`_never_applies_by` result: stop looking (a prover's witness did not replay).
_STOP = object()


def _never_applies(ctx: Context, policy: Policy, rule: Rule, deny_policies: list[Policy]) -> Diagnostic | None:
    for other in deny_policies:
        if ctx.skipped(policy.source, rule.span, _pair(policy, rule, other), _CODES):
            return None
        found = ctx.attempt(policy.source, rule.span, _pair(policy, rule, other), _CODES,
                            _never_applies_by, ctx, policy, rule, other)
        if found is _STOP:
            return None
        if found is not None:
            return found
    return None


def _never_applies_by(ctx: Context, policy: Policy, rule: Rule, other: Policy):
    """PC102 for ``rule`` overridden by ``other``; :data:`_STOP` when a
    prover exists but its witness does not replay; None to go on."""
    if not scope_includes(other.scope, policy.scope):
        return None
    deny = _prover(ctx, policy, rule, other)
    if deny is None:
        return None
    call = witness_call([(rule.condition, rule.effect.granting)], [policy.scope])
    decision = _verified(ctx, policy, rule, call)
    if decision is None:
        return _STOP
    return check("PC102").at(
        rule.span, f"{rule.effect.value} exception never takes effect: every call {rule_name(policy, rule)} "
        f"matches is denied by rule {deny.index + 1} of `{other.name}` (deny wins over any priority)",
        label=f"overridden by `{other.name}`",
        help=f"move the exception into `{other.name}` before rule {deny.index + 1} "
             "(or into its exclusions), or delete it",
        witness=call, witness_decision=decision.to_json())


def _partial(ctx: Context, policy: Policy, rule: Rule, deny_policies: list[Policy]) -> list[_Overlap]:
    """At most one overlap of ``rule`` with each of ``deny_policies``."""
    found = []
    for other in deny_policies:
        if ctx.skipped(policy.source, rule.span, _pair(policy, rule, other), _CODES):
            break
        overlap = ctx.attempt(policy.source, rule.span, _pair(policy, rule, other), _CODES,
                              _partial_by, ctx, policy, rule, other)
        if overlap is not None:
            found.append(overlap)
    return found


def _partial_by(ctx: Context, policy: Policy, rule: Rule, other: Policy) -> _Overlap | None:
    """The first overlap of ``rule`` with a deny rule of ``other`` that a
    replayed witness shows, or None."""
    if not _tools_overlap(policy.scope, other.scope):
        return None
    priority_case = policy.priority < other.priority  # PC104 is reported whatever the layering
    for deny in other.rules:
        if deny.effect is not Effect.DENY or not _live(ctx, other, deny) or not _may_overlap(rule, deny) \
                or (not priority_case and _carved_out(rule, deny)):
            continue
        requirements = [(rule.condition, rule.effect.granting), (deny.condition, False)]
        scopes = [policy.scope, other.scope]
        call = sample_call(requirements, scopes)
        if call is None and _small(rule) and _small(deny):
            call = witness_call(requirements, scopes)
        decision = _verified(ctx, policy, rule, call)
        if decision is not None:
            return _Overlap(policy, rule, other, call, decision)
    return None


#: Most star runs (``*`` or ``**``) in a condition for which the exhaustive
#: (automata) witness search runs when sample values found no joint call:
#: products of substring chains grow fast, so bigger conditions are
#: searched with samples only.
MAX_EXHAUSTIVE_STARS = 3


def _small(rule: Rule) -> bool:
    preds = rule.condition.predicates
    patterns = [p for pred in preds for p in (*pred.patterns, *pred.exclusions)]
    if any(p.language is PatternLanguage.SUBSTRING for p in patterns):
        return False
    return sum(len(re.findall(r"\*+", p.source)) for p in patterns) <= MAX_EXHAUSTIVE_STARS


def _carved_out(allow: Rule, deny: Rule) -> bool:
    """The deny only narrows the allow (each of its fields' patterns lies
    inside the allow's patterns for that field): ordinary layering, a broad
    allow with specific denies, which PC103 does not report."""
    mine = {p.field: p for p in request_view(allow.condition).predicates if p.patterns}
    shared = [p for p in request_view(deny.condition).predicates if p.patterns and p.field in mine]
    try:
        return bool(shared) and all(
            patterns_subsumed(list(p.patterns), list(mine[p.field].patterns),
                              folded=p.field is Field.PATH) for p in shared)
    except BudgetExceeded:
        raise
    except Unsupported:
        return False


def _report_overlaps(overlaps: list[_Overlap]) -> list[Diagnostic]:
    out = []
    pairs: set[tuple[int, int]] = set()
    reported_rules: set[tuple[int, int]] = set()
    for o in overlaps:
        pair = (id(o.policy), id(o.deny_policy))
        if o.rule.effect is Effect.ALLOW and o.policy.priority < o.deny_policy.priority:
            if pair not in pairs:
                pairs.add(pair)
                out.append(check("PC104").at(
                    o.policy.span, f"policy `{o.policy.name}` (priority {o.policy.priority}) is evaluated before "
                    f"`{o.deny_policy.name}` (priority {o.deny_policy.priority}), but priority cannot beat a deny: "
                    f"calls {rule_name(o.policy, o.rule)} allows are still denied", label="priority does not win",
                    help=f"exclude these calls in `{o.deny_policy.name}` (e.g. command_not_matches); "
                         "priority only orders evaluation and picks the message",
                    witness=o.call, witness_decision=o.decision.to_json()))
            continue
        key = (id(o.policy), o.rule.index)
        if key in reported_rules:
            continue
        reported_rules.add(key)
        decider = o.decision.rule
        by = f"rule {decider.index + 1} of `{decider.policy}`" if decider else f"`{o.deny_policy.name}`"
        out.append(check("PC103").at(
            o.rule.span, f"some calls {rule_name(o.policy, o.rule)} would {o.rule.effect.value} are denied by {by}",
            label="partly overridden",
            help="if those calls should pass, exclude them in the deny rule; otherwise narrow this rule",
            witness=o.call, witness_decision=o.decision.to_json()))
    return out
