"""Candidate calls of a Rampart policy set: for each rule, calls built to reach it.

:func:`rule_calls(policy, rule) <rule_calls>` yields calls that satisfy each
positive pattern of the rule's condition, inside its policy's scope, from
the patterns' sample values (:func:`policyc.analysis.fields.samples`);
:func:`candidate_calls` collects them for whole sets, deduplicated. Used by
``policyc diff`` (:mod:`policyc.diff`) and by the project-tier pass for
its witnesses; the calls are JSON objects as ``policyc eval`` reads them.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from typing import Any

from policyc.analysis.fields import samples
from policyc.ir import Condition, Field, FieldPredicate, Pattern, Policy, PolicySet, Rule

__all__ = ["rule_calls", "candidate_calls", "distinct"]

#: The tool a call gets when a policy's scope does not name one, by field.
_TOOL_FOR = {Field.COMMAND: "exec", Field.ENV_ASSIGNMENT: "exec", Field.PATH: "read", Field.URL: "fetch",
             Field.DOMAIN: "fetch"}
_PARAM_FOR = {Field.COMMAND: "command", Field.PATH: "path", Field.URL: "url"}


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


def distinct(items: Iterable[Any]) -> list[Any]:
    """``items`` (JSON values) without repeats, compared as canonical JSON, in
    first-seen order (the dialects' diffs build their candidates with it)."""
    seen: dict[str, Any] = {}
    for item in items:
        seen.setdefault(json.dumps(item, sort_keys=True), item)
    return list(seen.values())


def candidate_calls(*policy_sets: PolicySet, extra: Iterable[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Distinct candidate calls for ``policy_sets`` (see :func:`rule_calls`)
    plus ``extra``, in a stable order."""
    built = (call for policy_set in policy_sets for policy in policy_set.policies for rule in policy.rules
             for call in rule_calls(policy, rule))
    return distinct(itertools.chain(extra, built))
