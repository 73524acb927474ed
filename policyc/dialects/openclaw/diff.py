"""``policyc diff`` for toolkit policies: the calls two policy directories decide differently.

:func:`diff_results(old, new) <diff_results>` -> :class:`policyc.diff.Diff`
(the Rampart diff's changes and summary, same JSON). Both sets are compiled
to bundles and decide every candidate call of :func:`candidate_calls`; the
calls whose decision (``allow``, ``deny``, ``escalate``, or ``error`` where
the engine throws) differs are grouped by the pair of decision JSONs (action
and the engine's reason, which names the deciding rule) and each group keeps
its first call as witness, to replay with ``policyc eval``.

Candidates, per agent a call can name (string, number or ``true`` agents
of either set; an agent neither set holds is denied alike by both):

* actions from every pattern of the agent's policies in both sets
  (``allow``, ``deny``, ``escalate`` entries and conditional entries'
  ``action``): an exact pattern's text; a prefix's text alone and extended
  (``read:`` and ``read:x``), a suffix's likewise (``x:data``); a pattern
  holding a star, as written (the engine's ``===`` test, and its literal
  stars); numbers and booleans of the lists; and three actions no pattern
  is built for: ``""``, ``policyc:unmatched-action`` and a call with no
  action (which a prefix or suffix pattern makes the engine throw on);
* contexts from every condition of those policies: none (the field
  missing), and the field below, equal to and above the threshold (a
  threshold that is not a number: the field set to its text).

``weaker`` (``--fail-on-weaker``) is a call the new set allows and the old
did not: ``deny``, ``escalate`` and an engine error all keep the action from
running unreviewed, so they rank alike above ``allow``
(:data:`RESTRICTIVENESS`); ``stricter`` the converse; any other difference
(``deny`` <-> ``escalate``, an error appearing) is a plain change. Not
exhaustive: no change found is not a proof of equivalence.
"""

from __future__ import annotations

import math
from typing import Any

from policyc.dialects.openclaw.codegen import compile_openclaw
from policyc.analysis.candidates import distinct
from policyc.diff import Diff, compare_calls
from policyc.dialects.openclaw import conditions, patterns
from policyc.dialects.openclaw.jsvalue import JSObject
from policyc.dialects.openclaw.loader import LoadResult
from policyc.dialects.openclaw.model import AgentPolicy
from policyc.runtime import load_bundle

__all__ = ["RESTRICTIVENESS", "candidate_calls", "diff_results"]

#: Actions no pattern is built for (``None``: the call has no ``action``).
UNMATCHED_ACTIONS = ("", "policyc:unmatched-action", None)


class _Restrictiveness:
    """Ranks toolkit decisions' ``action`` for the diff: ``allow`` (0)
    below ``deny`` and ``escalate`` (1, alike; an engine error's action is
    ``deny``)."""

    RANK = {"allow": 0, "deny": 1, "escalate": 1}

    def overrides(self, a: str, b: str) -> bool:
        """Whether action ``a`` is strictly more restrictive than ``b``."""
        return self.RANK[a] > self.RANK[b]


RESTRICTIVENESS = _Restrictiveness()


def _json_value(value: Any) -> Any:
    """A policy's agent or list entry as the JSON a call carries for it
    (integral numbers as integers), ``None`` when no JSON value equals it
    (objects, dates, ``NaN`` and infinities, ``null``, ``false``)."""
    if isinstance(value, str) or value is True:
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value) if value.is_integer() else value
    return None


def _actions(policy: AgentPolicy) -> list[Any]:
    out: list[Any] = []
    for rules in (policy.escalate, policy.deny, policy.allow):
        for entry in rules.entries:
            wanted = entry.action if isinstance(entry.value, JSObject) else entry.value
            if not isinstance(wanted, str):
                if _json_value(wanted) is not None:
                    out.append(_json_value(wanted))
                continue
            shape = patterns.shape(wanted)
            if shape.kind != "any":
                out.append(shape.text)
            if shape.kind == "prefix":
                out.append(shape.text + "x")
            elif shape.kind == "suffix":
                out.append("x" + shape.text)
            if "*" in wanted:
                out.append(wanted)
    return out


def _contexts(policy: AgentPolicy) -> list[dict[str, Any]]:
    out = []
    for entry in policy.escalate.entries:
        parsed = conditions.parse(entry.condition) if isinstance(entry.condition, str) else None
        if parsed is None:
            continue
        t = parsed.threshold
        if not parsed.numeric:
            values = [parsed.value_text]
        else:
            below = t - 1 if t - 1 != t else math.nextafter(t, -math.inf)
            above = t + 1 if t + 1 != t else math.nextafter(t, math.inf)
            values = [_json_value(v) for v in (below, t, above) if math.isfinite(v)]
        out.extend({parsed.field: v} for v in values)
    return out


def candidate_calls(old: LoadResult, new: LoadResult) -> list[dict[str, Any]]:
    """Distinct candidate calls ``{"agent", "action"?, "context"?}`` for the
    policies of ``old`` and ``new`` (module docstring), in a stable order:
    agents in ``old``'s then ``new``'s ``Map`` order, then actions, then
    contexts (none first)."""
    agents: dict[Any, Any] = {}  # map key -> the agent as a call's JSON
    for result in (old, new):
        for key, policy in result.policies.items():
            if _json_value(policy.agent) is not None:
                agents.setdefault(key, _json_value(policy.agent))
    calls = []
    for key, agent in agents.items():
        held = [p for p in (old.policies.get(key), new.policies.get(key)) if p is not None]
        actions = distinct([a for p in held for a in _actions(p)] + list(UNMATCHED_ACTIONS))
        contexts = [None] + distinct([c for p in held for c in _contexts(p)])
        for action in actions:
            for context in contexts:
                call: dict[str, Any] = {"agent": agent}
                if action is not None:
                    call["action"] = action
                if context is not None:
                    call["context"] = context
                calls.append(call)
    return calls


def diff_results(old: LoadResult, new: LoadResult) -> Diff:
    """Compare two loaded policy sets on :func:`candidate_calls`, decided
    by their compiled bundles (module docstring). Raises
    :class:`~policyc.codegen.bundle.CompileError` when the engine would not
    load one of them."""
    before_bundle = load_bundle(compile_openclaw(old, {}))
    after_bundle = load_bundle(compile_openclaw(new, {}))
    return compare_calls(candidate_calls(old, new), before_bundle.decide, after_bundle.decide, RESTRICTIVENESS,
                         outcome=lambda decision: decision.decision)
