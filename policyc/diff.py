"""``policyc diff``: which calls two policy sets decide differently.

:func:`diff_sets(old, new, extra_calls=()) <diff_sets>` -> :class:`Diff`.
Candidate calls are derived from every rule of both sets (a call built to
satisfy each positive pattern of the rule's condition, inside its policy's
scope, from the patterns' sample values, :func:`policyc.analysis.fields.samples`;
:func:`policyc.analysis.candidates.rule_calls`) plus any ``extra_calls`` (the files' inline test
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from policyc.analysis.candidates import candidate_calls
from policyc.codegen.bundle import compile_policy_set
from policyc.evaluate import Decision, ToolCall, decide
from policyc.ir import RAMPART_COMBINING, PolicySet
from policyc.runtime import load_bundle


class Ranking(Protocol):
    """What ranks two decisions' actions: a :class:`~policyc.ir.CombiningAlgorithm`, or
    the toolkit diff's ``RESTRICTIVENESS``."""

    def overrides(self, a: Any, b: Any) -> bool: ...


@dataclass
class Change:
    """One (old rule, new rule) pair whose decisions differ, with a witness
    and how many candidates showed it; ``combining`` (the new set's) says
    which of the two decisions is more restrictive. The other dialects'
    diffs (:func:`compare_calls`) report their changes as these too, with
    their own decisions (anything with ``action`` and ``to_json()``) and a
    ``combining`` that ranks those actions (``overrides(a, b)``)."""

    witness: dict[str, Any]
    old: Decision | Any
    new: Decision | Any
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


def compare_calls(calls: list[dict[str, Any]], old: Callable[[dict[str, Any]], Any],
                  new: Callable[[dict[str, Any]], Any], ranking: Ranking, *,
                  outcome: Callable[[Any], Any] = lambda decision: decision.action) -> Diff:
    """The diff of two deciders (``call -> decision`` with ``action`` and
    ``to_json()``) on ``calls``: each call whose ``outcome`` differs, grouped
    by the pair of decision JSONs (the first call of a group is its
    witness), ``ranking`` saying which is more restrictive. What the
    dialects' diffs share (:mod:`policyc.dialects.openclaw.diff`,
    :mod:`policyc.dialects.toolrampart.diff`)."""
    groups: dict[tuple[str, str], Change] = {}
    for call in calls:
        before, after = old(call), new(call)
        if outcome(before) == outcome(after):
            continue
        key = (json.dumps(before.to_json(), sort_keys=True), json.dumps(after.to_json(), sort_keys=True))
        if key in groups:  # the first witness stays
            groups[key].count += 1
        else:
            groups[key] = Change(call, before, after, combining=ranking)
    return Diff(_ordered(groups.values()), len(calls))


def _ordered(changes: Iterable[Change]) -> list[Change]:
    """Weaker changes first, then by witness."""
    return sorted(changes, key=lambda c: (not c.weaker, json.dumps(c.witness, sort_keys=True)))


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
        if reference_old.action != reference_new.action:
            groups[key] = Change(call, reference_old, reference_new, combining=new.combining)
    return Diff(_ordered(groups.values()), len(calls))


class WeakeningFound(AssertionError):
    """The merged set decided a call less restrictively than the global set
    alone; ``witness`` is the call."""

    def __init__(self, witness: dict, global_action: str, merged_action: str):
        super().__init__(f"merged policy set decides {merged_action} where the global set alone decides "
                         f"{global_action}: {witness}")
        self.witness = witness


def verify_no_weakening(global_set: PolicySet, merged: PolicySet, *,
                        extra_calls: Iterable[dict[str, Any]] = ()) -> int:
    """Spec §3.5 checked: compare ``merged`` (both tiers) with ``global_set``
    (the global tier alone) on their candidate calls and ``extra_calls``;
    return the number of calls compared. Raises :class:`WeakeningFound` on
    a call the merged set decides less restrictively (the evaluator would
    be wrong, not the policy)."""
    result = diff_sets(global_set, merged, extra_calls=extra_calls)
    for change in result.weaker:
        raise WeakeningFound(change.witness, str(change.old.action), str(change.new.action))
    return result.candidates
