"""``policyc diff`` for ToolRampart: the calls two sets of tool modules decide differently.

:func:`diff_results(old, new) <diff_results>` -> :class:`policyc.diff.Diff`
(the Rampart and toolkit diffs' changes and summary, same JSON). Every
candidate call of :func:`candidate_calls` is decided with the tools and
configs of each set by the reference evaluator (:func:`.evaluate.decide`,
the gates of ToolRampart's ``ToolRampart.execute``), which starts a fresh
:class:`~.evaluate.Session` for each call, so calls are independent: only a
call's own ``history`` (that many identical calls replayed first, in its
session) fills a rate-limit bucket. The calls whose ``status`` differs are
changes, grouped by the pair of decision JSONs (:meth:`Decision.to_json`:
status, message, stage and reason); each group keeps its first call as
witness, a call of the evaluator's shape (``{"tool", "arguments",
"actor", "scopes", "approved", "history"?}``) to replay.

Candidates, for each tool name either set registers (names that are JSON
values; a tool whose name is not a literal is skipped), built from the
tools of that name in both sets:

* arguments: for each input model (signature) the name has, the required
  fields with a sample of their annotation (``"x"`` for ``str``, ``Any``
  and annotations policyc does not model, ``1`` for ``int`` and ``float``,
  ``true``, ``null``, ``[]``, ``{}``; ``X | None`` as ``X``); then, from
  that base, for every approval condition the name has in either set:
  ``over_F`` / ``at_or_over_F``: ``F`` below, equal to and above the
  threshold (and the integers either side of a fractional one), each as a
  number or else as its text, whichever the field's annotation accepts
  (neither: not tried); a threshold ``float()`` refuses: ``F`` set to it
  (the runtime skips the condition); ``F=value``: ``F`` equal to the
  value and different from it; and ``F`` missing;
* scopes: none; for every string scope the name requires in either set,
  exactly that scope and ``p.*`` for each of its dotted prefixes ``p``,
  itself included (``billing.*``, ``billing.refund.*``); then ``*`` and a
  scope that grants none of them;
* ``approved`` false and true, the actor ``"agent"``;
* ``history`` 0, and each rate limit's count (the call the limit refuses)
  up to :data:`MAX_HISTORY`, with each signature's base arguments and
  ``approved`` true only (every repetition is decided, so these are the
  costly candidates): repeated unapproved calls either stop at the
  approval gate, uncounted (deciding as with history 0), or decide as
  approved ones.

One call names a tool neither set registers (``not_found`` in both). Each
name has at most :data:`MAX_CALLS_PER_TOOL` candidates (history 0 first,
then by arguments, scopes, approval): the search is bounded and not
exhaustive, so no change found is not a proof of equivalence (a change
reachable only with other argument values, an unrelated scope, another
actor or optional arguments given can be missed).

``weaker`` (``--fail-on-weaker``) is a call the new set decides less
restrictively than the old, by :data:`RESTRICTIVENESS`: ``success`` (the
call passes every gate and the tool's body runs) ranks lowest,
``requires_approval`` (it runs once approved) next, and every other status
of :data:`.evaluate.STATUSES` alike highest: ``denied``, ``rate_limited``,
``validation_error``, ``rejected``, ``idempotency_conflict``, ``timeout``
(a timeout of zero or less ends every attempt before a result), ``error``,
``not_found``, ``refused`` and ``unknown`` (policyc cannot decide: ranked
as a refusal, so a call that becomes ``success`` from ``unknown`` is
weaker). ``stricter`` is the converse; a change between two statuses of
one rank (``denied`` -> ``rate_limited``) is a plain change.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from policyc.analysis.candidates import distinct
from policyc.diff import Diff, compare_calls
from policyc.dialects.toolrampart import NAME
from policyc.dialects.toolrampart.evaluate import STATUSES, Outcome, decide
from policyc.dialects.toolrampart.fields import Spec, validate
from policyc.dialects.toolrampart.loader import LoadResult
from policyc.dialects.toolrampart.model import UNKNOWN, ApprovalCondition, Tool

__all__ = ["RESTRICTIVENESS", "MAX_CALLS_PER_TOOL", "MAX_HISTORY", "ACTOR", "Decision", "candidate_calls",
           "diff_results"]

MAX_CALLS_PER_TOOL = 512
"""The most candidate calls built for one tool name (the rest are dropped)."""
MAX_HISTORY = 1000
"""The largest rate-limit count a candidate's ``history`` reaches (a
larger limit is not tried: each candidate replays its history)."""
ACTOR = "agent"
"""The actor of every candidate call."""

_SAMPLES = {"int": 1, "float": 1, "bool": True, "none": None}


class _Restrictiveness:
    """Ranks reference statuses for the diff (module docstring):
    ``success`` 0, ``requires_approval`` 1, every other status 2."""

    RANK = {**{status: 2 for status in STATUSES}, "success": 0, "requires_approval": 1}

    def overrides(self, a: str, b: str) -> bool:
        """Whether status ``a`` is strictly more restrictive than ``b``."""
        return self.RANK[a] > self.RANK[b]


RESTRICTIVENESS = _Restrictiveness()


@dataclass(frozen=True)
class Decision:
    """A reference :class:`~.evaluate.Outcome` as a diff reports it:
    ``action`` is its ``status`` (what :data:`RESTRICTIVENESS` ranks)."""

    outcome: Outcome

    @property
    def action(self) -> str:
        return self.outcome.status

    def to_json(self) -> dict[str, Any]:
        """``{"status", "message", "stage", "reason", "dialect"}``: the
        oracle's line (:meth:`.evaluate.Outcome.to_json`), the gate that
        decided and why, and ``"toolrampart"``."""
        return {**self.outcome.to_json(), "stage": self.outcome.stage, "reason": self.outcome.reason,
                "dialect": NAME}


def _is_json(value: Any) -> bool:
    """Whether ``value`` survives a JSON round trip unchanged (so a call can
    carry it): no tuples, sets, non-string keys, ``NaN`` or infinities."""
    try:
        back = json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError, RecursionError):
        return False
    return type(back) is type(value) and back == value


def _fresh(name: str, taken: list[Any]) -> str:
    """``name``, lengthened until it is none of ``taken``."""
    while name in taken:
        name += "_"
    return name


def _sample(spec: Spec) -> Any:
    """A value the input model accepts for ``spec`` (``"x"`` where not modelled)."""
    if spec[0] == "optional":
        return _sample(spec[1])
    if spec[0] == "list":
        return []
    if spec[0] == "dict":
        return {}
    return _SAMPLES.get(spec[0], "x")


def _typed(value: Any, spec: Spec | None) -> Any:
    """``value``, or its text when only that validates for ``spec``, or
    ``None`` when the field's annotation refuses both (a field that is not
    in the signature, or whose validation is not modelled: ``value``)."""
    if spec is None:
        return value
    for candidate in (value, str(value)):
        checked = validate(spec, candidate)
        if checked is None or checked[0]:
            return candidate
    return None


def _number(x: float) -> int | float:
    return int(x) if x.is_integer() and abs(x) < 2.0 ** 53 else x


def _step(t: float, direction: float) -> float:
    moved = t + direction
    return moved if moved != t else math.nextafter(t, direction * math.inf)


def _other(value: Any, spec: Spec | None) -> Any:
    """A value unequal to ``value``, of its type where it has one."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    return "x" if spec is None else _sample(spec)


def _condition_values(condition: ApprovalCondition, spec: Spec | None) -> list[Any]:
    """The values of the condition's field to try (module docstring),
    following ``ApprovalPolicy.required_reason`` as :func:`.evaluate.decide` does."""
    threshold = condition.threshold.literal
    if threshold is UNKNOWN:
        return []
    if condition.op == "equals":
        return [v for v in (threshold, _other(threshold, spec)) if _is_json(v)]
    try:
        t = float(threshold)
    except (TypeError, ValueError, OverflowError):
        t = None
    if t is None or not math.isfinite(t):
        return [threshold] if _is_json(threshold) else []
    numbers = [_step(t, -1), t, _step(t, 1)]
    if not t.is_integer():
        numbers += [math.floor(t), math.ceil(t)]
    typed = (_typed(_number(float(n)), spec) for n in numbers)
    return [v for v in typed if v is not None]


def _arguments(tools: list[Tool]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(bases, every argument set)`` for ``tools`` (module docstring):
    one base per signature, then the approval conditions' variants."""
    conditions = [c for t in tools if t.approval is not None for c in t.approval.conditions]
    bases: list[dict[str, Any]] = []
    out: list[dict[str, Any]] = []
    for tool in tools:
        specs = {name: spec for name, spec, _ in tool.inputs}
        base = {name: _sample(spec) for name, spec, default in tool.inputs if default is None}
        bases.append(base)
        out.append(base)
        for condition in conditions:
            for value in _condition_values(condition, specs.get(condition.field)):
                out.append({**base, condition.field: value})
            out.append({k: v for k, v in base.items() if k != condition.field})
    return distinct(bases), distinct(out)


def _scopes(tools: list[Tool]) -> list[list[str]]:
    required = distinct([t.scope for t in tools if isinstance(t.scope, str) and t.scope])
    out: list[list[str]] = [[]]
    for scope in required:
        parts = scope.split(".")
        out.append([scope])
        out.extend([".".join(parts[:n]) + ".*"] for n in range(1, len(parts) + 1))
    if required:
        out += [["*"], [_fresh("policyc.unrelated", required)]]
    return distinct(out)


def _tool_calls(name: Any, tools: list[Tool]) -> list[dict[str, Any]]:
    limits = sorted({t.rate_limit.limit for t in tools if t.rate_limit is not None
                     and t.rate_limit.limit <= MAX_HISTORY})
    (bases, arguments), scopes = _arguments(tools), _scopes(tools)
    calls: list[dict[str, Any]] = []
    for history in [0] + limits:
        for args in arguments if history == 0 else bases:
            for granted in scopes:
                for approved in (False, True) if history == 0 else (True,):
                    call = {"tool": name, "arguments": dict(args), "actor": ACTOR, "scopes": list(granted),
                            "approved": approved}
                    if history:
                        call["history"] = history
                    calls.append(call)
                    if len(calls) == MAX_CALLS_PER_TOOL:
                        return calls
    return calls


def candidate_calls(old: LoadResult, new: LoadResult) -> list[dict[str, Any]]:
    """The candidate calls (distinct by construction) for the tools of
    ``old`` and ``new`` (module docstring), in a stable order: names in
    ``old``'s then ``new``'s load order, then the call naming no tool."""
    names = distinct([t.name for result in (old, new) for t in result.tools if _is_json(t.name)])
    calls: list[dict[str, Any]] = []
    for name in names:
        calls.extend(_tool_calls(name, old.find(name) + new.find(name)))
    calls.append({"tool": _fresh("policyc_unregistered_tool", names), "arguments": {}, "actor": ACTOR,
                  "scopes": [], "approved": False})
    return calls


def diff_results(old: LoadResult, new: LoadResult) -> Diff:
    """Compare two loaded sets of tool modules and configs on
    :func:`candidate_calls`, each decided by the reference evaluator
    (module docstring); the changes' ``old`` and ``new`` are
    :class:`Decision`\\ s. Never raises on the sets' content."""
    return compare_calls(candidate_calls(old, new), lambda call: Decision(decide(old, call)),
                         lambda call: Decision(decide(new, call)), RESTRICTIVENESS)
