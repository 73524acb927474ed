"""The toolkit's agent policies lowered to policyc's IR, and the IR decided as the engine decides.

:func:`lower` turns the policies a :class:`~.loader.LoadResult` holds into
a :class:`~policyc.ir.PolicySet` (``dialect`` ``openclaw-toolkit``,
:data:`~policyc.ir.OPENCLAW_COMBINING`, default deny) so that the shared
analysis passes (:mod:`policyc.passes`) judge them. One
:class:`~policyc.ir.Policy` per agent the engine holds, in its ``Map``
order: named by the agent, scoped to it (a ``literal`` pattern: ``Map.get``
compares agents by equality), its rules in ``checkPermission``'s checking
order (every ``escalate`` entry, then ``deny``, then ``allow``), each with
the entry's span and a name for messages (``permissions.deny[2]`` and
the entry). A pattern string becomes an ``action`` predicate
(:attr:`~policyc.ir.PatternLanguage.ACTION`, the engine's
``matchesPattern``); an escalate mapping its ``action`` (when truthy) and
its ``condition`` as a :class:`~policyc.ir.Compare` (the first
``FIELD OP NUMBER`` the engine's regex finds, the rest being ignored as
the engine ignores it).

Nothing is guessed. An entry the engine never decides with is left out
(:attr:`Lowered.dropped`): a number or boolean in ``escalate`` (skipped),
an escalate mapping (or list, or date) without a truthy ``condition``,
or whose condition never holds (it does not parse, its operator is not
compared, its threshold is not a number and its operator is not ``!=``).
A policy whose meaning is not plain patterns and comparisons is not
lowered at all (:attr:`Lowered.not_lowered`): an agent that is not a
string; a rule list that is a string (walked per character) or not
iterable (it throws); a non-string ``allow``/``deny`` entry or a ``null``
escalate entry (the engine throws on reaching it); a truthy non-string
``action`` or ``condition``; a condition on a field every object inherits
(``constructor``...), or ``!=`` with a threshold that is not a number
(true whenever the field is present). Those are the cases PC504-PC509
report. Nothing is lowered when the engine would not load the files (it
then holds no policy), and a policy another file replaced is not held.

The meaning is exact for calls whose action is a string: for them
:func:`first_applicable` on the lowered set decides as the reference
evaluator (:mod:`.evaluate`) does, or raises
:class:`~policyc.dialects.openclaw.jsvalue.JSThrow` where it throws (a
context value that is a mapping with a ``toString`` key);
``tests/test_openclaw_lower.py`` checks it on generated policies and
calls. (For a non-string action the engine may throw at an entry the
lowering dropped.)

:func:`fires`, :func:`decided_in` and :func:`first_applicable` are the
small interpreter of the lowered IR that :mod:`policyc.analysis.witness`
replays witness calls with; the reference decision of a witness comes from
the engine's own reading (``policy_set.origin``, the ``LoadResult``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from policyc.dialects.openclaw import NAME, conditions
from policyc.dialects.openclaw.evaluate import matches_pattern, read_call
from policyc.dialects.openclaw.jsprops import OBJECT_PROTO, get_property
from policyc.dialects.openclaw.jsvalue import JSObject, JSThrow, describe, number_to_string, show, truthy
from policyc.dialects.openclaw.loader import LoadResult
from policyc.dialects.openclaw.model import RULE_LISTS, AgentPolicy, Call, RuleEntry, RuleList
from policyc.ir import (
    OPENCLAW_COMBINING, Compare, Condition, Effect, Field, FieldPredicate, Pattern, PatternLanguage, Policy,
    PolicySet, Rule, Scope, Span,
)

__all__ = ["Left", "Lowered", "lower", "first_applicable", "fires", "decided_in"]

_EFFECTS = {"escalate": Effect.ESCALATE, "deny": Effect.DENY, "allow": Effect.ALLOW}


@dataclass(frozen=True)
class Left:
    """Something :func:`lower` left out: of the file ``path``, the agent
    (``agent``, as the file writes it) and the entry ``where``
    (``permissions.escalate[1]``; empty when the whole policy is left out),
    ``reason`` (what the engine does with it, and the check that reports
    it) and ``span``."""

    path: str
    agent: str
    where: str
    reason: str
    span: Span | None = None


@dataclass(frozen=True)
class Lowered:
    """:func:`lower`'s result: the ``policy_set`` (its ``origin`` the
    ``LoadResult``), the policies ``not_lowered`` and the entries
    ``dropped`` from lowered policies, each with why."""

    policy_set: PolicySet
    not_lowered: tuple[Left, ...] = ()
    dropped: tuple[Left, ...] = ()


class _NotLowered(Exception):
    """A policy that is not lowered: ``args`` are ``(where, reason, span)``."""


def lower(result: LoadResult) -> Lowered:
    """Lower the policies ``result`` holds (see the module docstring).
    Never raises."""
    held = {id(p) for p in result.policies.values()}
    not_lowered: list[Left] = []
    dropped: list[Left] = []
    policies: list[Policy] = []
    for file in result.file_results:
        policy = file.policy
        if policy is None or file.failure is not None:
            continue
        if not result.ok:
            not_lowered.append(_left(policy, "", f"the engine loads no policy of these files "
                                     f"({result.load_error})", policy.span))
        elif id(policy) not in held:  # replaced: the policy the engine holds for its agent is another file's
            replacing = result.policy_for(policy.agent)
            not_lowered.append(_left(policy, "", f"not held: {replacing.path} names the same agent and "
                                     "replaces it (PC502)", policy.agent_span))
    if result.ok:
        for policy in result.policies.values():
            mine: list[Left] = []
            try:
                policies.append(_policy(policy, mine))
            except _NotLowered as exc:
                where, reason, span = exc.args
                not_lowered.append(_left(policy, where, reason, span))
                continue
            dropped.extend(mine)
    policy_set = PolicySet(tuple(policies), Effect.DENY, sources=tuple(result.files), dialect=NAME,
                           combining=OPENCLAW_COMBINING, origin=result)
    return Lowered(policy_set, tuple(not_lowered), tuple(dropped))


def _left(policy: AgentPolicy, where: str, reason: str, span: Span | None) -> Left:
    return Left(policy.path, show(policy.agent), where, reason, span)


def _policy(policy: AgentPolicy, dropped: list[Left]) -> Policy:
    if not isinstance(policy.agent, str):
        raise _NotLowered("", f"the agent is {describe(policy.agent)}, not a string (PC504)", policy.agent_span)
    rules: list[Rule] = []
    for name in RULE_LISTS:
        rules.extend(_rules(policy, policy.rule_list(name), len(rules), dropped))
    scope = Scope(agent=Pattern(policy.agent, PatternLanguage.LITERAL, policy.agent_span))
    return Policy(policy.agent, scope, tuple(rules), source=policy.path, span=policy.span)


def _rules(policy: AgentPolicy, rules: RuleList, start: int, dropped: list[Left]) -> list[Rule]:
    where = f"permissions.{rules.name}"
    if rules.shape == "string":
        raise _NotLowered(where, "a string, not a list: the engine walks it character by character (PC505)",
                          rules.span)
    if rules.shape == "not-iterable":
        raise _NotLowered(where, f"{describe(rules.value)}, not a list: the engine throws when a call "
                          "reaches it (PC506)", rules.span)
    if rules.shape != "list":
        return []  # absent, or falsy: no rules
    out: list[Rule] = []
    effect = _EFFECTS[rules.name]
    for entry in rules.entries:
        at = f"{where}[{entry.index}]"
        if entry.kind == "pattern":
            condition = Condition((_action(entry.value, entry.span),))
            name = f"`{at}` `{entry.value}`"
        elif rules.name != "escalate" or entry.value is None:
            raise _NotLowered(at, f"{describe(entry.value)}, not a pattern string: the engine throws when a "
                              "call reaches it (PC506)", entry.span)
        elif entry.kind == "other":
            dropped.append(_left(policy, at, f"{describe(entry.value)}: the engine skips escalate entries that "
                                 "are neither strings nor objects (PC504)", entry.span))
            continue
        else:
            lowered = _conditional(entry, at)
            if isinstance(lowered, str):
                dropped.append(_left(policy, at, lowered, entry.span))
                continue
            condition, name = lowered
        out.append(Rule(effect, condition, index=start + len(out), span=entry.span, name=name))
    return out


def _action(pattern: str, span: Span | None) -> FieldPredicate:
    return FieldPredicate(Field.ACTION, (Pattern(pattern, PatternLanguage.ACTION, span),), span=span)


def _conditional(entry: RuleEntry, at: str) -> tuple[Condition, str] | str:
    """The condition and name of an escalate entry whose ``typeof`` is
    object (``matchesConditional``), or why it never escalates; raises
    :class:`_NotLowered` where its meaning is not plain."""
    action = get_property(entry.value, "action")
    condition = get_property(entry.value, "condition")
    if truthy(action) and not isinstance(action, str):
        raise _NotLowered(at, f"its `action` is {describe(action)}, not a pattern string: the engine throws "
                          "when a call reaches it (PC506)", entry.action_span or entry.span)
    if not truthy(condition):
        return "no truthy `condition`: the engine never escalates it (PC509)"
    if not isinstance(condition, str):
        raise _NotLowered(at, f"its `condition` is {describe(condition)}, not a string: the engine throws "
                          "when a call reaches it (PC506)", entry.condition_span or entry.span)
    parsed = conditions.parse(condition)
    if parsed is None or not parsed.honoured or (not parsed.numeric and parsed.operator != "!="):
        return f"its condition `{condition}` never holds (PC507): the engine never escalates it"
    if not parsed.numeric:
        raise _NotLowered(at, f"its condition `{condition}` compares with a threshold that is not a number: "
                          "it holds whenever the field is present (PC507)", entry.condition_span or entry.span)
    if parsed.field in OBJECT_PROTO:
        raise _NotLowered(at, f"its condition `{condition}` reads `{parsed.field}`, which every object "
                          "inherits (PC507)", entry.condition_span or entry.span)
    span = entry.condition_span or entry.span
    compare = Compare(parsed.field, parsed.operator, Decimal(parsed.threshold), span)
    predicates = (_action(action, entry.action_span or entry.span),) if truthy(action) else ()
    shown = f" `{action}`" if truthy(action) else ""
    return Condition(predicates, compares=(compare,)), f"`{at}`{shown} when `{condition}`"


# ---------------------------------------------------------------- the lowered IR, decided


def _in_scope(policy: Policy, call: Call) -> bool:
    agent = policy.scope.agent
    return agent is None or (isinstance(call.agent, str) and call.agent == agent.source)


def _compare_holds(compare: Compare, context: Any) -> bool:
    """``evaluateCondition`` of the comparison (:func:`.conditions.holds`
    on it written back as text, which the engine's regex reads back as the
    same field, operator and double)."""
    return conditions.holds(f"{compare.field} {compare.op} {number_to_string(float(compare.value))}", context)


def _holds(condition: Condition, call: Call) -> bool:
    """Whether a lowered ``condition`` holds for ``call``, evaluated in the
    engine's order (the action pattern, then the comparison). Raises
    :class:`JSThrow` where the engine throws; ``ValueError`` for a
    condition :func:`lower` does not make."""
    if condition.any_param or condition.depth or condition.call_count or condition.catch_all:
        raise ValueError("not a lowered toolkit condition")
    for pred in condition.predicates:
        if pred.field is not Field.ACTION:
            raise ValueError(f"not a lowered toolkit predicate: {pred.field.value}")
        if not any(matches_pattern(call.action, p.source) for p in pred.patterns) \
                or any(matches_pattern(call.action, p.source) for p in pred.exclusions):
            return False
    context = call.context if truthy(call.context) else JSObject()
    return all(_compare_holds(c, context) for c in condition.compares)


def first_applicable(policy_set: PolicySet, call: Any) -> tuple[Policy, Rule] | None:
    """The policy and rule that decide ``call`` (a :class:`~.model.Call`
    or ``{"agent", "action", "context"}`` as JSON values) in a lowered set:
    the one policy whose agent is the call's, its first rule whose
    condition holds; ``None`` when none does (the set's default, deny,
    decides). Raises :class:`JSThrow` where the engine throws."""
    parsed = read_call(call)
    for policy in policy_set.policies:
        if _in_scope(policy, parsed):
            rule = next((r for r in policy.rules if _holds(r.condition, parsed)), None)
            return (policy, rule) if rule is not None else None
    return None


def fires(policy: Policy, rule: Rule, call: Any) -> bool:
    """Whether ``call`` (as :func:`first_applicable` reads it) is in
    ``policy``'s scope and ``rule``'s condition holds for it; ``False``
    where the engine throws."""
    try:
        parsed = read_call(call)
        return _in_scope(policy, parsed) and _holds(rule.condition, parsed)
    except JSThrow:
        return False


def decided_in(policy: Policy, call: Any) -> int | None:
    """The index of the rule of ``policy`` that decides ``call`` (as
    :func:`first_applicable` reads it), or ``None`` (out of its scope, no
    rule holds, or the engine throws)."""
    try:
        parsed = read_call(call)
        if not _in_scope(policy, parsed):
            return None
        return next((r.index for r in policy.rules if _holds(r.condition, parsed)), None)
    except JSThrow:
        return None
