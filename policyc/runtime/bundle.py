"""A loaded bundle and its decision procedure (``docs/bundle-format.md`` §4).

It decides exactly as the reference evaluator (``policyc/evaluate.py``):
same actions, messages, matched policies, deciding rule and project flag.
How it gets there fast:

* **Interning.** Equal conditions (same JSON, same granting side) get one
  id; policies whose tier, scope and rules are equal form one *group*
  evaluated once, whose members differ only in name and source position.
* **Scope plans.** Which groups are in scope depends only on the call's
  (tool, agent, session); the plan for each such triple is computed once.
* **Triggers.** Every condition that can hold on the request side names one
  positive predicate (its trigger): the condition cannot hold unless one of
  the trigger's pattern ids matches the field (for ``command_contains``, one
  of its needles occurs). Per call, one table scan per field and spelling
  (memoized per string, :mod:`policyc.runtime.matching`) yields the ids
  that match, an inverted index yields the conditions worth testing, and
  only those are tested. Conditions without a trigger (only parameters,
  depth or rate limits) are tested whenever in scope.
* **First-applicable** then runs only over groups that contain a holding
  condition, and deny-overrides over the groups that fired.

The cost of a decision therefore grows with the number of distinct
conditions a call can reach, not with the number of policies.

Failing closed: loading checks the type of every payload value the
decision procedure reads (:class:`BundleError` otherwise), and the public
methods turn any failure on a call (unreadable, nesting too deep, an
internal error) into a ``deny`` decision instead of an exception.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import re2

from policyc.canonicalize import clear_memos
from policyc.callfields import (
    PATH_TOOLS, RESPONSE_TOO_LONG, URL_TOOLS, Ambiguous, Fields, NumberOutOfRange, ToolCall, go_lower,
    over_response_limit, overlong_field, overlong_message, param_text,
)
from policyc.decision import NO_POLICY, NO_RULE, UNWEAKENED
from policyc.gosort import slice_order

from .matching import EMPTY, MAX_ENTRIES, Memo, Table, call_key
from .model import (
    CALL_MODEL, COMBINING, DIALECT, RANK, BundleError, CallHistory, Decision, RuleRef,
    refuse_other_kinds,
)

TABLES = ("agent", "command", "command_substring", "domain", "env_assignment", "param", "path",
          "response", "session", "tool", "url")
#: The tools the spec names (§2), planned at load with the policy's literal tool names.
SPEC_TOOLS = frozenset({"exec", *PATH_TOOLS, *URL_TOOLS})
#: At most this many plans are made at load.
MAX_LOADED_PLANS = 256
_PRED_TABLES = {"command": "command", "env_assignment": "env_assignment", "path": "path",
                "url": "url", "domain": "domain", "session": "session"}


@dataclass(frozen=True)
class _Pred:
    field: str
    patterns: frozenset[int]
    exclusions: frozenset[int]
    contains: tuple[str, ...] = ()
    needles: frozenset[int] = EMPTY  # ids of `contains` in the command_substring table
    composite: frozenset[int] = EMPTY


@dataclass(frozen=True)
class _Cond:
    """One interned condition; ``granting`` is the side it is read on."""

    always: bool
    granting: bool
    predicates: tuple[_Pred, ...]
    any_param: tuple[tuple[str, frozenset[int]], ...]
    depth: tuple[int | None, int | None] | None
    call_count: tuple[int, float, str | None] | None
    response: tuple[frozenset[int], frozenset[int]] | None

    def can_hold(self) -> bool:
        """False when no request-side call satisfies it (only exclusions,
        only response patterns)."""
        return self.always or bool(self.any_param) or self.depth is not None or \
            self.call_count is not None or any(p.patterns or p.contains for p in self.predicates)

    def trigger(self) -> tuple[tuple[str, frozenset[int]], ...]:
        """``((table, ids), ...)``: the condition holds only if one of these
        ids matches the call (``command_substring``: a needle occurs);
        empty when no predicate can serve."""
        for p in self.predicates:
            if p.patterns or p.contains:
                pairs = ((p.field, p.patterns),) if p.patterns else ()
                return pairs + ((("command_substring", p.needles),) if p.contains else ())
        return ()


@dataclass(frozen=True)
class _Rule:
    cond: int  # interned condition id
    effect: str
    message: str
    expires: _dt.datetime | None


@dataclass
class _Group:
    """Policies equal but for name and position: ``refs[m][r]`` is member
    ``m``'s reference to rule ``r``; ``listed[m]`` its index in the engine's
    config list (:attr:`Bundle._listed`)."""

    project: bool
    tools: frozenset[int]
    agent: int | None
    session: int | None
    rules: tuple[_Rule, ...]
    names: list[str]
    refs: list[tuple[RuleRef, ...]]
    listed: list[int]


@dataclass(frozen=True)
class _Plan:
    """What one (tool, agent, session) triple puts in scope."""

    groups: frozenset[int]
    always: frozenset[int]
    untriggered: frozenset[int]
    tables: tuple[str, ...]
    response: bool


def _merge(shares: list[_Plan]) -> _Plan:
    """The plan of several groups in scope together, from each one's share."""
    if len(shares) == 1:
        return shares[0]
    return _Plan(frozenset().union(*(s.groups for s in shares)), frozenset().union(*(s.always for s in shares)),
                 frozenset().union(*(s.untriggered for s in shares)),
                 tuple(sorted(set().union(*(s.tables for s in shares)))), any(s.response for s in shares))


def _moment(now: _dt.datetime | None) -> _dt.datetime:
    """``now`` as an aware datetime: the current time when None, a naive one
    read as UTC. Raises ``TypeError`` for anything but a datetime."""
    if now is None:
        return _dt.datetime.now(_dt.timezone.utc)
    if not isinstance(now, _dt.datetime):
        raise TypeError(f"`now` must be a datetime.datetime, not {type(now).__name__}")
    return now if now.utcoffset() is not None else now.replace(tzinfo=_dt.timezone.utc)


def _parse_time(text: str) -> _dt.datetime:
    when = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return when


def _effect(value: Any) -> str:
    if not isinstance(value, str) or value not in RANK:
        raise BundleError(f"bundle payload has an unknown effect {value!r}")
    return value


_NULL = type(None)


def _typed(value: Any, kinds: type | tuple[type, ...], what: str) -> Any:
    """``value`` when it is one of ``kinds`` (a bool is never an int here),
    else :class:`BundleError` naming ``what``."""
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join("null" if k is _NULL else k.__name__ for k in kinds)
        raise BundleError(f"bundle payload: {what} must be {names}, not {type(value).__name__}")
    return value


def _brief(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - a message must not fail the decision
        text = ""
    return text if len(text) <= 200 else text[:200] + "..."


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse_call(data: Mapping[str, Any] | ToolCall) -> ToolCall:
    """The call's JSON shape (:meth:`ToolCall.from_mapping`); raises
    ``ValueError`` (:meth:`Bundle._safely` turns it into a deny)."""
    return data if isinstance(data, ToolCall) else ToolCall.from_mapping(data)


class Bundle:
    """A loaded, verified bundle. Build with :func:`policyc.runtime.load_bundle`.

    ``digest`` is the manifest digest, ``manifest`` the manifest dict,
    ``dialect`` ``"rampart"``. Thread-safe for concurrent :meth:`decide`
    calls (the memo caches only ever hold complete entries).
    """

    dialect: ClassVar[str] = DIALECT

    def __init__(self, document: Mapping[str, Any]):
        self.manifest: dict[str, Any] = dict(document["manifest"])
        self.digest: str = self.manifest["digest"]
        try:
            self._build(document["payload"])
        except BundleError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
            raise BundleError(f"bundle payload is malformed: {type(exc).__name__}: {exc}") from None

    # ------------------------------------------------------------ load time

    def _build(self, payload: Mapping[str, Any]) -> None:
        refuse_other_kinds(payload, DIALECT, CALL_MODEL, COMBINING)
        self.default: str = _effect(payload["default"])
        tables = payload["patterns"]
        missing = [t for t in TABLES if t not in tables]
        if missing:
            raise BundleError(f"bundle payload lacks pattern tables: {', '.join(missing)}")
        for table in TABLES:
            for pid, entry in enumerate(_typed(tables[table], list, f"pattern table {table!r}")):
                what = f"{table} pattern {pid}"
                _typed(entry, dict, what)
                _typed(entry["source"], str, f"{what} source")
                for key in ("expr", "folded", "head_folded", "joined"):
                    _typed(entry.get(key), (str, _NULL), f"{what} {key}")
                if table != "command_substring" and entry.get("fallback"):  # substring expr: unused
                    raise BundleError(
                        f"pattern {entry['source']!r} ({table} table, id {pid}) needs the reference "
                        "matcher, which this runtime does not have; refusing the bundle")
        self._substrings = [e["source"] for e in tables["command_substring"]]
        self._composite = frozenset(i for i, e in enumerate(tables["command"]) if e.get("composite"))
        self._size = {t: len(tables[t]) for t in TABLES}
        compiled = {t: Table(t, [e["expr"] for e in tables[t]], anchored=t != "response") for t in TABLES}
        compiled["command_folded"] = Table("command", [e.get("folded") for e in tables["command"]], True)
        compiled["command_head_folded"] = Table("command", [e.get("head_folded") for e in tables["command"]], True)
        compiled["path_joined"] = Table("path", [e.get("joined") for e in tables["path"]], True)
        absolute_paths = frozenset(i for i, e in enumerate(tables["path"]) if e.get("absolute"))
        verbatim = [re2.escape(n) if _encodable(n) else None for n in self._substrings]
        compiled["command_needle"] = Table("command_substring", verbatim, False)
        self._unscanned = frozenset(i for i, e in enumerate(tables["command_substring"])
                                    if e["expr"] is None or verbatim[i] is None)
        self._memo = Memo(compiled, self._unscanned, absolute_paths)
        self._conds: list[_Cond] = []
        self._cond_ids: dict[tuple[str, bool], int] = {}
        self._groups: list[_Group] = []
        group_ids: dict[tuple, int] = {}
        policies = _typed(payload["policies"], list, "policies")
        for p in policies:
            _typed(p, dict, "a policy")
            name = _typed(p["name"], str, "a policy name")
            _typed(p["priority"], int, f"policy {name!r} priority")
            _typed(p["enabled"], bool, f"policy {name!r} enabled")
            _typed(p["scope"], dict, f"policy {name!r} scope")
            _typed(p["rules"], list, f"policy {name!r} rules")
            if p["tier"] not in ("global", "project"):
                raise BundleError(f"policy {name!r}: unknown tier {p['tier']!r}")
        self._param_names = sorted({str(q["param"]) for p in policies for r in p["rules"]
                                    for q in r["condition"]["any_param"]})
        # The engine's config list: the global tier, then the project tier
        # (each in source order); disabled policies are never in scope.
        listed = [p for tier in ("global", "project") for p in policies if p["tier"] == tier and p["enabled"]]
        #: ``(priority, name)`` per listed policy, for :meth:`_order`.
        self._listed: list[tuple[int, str]] = [(int(p["priority"]), p["name"]) for p in listed]
        for pos, p in enumerate(listed):
            rules, refs = self._rules(p)
            scope = p["scope"]
            group = _Group(p["tier"] == "project", self._ids("tool", scope["tools"]),
                           self._one("agent", scope["agent"]), self._one("session", scope["session"]),
                           rules, [], [], [])
            group_key = (group.project, group.tools, group.agent, group.session, group.rules)
            gid = group_ids.setdefault(group_key, len(self._groups))
            if gid == len(self._groups):
                self._groups.append(group)
            member = self._groups[gid]
            member.names.append(p["name"])
            member.refs.append(refs)
            member.listed.append(pos)
        self._live = [not c.always and c.can_hold() for c in self._conds]
        self._trigger = [c.trigger() for c in self._conds]
        self._index()
        # The plans of calls without agent or session to the tools the
        # policy names literally and the spec's tools: load-time facts that
        # reset_caches keeps (a host's calls mostly go to those tools).
        self._plans: dict[tuple[str, str, str], _Plan] = {}
        named = {e["source"] for e in tables["tool"] if not any(c in e["source"] for c in "*?[\\")}
        for name in sorted(named | SPEC_TOOLS)[:MAX_LOADED_PLANS]:
            self._plan(ToolCall(tool=name))
        self._loaded_plans = dict(self._plans)
        self._orders: dict[frozenset[int], tuple[dict[int, int], list[str]]] = {}
        self._decisions: dict[tuple, Decision] = {}
        # Decisions change with `now` only at rule expiry instants: between
        # two of them, the set of live rules is fixed.
        self._expiries = sorted({r.expires for g in self._groups for r in g.rules if r.expires is not None})

    def _ids(self, table: str, ids: Any) -> frozenset[int]:
        out = frozenset(_typed(ids, list, f"a list of {table} pattern ids"))
        if any(not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < self._size[table] for i in out):
            raise BundleError(f"bundle payload references an unknown {table} pattern id in {sorted(out)}")
        return out

    def _one(self, table: str, pid: Any) -> int | None:
        if pid is None:
            return None
        (only,) = self._ids(table, [pid])
        return only

    def _rules(self, p: Mapping[str, Any]) -> tuple[tuple[_Rule, ...], tuple[RuleRef, ...]]:
        rules, refs = [], []
        for r in p["rules"]:
            what = f"policy {p['name']!r} rule"
            span = _typed(_typed(r, dict, what)["span"], (dict, _NULL), f"{what} span") or {}
            refs.append(RuleRef(p["name"], _typed(r["index"], int, f"{what} index"), p["tier"],
                                _typed(span.get("path"), (str, _NULL), f"{what} span path"),
                                _typed(span.get("line"), (int, _NULL), f"{what} span line"),
                                _typed(span.get("column"), (int, _NULL), f"{what} span column")))
            expires_at = _typed(r["expires_at"], (str, _NULL), f"{what} expires_at")
            expires = _parse_time(expires_at) if expires_at else None
            granting = _typed(r["granting"], bool, f"{what} granting")
            rules.append(_Rule(self._intern(_typed(r["condition"], dict, f"{what} condition"), granting),
                               _effect(r["effect"]), _typed(r["message"], str, f"{what} message"), expires))
        return tuple(rules), tuple(refs)

    def _intern(self, c: Mapping[str, Any], granting: bool) -> int:
        key = (json.dumps(c, sort_keys=True), granting)
        cid = self._cond_ids.get(key)
        if cid is None:
            cid = self._cond_ids[key] = len(self._conds)
            self._conds.append(self._cond(c, granting))
        return cid

    def _cond(self, c: Mapping[str, Any], granting: bool) -> _Cond:
        preds = []
        for p in _typed(c["predicates"], list, "condition predicates"):
            table = _PRED_TABLES.get(_typed(_typed(p, dict, "a predicate")["field"], str, "a predicate field"))
            if table is None:
                raise BundleError(f"bundle payload has an unknown predicate field {p['field']!r}")
            patterns = self._ids(table, p["patterns"])
            exclusions = self._ids(table, p["exclusions"])
            if table == "command":
                contains = self._ids("command_substring", p["contains"])
                preds.append(_Pred(table, patterns, exclusions, tuple(self._substrings[i] for i in sorted(contains)),
                                   contains, patterns & self._composite))
            else:
                preds.append(_Pred(table, patterns, exclusions))
        any_param = tuple((_typed(_typed(q, dict, "an any_param entry")["param"], str, "any_param param"),
                           self._ids("param", q["patterns"])) for q in _typed(c["any_param"], list, "any_param"))
        bounds = _typed(c["depth"], (dict, _NULL), "depth")
        depth = None if bounds is None else (_typed(bounds["low"], (int, _NULL), "depth low"),
                                             _typed(bounds["high"], (int, _NULL), "depth high"))
        cc = _typed(c["call_count"], (dict, _NULL), "call_count")
        call_count = None if cc is None else (_typed(cc["gte"], int, "call_count gte"),
                                              _typed(cc["window_ns"], int, "call_count window_ns") / 1e9,
                                              _typed(cc["tool"], (str, _NULL), "call_count tool"))
        resp = _typed(c["response"], (dict, _NULL), "response")
        response = None if resp is None else (self._ids("response", resp["patterns"]),
                                              self._ids("response", resp["exclusions"]))
        return _Cond(_typed(c["always"], bool, "condition always"), granting, tuple(preds), any_param, depth,
                     call_count, response)

    def _index(self) -> None:
        """Inverted indexes: trigger id -> conditions, condition -> groups,
        tool pattern id -> groups; each group's share of a scope plan."""
        self._triggers: dict[str, dict[int, list[int]]] = {}
        self._response_triggers: dict[int, list[int]] = {}
        self._cond_groups: list[list[int]] = [[] for _ in self._conds]
        for gid, group in enumerate(self._groups):
            for rule in group.rules:
                if gid not in self._cond_groups[rule.cond]:
                    self._cond_groups[rule.cond].append(gid)
        for cid, cond in enumerate(self._conds):
            for table, ids in (() if cond.always else self._trigger[cid]):
                for pid in ids:
                    self._triggers.setdefault(table, {}).setdefault(pid, []).append(cid)
            if cond.response is not None:
                for pid in cond.response[0]:
                    self._response_triggers.setdefault(pid, []).append(cid)
        self._scopes = [self._scope(gid, group) for gid, group in enumerate(self._groups)]
        self._untooled = [gid for gid, group in enumerate(self._groups) if not group.tools]
        self._by_tool: dict[int, list[int]] = {}
        for gid, group in enumerate(self._groups):
            for tid in group.tools:
                self._by_tool.setdefault(tid, []).append(gid)
        self._agent_or_session = any(g.agent is not None or g.session is not None for g in self._groups)
        # Without agent or session scopes, a plan is the untooled groups' share
        # merged with one share per tool pattern the call's tool matches
        # (``_tool_scopes[tid]``: that merge for a tool matching ``tid`` alone).
        self._untooled_scope = _merge([self._scopes[gid] for gid in self._untooled])
        self._tool_scopes = {tid: _merge([self._untooled_scope, *(self._scopes[gid] for gid in gids)])
                             for tid, gids in self._by_tool.items()}

    def _scope(self, gid: int, group: _Group) -> _Plan:
        """What ``group`` alone contributes to a plan that has it in scope."""
        conds = {r.cond for r in group.rules}
        live = [c for c in conds if self._live[c]]
        return _Plan(frozenset((gid,)), frozenset(c for c in conds if self._conds[c].always),
                     frozenset(c for c in live if not self._trigger[c]),
                     tuple(sorted({table for c in live for table, _ in self._trigger[c]})),
                     any((resp := self._conds[c].response) is not None and bool(resp[0]) for c in conds))

    # --------------------------------------------------------------- scope

    def _plan(self, call: ToolCall) -> _Plan:
        key = (call.tool, call.agent, call.session)
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        memo = self._memo
        tids = memo.glob("tool", call.tool)
        if self._agent_or_session:
            groups = set(self._untooled)
            for tid in tids:
                groups.update(self._by_tool.get(tid, ()))
            agents, sessions = memo.glob("agent", call.agent), memo.glob("session", call.session)
            plan = _merge([self._scopes[gid] for gid in groups
                           if (self._groups[gid].agent is None or self._groups[gid].agent in agents)
                           and (self._groups[gid].session is None or self._groups[gid].session in sessions)])
        elif len(tids) == 1 and next(iter(tids)) in self._tool_scopes:
            plan = self._tool_scopes[next(iter(tids))]
        else:
            plan = _merge([self._untooled_scope, *(self._tool_scopes[t] for t in tids if t in self._tool_scopes)])
        if len(self._plans) >= 4096:
            self._plans.clear()
        self._plans[key] = plan
        return plan

    # ------------------------------------------------------ request side

    def _field_ids(self, table: str, call: ToolCall, fields: Fields) -> frozenset[int]:
        """Ids of ``table`` patterns matching the call's field (any spelling)."""
        memo = self._memo
        if table == "command":
            return memo.command(fields.command).union if fields.command is not None else EMPTY
        if table == "command_substring":
            return memo.command(fields.command).needles if fields.command is not None else EMPTY
        if table == "path":
            return memo.path(fields.path, fields.workdir)[1] if fields.path is not None else EMPTY
        if table == "domain":
            return memo.domain(fields.domain) if fields.domain is not None else EMPTY
        if table == "url":
            return memo.glob("url", fields.url) if fields.url is not None else EMPTY
        if table == "session":
            return memo.glob("session", call.session) if call.session else EMPTY
        if fields.command is None:  # env_assignment
            return EMPTY
        names = memo.command(fields.command).analysis.env_names
        return frozenset().union(*(memo.glob("env_assignment", n) for n in names))

    def _command_holds(self, pred: _Pred, command: str, granting: bool) -> bool:
        facts = self._memo.command(command)
        globs, excl, comp = pred.patterns, pred.exclusions, pred.composite
        if not pred.contains and globs.isdisjoint(facts.union):
            return False
        glob = self._memo.glob
        return facts.analysis.matches(
            granting=granting,
            matches=(lambda s: not globs.isdisjoint(glob("command", s))) if globs else None,
            contains=pred.contains,
            excludes=(lambda s: not excl.isdisjoint(glob("command", s))) if excl else None,
            composite_matches=(lambda s: not comp.isdisjoint(glob("command", s))) if comp else None,
            folded=(lambda s: not globs.isdisjoint(glob("command_folded", s))) if globs else None,
            head_folded=(lambda s: not globs.isdisjoint(glob("command_head_folded", s))) if globs else None,
            composite_head_folded=(lambda s: not comp.isdisjoint(glob("command_head_folded", s)))
            if comp else None,
        )

    def _path_holds(self, pred: _Pred, path: str, workdir: str | None, granting: bool) -> bool:
        hits, union = self._memo.path(path, workdir)
        if pred.patterns.isdisjoint(union):
            return False
        if granting and any(pred.patterns.isdisjoint(h) for h in hits):
            return False  # a granting rule covers every spelling
        if not pred.exclusions:
            return True
        excluded = [not pred.exclusions.isdisjoint(h) for h in hits]
        return not any(excluded) if granting else not all(excluded)

    def _predicate_holds(self, pred: _Pred, call: ToolCall, fields: Fields, granting: bool) -> bool:
        if pred.field == "command":
            return fields.command is not None and self._command_holds(pred, fields.command, granting)
        if pred.field == "path":
            return fields.path is not None and self._path_holds(pred, fields.path, fields.workdir, granting)
        if pred.field == "env_assignment":
            return not pred.patterns.isdisjoint(self._field_ids("env_assignment", call, fields))
        if pred.field == "domain":
            if fields.domain is None:
                return False
        elif (fields.url if pred.field == "url" else (call.session or None)) is None:
            return False
        hits = self._field_ids(pred.field, call, fields)
        return not pred.patterns.isdisjoint(hits) and pred.exclusions.isdisjoint(hits)

    def _holds(self, cond: _Cond, call: ToolCall, fields: Fields, history: CallHistory | None,
               now: _dt.datetime) -> bool:
        """Request-side truth of a condition (``evaluate.condition_holds``)."""
        if cond.always:
            return True
        positive = False
        for pred in cond.predicates:
            if not pred.patterns and not pred.contains:
                if pred.field == "session" and \
                        not pred.exclusions.isdisjoint(self._memo.glob("session", call.session)):
                    return False
                continue
            if not self._predicate_holds(pred, call, fields, cond.granting):
                return False
            positive = True
        if cond.any_param:
            if not any(self._param_holds(name, ids, call) for name, ids in cond.any_param):
                return False
            positive = True
        if cond.depth is not None:
            low, high = cond.depth
            if (low is not None and call.agent_depth < low) or (high is not None and call.agent_depth > high):
                return False
            positive = True
        if cond.call_count is not None:
            gte, window, tool = cond.call_count
            if history is None or history.count(tool if tool is not None else call.tool, window, now) < gte:
                return False
            positive = True
        return positive

    def _param_holds(self, name: str, ids: frozenset[int], call: ToolCall) -> bool:
        value = param_text(call, name)
        return value is not None and not ids.isdisjoint(self._memo.glob("param", go_lower(value)))

    # ---------------------------------------------------------- combining

    def _order(self, plan: _Plan) -> tuple[dict[int, int], list[str]]:
        """The engine's evaluation order of the policies ``plan`` puts in
        scope (``sort.Slice`` by priority over the config list, engine.go
        ``collectMatching``; :func:`policyc.gosort.slice_order`): the rank
        of each listed index, and the names in that order. Kept per set of
        groups (a load-time fact of the scope, not of any call)."""
        known = self._orders.get(plan.groups)
        if known is None:
            scoped = sorted(pos for gid in plan.groups for pos in self._groups[gid].listed)
            ranked = [scoped[i] for i in slice_order([self._listed[pos][0] for pos in scoped])]
            known = ({pos: k for k, pos in enumerate(ranked)}, [self._listed[pos][1] for pos in ranked])
            if len(self._orders) >= 4096:
                self._orders.clear()
            self._orders[plan.groups] = known
        return known

    def _fire(self, holding: set[int] | frozenset[int], plan: _Plan, now: _dt.datetime | None,
              rank: dict[int, int]) -> list[tuple[int, _Group, int, int]]:
        """First-applicable per in-scope group (rules expired at ``now``
        skipped; ``now`` None: expiry unchecked, as on the response side),
        one entry per member policy: ``(rank in the engine's order, group,
        member, rule index)``, in that order; ``rank``: ``_order(plan)[0]``."""
        candidates = {gid for cid in holding for gid in self._cond_groups[cid] if gid in plan.groups}
        fired: list[tuple[int, _Group, int, int]] = []
        for gid in candidates:
            group = self._groups[gid]
            for r, rule in enumerate(group.rules):
                if rule.cond in holding and (now is None or rule.expires is None or rule.expires > now):
                    fired.extend((rank[pos], group, m, r) for m, pos in enumerate(group.listed))
                    break
        fired.sort(key=lambda f: f[0])
        return fired

    @staticmethod
    def _reported(fired: tuple[int, _Group, int, int], action: str, matched: list[str] | tuple[str, ...]
                  ) -> Decision:
        _, group, m, r = fired
        return Decision(action, group.rules[r].message, tuple(matched), group.refs[m][r], group.project)

    def _combine(self, fired: list[tuple[int, _Group, int, int]], plan: _Plan, names: list[str]) -> Decision:
        """As ``policyc.evaluate._combine`` (engine.go ``Evaluate``): the first
        deny returns with the policies fired so far and every later one in
        scope; otherwise strictly more restrictive results replace, the first
        allow with a message gives the message; then the project-tier rule
        and the default. ``names``: ``_order(plan)[1]``."""
        default = self.default
        if not plan.groups:
            return Decision(default, NO_POLICY)
        best = None
        matched: list[str] = []
        any_global = False
        for f in fired:
            _, group, m, r = f
            effect = group.rules[r].effect
            any_global = any_global or not group.project
            matched.append(group.names[m])
            if effect == "deny":
                return self._reported(f, "deny", matched + names[f[0] + 1:])
            if best is None:
                best = f
                continue
            best_rule = best[1].rules[best[3]]
            if RANK[effect] > RANK[best_rule.effect] or (effect == best_rule.effect == "allow"
                                                         and not best_rule.message):
                best = f
        if not any_global and default in UNWEAKENED and (
                default != "watch" or best is None or best[1].rules[best[3]].effect == "allow"):
            return Decision(default, UNWEAKENED[default], tuple(matched))
        if best is None:
            return Decision(default, NO_RULE)
        return self._reported(best, best[1].rules[best[3]].effect, matched)

    # ---------------------------------------------------------- public API

    def reset_caches(self) -> None:
        """Forget every memoized per-string fact and every scope plan not
        made at load, this bundle's and the process-wide canonicalization
        memos (``canonicalize.clear_memos``): memory goes back to its state
        after loading; decisions do not change."""
        self._memo = Memo(self._memo.tables, self._unscanned, self._memo.absolute_paths)
        self._plans = dict(self._loaded_plans)
        self._decisions = {}
        clear_memos()

    def _remembered(self, kind: str, call: Any, moment: _dt.datetime, history: CallHistory | None,
                    run: Callable[[ToolCall], Decision]) -> Decision:
        """``self._safely(call, run)``, memoized per call content (``kind``:
        which decision), expiry interval of ``moment`` (``bisect`` over the
        rules' ``expires_at``) and nothing else: a decision is a pure
        function of those when no ``history`` is given. A call
        :func:`call_key` cannot key, and internal-error denials, are not
        kept."""
        key = call_key(call) if history is None else None
        if key is None:
            return self._safely(call, run)
        key = (kind, bisect.bisect_right(self._expiries, moment), key)
        decision = self._decisions.get(key)
        if decision is None:
            decision = self._safely(call, run)
            if decision.message.startswith(("internal error", "tool call nests too deeply")):
                return decision
            if len(self._decisions) >= MAX_ENTRIES:
                self._decisions.clear()
            self._decisions[key] = decision
        return decision

    def _safely(self, call: Any, run: Callable[[ToolCall], Decision]) -> Decision:
        """``run`` on the parsed call; a deny instead of any exception: the
        call cannot be read (``invalid tool call``), nests too deeply to
        analyse, holds a number beyond float64 where a rule reads it as
        text, or deciding it failed (``internal error``)."""
        try:
            parsed = _parse_call(call)
        except Exception as exc:  # noqa: BLE001 - any unreadable mapping decides deny
            return Decision("deny", f"invalid tool call ({_brief(exc)}); failing closed")
        try:
            return run(parsed)
        except RecursionError:
            return Decision("deny", "tool call nests too deeply to decide; failing closed")
        except (OverflowError, NumberOutOfRange):  # no float64 holds it: the engine cannot even decode the call
            return Decision("deny", "tool call holds a number out of range; failing closed")
        except Exception as exc:  # noqa: BLE001 - an enforcement decision must not crash open
            return Decision("deny", f"internal error deciding the call ({type(exc).__name__}: {_brief(exc)}); "
                                    "failing closed")

    def evaluate(self, call: Mapping[str, Any], *, now: _dt.datetime | None = None,
                 history: CallHistory | None = None) -> Decision:
        """The request-side decision (as ``policyc.evaluate.evaluate``) of a
        call ``{"tool", "params", "input"?, ...}`` (a mapping, or a
        ``callfields.ToolCall``).

        Never raises for any ``call``: one that cannot be read (not a
        mapping, ``tool`` not a non-empty string, ``params`` not an object,
        ...) decides ``deny`` with message ``invalid tool call (REASON);
        failing closed``; one nesting too deeply to analyse, or any failure
        while deciding (a ``history`` that raises, say), decides ``deny``
        too. ``now`` (default: the current time) is a ``datetime``; a naive
        one is read as UTC, and ``history.count`` gets it as an aware UTC
        datetime. Raises ``TypeError`` only for a ``now`` that is not a
        ``datetime``."""
        moment = _moment(now)
        return self._remembered("request", call, moment, history,
                                lambda parsed: self._evaluate(parsed, moment, history))

    def _evaluate(self, call: ToolCall, now: _dt.datetime, history: CallHistory | None) -> Decision:
        try:
            fields = Fields.of(call)
        except Ambiguous as exc:
            return Decision("deny", f"ambiguous tool input ({exc.reason}); failing closed")
        too_long = overlong_field(call, fields, self._param_names)
        if too_long is not None:
            return Decision("deny", overlong_message(too_long))
        plan = self._plan(call)
        holding = set(plan.always)
        candidates = set(plan.untriggered)
        for table in plan.tables:
            index = self._triggers.get(table, {})
            for pid in self._field_ids(table, call, fields):
                candidates.update(index.get(pid, ()))
        conds = self._conds
        for cid in candidates:
            if self._holds(conds[cid], call, fields, history, now):
                holding.add(cid)
        rank, names = self._order(plan)
        return self._combine(self._fire(holding, plan, now, rank), plan, names)

    def evaluate_response(self, call: Mapping[str, Any], response: object, *,
                          now: _dt.datetime | None = None) -> Decision:
        """The response-side decision (as ``policyc.evaluate.evaluate_response``)
        for the text ``response`` the call returned. Like :meth:`evaluate`,
        never raises for any ``call`` or ``response`` (a ``response`` that is
        not a string decides ``deny``); ``now`` as there."""
        moment = _moment(now)

        def run(parsed: ToolCall) -> Decision:
            if not isinstance(response, str):
                return Decision("deny", "invalid tool call (the response must be a string); failing closed")
            return self._evaluate_response(parsed, response)

        return self._safely(call, run)

    def _evaluate_response(self, call: ToolCall, response: str) -> Decision:
        """As ``policyc.evaluate.evaluate_response`` (engine.go
        ``EvaluateResponse``)."""
        plan = self._plan(call)
        if not plan.groups:
            return Decision("allow", "no matching policy; response allowed")
        if not plan.response or not response:
            return Decision("allow", "no matching response rule; response allowed")
        if over_response_limit(response):
            return Decision("deny", RESPONSE_TOO_LONG)
        holding = set()
        hits = self._memo.response(response)
        for pid in hits:
            for cid in self._response_triggers.get(pid, ()):
                resp = self._conds[cid].response
                assert resp is not None  # a response trigger's condition has a response side
                if resp[1].isdisjoint(hits):
                    holding.add(cid)
        best = None
        matched: list[str] = []
        for f in self._fire(holding, plan, None, self._order(plan)[0]):
            rule = f[1].rules[f[3]]
            matched.append(f[1].names[f[2]])
            if rule.effect in ("deny", "webhook", "ask"):
                return self._reported(f, "deny", matched)
            if best is None or (best[1].rules[best[3]].effect == "allow"
                                and (rule.effect == "watch" or not best[1].rules[best[3]].message)):
                best = f
        if best is None:
            return Decision("allow", "no matching response rule; response allowed")
        return self._reported(best, best[1].rules[best[3]].effect, matched)

    def decide(self, call: Mapping[str, Any], *, now: _dt.datetime | None = None,
               history: CallHistory | None = None) -> Decision:
        """A call's whole life (as ``policyc.evaluate.decide``): the request
        decision, then, if the call has a ``response`` and was not denied,
        the more restrictive of that and the response decision. Never raises
        for any ``call``; ``now``, ``history`` and the denials as in
        :meth:`evaluate`."""
        moment = _moment(now)

        def run(parsed: ToolCall) -> Decision:
            request = self._evaluate(parsed, moment, history)
            if parsed.response is None or request.action == "deny":
                return request
            response = self._evaluate_response(parsed, parsed.response)
            return response if RANK[response.action] > RANK[request.action] else request

        return self._remembered("decide", call, moment, history, run)
