"""Load a compiled bundle and decide tool calls with it (``docs/bundle-format.md``).

Imports only ``re2``, the standard library and :mod:`policyc.canonicalize`
(no lark, yaml, jsonschema, click or rich; not :mod:`policyc.evaluate` nor
:mod:`policyc.patterns`), so an enforcement hook stays small and fast to
start. It decides exactly as the reference evaluator (``policyc/evaluate.py``)
does: same actions, messages, matched policies, deciding rule and project
flag.

API:

* :func:`load_bundle(path_or_bytes) <load_bundle>` -> :class:`Bundle`; raises
  :class:`BundleError` (bad JSON, wrong format or version, digest mismatch,
  bad structure, pattern that does not compile);
* :meth:`Bundle.evaluate`, :meth:`Bundle.evaluate_response`,
  :meth:`Bundle.decide` take a call in the JSON shape
  ``{"tool", "params", "input"?, "agent"?, "session"?, "agent_depth"?,
  "workdir"?, "response"?}`` and return a :class:`Decision`; a malformed call
  raises ``ValueError`` naming the bad key;
* :func:`fail_closed(path) <fail_closed>` -> a ``Callable[[Mapping], Decision]``
  that never raises: it denies when the bundle cannot be loaded or the call
  is malformed.

Speed: every pattern table is compiled into one ``re2.Set`` at load; during
one evaluation each distinct input string is scanned at most once per table
and rules resolve by set membership over precomputed id sets.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import re2

from policyc import canonicalize
from policyc.callfields import Ambiguous, Fields, ToolCall, normalize_domain, param_text, path_spellings

BUNDLE_FORMAT = "policyc-bundle"
BUNDLE_FORMAT_VERSION = 1

MAX_GLOB_INPUT_BYTES = 8192  # spec §1: a longer glob input never matches
MAX_RESPONSE_BYTES = 1 << 20  # spec §1: response scanned up to 1 MiB
PROJECT_PREFIX = "[Project Policy] "


_RANK = {"allow": 0, "watch": 1, "ask": 2, "webhook": 3, "deny": 4}
_TABLES = ("agent", "command", "command_substring", "domain", "env_assignment", "param", "path",
           "response", "session", "tool", "url")
_PAYLOAD_MARK = b',"payload":'


class BundleError(Exception):
    """The bundle cannot be used; the message says why."""


class CallHistory(Protocol):
    """Past calls, for ``call_count``: as ``policyc.evaluate.CallHistory``."""

    def count(self, tool: str, window_seconds: float, now: _dt.datetime) -> int: ...


# ------------------------------------------------------------------ decisions


@dataclass(frozen=True)
class RuleRef:
    """The deciding rule: policy name, 0-based rule index, tier and source
    position (``path``/``line``/``column``, None when unknown)."""

    policy: str
    index: int
    tier: str
    path: str | None = None
    line: int | None = None
    column: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"policy": self.policy, "rule": self.index, "tier": self.tier}
        if self.path is not None:
            out.update(path=self.path, line=self.line, column=self.column)
        return out


@dataclass(frozen=True)
class Decision:
    """A decision: ``action`` (``allow|watch|ask|webhook|deny``), ``message``,
    the policies whose rules fired (priority order), the deciding rule and
    whether it belongs to the project tier. ``to_json()`` gives the same JSON
    as ``policyc.evaluate.Decision.to_json()``."""

    action: str
    message: str
    matched_policies: tuple[str, ...] = ()
    rule: RuleRef | None = None
    project: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "message": self.message,
            "matched_policies": list(self.matched_policies),
            "rule": self.rule.to_json() if self.rule else None,
            "project": self.project,
        }


# ---------------------------------------------------------------- tool calls


def _parse_call(data: Mapping[str, Any] | ToolCall) -> ToolCall:
    """The call's JSON shape (:meth:`ToolCall.from_mapping`); raises ``ValueError``."""
    return data if isinstance(data, ToolCall) else ToolCall.from_mapping(data)


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


# ------------------------------------------------------------------ matching

_EMPTY: frozenset[int] = frozenset()


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: U+FFFD stands in for each
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text).encode("utf-8")


class _Matcher:
    """One compiled table: ``scan(text)`` -> frozenset of the pattern ids whose
    expression matches (whole input when ``anchored``, else anywhere)."""

    def __init__(self, table: str, exprs: list[str | None], anchored: bool):
        self.table = table
        distinct: dict[str, list[int]] = {}
        for pid, expr in enumerate(exprs):
            if expr is not None:
                distinct.setdefault(expr, []).append(pid)
        self.exprs = list(distinct)
        self.ids = [frozenset(v) for v in distinct.values()]
        self.set = None
        self.regexes: list[Any] = []
        if not self.exprs:
            return
        options = re2.Options()
        options.log_errors = False
        for expr in self.exprs:  # name the pattern that does not compile
            try:
                re2.compile(expr, options)
            except re2.error as exc:
                raise BundleError(f"pattern table {table!r}: expression {expr!r} does not compile: {exc}") \
                    from None
        try:
            rset = re2.Set(re2._Anchor.ANCHOR_BOTH if anchored else re2._Anchor.UNANCHORED, options)
            for expr in self.exprs:
                rset.Add(expr)
            rset.Compile()
            self.set = rset
        except re2.error:  # too large for one Set: fall back to one regex each
            self.regexes = [re2.compile(e, options) for e in self.exprs]
            self.anchored = anchored

    def scan(self, text: str) -> frozenset[int]:
        if self.set is not None:
            hits = self.set.Match(_encode(text))
            if not hits:
                return _EMPTY
            if len(hits) == 1:
                return self.ids[hits[0]]
            return frozenset().union(*(self.ids[h] for h in hits))
        if not self.regexes:
            return _EMPTY
        data = _encode(text)
        out: set[int] = set()
        for index, regex in enumerate(self.regexes):
            found = regex.fullmatch(data) if self.anchored else regex.search(data)
            if found:
                out |= self.ids[index]
        return frozenset(out)


class _Scan:
    """The per-evaluation cache: each (table, input) is scanned once."""

    __slots__ = ("bundle", "cache")

    def __init__(self, bundle: Bundle):
        self.bundle = bundle
        self.cache: dict[tuple[str, str], frozenset[int]] = {}

    def glob(self, table: str, value: str) -> frozenset[int]:
        """Command/path-flavour glob table: the 8192-byte bound, then ``\\``
        read as ``/``."""
        key = (table, value)
        hit = self.cache.get(key)
        if hit is None:
            if _utf8_len(value) > MAX_GLOB_INPUT_BYTES:
                hit = _EMPTY
            else:
                hit = self.bundle._matchers[table].scan(value.replace("\\", "/"))
            self.cache[key] = hit
        return hit

    def folded_path(self, value: str) -> frozenset[int]:
        return self.glob("path_folded", value.lower())

    def domain(self, value: str) -> frozenset[int]:
        key = ("domain", value)
        hit = self.cache.get(key)
        if hit is None:
            norm = normalize_domain(value)
            hit = self.bundle._matchers["domain"].scan(norm) if norm else _EMPTY
            self.cache[key] = hit
        return hit


# ---------------------------------------------------------- compiled policies


@dataclass(frozen=True)
class _Pred:
    field: str
    patterns: frozenset[int]
    exclusions: frozenset[int]
    contains: tuple[str, ...] = ()
    composite: frozenset[int] = _EMPTY


@dataclass(frozen=True)
class _Cond:
    always: bool
    predicates: tuple[_Pred, ...]
    any_param: tuple[tuple[str, frozenset[int]], ...]
    depth: tuple[int | None, int | None] | None
    call_count: tuple[int, float, str | None] | None
    response: tuple[frozenset[int], frozenset[int]] | None


@dataclass(frozen=True)
class _Rule:
    index: int
    effect: str
    message: str
    granting: bool
    expires: _dt.datetime | None
    ref: RuleRef
    cond: _Cond


@dataclass(frozen=True)
class _Policy:
    name: str
    priority: int
    enabled: bool
    project: bool
    tools: frozenset[int]
    agent: int | None
    session: int | None
    rules: tuple[_Rule, ...]


@dataclass(frozen=True)
class _Fired:
    effect: str
    policy: _Policy
    rule: _Rule


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _parse_time(text: str) -> _dt.datetime:
    when = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return when


class Bundle:
    """A loaded, verified bundle. Build with :func:`load_bundle`.

    ``digest`` is the manifest digest, ``manifest`` the manifest dict.
    """

    def __init__(self, document: Mapping[str, Any]):
        self.manifest: dict[str, Any] = dict(document["manifest"])
        self.digest: str = self.manifest["digest"]
        try:
            self._build(document["payload"])
        except BundleError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise BundleError(f"bundle payload is malformed: {type(exc).__name__}: {exc}") from None

    # -- load-time precomputation

    def _build(self, payload: Mapping[str, Any]) -> None:
        self.default: str = _effect(payload["default"])
        project_default = payload["project_default"]
        self.project_default: str | None = _effect(project_default) if project_default else None
        tables = payload["patterns"]
        missing = [t for t in _TABLES if t not in tables]
        if missing:
            raise BundleError(f"bundle payload lacks pattern tables: {', '.join(missing)}")
        for table in _TABLES:
            if table == "command_substring":  # matched from `source` by canonicalize; expr unused
                continue
            for pid, entry in enumerate(tables[table]):
                if entry.get("fallback"):
                    raise BundleError(
                        f"pattern {entry['source']!r} ({table} table, id {pid}) needs the reference "
                        "matcher, which this runtime does not have; refusing the bundle")
        self._substrings = [e["source"] for e in tables["command_substring"]]
        self._composite = frozenset(i for i, e in enumerate(tables["command"]) if e.get("composite"))
        self._size = {t: len(tables[t]) for t in _TABLES}
        self._matchers = {t: _Matcher(t, [e["expr"] for e in tables[t]], anchored=t != "response")
                          for t in _TABLES}
        self._matchers["path_folded"] = _Matcher("path", [e["folded"] for e in tables["path"]], True)
        policies = [self._policy(p) for p in payload["policies"]]
        ordered = sorted(policies, key=lambda p: p.priority)  # stable: file order breaks ties
        self._ordered = tuple(ordered)
        self._global = tuple(p for p in ordered if not p.project)
        self._project = tuple(p for p in ordered if p.project)

    def _ids(self, table: str, ids: Any) -> frozenset[int]:
        out = frozenset(ids)
        if any(not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < self._size[table] for i in out):
            raise BundleError(f"bundle payload references an unknown {table} pattern id in {sorted(out)}")
        return out

    def _one(self, table: str, pid: Any) -> int | None:
        if pid is None:
            return None
        (only,) = self._ids(table, [pid])
        return only

    def _policy(self, p: Mapping[str, Any]) -> _Policy:
        scope = p["scope"]
        tier = p["tier"]
        if tier not in ("global", "project"):
            raise BundleError(f"policy {p['name']!r}: unknown tier {tier!r}")
        rules = tuple(self._rule(r, p["name"], tier) for r in p["rules"])
        return _Policy(p["name"], int(p["priority"]), bool(p["enabled"]), tier == "project",
                       self._ids("tool", scope["tools"]), self._one("agent", scope["agent"]),
                       self._one("session", scope["session"]), rules)

    def _rule(self, r: Mapping[str, Any], policy: str, tier: str) -> _Rule:
        span = r["span"] or {}
        ref = RuleRef(policy, int(r["index"]), tier, span.get("path"), span.get("line"), span.get("column"))
        expires = _parse_time(r["expires_at"]) if r["expires_at"] else None
        return _Rule(int(r["index"]), _effect(r["effect"]), r["message"], bool(r["granting"]), expires, ref,
                     self._cond(r["condition"]))

    def _cond(self, c: Mapping[str, Any]) -> _Cond:
        preds = []
        for p in c["predicates"]:
            field = p["field"]
            table = {"command": "command", "env_assignment": "env_assignment", "path": "path",
                     "url": "url", "domain": "domain", "session": "session"}.get(field)
            if table is None:
                raise BundleError(f"bundle payload has an unknown predicate field {field!r}")
            patterns = self._ids(table, p["patterns"])
            if field == "command":
                contains = self._ids("command_substring", p["contains"])
                preds.append(_Pred(field, patterns, self._ids(table, p["exclusions"]),
                                   tuple(self._substrings[i] for i in sorted(contains)),
                                   patterns & self._composite))
            else:
                preds.append(_Pred(field, patterns, self._ids(table, p["exclusions"])))
        any_param = tuple((q["param"], self._ids("param", q["patterns"])) for q in c["any_param"])
        depth = None if c["depth"] is None else (c["depth"]["low"], c["depth"]["high"])
        cc = c["call_count"]
        call_count = None if cc is None else (int(cc["gte"]), cc["window_ns"] / 1e9, cc["tool"])
        resp = c["response"]
        response = None if resp is None else (self._ids("response", resp["patterns"]),
                                              self._ids("response", resp["exclusions"]))
        return _Cond(bool(c["always"]), tuple(preds), any_param, depth, call_count, response)

    # -- request side

    def _command_holds(self, pred: _Pred, command: str, granting: bool, scan: _Scan) -> bool:
        globs, excl, comp = pred.patterns, pred.exclusions, pred.composite
        return canonicalize.command_matches(
            command,
            granting=granting,
            matches=(lambda s: not globs.isdisjoint(scan.glob("command", s))) if globs else None,
            contains=pred.contains,
            excludes=(lambda s: not excl.isdisjoint(scan.glob("command", s))) if excl else None,
            composite_matches=(lambda s: not comp.isdisjoint(scan.glob("command", s))) if comp else None,
        )

    @staticmethod
    def _path_match(ids: frozenset[int], spelling: str, scan: _Scan) -> bool:
        return not ids.isdisjoint(scan.glob("path", spelling)) or \
            not ids.isdisjoint(scan.folded_path(spelling))

    def _path_holds(self, pred: _Pred, path: str, workdir: str | None, granting: bool, scan: _Scan) -> bool:
        spellings = path_spellings(path, workdir)
        if not any(self._path_match(pred.patterns, s, scan) for s in spellings):
            return False
        if not pred.exclusions:
            return True
        excluded = [self._path_match(pred.exclusions, s, scan) for s in spellings]
        return not any(excluded) if granting else not all(excluded)

    def _predicate_holds(self, pred: _Pred, call: ToolCall, fields: Fields, granting: bool, scan: _Scan) -> bool:
        field = pred.field
        if field == "command":
            return fields.command is not None and self._command_holds(pred, fields.command, granting, scan)
        if field == "env_assignment":
            if fields.command is None:
                return False
            return any(not pred.patterns.isdisjoint(scan.glob("env_assignment", name))
                       for name in canonicalize.env_assignment_names(fields.command))
        if field == "path":
            return fields.path is not None and self._path_holds(pred, fields.path, call.workdir, granting, scan)
        if field == "domain":
            if fields.domain is None:
                return False
            hits = scan.domain(fields.domain)
        else:
            value = fields.url if field == "url" else (call.session or None)
            if value is None:
                return False
            hits = scan.glob(field, value)
        return not pred.patterns.isdisjoint(hits) and pred.exclusions.isdisjoint(hits)

    def _param_holds(self, name: str, ids: frozenset[int], call: ToolCall, scan: _Scan) -> bool:
        value = param_text(call, name)
        if value is None:
            return False
        return not ids.isdisjoint(scan.glob("param", value.lower()))

    def _condition_holds(self, rule: _Rule, call: ToolCall, fields: Fields, scan: _Scan,
                         history: CallHistory | None, now: _dt.datetime) -> bool:
        cond = rule.cond
        if cond.always:
            return True
        positive = False
        for pred in cond.predicates:
            if not pred.patterns and not pred.contains:
                if pred.field == "session" and not pred.exclusions.isdisjoint(scan.glob("session", call.session)):
                    return False
                continue
            if not self._predicate_holds(pred, call, fields, rule.granting, scan):
                return False
            positive = True
        if cond.any_param:
            if not any(self._param_holds(name, ids, call, scan) for name, ids in cond.any_param):
                return False
            positive = True
        if cond.depth is not None:
            low, high = cond.depth
            if (low is not None and call.agent_depth < low) or (high is not None and call.agent_depth > high):
                return False
            positive = True
        if cond.call_count is not None:
            gte, window, tool = cond.call_count
            if history is None:
                return False
            if history.count(tool if tool is not None else call.tool, window, now) < gte:
                return False
            positive = True
        return positive

    def _response_holds(self, rule: _Rule, response: str, scan: _Scan) -> bool:
        resp = rule.cond.response
        if resp is None or not resp[0] or not response:
            return False
        key = ("response", response)
        hits = scan.cache.get(key)
        if hits is None:
            body = response.encode("utf-8", "surrogatepass")[:MAX_RESPONSE_BYTES].decode("utf-8", "ignore")
            hits = scan.cache[key] = self._matchers["response"].scan(body)
        return not resp[0].isdisjoint(hits) and resp[1].isdisjoint(hits)

    # -- scope and combining

    def _in_scope(self, policy: _Policy, call: ToolCall, scan: _Scan) -> bool:
        if not policy.enabled:
            return False
        if policy.agent is not None and policy.agent not in scan.glob("agent", call.agent):
            return False
        if policy.session is not None and policy.session not in scan.glob("session", call.session):
            return False
        return not policy.tools or not policy.tools.isdisjoint(scan.glob("tool", call.tool))

    def _tier_results(self, policies: tuple[_Policy, ...], call: ToolCall, scan: _Scan,
                      holds: Callable[[_Rule], bool], now: _dt.datetime) -> list[_Fired]:
        out = []
        for policy in policies:
            if not self._in_scope(policy, call, scan):
                continue
            for rule in policy.rules:
                if rule.expires is not None and rule.expires <= now:
                    continue
                if holds(rule):
                    out.append(_Fired(rule.effect, policy, rule))
                    break
        return out

    @staticmethod
    def _deny_overrides(fired: list[_Fired]) -> _Fired | None:
        best = None
        for f in fired:
            if best is None or _RANK[f.effect] > _RANK[best.effect]:
                best = f
        return best

    @staticmethod
    def _decision(best: _Fired, fired: list[_Fired], effect: str | None = None) -> Decision:
        project = best.policy.project
        action = effect or best.effect
        message = best.rule.message
        if project and action == "deny":
            message = PROJECT_PREFIX + message
        return Decision(action, message, tuple(f.policy.name for f in fired), best.rule.ref, project)

    # -- public API

    def evaluate(self, call: Mapping[str, Any], *, now: _dt.datetime | None = None,
                 history: CallHistory | None = None) -> Decision:
        """The request-side decision (as ``policyc.evaluate.evaluate``).
        Raises ``ValueError`` for a malformed call."""
        return self._evaluate(_parse_call(call), now or _now(), history)

    def _evaluate(self, call: ToolCall, now: _dt.datetime, history: CallHistory | None) -> Decision:
        try:
            fields = Fields.of(call)
        except Ambiguous as exc:
            return Decision("deny", f"ambiguous input ({', '.join(exc.names)}), failing closed")
        for name, value in (("agent", call.agent), ("session", call.session), ("tool", call.tool),
                            ("command", fields.command), ("path", fields.path), ("url", fields.url),
                            ("domain", fields.domain)):
            if value and _utf8_len(value) > MAX_GLOB_INPUT_BYTES:
                return Decision("deny", f"{name} exceeds the {MAX_GLOB_INPUT_BYTES}-byte policy matching "
                                        "limit; failing closed")
        scan = _Scan(self)

        def holds(rule: _Rule) -> bool:
            return self._condition_holds(rule, call, fields, scan, history, now)

        global_fired = self._tier_results(self._global, call, scan, holds, now)
        project_fired = self._tier_results(self._project, call, scan, holds, now)
        fired = global_fired + project_fired
        default = self.default
        if not fired:
            if self.project_default is not None and _RANK[self.project_default] > _RANK[default]:
                default = self.project_default
            return Decision(default, "no matching rule; using default action")
        best = self._deny_overrides(fired)
        assert best is not None
        if not global_fired and _RANK[best.effect] < _RANK[default]:
            return self._decision(best, fired, effect=default)
        return self._decision(best, fired)

    def evaluate_response(self, call: Mapping[str, Any], response: str, *,
                          now: _dt.datetime | None = None) -> Decision:
        """The response-side decision (as ``policyc.evaluate.evaluate_response``).
        Raises ``ValueError`` for a malformed call."""
        return self._evaluate_response(_parse_call(call), response, now or _now())

    def _evaluate_response(self, call: ToolCall, response: str, now: _dt.datetime) -> Decision:
        scan = _Scan(self)
        fired = self._tier_results(self._ordered, call, scan,
                                   lambda r: self._response_holds(r, response, scan), now)
        best = self._deny_overrides(fired)
        if best is None:
            return Decision("allow", "no matching response rule; response allowed")
        return self._decision(best, fired, effect="deny" if best.effect == "webhook" else best.effect)

    def decide(self, call: Mapping[str, Any], *, now: _dt.datetime | None = None,
               history: CallHistory | None = None) -> Decision:
        """A call's whole life (as ``policyc.evaluate.decide``): the request
        decision, then, if the call has a ``response`` and was not denied,
        the more restrictive of that and the response decision.
        Raises ``ValueError`` for a malformed call."""
        parsed = _parse_call(call)
        now = now or _now()
        request = self._evaluate(parsed, now, history)
        if parsed.response is None or request.action == "deny":
            return request
        response = self._evaluate_response(parsed, parsed.response, now)
        return response if _RANK[response.action] > _RANK[request.action] else request


def _effect(value: Any) -> str:
    if value not in _RANK:
        raise BundleError(f"bundle payload has an unknown effect {value!r}")
    return value


# ------------------------------------------------------------------- loading


def _raw_payload(data: bytes) -> bytes:
    body = data.rstrip(b" \t\r\n")
    at = body.find(_PAYLOAD_MARK)
    if at < 0 or not body.endswith(b"}"):
        raise BundleError("bundle is not canonical: the \"payload\" member must come last")
    return body[at + len(_PAYLOAD_MARK):-1]


def load_bundle(source: str | os.PathLike[str] | bytes) -> Bundle:
    """Read, verify and prepare a bundle from a path or from its bytes.

    Checks, in order: valid UTF-8 JSON object; ``format`` is
    ``policyc-bundle``; ``format_version`` is 1; the sha256 of the payload's
    bytes equals ``manifest.digest``; the payload is canonical; every table
    compiles. Raises :class:`BundleError` (``OSError`` reading a path is
    wrapped too).
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        where = "bundle"
    else:
        where = os.fspath(source)
        try:
            with open(where, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise BundleError(f"{where}: cannot read bundle: {exc.strerror or exc}") from None
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BundleError(f"{where}: not a JSON bundle: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{where}: not a policyc bundle (\"format\" must be {BUNDLE_FORMAT!r})")
    version = document.get("format_version")
    if version != BUNDLE_FORMAT_VERSION or isinstance(version, bool):
        raise BundleError(f"{where}: unsupported bundle format_version {version!r} (this runtime reads "
                          f"version {BUNDLE_FORMAT_VERSION}; recompile with a matching policyc)")
    manifest = document.get("manifest")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("digest"), str) \
            or not isinstance(document.get("payload"), dict):
        raise BundleError(f"{where}: bundle lacks a manifest digest or a payload")
    expected = manifest["digest"]
    found = "sha256:" + hashlib.sha256(_raw_payload(data)).hexdigest()
    if found != expected:
        raise BundleError(f"{where}: bundle digest mismatch: the payload was modified after compilation "
                          f"(expected {expected}, found {found})")
    canonical = json.dumps(document["payload"], sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False).encode("utf-8")
    if canonical != _raw_payload(data):
        raise BundleError(f"{where}: bundle payload is not in canonical form")
    try:
        return Bundle(document)
    except BundleError as exc:
        raise BundleError(f"{where}: {exc}") from None


def fail_closed(path: str | os.PathLike[str] | bytes) -> Callable[[Mapping[str, Any]], Decision]:
    """A decision function that never raises: ``bundle.decide`` when the
    bundle loads, else a function that denies every call with the load error
    as message. A malformed call (or an internal error) is denied too."""
    try:
        bundle = load_bundle(path)
    except BundleError as exc:
        reason = f"policy bundle unavailable, failing closed: {exc}"

        def deny(call: Mapping[str, Any]) -> Decision:
            return Decision("deny", reason)

        return deny

    def decide(call: Mapping[str, Any]) -> Decision:
        try:
            return bundle.decide(call)
        except ValueError as exc:
            return Decision("deny", f"invalid tool call ({exc}), failing closed")
        except Exception as exc:  # noqa: BLE001 - an enforcement hook must not crash open
            return Decision("deny", f"internal error ({type(exc).__name__}: {exc}), failing closed")

    return decide
