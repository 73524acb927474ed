"""The reference evaluator: the Rampart semantics (spec §2–§5), executable.

Readable first, fast second. It interprets the IR directly; the compiled
bundle runtime must agree with it on every call.

Entry points:

* :func:`evaluate` — the request-side decision for a :class:`ToolCall`
  (spec §3), including the project tier (§3.5);
* :func:`evaluate_response` — the response-side decision (§3, "Response side");
* :func:`decide` — a call's whole life: the request decision, then, if the call
  carries a ``response`` and was not denied, deny-overrides with the response
  decision. Test cases (§6) are decided with it.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import re2

from policyc import canonicalize
from policyc.callfields import (
    Ambiguous, Fields, ToolCall, go_lower, joinable_pattern, joined_spelling, overlong_field,
    RESPONSE_TOO_LONG, overlong_message, over_response_limit, param_text, pattern_is_absolute, pattern_variants,
    workdir_rest,
)
from policyc.decision import NO_POLICY, NO_RULE, UNWEAKENED, Decision, RuleRef
from policyc.ir import (
    CombiningAlgorithm, Condition, Effect, Field, FieldPredicate, Pattern, PatternLanguage, Policy, PolicySet,
    Rule, Span, Tier,
)
from policyc.gosort import slice_order
from policyc.patterns import match_command_glob, match_domain_glob, match_path_glob, path_spellings


class CallHistory(Protocol):
    """Past calls, for ``call_count`` (spec §1)."""

    def count(self, tool: str, window_seconds: float, now: _dt.datetime) -> int: ...


def _rule_ref(policy: str, index: int, tier: Tier, span: Span | None) -> RuleRef:
    if span is None:
        return RuleRef(policy, index, tier)
    return RuleRef(policy, index, tier, span.path, span.line, span.column)


# --------------------------------------------------------------- matching


def _any_glob(patterns: tuple[Pattern, ...], value: str) -> bool:
    return any(_glob(p, value) for p in patterns)


def _glob(pattern: Pattern, value: str) -> bool:
    if pattern.language is PatternLanguage.PATH_GLOB:
        return any(match_path_glob(v, value) for v in pattern_variants(pattern.source))
    if pattern.language is PatternLanguage.DOMAIN_GLOB:
        return match_domain_glob(pattern.source, value)
    return match_command_glob(pattern.source, value)


@lru_cache(maxsize=4096)
def _regex(source: str) -> re2._Regexp:
    return re2.compile(source)


def _command_holds(pred: FieldPredicate, command: str, granting: bool) -> bool:
    globs = tuple(p for p in pred.patterns if p.language is not PatternLanguage.SUBSTRING)
    needles = [p.source for p in pred.patterns if p.language is PatternLanguage.SUBSTRING]
    compound = tuple(p for p in globs if canonicalize.is_composite(p.source))
    return canonicalize.command_matches(
        command,
        granting=granting,
        matches=(lambda s: _any_glob(globs, s)) if globs else None,
        contains=needles,
        excludes=(lambda s: _any_glob(pred.exclusions, s)) if pred.exclusions else None,
        composite_matches=(lambda s: _any_glob(compound, s)) if compound else None,
        folded=(lambda s: any(match_command_glob(canonicalize.fold(p.source), s) for p in globs))
        if globs else None,
        head_folded=(lambda s: any(match_command_glob(canonicalize.fold_head(p.source), s) for p in globs))
        if globs else None,
        composite_head_folded=(lambda s: any(match_command_glob(canonicalize.fold_head(p.source), s)
                                             for p in compound)) if compound else None,
    )


def _path_hit(patterns: tuple[Pattern, ...], spelling: str, workdir: str | None) -> bool:
    """Some pattern matches one path spelling, as the engine's
    ``matchPathFirstForActionOS`` tries it: the spelling itself; absolute
    patterns also on a relative spelling joined to the workdir; relative
    patterns also joined to the workdir, on an absolute spelling below it."""
    if _any_glob(patterns, spelling):
        return True
    joined = joined_spelling(spelling, workdir)
    if joined is not None and any(pattern_is_absolute(p.source) and _glob(p, joined) for p in patterns):
        return True
    rest = workdir_rest(spelling, workdir)
    if rest is None:
        return False
    for p in patterns:
        relative = joinable_pattern(p.source)
        if relative is not None and match_path_glob(relative, rest):
            return True
    return False


def _path_holds(pred: FieldPredicate, path: str, workdir: str | None, granting: bool) -> bool:
    """The engine's ``matchPathFieldForAction`` on a Linux host (spec §4, §5):
    restrictive, some spelling matches and not every spelling is excluded;
    granting, every spelling matches and none is excluded. Case-sensitive."""
    spellings = path_spellings(path, workdir)
    hits = [_path_hit(pred.patterns, s, workdir) for s in spellings]
    if not spellings or not (all(hits) if granting else any(hits)):
        return False
    if not pred.exclusions:
        return True
    excluded = [_path_hit(pred.exclusions, s, workdir) for s in spellings]
    return not any(excluded) if granting else not all(excluded)


def _predicate_holds(pred: FieldPredicate, call: ToolCall, fields: Fields, granting: bool) -> bool:
    """One positive field predicate (it has patterns); a missing field is false."""
    if pred.field is Field.COMMAND:
        return fields.command is not None and _command_holds(pred, fields.command, granting)
    if pred.field is Field.ENV_ASSIGNMENT:
        if fields.command is None:
            return False
        return any(_any_glob(pred.patterns, name) for name in canonicalize.env_assignment_names(fields.command))
    if pred.field is Field.PATH:
        return fields.path is not None and _path_holds(pred, fields.path, fields.workdir, granting)
    value = {Field.URL: fields.url, Field.DOMAIN: fields.domain, Field.SESSION: call.session or None}[pred.field]
    if value is None:
        return False
    return _any_glob(pred.patterns, value) and not _any_glob(pred.exclusions, value)


def condition_holds(cond: Condition, call: ToolCall, fields: Fields | None = None, *,
                    granting: bool = False, history: CallHistory | None = None,
                    now: _dt.datetime | None = None) -> bool:
    """Request-side truth of a condition (spec §1, §3.2).

    ``default: true`` and an empty condition hold for every call. Otherwise all
    present request-side predicates must hold and at least one positive one
    must be present: a condition made only of exclusions (or only of response
    patterns) never fires on the request side, as in the engine.
    """
    if cond.catch_all or _is_empty(cond):
        return True
    fields = fields or Fields.of(call)
    positive = False
    for pred in cond.predicates:
        if pred.field is Field.RESPONSE:
            continue
        if not pred.patterns:
            if pred.field is Field.SESSION and _any_glob(pred.exclusions, call.session):
                return False
            continue
        if not _predicate_holds(pred, call, fields, granting):
            return False
        positive = True
    if cond.any_param:
        if not any(_param_holds(p, call) for p in cond.any_param):
            return False
        positive = True
    if cond.depth is not None:
        d = cond.depth
        if (d.low is not None and call.agent_depth < d.low) or (d.high is not None and call.agent_depth > d.high):
            return False
        positive = True
    if cond.call_count is not None:
        cc = cond.call_count
        if history is None:
            return False
        tool = cc.tool.source if cc.tool else call.tool
        if history.count(tool, cc.window_seconds, now or _now()) < cc.gte:
            return False
        positive = True
    return positive


def _is_empty(cond: Condition) -> bool:
    return not (cond.predicates or cond.any_param or cond.depth or cond.call_count)


def _param_holds(pred: FieldPredicate, call: ToolCall) -> bool:
    value = param_text(call, pred.param or "")
    if value is None:
        return False
    return any(match_command_glob(go_lower(p.source), go_lower(value)) for p in pred.patterns)


def _response_part(cond: Condition) -> FieldPredicate | None:
    return next((p for p in cond.predicates if p.field is Field.RESPONSE and p.patterns), None)


def _has_response(cond: Condition) -> bool:
    """Whether the condition has ``response_matches`` (``hasResponseRules``)."""
    return _response_part(cond) is not None


def response_condition_holds(cond: Condition, response: str) -> bool:
    """Response-side truth (``matchResponseCondition``): some
    ``response_matches`` regex is found in the response and no
    ``response_not_matches`` regex is."""
    pred = _response_part(cond)
    if pred is None or not response:
        return False
    if not any(_regex(p.source).search(response) for p in pred.patterns):
        return False
    return not any(_regex(p.source).search(response) for p in pred.exclusions)


# ----------------------------------------------------------------- scope


def in_scope(policy: Policy, call: ToolCall) -> bool:
    """Spec §3.1: enabled, agent and session globs match, one tool glob matches."""
    if not policy.enabled:
        return False
    scope = policy.scope
    if scope.agent is not None and not match_command_glob(scope.agent.source, call.agent):
        return False
    if scope.session is not None and not match_command_glob(scope.session.source, call.session):
        return False
    return not scope.tools or any(match_command_glob(t.source, call.tool) for t in scope.tools)


def _expired(rule: Rule, now: _dt.datetime) -> bool:
    if not rule.expires_at:
        return False
    when = _dt.datetime.fromisoformat(rule.expires_at.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return when <= now


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


# -------------------------------------------------------------- combining


@dataclass(frozen=True)
class _Fired:
    effect: Effect
    message: str
    policy: Policy
    rule: Rule


def engine_order(policies: tuple[Policy, ...] | list[Policy]) -> list[Policy]:
    """The policies in scope for a call, in the order the engine evaluates
    them: the global tier then the project tier (the engine's config list,
    project policies appended by ``mergeProjectPolicy``), each in source
    order, then ``sort.Slice`` by priority (engine.go ``collectMatching``).
    ``sort.Slice`` is not stable: among equal priorities the order is Go's
    (:func:`policyc.gosort.slice_order`), which decides the reported message
    and ``matched_policies``, never the action."""
    listed = [p for p in policies if p.tier is Tier.GLOBAL] + [p for p in policies if p.tier is Tier.PROJECT]
    return [listed[i] for i in slice_order([p.priority for p in listed])]


def _first_applicable(policy: Policy, holds: Callable[[Rule], bool], now: _dt.datetime | None) -> _Fired | None:
    """The first rule of ``policy`` that holds; expired rules are skipped
    unless ``now`` is None (the response side never checks expiry)."""
    for rule in policy.rules:
        if now is not None and _expired(rule, now):
            continue
        if holds(rule):
            return _Fired(rule.effect, rule.message, policy, rule)
    return None


def _reported(fired: _Fired, action: Effect | str, matched: list[str]) -> Decision:
    policy, rule = fired.policy, fired.rule
    return Decision(action=action, message=fired.message, matched_policies=tuple(matched),
                    rule=_rule_ref(policy.name, rule.index, policy.tier, rule.span),
                    project=policy.tier is Tier.PROJECT)


def _combine(order: list[Policy], fire: Callable[[Policy], _Fired | None], default: Effect,
             combining: CombiningAlgorithm) -> Decision:
    """engine.go ``Evaluate`` after scoping: policies in ``order``; the first
    deny returns at once (``matched_policies``: the policies fired so far
    and every later one in scope); otherwise a result replaces the current
    one only when strictly more restrictive, and the first allow with a
    message gives the message. Then the project-tier rule (§3.5) and the
    default."""
    if not order:
        return Decision(default, NO_POLICY)
    top = combining.order[-1]
    best: _Fired | None = None
    matched: list[str] = []
    any_global = False
    for i, policy in enumerate(order):
        fired = fire(policy)
        if fired is None:
            continue
        any_global = any_global or policy.tier is Tier.GLOBAL
        matched.append(policy.name)
        if fired.effect is top:
            return _reported(fired, top, matched + [p.name for p in order[i + 1:]])
        if best is None or combining.overrides(fired.effect, best.effect) or (
                best.effect is fired.effect is combining.order[0] and not best.message):
            best = fired
    if not any_global and default in UNWEAKENED and (default is not Effect.WATCH or best is None
                                                      or best.effect is Effect.ALLOW):
        return Decision(default, UNWEAKENED[default], tuple(matched))
    if best is None:
        return Decision(default, NO_RULE)
    return _reported(best, best.effect, matched)


def _param_names(policy_set: PolicySet) -> list[str]:
    """Every parameter a ``tool_param_matches`` of the set names (any policy,
    any rule, enabled or not: the engine checks their size on every call)."""
    return sorted({p.param for policy in policy_set.policies for rule in policy.rules
                   for p in rule.condition.any_param if p.param})


def evaluate(policy_set: PolicySet, call: ToolCall, *, now: _dt.datetime | None = None,
             history: CallHistory | None = None) -> Decision:
    """The request-side decision for ``call`` (spec §2–§5; engine.go
    ``Evaluate``, which the spec's §3 summarises)."""
    now = now or _now()
    try:
        fields = Fields.of(call)
    except Ambiguous as exc:
        return Decision(Effect.DENY, f"ambiguous tool input ({exc.reason}); failing closed")
    too_long = overlong_field(call, fields, _param_names(policy_set))
    if too_long is not None:
        return Decision(Effect.DENY, overlong_message(too_long))

    def fire(policy: Policy) -> _Fired | None:
        return _first_applicable(policy, lambda rule: condition_holds(
            rule.condition, call, fields, granting=rule.effect.granting, history=history, now=now), now)

    order = engine_order([p for p in policy_set.policies if in_scope(p, call)])
    return _combine(order, fire, policy_set.default, policy_set.combining)


def evaluate_response(policy_set: PolicySet, call: ToolCall, response: str, *,
                      now: _dt.datetime | None = None) -> Decision:  # noqa: ARG001 (no expiry here)
    """The response-side decision (engine.go ``EvaluateResponse``): only
    rules with ``response_matches`` take part, expiry unchecked; no policy
    in scope or none firing allows; a response over ``MAX_RESPONSE_BYTES``
    with a response rule in scope is denied; in the engine's order, the
    first deny, webhook or ask fired denies at once (after the tool ran
    there is nothing left to approve); else watch over allow."""
    order = engine_order([p for p in policy_set.policies if in_scope(p, call)])
    if not order:
        return Decision(Effect.ALLOW, "no matching policy; response allowed")
    if over_response_limit(response) and any(
            _has_response(rule.condition) for policy in order for rule in policy.rules):
        return Decision(Effect.DENY, RESPONSE_TOO_LONG)
    best: _Fired | None = None
    matched: list[str] = []
    for policy in order:
        fired = _first_applicable(policy, lambda rule: response_condition_holds(rule.condition, response), None)
        if fired is None:
            continue
        matched.append(policy.name)
        if fired.effect in (Effect.DENY, Effect.WEBHOOK, Effect.ASK):
            return _reported(fired, Effect.DENY, matched)
        if best is None or (best.effect is Effect.ALLOW and (fired.effect is Effect.WATCH or not best.message)):
            best = fired
    if best is None:
        return Decision(Effect.ALLOW, "no matching response rule; response allowed")
    return _reported(best, best.effect, matched)


def decide(policy_set: PolicySet, call: ToolCall, *, now: _dt.datetime | None = None,
           history: CallHistory | None = None) -> Decision:
    """A call's whole life: the request decision, then deny-overrides with the
    response decision when the call carries a response and was not denied."""
    request = evaluate(policy_set, call, now=now, history=history)
    if call.response is None or request.action == Effect.DENY:
        return request
    response = evaluate_response(policy_set, call, call.response, now=now)
    return response if policy_set.combining.overrides(response.action, request.action) else request
