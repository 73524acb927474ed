"""The bundle writer: canonical JSON, manifest and digest (``docs/bundle-format.md``).

``compile_policy_set(policy_set, sources) -> bytes`` lowers every pattern of a
:class:`~policyc.ir.PolicySet` to an RE2 expression (``policyc.patterns.lower``),
groups the expressions into one deduplicated, sorted table per field, and
writes the policies with conditions that reference pattern ids (positions in
those tables). The output is canonical JSON: sorted keys, separators
``(',', ':')``, UTF-8, no timestamps, no floats, no trailing newline, so the
same sources always give byte-identical bundles.

Shape::

    {"format": "policyc-bundle", "format_version": 4,
     "manifest": {"compiler": "policyc <version>",
                  "digest": "sha256:<hex of the canonical payload bytes>",
                  "sources": [{"path": ..., "sha256": ...}, ...]},
     "payload": {"default": ..., "policies": [...],
                 "patterns": {<table>: [<entry>, ...], ...}}}

:func:`bundle_bytes` writes the envelope, manifest and digest around any
dialect's payload (the other dialects' writers, ``policyc.dialects.<name>.codegen``, use it too).

Errors: :class:`CompileError` (a ``ValueError``) when the IR holds a pattern
whose language does not fit its field (the Rampart front end never builds
one) or an invalid ``expires_at``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from policyc import __version__, canonicalize
from policyc.atomicfile import write_atomic as write_bundle  # noqa: F401 - re-exported public name
from policyc.callfields import go_lower, joinable_pattern, pattern_is_absolute, pattern_variants
from policyc.ir import (
    CallCount, Condition, Effect, Field, FieldPredicate, Pattern, PatternLanguage, Policy, PolicySet,
    Rule, Span,
)

BUNDLE_FORMAT = "policyc-bundle"
#: The shape of the calls a bundle of each dialect decides (docs/bundle-format.md §4).
CALL_MODELS = {"rampart": "rampart-tool-call"}
BUNDLE_FORMAT_VERSION = 4
#: The host family a bundle decides for (spec §5: the engine folds case only
#: on macOS and Windows hosts). Only Linux is compiled for today.
HOST_FAMILY = "linux"

#: Every pattern table (``docs/bundle-format.md`` says what each one reads).
TABLES = (
    "agent", "command", "command_substring", "domain", "env_assignment", "param", "path",
    "response", "session", "tool", "url",
)

_FLAVOR = {PatternLanguage.COMMAND_GLOB: "command", PatternLanguage.PATH_GLOB: "path",
           PatternLanguage.DOMAIN_GLOB: "domain"}

#: Field -> (table, language every pattern of that field must have).
_FIELD_TABLE = {
    Field.COMMAND: ("command", PatternLanguage.COMMAND_GLOB),
    Field.ENV_ASSIGNMENT: ("env_assignment", PatternLanguage.COMMAND_GLOB),
    Field.PATH: ("path", PatternLanguage.PATH_GLOB),
    Field.URL: ("url", PatternLanguage.COMMAND_GLOB),
    Field.DOMAIN: ("domain", PatternLanguage.DOMAIN_GLOB),
    Field.SESSION: ("session", PatternLanguage.COMMAND_GLOB),
    Field.PARAM: ("param", PatternLanguage.COMMAND_GLOB),
    Field.RESPONSE: ("response", PatternLanguage.REGEX),
}


class CompileError(ValueError):
    """The policy set cannot be compiled to a bundle (message says why)."""


def canonical_json(value: Any) -> bytes:
    """The canonical encoding: ``json.dumps`` with sorted keys, separators
    ``(',', ':')``, ``ensure_ascii=False``, encoded as UTF-8. Floats are
    refused (``CompileError``) so that any language can reproduce the bytes."""
    _refuse_floats(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _refuse_floats(value: Any) -> None:
    if isinstance(value, float):
        raise CompileError(f"floats are not allowed in a bundle (found {value!r})")
    if isinstance(value, dict):
        for v in value.values():
            _refuse_floats(v)
    elif isinstance(value, list):
        for v in value:
            _refuse_floats(v)


def _default_lowering() -> ModuleType:
    from policyc.patterns import lower  # imported lazily: written by another stage

    return lower


class _Tables:
    """Collects patterns per table, then assigns ids (positions after sorting
    by source)."""

    def __init__(self, lowering: Any):
        self.lowering = lowering
        self.sources: dict[str, set[str]] = {name: set() for name in TABLES}
        self.ids: dict[str, dict[str, int]] = {}

    def add(self, table: str, source: str) -> None:
        self.sources[table].add(source)

    def freeze(self) -> dict[str, list[dict[str, Any]]]:
        out = {}
        for table in TABLES:
            ordered = sorted(self.sources[table])
            self.ids[table] = {source: i for i, source in enumerate(ordered)}
            out[table] = [self._entry(table, source) for source in ordered]
        return out

    def id(self, table: str, source: str) -> int:
        return self.ids[table][source]

    def _lower(self, source: str, flavor: str) -> tuple[str | None, bool]:
        """(expression or None, fallback needed) for one glob."""
        needs = getattr(self.lowering, "needs_fallback", None)
        if needs is not None and needs(source, flavor):
            return None, True
        try:
            return self.lowering.lower_glob(source, flavor), False
        except ValueError as exc:  # FallbackRequired is a ValueError
            if type(exc).__name__ == "FallbackRequired":
                return None, True
            raise

    def _substring(self, source: str) -> tuple[str | None, bool]:
        needs = getattr(self.lowering, "needs_fallback", None)
        if needs is not None and needs(source, "substring"):
            return None, True
        try:
            return self.lowering.lower_substring(source), False
        except ValueError as exc:
            if type(exc).__name__ == "FallbackRequired":
                return None, True
            raise

    def _entry(self, table: str, source: str) -> dict[str, Any]:
        if table == "response":
            return {"source": source, "language": PatternLanguage.REGEX.value, "expr": source,
                    "fallback": False}
        if table == "command_substring":
            expr, fallback = self._substring(source)
            return {"source": source, "language": PatternLanguage.SUBSTRING.value, "expr": expr,
                    "fallback": fallback}
        if table == "path":
            lowered = [self._lower(v, "path") for v in pattern_variants(source)]
            fallback = any(f for _, f in lowered)
            exprs = [e for e, _ in lowered]
            expr = None if fallback else exprs[0] if len(exprs) == 1 else "|".join(f"(?:{e})" for e in exprs)
            joinable = joinable_pattern(source)
            joined, joined_fallback = self._lower(joinable, "path") if joinable is not None else (None, False)
            return {"source": source, "language": PatternLanguage.PATH_GLOB.value, "expr": expr,
                    "absolute": pattern_is_absolute(source), "joined": joined,
                    "fallback": fallback or joined_fallback}
        if table == "domain":
            expr, fallback = self._lower(source, "domain")
            return {"source": source, "language": PatternLanguage.DOMAIN_GLOB.value, "expr": expr,
                    "fallback": fallback}
        # param values are matched lower-cased on both sides
        expr, fallback = self._lower(go_lower(source) if table == "param" else source, "command")
        entry = {"source": source, "language": PatternLanguage.COMMAND_GLOB.value, "expr": expr,
                 "fallback": fallback}
        if table == "command":
            entry["composite"] = canonicalize.is_composite(source)
            # the engine's case-insensitive readings (cmd.exe/PowerShell dialects)
            folded, folded_fallback = self._lower(canonicalize.fold(source), "command")
            head, head_fallback = self._lower(canonicalize.fold_head(source), "command")
            entry.update(folded=folded, head_folded=head,
                         fallback=fallback or folded_fallback or head_fallback)
        return entry


def _check_language(pattern: Pattern, language: PatternLanguage, where: str) -> None:
    if pattern.language is not language:
        raise CompileError(f"{where}: pattern {pattern.source!r} is {pattern.language.value}, "
                           f"expected {language.value}")


def _collect(policy_set: PolicySet, tables: _Tables) -> None:
    for policy in policy_set.policies:
        scope = policy.scope
        for tool in scope.tools:
            _check_language(tool, PatternLanguage.COMMAND_GLOB, f"policy {policy.name!r} tool")
            tables.add("tool", tool.source)
        if scope.agent is not None:
            _check_language(scope.agent, PatternLanguage.COMMAND_GLOB, f"policy {policy.name!r} agent")
            tables.add("agent", scope.agent.source)
        if scope.session is not None:
            _check_language(scope.session, PatternLanguage.COMMAND_GLOB, f"policy {policy.name!r} session")
            tables.add("session", scope.session.source)
        for rule in policy.rules:
            where = f"policy {policy.name!r} rule {rule.index}"
            for pred in (*rule.condition.predicates, *rule.condition.any_param):
                table, language = _FIELD_TABLE[pred.field]
                for pattern in (*pred.patterns, *pred.exclusions):
                    if pred.field is Field.COMMAND and pattern.language is PatternLanguage.SUBSTRING \
                            and pattern in pred.patterns:
                        tables.add("command_substring", pattern.source)
                        continue
                    _check_language(pattern, language, where)
                    tables.add(table, pattern.source)


def _ids(tables: _Tables, table: str, patterns: tuple[Pattern, ...]) -> list[int]:
    return sorted({tables.id(table, p.source) for p in patterns})


def _predicate(pred: FieldPredicate, tables: _Tables) -> dict[str, Any]:
    table, _ = _FIELD_TABLE[pred.field]
    if pred.field is Field.COMMAND:
        globs = tuple(p for p in pred.patterns if p.language is not PatternLanguage.SUBSTRING)
        needles = tuple(p for p in pred.patterns if p.language is PatternLanguage.SUBSTRING)
        return {"field": pred.field.value, "patterns": _ids(tables, table, globs),
                "contains": _ids(tables, "command_substring", needles),
                "exclusions": _ids(tables, table, pred.exclusions)}
    return {"field": pred.field.value, "patterns": _ids(tables, table, pred.patterns),
            "exclusions": _ids(tables, table, pred.exclusions)}


def _call_count(cc: CallCount | None) -> dict[str, Any] | None:
    if cc is None:
        return None
    return {"gte": cc.gte, "window_ns": round(cc.window_seconds * 1e9),
            "tool": cc.tool.source if cc.tool is not None else None}


def _condition(cond: Condition, tables: _Tables) -> dict[str, Any]:
    empty = not (cond.predicates or cond.any_param or cond.depth or cond.call_count)
    response = next((p for p in cond.predicates if p.field is Field.RESPONSE), None)
    return {
        "always": bool(cond.catch_all or empty),
        "predicates": [_predicate(p, tables) for p in cond.predicates if p.field is not Field.RESPONSE],
        "any_param": [{"param": p.param or "", "patterns": _ids(tables, "param", p.patterns)}
                      for p in cond.any_param],
        "depth": None if cond.depth is None else {"low": cond.depth.low, "high": cond.depth.high},
        "call_count": _call_count(cond.call_count),
        "response": None if response is None else {
            "patterns": _ids(tables, "response", response.patterns),
            "exclusions": _ids(tables, "response", response.exclusions)},
    }


def _span(span: Span | None) -> dict[str, Any] | None:
    if span is None:
        return None
    return {"path": span.path, "line": span.line, "column": span.column}


def _check_expiry(rule: Rule, where: str) -> None:
    if rule.expires_at:
        try:
            _dt.datetime.fromisoformat(rule.expires_at.replace("Z", "+00:00"))
        except ValueError as exc:
            raise CompileError(f"{where}: expires_at {rule.expires_at!r} is not a timestamp") from exc


def _rule(rule: Rule, policy: Policy, tables: _Tables) -> dict[str, Any]:
    _check_expiry(rule, f"policy {policy.name!r} rule {rule.index}")
    webhook = None
    if rule.webhook is not None:
        webhook = {"url": rule.webhook.url, "timeout_ms": round(rule.webhook.timeout_seconds * 1000),
                   "fail_open": rule.webhook.fail_open}
    return {
        "index": rule.index,
        "effect": rule.effect.value,
        "message": rule.message,
        "granting": rule.effect.granting,
        "expires_at": rule.expires_at,
        "once": rule.once,
        "webhook": webhook,
        "span": _span(rule.span),
        "condition": _condition(rule.condition, tables),
    }


def _policy(policy: Policy, tables: _Tables) -> dict[str, Any]:
    scope = policy.scope
    return {
        "name": policy.name,
        "priority": policy.priority,
        "enabled": policy.enabled,
        "tier": policy.tier.value,
        "source": policy.source,
        "scope": {
            "tools": _ids(tables, "tool", scope.tools),
            "agent": None if scope.agent is None else tables.id("agent", scope.agent.source),
            "session": None if scope.session is None else tables.id("session", scope.session.source),
        },
        "rules": [_rule(r, policy, tables) for r in policy.rules],
    }


def compile_payload(policy_set: PolicySet, *, lowering: Any = None) -> dict[str, Any]:
    """The bundle payload (a JSON-ready dict) for ``policy_set``.

    ``lowering`` is the pattern-lowering module (default
    ``policyc.patterns.lower``): it must provide ``lower_glob(source, flavor)``
    and ``lower_substring(needle)``, and may provide ``needs_fallback``.
    Raises :class:`CompileError`.
    """
    tables = _Tables(lowering if lowering is not None else _default_lowering())
    _collect(policy_set, tables)
    patterns = tables.freeze()
    return {
        "dialect": policy_set.dialect,
        "call_model": CALL_MODELS[policy_set.dialect],
        "combining": policy_set.combining.to_json(),
        "default": policy_set.default.value,
        "policies": [_policy(p, tables) for p in policy_set.policies],
        "patterns": patterns,
    }


def compile_policy_set(policy_set: PolicySet, sources: Mapping[str, bytes], *,
                       lowering: Any = None) -> bytes:
    """The canonical bundle bytes for ``policy_set``: :func:`bundle_bytes`
    of :func:`compile_payload` (``sources`` as there). Raises
    :class:`CompileError`; see :func:`compile_payload` for ``lowering``.
    """
    return bundle_bytes(compile_payload(policy_set, lowering=lowering), sources)


def bundle_bytes(payload: Mapping[str, Any], sources: Mapping[str, bytes]) -> bytes:
    """The canonical bundle of any dialect's ``payload`` (a JSON-ready
    dict): the envelope, a manifest listing ``sources`` (each source path,
    as the manifest should name it, -> the file's bytes) sorted by path
    with their sha256, and the digest: ``sha256:`` + the hex sha256 of the
    canonical payload bytes, which appear verbatim as the last member of
    the bundle object. Raises :class:`CompileError` for a float in
    ``payload``."""
    payload_bytes = canonical_json(payload)
    manifest = {
        "compiler": f"policyc {__version__}",
        "host": HOST_FAMILY,
        "sources": [{"path": path, "sha256": hashlib.sha256(data).hexdigest()}
                    for path, data in sorted(sources.items())],
        "digest": "sha256:" + hashlib.sha256(payload_bytes).hexdigest(),
    }
    head = canonical_json({"format": BUNDLE_FORMAT, "format_version": BUNDLE_FORMAT_VERSION,
                           "manifest": manifest})
    # Sorted keys put "payload" last: splice the exact payload bytes in.
    data = head[:-1] + b',"payload":' + payload_bytes + b"}"
    assert data == canonical_json({"format": BUNDLE_FORMAT, "format_version": BUNDLE_FORMAT_VERSION,
                                   "manifest": manifest, "payload": payload})
    return data
