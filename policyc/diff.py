"""``policyc diff``: which calls two policy sets decide differently.

:func:`diff_sets(old, new, extra_calls=()) <diff_sets>` -> :class:`Diff`.
Candidate calls are derived from every rule of both sets (a call built to
satisfy each positive pattern of the rule's condition, inside its policy's
scope, from the patterns' sample values, :func:`policyc.analysis.fields.samples`;
:func:`rule_calls`) plus any ``extra_calls`` (the files' inline test
cases). Each candidate is decided by both sets with compiled bundles;
every candidate whose action differs is confirmed with the reference
evaluator (spec §3) and reported. Changes are grouped by the pair (old
deciding rule, new deciding rule); each group keeps its first witness
(inline tests first, then rule samples).

A reported change is always real (its witness replays with
``policyc eval``); the search is not exhaustive: a change only reachable by
calls unlike any rule's patterns can be missed (say so; do not claim "no
change" as a proof).

``weaker`` is true when the new action ranks below the old one
(deny > webhook > ask > watch > allow, spec §3.3).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from policyc.codegen.bundle import compile_policy_set
from policyc.evaluate import Decision, ToolCall, decide
from policyc.analysis.fields import samples
from policyc.ir import (
    RAMPART_COMBINING, Condition, Field, FieldPredicate, Pattern, Policy, PolicySet, Rule,
)
from policyc.runtime import load_bundle

if TYPE_CHECKING:  # pragma: no cover
    from policyc.runtime.openclaw import ToolkitDecision

#: The tool a call gets when a policy's scope does not name one, by field.
_TOOL_FOR = {Field.COMMAND: "exec", Field.ENV_ASSIGNMENT: "exec", Field.PATH: "read", Field.URL: "fetch",
             Field.DOMAIN: "fetch"}
_PARAM_FOR = {Field.COMMAND: "command", Field.PATH: "path", Field.URL: "url"}


class Ranking(Protocol):
    """What ranks two decisions' actions: a :class:`~policyc.ir.CombiningAlgorithm`, or
    the toolkit diff's ``RESTRICTIVENESS``."""

    def overrides(self, a: Any, b: Any) -> bool: ...


@dataclass
class Change:
    """One (old rule, new rule) pair whose decisions differ, with a witness
    and how many candidates showed it; ``combining`` (the new set's) says
    which of the two decisions is more restrictive. The toolkit's diff
    (:mod:`policyc.dialects.openclaw.diff`) reports its changes as these
    too: its decisions are ``ToolkitDecision``s and its ``combining`` ranks
    their actions (``overrides(a, b)``)."""

    witness: dict[str, Any]
    old: Decision | ToolkitDecision
    new: Decision | ToolkitDecision
    count: int = 1
    combining: Ranking = RAMPART_COMBINING

    @property
    def weaker(self) -> bool:
        return self.combining.overrides(self.old.action, self.new.action)

    @property
    def stricter(self) -> bool:
        return self.combining.overrides(self.new.action, self.old.action)

    def to_json(self) -> dict[str, Any]:
        return {"witness": self.witness, "old": self.old.to_json(), "new": self.new.to_json(),
                "weaker": self.weaker, "witnesses_found": self.count}


@dataclass
class Diff:
    """``changes`` sorted weaker first, then by witness; ``candidates`` is how
    many calls were compared."""

    changes: list[Change] = field(default_factory=list)
    candidates: int = 0

    @property
    def weaker(self) -> list[Change]:
        return [c for c in self.changes if c.weaker]

    def to_json(self) -> dict[str, Any]:
        return {"changes": [c.to_json() for c in self.changes],
                "summary": {"changes": len(self.changes), "weaker": len(self.weaker),
                            "candidates": self.candidates}}


# ------------------------------------------------------------- candidates


def _samples(pred: FieldPredicate) -> list[str]:
    return list(dict.fromkeys(v for p in pred.patterns for v in samples(p)))


def _apply(call: dict[str, Any], pred: FieldPredicate, value: str) -> None:
    params = call.setdefault("params", {})
    if pred.field is Field.ENV_ASSIGNMENT:
        params["command"] = f"{value}=1 true"
    elif pred.field is Field.DOMAIN:
        params["url"] = f"https://{value}/"
    elif pred.field is Field.SESSION:
        call["session"] = value
    elif pred.field in _PARAM_FOR:
        params[_PARAM_FOR[pred.field]] = value


def _first_sample(pattern: Pattern) -> str:
    return next(iter(samples(pattern)), "")


def _tools(policy: Policy, cond: Condition) -> list[str]:
    named = [s for s in (_first_sample(t) for t in policy.scope.tools) if s]
    if named:
        return named
    fields = [p.field for p in cond.predicates if p.field in _TOOL_FOR]
    return [_TOOL_FOR[fields[0]]] if fields else ["exec"]


def rule_calls(policy: Policy, rule: Rule) -> Iterator[dict[str, Any]]:
    """Calls built to satisfy ``rule`` inside ``policy``'s scope: for each
    sample of each positive pattern (the other predicates take their first
    sample), with each tool the scope names. Not guaranteed to satisfy the
    rule (exclusions, exec canonicalization): they are candidates."""
    cond = rule.condition
    preds = [p for p in cond.predicates if p.patterns and p.field is not Field.RESPONSE]
    samples = [_samples(p) for p in preds]
    if any(not s for s in samples):
        return
    base: dict[str, Any] = {}
    if policy.scope.agent is not None:
        base["agent"] = _first_sample(policy.scope.agent)
    if policy.scope.session is not None:
        base["session"] = _first_sample(policy.scope.session)
    if cond.depth is not None:
        base["agent_depth"] = cond.depth.low or 0
    for param in cond.any_param[:1]:
        base.setdefault("params", {})[param.param] = _first_sample(param.patterns[0])
    variants = [[s[0] for s in samples]] if samples else [[]]
    for i, options in enumerate(samples):
        for value in options[1:]:
            variants.append([value if j == i else s[0] for j, s in enumerate(samples)])
    for tool in _tools(policy, cond):
        for values in variants:
            call = json.loads(json.dumps(base))
            call["tool"] = tool
            for pred, value in zip(preds, values):
                _apply(call, pred, value)
            call.setdefault("params", {})
            yield call


def candidate_calls(*policy_sets: PolicySet, extra: Iterable[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Distinct candidate calls for ``policy_sets`` (see :func:`rule_calls`)
    plus ``extra``, in a stable order."""
    seen: dict[str, dict[str, Any]] = {}
    for call in extra:
        seen.setdefault(json.dumps(call, sort_keys=True), call)
    for policy_set in policy_sets:
        for policy in policy_set.policies:
            for rule in policy.rules:
                for call in rule_calls(policy, rule):
                    seen.setdefault(json.dumps(call, sort_keys=True), call)
    return list(seen.values())


# ------------------------------------------------------------------- diff


def diff_sets(old: PolicySet, new: PolicySet, *, extra_calls: Iterable[dict[str, Any]] = (),
              now: _dt.datetime | None = None) -> Diff:
    """Compare ``old`` and ``new`` on the candidate calls of both (module
    docstring). Raises ``policyc.codegen.bundle.CompileError`` when a set
    cannot be compiled."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    calls = candidate_calls(old, new, extra=extra_calls)
    old_bundle = load_bundle(compile_policy_set(old, {}))
    new_bundle = load_bundle(compile_policy_set(new, {}))
    groups: dict[tuple[str, str], Change] = {}
    for call in calls:
        try:
            before, after = old_bundle.decide(call, now=now), new_bundle.decide(call, now=now)
        except ValueError:
            continue
        if before.action == after.action:
            continue
        key = (json.dumps(before.rule.to_json() if before.rule else None, sort_keys=True),
               json.dumps(after.rule.to_json() if after.rule else None, sort_keys=True))
        if key in groups:  # the first witness stays: inline tests come first, then filled samples
            groups[key].count += 1
            continue
        parsed = ToolCall.from_mapping(call)  # confirm with the reference evaluator
        reference_old, reference_new = decide(old, parsed, now=now), decide(new, parsed, now=now)
        if reference_old.action is not reference_new.action:
            groups[key] = Change(call, reference_old, reference_new, combining=new.combining)
    changes = sorted(groups.values(), key=lambda c: (not c.weaker, json.dumps(c.witness, sort_keys=True)))
    return Diff(changes, len(calls))
