"""The reference evaluator: a call decided exactly as ``PolicyEngine.checkPermission``.

Written from the engine's semantics (``src/policy-engine.js`` of the
toolkit), with JavaScript's own value rules (:mod:`.jsvalue`):

1. no policy for the agent (``Map.get``, SameValueZero: the string ``"1"``
   is not the number ``1``): deny, ``No policy found for agent: <agent>``;
2. ``permissions.escalate``, when truthy, walked with ``for ... of``: a
   string entry escalates when it matches the action; an entry whose
   ``typeof`` is ``object`` (mapping, list, ``null``...) escalates when its
   ``action`` (if truthy) matches and its ``condition`` (if truthy) holds;
   without a truthy ``condition`` it never escalates; numbers and booleans
   are skipped. Reason: ``Action requires human escalation: <entry>`` (a
   mapping as ``JSON.stringify`` prints it);
3. ``permissions.deny``, then ``permissions.allow``, when truthy: the first
   entry that matches the action denies (``Action explicitly denied by
   policy rule: <entry>``) or allows (``Action allowed by policy rule:
   <entry>``);
4. otherwise deny, ``Action not explicitly allowed (default deny)``.

Where the engine throws, the outcome's decision is ``error`` and its reason
V8's message: a non-string entry reached in ``allow``/``deny``
(``pattern.endsWith is not a function``), a list that is a mapping or a
number (``rules is not iterable``), a ``null`` escalate entry, a
non-string ``condition``, a prefix or suffix pattern tried on an action
that is not a string, a context value or agent that is a mapping with a
``toString`` key (``Cannot convert object to primitive value``).

A call is read as the oracle's ``decide.js`` reads a JSON line: any JSON
value; ``call.agent``, ``call.action``, ``call.context || {}`` (a falsy
context is an empty mapping; a ``null`` call throws). Contexts that are not
mappings are decided as the engine would (a list's ``length`` and indices,
a string's characters, inherited methods), with Node 20's prototypes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from policyc.dialects.openclaw import conditions
from policyc.dialects.openclaw.jsprops import get_property, iterate, method_missing
from policyc.dialects.openclaw.jsvalue import (
    UNDEFINED, JSObject, JSThrow, ends_with, from_json, starts_with, strict_equals, stringify,
    to_string, truthy, typeof,
)
from policyc.dialects.openclaw.model import AgentPolicy, Call

if TYPE_CHECKING:  # pragma: no cover
    from policyc.dialects.openclaw.loader import LoadResult

__all__ = ["Outcome", "DECISIONS", "CALL_MODEL", "COMBINING", "RuleValues", "read_call",
           "decide_policy", "decide_call", "decide", "matches_pattern"]

DECISIONS = ("allow", "deny", "escalate", "error")

CALL_MODEL = "openclaw-action"
"""The calls decided (a bundle's ``call_model``): ``{"agent", "action", "context"?}``."""

COMBINING = {"name": "openclaw-toolkit", "order": ["allow", "deny", "escalate"],
             "policy_combining": "only-one-applicable", "rule_combining": "first-applicable"}
"""How ``checkPermission`` combines (a bundle's ``combining``): one policy per
agent (none: deny); in it, the first matching entry of ``escalate``, then
``deny``, then ``allow`` decides (``order``: each list overrides the ones
before it; none: deny). The one definition: :data:`policyc.ir.OPENCLAW_COMBINING`
is built from it (this module, which the bundle runtime imports, imports no IR)."""

RuleValues = tuple[Any, Any, Any]
"""The values of an agent's ``permissions.escalate``, ``deny`` and ``allow``
(:attr:`~.model.AgentPolicy.rule_values`): all the evaluator reads of a policy."""

DEFAULT_DENY = "Action not explicitly allowed (default deny)"


@dataclass(frozen=True)
class Outcome:
    """A decision (one of :data:`DECISIONS`) and the engine's ``reason``
    string; for ``error``, ``reason`` is the exception's message. ``rule``
    is the entry that decided (:data:`UNDEFINED` for the defaults)."""

    decision: str
    reason: str
    rule: Any = UNDEFINED

    def to_json(self) -> dict[str, str]:
        """The oracle's output line: ``{"decision", "reason"}`` or ``{"error"}``."""
        if self.decision == "error":
            return {"error": self.reason}
        return {"decision": self.decision, "reason": self.reason}


def read_call(value: Any) -> Call:
    """A parsed JSON line (or a :mod:`jsvalue` value) as ``decide.js``
    passes it to ``checkPermission``. Raises :class:`JSThrow` for ``null``
    and ``TypeError`` for a Python value that is not JSON."""
    if isinstance(value, Call):
        return value
    value = from_json(value)
    agent = get_property(value, "agent")
    action = get_property(value, "action")
    context = get_property(value, "context")
    return Call(agent, action, context)


def matches_pattern(action: Any, pattern: Any) -> bool:
    """``matchesPattern(action, pattern)`` for any two JavaScript values;
    raises :class:`JSThrow` where the engine throws."""
    if strict_equals(action, pattern):
        return True
    if pattern == "*" and isinstance(pattern, str):
        return True
    if not isinstance(pattern, str):
        raise method_missing("pattern", "endsWith", pattern)
    if pattern.endswith("*"):
        if not isinstance(action, str):
            raise method_missing("action", "startsWith", action)
        return starts_with(action, pattern[:-1])
    if pattern.startswith("*"):
        if not isinstance(action, str):
            raise method_missing("action", "endsWith", action)
        return ends_with(action, pattern[1:])
    return False


def _conditional(rule: Any, action: Any, context: Any) -> bool:
    """``matchesConditional(rule, action, context)``."""
    wanted = get_property(rule, "action")
    if truthy(wanted) and not matches_pattern(action, wanted):
        return False
    condition = get_property(rule, "condition")
    if truthy(condition):
        if not isinstance(condition, str):
            raise method_missing("condition", "match", condition)
        return conditions.holds(condition, context)
    return False


_NO_MATCH = object()


def _first_match(action: Any, rules: Any) -> Any:
    """``matchesRules``: the first entry of ``rules`` matching ``action``."""
    for rule in iterate(rules, "rules"):
        if matches_pattern(action, rule):
            return rule
    return _NO_MATCH


def _check(rules: RuleValues | None, call: Call) -> Outcome:
    action = call.action
    context = call.context if truthy(call.context) else JSObject()
    if rules is None:
        return Outcome("deny", f"No policy found for agent: {to_string(call.agent)}")
    escalate, deny, allow = rules
    if truthy(escalate):
        for rule in iterate(escalate, "escalationRules"):
            if isinstance(rule, str):
                if matches_pattern(action, rule):
                    return Outcome("escalate", f"Action requires human escalation: {rule}", rule)
            if typeof(rule) == "object" and _conditional(rule, action, context):
                return Outcome("escalate", f"Action requires human escalation: {stringify(rule)}", rule)
    if truthy(deny):
        rule = _first_match(action, deny)
        if rule is not _NO_MATCH:
            return Outcome("deny", f"Action explicitly denied by policy rule: {to_string(rule)}", rule)
    if truthy(allow):
        rule = _first_match(action, allow)
        if rule is not _NO_MATCH:
            return Outcome("allow", f"Action allowed by policy rule: {to_string(rule)}", rule)
    return Outcome("deny", DEFAULT_DENY)


def _guarded(run: Any) -> Outcome:
    try:
        return run()
    except JSThrow as exc:
        return Outcome("error", str(exc))
    except RecursionError:  # a call nested deeper than Python's stack: refuse it
        return Outcome("error", "Maximum call stack size exceeded")


def _rules(policy: AgentPolicy | None) -> RuleValues | None:
    return None if policy is None else policy.rule_values


def decide_policy(policy: AgentPolicy | None, call: Call) -> Outcome:
    """Decide ``call`` against one agent's ``policy`` (``None``: the agent
    has no policy). Never raises."""
    return _guarded(lambda: _check(_rules(policy), call))


def decide_call(rules_for: Callable[[Any], RuleValues | None], call: Any) -> Outcome:
    """Decide ``call`` (a :class:`Call`, or a JSON value as ``json.loads``
    gives it, normally ``{"agent", "action", "context"}``) with
    ``rules_for(agent)``: the :data:`RuleValues` of the policy the engine
    holds for the call's agent (a JavaScript value; ``Map.get`` compares
    with :func:`~.jsvalue.map_key`), ``None`` when it holds none. Never
    raises, as long as ``rules_for`` does not."""

    def run() -> Outcome:
        try:
            parsed = read_call(call)
        except TypeError as exc:
            return Outcome("error", f"not a JSON call: {exc}")
        return _check(rules_for(parsed.agent), parsed)

    return _guarded(run)


def decide(result: LoadResult, call: Any) -> Outcome:
    """Decide ``call`` (as :func:`decide_call` reads it) against the loaded
    policies. When the engine would not load them (``result.ok`` is
    false), the outcome is ``error`` naming why. Never raises."""
    if not result.ok:
        return Outcome("error", f"the policies do not load: {result.load_error}")
    return decide_call(lambda agent: _rules(result.policy_for(agent)), call)
