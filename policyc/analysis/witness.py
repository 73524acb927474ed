"""Witness tool calls: build a concrete call for conditions, replay it.

:func:`witness_call` builds one call (a dict in ``policyc eval``'s JSON
shape ``{"tool", "params", "agent"?, "session"?, "agent_depth"?}``) meant to
satisfy several conditions (each on its side) inside several scopes at
once: per field it intersects the raw-value languages
(:func:`policyc.analysis.fields.language_of`) with a readable field syntax
(simple commands, clean paths, host names) and takes the shortest string.
For commands and paths that language only guides the search, so a witness is
a *candidate*: every finding replays it with the reference evaluator
(:func:`replay`, :func:`fires`, :func:`decided_in`) and is dropped when the
replay does not show the claimed behaviour.

The functions serve the policy set's dialect (``dialect``, or the set's
own :attr:`~policyc.ir.PolicySet.dialect`): ``rampart`` as above, and
``openclaw-toolkit`` (lowered by :mod:`policyc.dialects.openclaw.lower`),
whose calls are ``{"agent", "action", "context"}``: the scope's agent, an
action in every action language (:attr:`~policyc.ir.Field.ACTION`) and a
context holding, for each field compared, a number meeting every
comparison (:meth:`~policyc.analysis.implication.FieldCompares.number`).
Its rules fire and decide as that module's interpreter of the lowered IR
says, and its witnesses are replayed with the toolkit's reference
evaluator (:func:`policyc.dialects.openclaw.evaluate.decide`) on the
engine's own reading of the files (``PolicySet.origin``). Any other
dialect raises ``ValueError``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
from typing import TYPE_CHECKING, Any, Optional

from policyc.callfields import ToolCall
from policyc.dialects.openclaw import NAME as OPENCLAW
from policyc.evaluate import Decision, condition_holds, decide, evaluate, in_scope
from policyc.ir import Condition, Field, FieldPredicate, Pattern, Policy, PolicySet, Rule, Scope, Tier
from policyc.patterns import match_command_glob

from . import budget as _budget
from .automata import (
    ANYTHING, Language, Unsupported, concat, intersect, is_empty, regex_language, shortest_witness,
    union,
)
from .errors import BudgetExceeded
from .fields import language_of, matches, pattern_language, raw_accepts, samples, syntax
from .implication import compare_fields, request_view
from .tools import CARRIES, TOOL_FIELDS

if TYPE_CHECKING:  # pragma: no cover
    from policyc.dialects.openclaw.evaluate import Outcome

#: Which tool a witness uses for a policy without a tool list, by field.
_DEFAULT_TOOL = {Field.COMMAND: "exec", Field.ENV_ASSIGNMENT: "exec", Field.PATH: "read",
                 Field.URL: "fetch", Field.DOMAIN: "fetch"}
_PARAM_NAME = {Field.COMMAND: "command", Field.PATH: "path", Field.URL: "url"}
#: Budget steps per policy or rule a replayed decision evaluates.
REPLAY_STEPS = 2000
#: The same for an OpenClaw toolkit decision: measured at about 1.5 µs per
#: entry, against some 200 µs per Rampart rule (a step is about 0.1 µs).
ACTION_REPLAY_STEPS = 20


class AnyHistory:
    """A call history in which every ``call_count`` threshold is met (to ask
    whether a rule *could* fire, independent of rate limits)."""

    def count(self, tool: str, window_seconds: float, now: _dt.datetime) -> int:
        return 1_000_000


def _pick(language: Language, *preferred: str) -> Optional[str]:
    """The shortest string of ``language`` inside the first syntax (by name)
    that leaves it non-empty, else of ``language`` itself."""
    for name in preferred:
        narrowed = intersect(language, syntax(name))
        if not is_empty(narrowed):
            return shortest_witness(narrowed)
    return shortest_witness(language)


def _all(languages: list[Language]) -> Language:
    out = ANYTHING
    for lang in languages:
        out = intersect(out, lang)
    return out


def _field_languages(views, field: Field) -> list[Language]:
    preds = [(pred, granting) for view, granting in views for pred in view.predicates if pred.field is field]
    out = []
    for pred, granting in preds:
        lang = language_of(pred, granting).language
        if lang is not None:
            out.append(lang)
    return out


def _tool(scopes: list[Scope], fields: set[Field], *, strict: bool = False) -> Optional[str]:
    """A tool name in every scope; ``strict``: one whose calls carry every
    field of ``fields`` (unknown tools are assumed to)."""
    lists = [list(s.tools) for s in scopes if s.tools]
    needed = fields & TOOL_FIELDS
    if not lists:
        return next((_DEFAULT_TOOL[f] for f in (Field.COMMAND, Field.PATH, Field.URL, Field.DOMAIN,
                                                Field.ENV_ASSIGNMENT) if f in fields), "exec")
    for pattern in lists[0]:
        name = pattern.source
        if strict and name in CARRIES and not needed <= CARRIES[name]:
            continue
        if all(any(match_command_glob(p.source, name) for p in tools) for tools in lists):
            return name
    if strict:
        return None
    return _pick(_all([union(*(pattern_language(p) for p in tools)) for tools in lists]), "simple-command")


def _scoped(scopes: list[Scope], attribute: str) -> list[Language]:
    out = []
    for scope in scopes:
        pattern: Optional[Pattern] = getattr(scope, attribute)
        if pattern is not None:
            out.append(pattern_language(pattern))
    return out


def _depth(conditions: list[Condition]) -> Optional[int]:
    low, high = 0, None
    for cond in conditions:
        if cond.depth is None:
            continue
        if cond.depth.low is not None:
            low = max(low, cond.depth.low)
        if cond.depth.high is not None:
            high = cond.depth.high if high is None else min(high, cond.depth.high)
    return None if high is not None and low > high else low


def _params(conditions: list[Condition]) -> Optional[dict[str, str]]:
    wanted: dict[str, list[Language]] = {}
    for cond in conditions:
        if cond.any_param:
            first = cond.any_param[0]
            wanted.setdefault(first.param or "", []).append(language_of(first, False).language)
    out = {}
    for name, languages in wanted.items():
        value = _pick(_all(languages), "simple-command", "printable")
        if value is None:
            return None
        out[name] = value
    return out


def _url_and_domain(urls: list[Language], domains: list[Language]) -> Optional[dict[str, str]]:
    if domains:
        host = intersect(_all(domains), syntax("host"))
        if urls:
            url = _pick(intersect(_all(urls), concat(regex_language("https://"), host,
                                                     regex_language("(?:/[^]*)?"))), "printable")
            return None if url is None else {"url": url}
        domain = shortest_witness(host)
        return None if domain is None else {"domain": domain}
    if urls:
        url = _pick(_all(urls), "url", "printable")
        return None if url is None else {"url": url}
    return {}


def _toolkit(dialect: str) -> bool:
    """Whether ``dialect`` is the OpenClaw toolkit's (else Rampart's);
    ``ValueError`` for a dialect this module has no calls for."""
    if dialect not in ("rampart", OPENCLAW):
        raise ValueError(f"no witness calls for the {dialect!r} dialect")
    return dialect == OPENCLAW


def witness_call(requirements: list[tuple[Condition, bool]], scopes: list[Scope], *,
                 dialect: str = "rampart") -> Optional[dict[str, Any]]:
    """A call of ``dialect`` meant to satisfy every ``(condition,
    granting)`` of ``requirements`` inside every scope of ``scopes``, or
    None when the languages show none can (or a pattern is unanalysable).
    Not verified: replay it (module docstring). Raises
    :class:`~policyc.analysis.errors.BudgetExceeded` past the work budget."""
    if _toolkit(dialect):
        return _action_call(requirements, scopes, exhaustive=True)
    views = [(request_view(c), g) for c, g in requirements]
    if any(v.never for v, _ in views):
        return None
    try:
        params: dict[str, Any] = {}
        fields = {p.field for v, _ in views for p in v.predicates}
        commands = _field_languages(views, Field.COMMAND)
        names = _field_languages(views, Field.ENV_ASSIGNMENT)
        if names:
            name = _pick(_all(names + [regex_language("[A-Za-z_][A-Za-z0-9_]*")]))
            if name is None:
                return None
            commands.append(regex_language(re.escape(name) + "=1 [^]+"))
            if len(commands) == 1:
                commands.append(regex_language(re.escape(name) + "=1 true"))
        if commands:
            params["command"] = _pick(_all(commands), "simple-command", "printable")
        paths = _field_languages(views, Field.PATH)
        if paths:
            params["path"] = _pick(intersect(_all(paths), syntax("clean-path")), "printable")
        web = _url_and_domain(_field_languages(views, Field.URL), _field_languages(views, Field.DOMAIN))
        extra = _params([c for c, _ in requirements])
        if web is None or extra is None or any(v is None for v in params.values()):
            return None
        params.update(web)
        for key, value in extra.items():
            params.setdefault(key, value)
        call: dict[str, Any] = {"tool": _tool(scopes, fields), "params": params}
        sessions = _field_languages(views, Field.SESSION) + _scoped(scopes, "session")
        agents = _scoped(scopes, "agent")
        for key, languages in (("session", sessions), ("agent", agents)):
            if languages:
                value = _pick(_all(languages), "simple-command", "printable")
                if value is None:
                    return None
                if value:
                    call[key] = value
        depth = _depth([c for c, _ in requirements])
        if depth is None or call["tool"] is None:
            return None
        if depth:
            call["agent_depth"] = depth
        return call
    except BudgetExceeded:
        raise
    except Unsupported:
        return None


def _first(preds: list[FieldPredicate], extra: tuple[Pattern, ...] = ()) -> Optional[str]:
    """The first sample value of the patterns involved that every predicate
    (and every pattern of ``extra``) accepts."""
    pool = [p for pred in preds for p in pred.patterns] + list(extra)
    for value in dict.fromkeys(v for p in pool for v in samples(p)):
        if all(raw_accepts(pred, value) for pred in preds) and all(matches(p, value) for p in extra):
            return value
    return None


def sample_call(requirements: list[tuple[Condition, bool]], scopes: list[Scope], *,
                dialect: str = "rampart") -> Optional[dict[str, Any]]:
    """Like :func:`witness_call` but drawing every value from sample values
    of the patterns involved, read with the direct matchers (no automata):
    fast, and may find nothing where a call exists. The tool is one that
    carries the fields used (:mod:`policyc.analysis.tools`). Not verified."""
    if _toolkit(dialect):
        return _action_call(requirements, scopes, exhaustive=False)
    views = [request_view(c) for c, _ in requirements]
    if any(v.never for v in views):
        return None
    preds = [p for v in views for p in v.predicates]
    if any(p.field is Field.ENV_ASSIGNMENT for p in preds):
        return None
    params: dict[str, Any] = {}
    fields = set()
    for field, key in ((Field.COMMAND, "command"), (Field.PATH, "path"), (Field.URL, "url"), (Field.DOMAIN, "domain")):
        mine = [p for p in preds if p.field is field]
        if not mine:
            continue
        if field is Field.DOMAIN and "url" in params:
            fields.add(field)
            continue
        value = _first(mine)
        if value is None:
            return None
        params[key] = value
        fields.add(field)
    for cond, _ in requirements:
        if cond.any_param:
            pred = cond.any_param[0]
            value = _first([pred])
            if value is None:
                return None
            params.setdefault(pred.param or "", value.lower())
    call: dict[str, Any] = {"tool": _tool(scopes, fields, strict=True), "params": params}
    sessions = [p for p in preds if p.field is Field.SESSION]
    scoped = tuple(s.session for s in scopes if s.session is not None)
    if sessions or scoped:
        call["session"] = _first(sessions, scoped)
    agents = tuple(s.agent for s in scopes if s.agent is not None)
    if agents:
        call["agent"] = _first([], agents)
    depth = _depth([c for c, _ in requirements])
    if depth is None or any(call.get(k, "") is None for k in ("tool", "session", "agent")):
        return None
    if depth:
        call["agent_depth"] = depth
    return call


#: The action of a toolkit witness whose rules constrain no action.
ANY_ACTION = "read:anything"


def _action_call(requirements: list[tuple[Condition, bool]], scopes: list[Scope], *,
                 exhaustive: bool) -> Optional[dict[str, Any]]:
    """A toolkit call (``{"agent"?, "action", "context"}``) for
    :func:`witness_call` (``exhaustive``: the action from the languages)
    and :func:`sample_call` (from sample values)."""
    views = [(request_view(c), g) for c, g in requirements]
    if any(v.never for v, _ in views):
        return None
    try:
        if exhaustive:
            actions = _field_languages(views, Field.ACTION)
            action = _pick(_all(actions), "printable") if actions else ANY_ACTION
            agents = _scoped(scopes, "agent")
            agent = _pick(_all(agents), "printable") if agents else None
        else:
            preds = [p for v, _ in views for p in v.predicates if p.field is Field.ACTION]
            action = _first(preds) if preds else ANY_ACTION
            scoped = tuple(s.agent for s in scopes if s.agent is not None)
            agent = _first([], scoped) if scoped else None
    except BudgetExceeded:
        raise
    except Unsupported:
        return None
    if action is None or (agent is None and any(s.agent is not None for s in scopes)):
        return None  # no action, or no agent id in every scope
    context = {}
    for name, wanted in compare_fields(c for cond, _ in requirements for c in cond.compares).items():
        value = wanted.number()
        if value is None:
            return None
        context[name] = value
    return {**({"agent": agent} if agent is not None else {}), "action": action, "context": context}


# ------------------------------------------------------------------ replay


def replay(policy_set: PolicySet, call: dict[str, Any]) -> Decision | Outcome:
    """The reference decision for ``call`` (what ``policyc eval --engine
    reference`` prints for it): a :class:`~policyc.decision.Decision`, for
    the toolkit an :class:`~policyc.dialects.openclaw.evaluate.Outcome`
    (``checkPermission`` on ``policy_set.origin``); both have ``to_json``.
    Charges ``REPLAY_STEPS`` (toolkit: ``ACTION_REPLAY_STEPS``) per policy
    and rule."""
    if _toolkit(policy_set.dialect):
        from policyc.dialects.openclaw.evaluate import decide as decide_toolkit

        _budget.charge(ACTION_REPLAY_STEPS * sum(1 + len(p.rules) for p in policy_set.policies))
        return decide_toolkit(policy_set.origin, call)
    _budget.charge(REPLAY_STEPS * sum(1 + len(p.rules) for p in policy_set.policies))
    return decide(policy_set, ToolCall.from_mapping(call))


def fires(policy: Policy, rule: Rule, call: dict[str, Any], *, dialect: str = "rampart") -> bool:
    """Whether ``rule``'s condition holds for ``call`` inside ``policy``'s
    scope, on the rule's side, with every call_count threshold met."""
    if _toolkit(dialect):
        from policyc.dialects.openclaw.lower import fires as fires_lowered

        return fires_lowered(policy, rule, call)
    parsed = ToolCall.from_mapping(call)
    return in_scope(policy, parsed) and condition_holds(
        rule.condition, parsed, granting=rule.effect.granting, history=AnyHistory())


def decided_in(policy_set: PolicySet, policy: Policy, call: dict[str, Any]) -> Optional[int]:
    """The index of the rule of ``policy`` that decides ``call`` when the
    policy is evaluated on its own (first-applicable), or None. Charges
    ``REPLAY_STEPS`` (toolkit: ``ACTION_REPLAY_STEPS``) per rule."""
    if _toolkit(policy_set.dialect):
        from policyc.dialects.openclaw.lower import decided_in as decided_in_lowered

        _budget.charge(ACTION_REPLAY_STEPS * (1 + len(policy.rules)))
        return decided_in_lowered(policy, call)
    _budget.charge(REPLAY_STEPS * (1 + len(policy.rules)))
    # as the global tier: a project policy alone would be raised to the default (engine.go Evaluate)
    alone = PolicySet((dataclasses.replace(policy, tier=Tier.GLOBAL),), policy_set.default)
    decision = evaluate(alone, ToolCall.from_mapping(call))
    return decision.rule.index if decision.rule is not None else None
