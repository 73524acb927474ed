"""Rampart dialect front end: YAML file -> diagnostics + IR (spec §1, §6).

``load_file(path)`` reads a policy or test-suite file with positions
(:mod:`policyc.frontends.yaml_source`), validates its structure against the
shipped JSON Schema (``policyc/dialects/rampart/schema.json``, draft 2020-12),
checks every load-time rule of spec §1 (actions, webhooks, globs, regexes,
durations, ``call_count``, ``agent_depth``, policy names), and lowers what is
valid to :mod:`policyc.ir`. Nothing raises on bad input: every problem is a
:class:`~policyc.diagnostics.model.Diagnostic` in the result.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from policyc import patterns
from policyc.checks import Check, check
from policyc.diagnostics.model import Diagnostic, DiagnosticError, Severity
from policyc.dialects.rampart import fastschema
from policyc.frontends import yaml_source
from policyc.frontends.yaml_source import YMap, YNode, YScalar, YSeq
from policyc.ir import (
    CallCount, Condition, DepthRange, Effect, Field, FieldPredicate, Pattern,
    PatternLanguage, Policy, Rule, Scope, Span, Tier, Webhook,
)

if TYPE_CHECKING:  # pragma: no cover
    import jsonschema

#: The checks this module reports (assembled by :mod:`policyc.checks`); the loader
#: also reports PC016 across files and the test runner PC021 for a suite's policy.
CHECKS = [
    Check("PC007", "unknown-key", Severity.ERROR, "A key the dialect does not know; the engine refuses the file."),
    Check("PC008", "schema-violation", Severity.ERROR, "A value has the wrong type or shape for the dialect."),
    Check("PC009", "unsupported-version", Severity.ERROR, "Only version \"1\" is accepted."),
    Check("PC010", "invalid-action", Severity.ERROR,
          "A rule action that is not allow, deny, ask, watch, log or webhook."),
    Check("PC011", "webhook-without-url", Severity.ERROR, "A webhook action needs webhook.url."),
    Check("PC012", "empty-command-contains", Severity.ERROR,
          "An empty or whitespace command_contains entry matches every command."),
    Check("PC013", "invalid-call-count", Severity.ERROR, "call_count needs 0 <= gte <= 1000 and 0 < window <= 720h."),
    Check("PC014", "invalid-regex", Severity.ERROR,
          "A response pattern is not accepted RE2 syntax, too long, or has nested quantifiers."),
    Check("PC015", "invalid-glob", Severity.ERROR, "A glob pattern is malformed or over the engine's length limits."),
    Check("PC016", "duplicate-policy-name", Severity.ERROR, "Two policies in one file share a name."),
    Check("PC017", "missing-policy-name", Severity.ERROR, "A policy has no name."),
    Check("PC018", "invalid-default-action", Severity.ERROR, "default_action is not allow, deny, ask, watch or log."),
    Check("PC019", "invalid-duration", Severity.ERROR, "A duration is malformed or out of range."),
    Check("PC020", "invalid-agent-depth", Severity.ERROR, "agent_depth bounds are not non-negative integers."),
    Check("PC021", "invalid-test-case", Severity.ERROR,
          "A test case is malformed or names a policy file that cannot be read."),
    Check("PC022", "invalid-timestamp", Severity.ERROR, "expires_at is not an RFC 3339 timestamp."),
    Check("PC023", "unsupported-dialect", Severity.ERROR,
          "A file of another dialect given to a command that reads only Rampart policies."),
    Check("PC025", "empty-file", Severity.ERROR,
          "The file holds no policy: it is empty, only comments, `---` or `null`."),
    Check("PC026", "non-string-key", Severity.WARNING,
          "A mapping key YAML reads as a number, boolean, date or null; the engine uses its text."),
    Check("PC201", "project-webhook", Severity.ERROR,
          "A project-tier policy uses `action: webhook`, which the engine refuses."),
]

DEFAULT_PRIORITY = 100
MAX_REGEX_CHARS = 500
MAX_WEBHOOK_TIMEOUT = 30.0
MAX_CALL_WINDOW = 720 * 3600.0

# condition key -> (field, language, is_exclusion)
_GLOB_KEYS: dict[str, tuple[Field, PatternLanguage, bool]] = {
    "command_matches": (Field.COMMAND, PatternLanguage.COMMAND_GLOB, False),
    "command_not_matches": (Field.COMMAND, PatternLanguage.COMMAND_GLOB, True),
    "command_contains": (Field.COMMAND, PatternLanguage.SUBSTRING, False),
    "command_env_assignments": (Field.ENV_ASSIGNMENT, PatternLanguage.COMMAND_GLOB, False),
    "path_matches": (Field.PATH, PatternLanguage.PATH_GLOB, False),
    "path_not_matches": (Field.PATH, PatternLanguage.PATH_GLOB, True),
    "url_matches": (Field.URL, PatternLanguage.COMMAND_GLOB, False),
    "domain_matches": (Field.DOMAIN, PatternLanguage.DOMAIN_GLOB, False),
    "session_matches": (Field.SESSION, PatternLanguage.COMMAND_GLOB, False),
    "session_not_matches": (Field.SESSION, PatternLanguage.COMMAND_GLOB, True),
    "response_matches": (Field.RESPONSE, PatternLanguage.REGEX, False),
    "response_not_matches": (Field.RESPONSE, PatternLanguage.REGEX, True),
}
_FLAVOR = {PatternLanguage.COMMAND_GLOB: "command", PatternLanguage.PATH_GLOB: "path",
           PatternLanguage.DOMAIN_GLOB: "domain"}
_FIELD_ORDER = [Field.COMMAND, Field.ENV_ASSIGNMENT, Field.PATH, Field.URL, Field.DOMAIN,
                Field.SESSION, Field.RESPONSE]


@dataclass(frozen=True)
class TestCase:
    """One expected decision (spec §6). ``call`` is the tool call as a mapping
    in the shape :func:`policyc.evaluate.ToolCall.from_mapping` reads."""

    name: str
    call: dict[str, Any]
    expect: Effect
    expect_message: str | None
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Notify:
    """A file's ``notify`` block: the ``url`` and the ``on`` events
    (lower-cased text), at ``span``. Never enforced by a bundle; coverage
    reads it as evidence."""

    url: str
    events: tuple[str, ...]
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class FileFacts:
    """What later stages need of a file's syntax, read once by the front end
    so nothing past it walks the YAML tree: where ``default_action`` is set
    (``default_span``; None when the file does not set it), the ``policy:``
    line of a test suite (``suite_span``, ``suite_text``), the ``notify``
    block, and the span of every rule mapping (``rule_spans``, the anchors
    of ``# policyc: ignore`` comments that cover a whole rule)."""

    default_span: Span | None = None
    suite_span: Span | None = None
    suite_text: str | None = None
    notify: Notify | None = None
    rule_spans: tuple[Span, ...] = ()


@dataclass
class LoadedFile:
    """The result of reading one file.

    ``policies`` and ``default`` are what the engine would enforce (empty when
    the file has load errors: the engine refuses the whole file);
    ``lowered`` holds the policies as read even then (for checks of problems
    independent of the load error); ``suite_policy`` is the resolved
    ``policy:`` path of a test-suite file; ``facts`` what else later stages
    need of its syntax (:class:`FileFacts`).
    """

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    policies: tuple[Policy, ...] = ()
    default: Effect | None = None
    tests: tuple[TestCase, ...] = ()
    suite_policy: str | None = None
    tier: Tier = Tier.GLOBAL
    lowered: tuple[Policy, ...] = ()
    facts: FileFacts = FileFacts()

    @property
    def ok(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)


@lru_cache(maxsize=1)
def schema_text() -> str:
    """The text of the dialect's JSON Schema (``schema.json`` beside this module)."""
    try:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema.json"), encoding="utf-8") as f:
            return f.read()
    except OSError:  # pragma: no cover - not installed as plain files
        from importlib import resources

        return resources.files("policyc.dialects.rampart").joinpath("schema.json").read_text("utf-8")


@lru_cache(maxsize=1)
def schema() -> dict:
    """The dialect's JSON Schema (draft 2020-12) as a dict."""
    return json.loads(schema_text())


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    """The full validator, which names every error: imported only when the
    fast one has refused a document (a clean check never loads jsonschema)."""
    import jsonschema

    return jsonschema.Draft202012Validator(schema())


def _fast_validator():
    """The schema compiled to Python by fastjsonschema: about 15x faster than
    jsonschema on a valid document, but it stops at the first error, so it
    only answers "valid?" (tests/test_schema_fast_path.py holds the two to the
    same verdicts). It raises :func:`fast_schema_error` for an invalid document."""
    return _fast_schema()[0]


@lru_cache(maxsize=1)
def _fast_schema():
    """``(validate, its exception)``: generated ahead of time when made from
    this schema (:mod:`.fastschema`), else compiled now."""
    generated = fastschema.load(schema_text())
    if generated is not None:
        return generated
    import fastjsonschema

    return fastjsonschema.compile(schema()), fastjsonschema.JsonSchemaException


def fast_schema_error() -> type[Exception]:
    """The exception :func:`_fast_validator` raises for an invalid document."""
    return _fast_schema()[1]


def load_file(path: str, *, tier: Tier = Tier.GLOBAL) -> LoadedFile:
    """Read, validate and lower the Rampart file at ``path``.

    Raises ``OSError`` only when the file cannot be opened (the CLI maps it to
    exit status 2); every problem with the content is a diagnostic.
    """
    try:
        root = yaml_source.load(path)
    except DiagnosticError as exc:
        return LoadedFile(path, [exc.diagnostic], tier=tier)
    return lower(root, path, tier=tier)


def lower(root: YNode | None, path: str, *, tier: Tier = Tier.GLOBAL) -> LoadedFile:
    """Validate and lower an already parsed document (see :func:`load_file`)."""
    out = LoadedFile(path, tier=tier)
    if root is None or (isinstance(root, YScalar) and root.value is None):
        out.diagnostics.append(_empty_file(path, root))
        return out
    if not isinstance(root, YMap):
        out.diagnostics.append(check("PC008").at(
            root.span, "a policy file must be a mapping at the top level",
            help="start the file with `version: \"1\"` and `policies:`"))
        return out
    dialect = _other_dialect(root)
    if dialect is not None:
        out.diagnostics.append(check("PC023").at(
            root.span, f"this is a file of the {dialect.NAME} dialect, not a Rampart policy; only a Rampart "
            "policy can stand here, so the file was not used",
            help=f"a project tier (--project) is a Rampart policy; give {dialect.NAME} files as PATHS, which "
                 "every command reads as their dialect (docs/dialects.md)"))
        return out
    out.facts = _facts(root)
    out.diagnostics.extend(_key_diagnostics(root))
    out.diagnostics.extend(_schema_diagnostics(root))
    lowering = _Lowering(path, tier, out.diagnostics)
    out.default = lowering.default_action(root)
    lowering.version(root)
    out.policies = out.lowered = lowering.policies(root.get("policies"))
    out.tests = lowering.tests(root.get("tests"))
    suite = root.get("policy")
    if isinstance(suite, YScalar) and isinstance(suite.value, str):
        out.suite_policy = resolve_suite_policy(path, suite.value)
        if not os.path.isfile(out.suite_policy):
            out.diagnostics.append(check("PC021").at(
                suite.span, f"suite policy {suite.value!r} not found (looked for {out.suite_policy})",
                help="`policy:` is resolved relative to the suite file's directory"))
    if not out.ok:
        out.policies = ()
    out.diagnostics.sort(key=Diagnostic.sort_key)
    return out


def _empty_file(path: str, root: YScalar | None) -> Diagnostic:
    """PC025 at ``path:1:1``: the engine refuses a config with no policies and
    no default (``engine: reload rejected — empty config (file may be
    mid-write)``), and an empty file is most often a truncated write."""
    what = "has no content (it is empty, or only whitespace, comments or `---`)"
    if root is not None:
        what = f"is a single `{root.text or 'null'}` document"
    return check("PC025").at(
        Span(path, 1, 1, 1, 2), f"the file holds no policy: {path} {what}",
        help="write the policy (`version: \"1\"`, `policies:`) or remove the file; "
             "the engine refuses an empty config",
        label="empty policy file")


def _other_dialect(root: YMap):
    """The registered dialect (:mod:`policyc.dialects.registry`) that claims
    a document with these top-level keys, else ``None``."""
    from policyc.dialects.registry import dialects  # the registry reads files through this module

    keys = {key.text: None for key, _ in root.items}
    return next((d for d in dialects() if d.claims(keys)), None)


# ------------------------------------------------------------------- keys


@dataclass(frozen=True)
class _Shape:
    """How the engine decodes a mapping, for its keys: ``struct`` (a Go
    struct; ``fields`` gives a field's value shape, applied to each item of a
    list value), ``map`` (``map[string]string`` / ``map[string]any``, values
    ``free``) or ``free`` (an ``any`` value: keys keep their YAML type)."""

    kind: str
    context: str
    fields: tuple[tuple[str, _Shape], ...] = ()

    def field(self, key: YScalar) -> _Shape:
        if self.kind == "map":
            return _FREE
        name = key.engine_key if key.is_string else None
        return next((shape for f, shape in self.fields if f == name), _FREE)


_FREE = _Shape("free", "a free-form value")
_WHEN = _Shape("struct", "a condition", (
    ("agent_depth", _Shape("struct", "agent_depth")),
    ("call_count", _Shape("struct", "call_count")),
    ("tool_param_matches", _Shape("map", "tool_param_matches")),
))
_RULE = _Shape("struct", "a rule", (
    ("when", _WHEN), ("webhook", _Shape("struct", "a webhook")), ("ask", _Shape("struct", "ask")),
))
_POLICY = _Shape("struct", "a policy", (("match", _Shape("struct", "match")), ("rules", _RULE)))
_TEST = _Shape("struct", "a test case", (("params", _Shape("map", "a test case's params")),))
_ROOT = _Shape("struct", "the policy file", (
    ("policies", _POLICY), ("tests", _TEST), ("notify", _Shape("struct", "notify")),
))


def _key_diagnostics(root: YMap) -> list[Diagnostic]:
    """Diagnostics for keys that are not strings, at each key, read the way
    the engine (yaml.v3) decodes the mapping (see docs/semantics.md, "Keys
    that are not strings"):

    * a null key (``null``, ``~``, empty) in a struct or a string-keyed map:
      PC008 (the engine skips the entry; under ``tool_param_matches`` that
      can leave the condition empty, matching every call);
    * any other non-string key of a struct: PC007 from the schema (its text
      names no field: the engine refuses the file);
    * a non-string key of ``tool_param_matches`` or a test case's ``params``:
      PC026 (the engine reads its source text: ``1:`` is parameter ``"1"``,
      ``0x10:`` parameter ``"0x10"``), and of any free-form value: PC026.
    """
    out: list[Diagnostic] = []
    seen: set[tuple[str, Span]] = set()
    stack: list[tuple[YNode, _Shape]] = [(root, _ROOT)]
    while stack:
        node, shape = stack.pop()
        if isinstance(node, YSeq):
            stack.extend((item, shape) for item in reversed(node.items))
            continue
        if not isinstance(node, YMap):
            continue
        for key, value in reversed(node.items):
            stack.append((value, shape.field(key)))
        for key, _ in node.items:
            diag = _key_diagnostic(key, shape)
            if diag is not None and (diag.code, key.span) not in seen:  # aliases repeat nodes
                seen.add((diag.code, key.span))
                out.append(diag)
    return out


def _key_diagnostic(key: YScalar, shape: _Shape) -> Diagnostic | None:
    if key.is_string:
        return None
    kind = key.engine_kind
    if key.engine_key is None and shape.kind != "free":
        shown = f"null key `{key.text}`" if key.text else "empty (null) key"
        effect = "the engine skips the entry without reading its value"
        if shape.context == "tool_param_matches":
            effect = ("the engine drops this parameter pattern, and when no other entry remains "
                      "the condition has no tool_param_matches: the rule matches every call")
        return check("PC008").at(
            key.span, f"{shown} in {shape.context}: {effect}",
            help=f"yaml.v3 cannot store a null key in a string, so the engine loads the file without "
                 f"this entry; write the name you meant, quoted (`\"{key.text}\":`) if it really is "
                 "that text, or remove the entry",
            label="null key")
    if shape.kind == "struct":
        return None  # an unknown field to the engine: PC007 from the schema
    if shape.kind == "map":
        what = "parameter" if shape.context == "tool_param_matches" else "test call parameter"
        message = (f"key `{key.text}` in {shape.context} is {kind} to YAML, but the engine reads "
                   f"the key as written: the {what} \"{key.text}\"")
    else:
        message = (f"key `{key.text}` inside {shape.context} is {kind} to YAML, not a string; "
                   "the engine keeps it as such a key")
    return check("PC026").at(
        key.span, message, label=f"{kind.split()[-1]} key",
        help=f'yaml.v3 decodes a key into a string as its source text, never its value '
             f'(`0x10:` is "0x10", not "16"); quote the key to say so: `"{key.text}":`')


# ---------------------------------------------------------------- facts


def _facts(root: YMap) -> FileFacts:
    default = root.get("default_action")
    suite = root.get("policy")
    return FileFacts(
        default_span=default.span if default is not None else None,
        suite_span=suite.span if suite is not None else None,
        suite_text=suite.value if isinstance(suite, YScalar) and isinstance(suite.value, str) else None,
        notify=_notify(root.get("notify")),
        rule_spans=tuple(rule_spans(root)),
    )


def _notify(node: YNode | None) -> Notify | None:
    plain = yaml_source.to_plain(node)
    if not isinstance(plain, dict) or not plain.get("url"):
        return None
    on = plain.get("on")
    events = [str(e).lower() for e in on] if isinstance(on, list) else [str(on).lower()]
    return Notify(str(plain["url"]), tuple(events), node.span)


def rule_spans(root: YNode | None) -> list[Span]:
    """The spans of every rule mapping (``policies[*].rules[*]``) in a
    Rampart document tree; empty for other shapes. Never raises."""
    out = []
    policies = root.get("policies") if isinstance(root, YMap) else None
    for policy in policies.items if isinstance(policies, YSeq) else ():
        rules = policy.get("rules") if isinstance(policy, YMap) else None
        out.extend(r.span for r in (rules.items if isinstance(rules, YSeq) else ()) if isinstance(r, YMap))
    return out


# ---------------------------------------------------------------- schema


def _schema_diagnostics(root: YMap) -> list[Diagnostic]:
    # Keys as the engine reads them: `1:` is the text "1"; null keys (which
    # the engine skips) are left out, _key_diagnostics reports them.
    plain = yaml_source.to_plain(root, engine_keys=True)
    validate, invalid = _fast_schema()
    try:
        validate(plain)
        return []
    except invalid:
        pass  # jsonschema names every error, with its path
    found: list[Diagnostic] = []
    for err in _validator().iter_errors(plain):
        found.extend(_schema_error(root, err))
    return found


def _schema_error(root: YMap, err: jsonschema.ValidationError) -> list[Diagnostic]:
    where = list(err.absolute_path)
    node = yaml_source.node_at(root, where)
    context = _context_name(where)
    subject = context
    if where and isinstance(where[-1], str):
        subject = f"`{where[-1]}` in {_context_name(where[:-1])}"
    if err.validator == "additionalProperties" and isinstance(node, YMap):
        known = sorted(err.schema.get("properties", {}))
        return [_unknown_key(key, known, context) for key, _ in node.items
                if key.engine_key is not None and key.engine_key not in known]
    if err.validator in ("type", "oneOf"):
        expected = _expected_type(err)
        return [check("PC008").at(node.span, f"{subject}: expected {expected}, found {_kind(err.instance)}")]
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return [check("PC008").at(node.span, f"{context}: missing required key `{missing}`")]
    return [check("PC008").at(node.span, f"{subject}: {err.message}")]


def _unknown_key(key: YScalar, known: list[str], context: str) -> Diagnostic:
    name = key.engine_key or ""  # the text the engine compares with the field names
    import difflib

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean `{close[0]}`?" if close else f"known keys here: {', '.join(known)}"
    if not key.is_string:
        hint = (f"YAML reads `{name}` as {key.engine_kind}; the engine "
                f"compares the key's text with the field names and finds none ({hint})")
    return check("PC007").at(
        key.span, f"unknown key `{name}` in {context}; the engine refuses the file",
        help=hint, label="unknown key", suggestion=close[0] if close else None)


def _context_name(where: list) -> str:
    names = {"policies": "policy", "rules": "rule", "when": "condition", "match": "match",
             "tests": "test case", "webhook": "webhook", "ask": "ask", "notify": "notify",
             "agent_depth": "agent_depth", "call_count": "call_count"}
    for part in reversed(where):
        if isinstance(part, str) and part in names:
            return names[part]
    return "the policy file" if not where else f"`{where[-1]}`"


def _expected_type(err: jsonschema.ValidationError) -> str:
    if err.validator == "oneOf":
        return "a string or a list of strings"
    want = err.validator_value
    if isinstance(want, list):
        want = [w for w in want if w != "null"]
        return " or ".join(_article(w) for w in want)
    return _article(want)


def _article(kind: str) -> str:
    return {"object": "a mapping", "array": "a list", "string": "a string", "integer": "an integer",
            "boolean": "a boolean (true/false)"}.get(kind, kind)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return {dict: "a mapping", list: "a list", str: "a string", int: "an integer",
            float: "a number"}.get(type(value), type(value).__name__)


# --------------------------------------------------------------- lowering


class _Lowering:
    """Semantic checks and lowering; skips anything the schema rejected."""

    def __init__(self, path: str, tier: Tier, diagnostics: list[Diagnostic]):
        self.path = path
        self.tier = tier
        self.diags = diagnostics

    def report(self, code: str, span: Span, message: str, **kw) -> None:
        self.diags.append(check(code).at(span, message, **kw))

    # -- file level
    def version(self, root: YMap) -> None:
        node = root.get("version")
        if isinstance(node, YScalar) and str(node.value) != "1":
            self.report("PC009", node.span, f"unsupported version {node.value!r}; only \"1\" is accepted",
                        help='write `version: "1"`')

    def default_action(self, root: YMap) -> Effect:
        node = root.get("default_action")
        if not isinstance(node, YScalar) or not isinstance(node.value, str):
            return Effect.DENY
        text = node.value.strip().lower()
        if text in ("allow", "deny", "ask", "watch", "log"):
            return Effect.parse(text)
        self.report("PC018", node.span, f"invalid default_action {node.value!r}",
                    help="use allow, deny, ask, watch or log; absent means deny")
        return Effect.DENY

    # -- policies
    def policies(self, node: YNode | None) -> tuple[Policy, ...]:
        if not isinstance(node, YSeq):
            return ()
        seen: dict[str, Span] = {}
        out = []
        for item in node.items:
            if not isinstance(item, YMap):
                continue
            policy = self.policy(item, seen)
            if policy is not None:
                out.append(policy)
        return tuple(out)

    def policy(self, node: YMap, seen: dict[str, Span]) -> Policy | None:
        name_node = node.get("name")
        name = name_node.value if isinstance(name_node, YScalar) else None
        if not isinstance(name, str) or not name.strip():
            self.report("PC017", (name_node or node).span, "policy has no name",
                        help="give every policy a unique `name:`")
            name = None
        elif name in seen:
            first = seen[name]
            self.report("PC016", name_node.span,
                        f"duplicate policy name `{name}` (first defined at line {first.line})",
                        help="rename one of the policies; the engine refuses the file")
        else:
            seen[name] = name_node.span
        rules_node = node.get("rules")
        rules = []
        if isinstance(rules_node, YSeq):
            for index, item in enumerate(rules_node.items):
                if isinstance(item, YMap):
                    rule = self.rule(item, index)
                    if rule is not None:
                        rules.append(rule)
        if name is None:
            return None
        return Policy(
            name=name,
            scope=self.scope(node.get("match")),
            rules=tuple(rules),
            priority=self.priority(node.get("priority")),
            enabled=_scalar(node.get("enabled"), bool, True),
            tier=self.tier,
            description=_scalar(node.get("description"), str, ""),
            source=self.path,
            span=node.span,
        )

    @staticmethod
    def priority(node: YNode | None) -> int:
        value = _scalar(node, int, 0)
        return DEFAULT_PRIORITY if value == 0 else value

    def scope(self, node: YNode | None) -> Scope:
        if not isinstance(node, YMap):
            return Scope()
        tools = tuple(self.globs(node.get("tool"), PatternLanguage.COMMAND_GLOB))
        agent = self.globs(node.get("agent"), PatternLanguage.COMMAND_GLOB)
        session = self.globs(node.get("session"), PatternLanguage.COMMAND_GLOB)
        return Scope(tools=tools, agent=agent[0] if agent else None,
                     session=session[0] if session else None, span=node.span)

    # -- rules
    def rule(self, node: YMap, index: int) -> Rule | None:
        action_node = node.get("action")
        effect = None
        if isinstance(action_node, YScalar) and isinstance(action_node.value, str):
            effect = self.action(action_node)
        webhook = self.webhook(node.get("webhook"), effect, action_node)
        if effect is Effect.WEBHOOK and self.tier is Tier.PROJECT:
            self.report("PC201", action_node.span, "a project-tier policy may not use `action: webhook`; "
                        "the engine refuses the whole file, so none of its restrictions apply",
                        help="use `action: ask` (or deny) in .rampart/policy.yaml; webhooks belong in the "
                             "global policy")
        condition = self.condition(node.get("when"))
        expires = self.expires_at(node.get("expires_at"))
        if effect is None:
            return None
        return Rule(
            effect=effect,
            condition=condition,
            message=_scalar(node.get("message"), str, ""),
            webhook=webhook,
            expires_at=expires,
            once=_scalar(node.get("once"), bool, False),
            index=index,
            span=node.span,
        )

    def action(self, node: YScalar) -> Effect | None:
        text = node.value.strip().lower()
        if text == "require_approval":
            self.report("PC010", node.span, "`require_approval` is a removed action",
                        help="use `action: ask`")
            return None
        try:
            return Effect.parse(text)
        except ValueError:
            import difflib

            close = difflib.get_close_matches(text, ["allow", "deny", "ask", "watch", "log", "webhook"], n=1)
            self.report("PC010", node.span, f"unknown action {node.value!r}",
                        help=f"did you mean `{close[0]}`?" if close else
                        "use allow, deny, ask, watch, log or webhook")
            return None

    def webhook(self, node: YNode | None, effect: Effect | None, action_node: YNode | None) -> Webhook | None:
        url_node = node.get("url") if isinstance(node, YMap) else None
        url = url_node.value if isinstance(url_node, YScalar) and isinstance(url_node.value, str) else ""
        if effect is Effect.WEBHOOK and not url.strip():
            self.report("PC011", (node or action_node).span, "webhook action without `webhook.url`",
                        help="add `webhook: {url: https://...}`")
        if not isinstance(node, YMap):
            return None
        timeout = 5.0
        timeout_node = node.get("timeout")
        if isinstance(timeout_node, YScalar) and isinstance(timeout_node.value, str):
            seconds = self.duration(timeout_node)
            if seconds is not None:
                timeout = min(seconds, MAX_WEBHOOK_TIMEOUT)
        return Webhook(url=url, timeout_seconds=timeout,
                       fail_open=_scalar(node.get("fail_open"), bool, False))

    def expires_at(self, node: YNode | None) -> str | None:
        if not isinstance(node, YScalar) or node.value is None:
            return None
        text = str(node.value)
        try:
            _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.report("PC022", node.span, f"expires_at {text!r} is not an RFC 3339 timestamp",
                        help='write e.g. `expires_at: "2026-12-31T23:59:59Z"`')
            return None
        return text

    def duration(self, node: YScalar) -> float | None:
        try:
            return patterns.parse_duration(node.value)
        except patterns.PatternError as exc:
            self.report("PC019", _inside(node, exc.offset), f"invalid duration {node.value!r}: {exc.message}",
                        help="write a Go duration such as 30s, 5m or 1h")
            return None

    # -- conditions
    def condition(self, node: YNode | None) -> Condition:
        if not isinstance(node, YMap):
            return Condition(span=node.span if node is not None else None)
        parts: dict[Field, tuple[list[Pattern], list[Pattern]]] = {}
        for key, (fld, language, exclusion) in _GLOB_KEYS.items():
            found = self.globs(node.get(key), language)
            if found:
                bucket = parts.setdefault(fld, ([], []))
                bucket[1 if exclusion else 0].extend(found)
        predicates = tuple(
            FieldPredicate(fld, tuple(parts[fld][0]), tuple(parts[fld][1]))
            for fld in _FIELD_ORDER if fld in parts)
        return Condition(
            predicates=predicates,
            any_param=self.params(node.get("tool_param_matches")),
            depth=self.depth(node.get("agent_depth")),
            call_count=self.call_count(node.get("call_count")),
            catch_all=_scalar(node.get("default"), bool, False),
            span=node.span,
        )

    def params(self, node: YNode | None) -> tuple[FieldPredicate, ...]:
        if not isinstance(node, YMap):
            return ()
        out = []
        for key, value in node.items:
            # The engine's map[string]string key: the source text (`1:` is
            # parameter "1"); a null key is dropped (PC008, the file is refused).
            found = self.globs(value, PatternLanguage.COMMAND_GLOB)
            if found and key.engine_key is not None:
                out.append(FieldPredicate(Field.PARAM, tuple(found), param=key.engine_key, span=key.span))
        return tuple(out)

    def depth(self, node: YNode | None) -> DepthRange | None:
        if not isinstance(node, YMap):
            return None
        bounds = {}
        for key in ("gte", "lte", "eq"):
            value = node.get(key)
            if isinstance(value, YScalar) and isinstance(value.value, int) and not isinstance(value.value, bool):
                if value.value < 0:
                    self.report("PC020", value.span, f"agent_depth.{key} must be >= 0, got {value.value}")
                    continue
                bounds[key] = value.value
        low, high = bounds.get("gte"), bounds.get("lte")
        if "eq" in bounds:
            low = bounds["eq"] if low is None else max(low, bounds["eq"])
            high = bounds["eq"] if high is None else min(high, bounds["eq"])
        return DepthRange(low, high, span=node.span)

    def call_count(self, node: YNode | None) -> CallCount | None:
        if not isinstance(node, YMap):
            return None
        gte_node, window_node = node.get("gte"), node.get("window")
        gte = gte_node.value if isinstance(gte_node, YScalar) else None
        ok = True
        if isinstance(gte, int) and not isinstance(gte, bool) and not 0 <= gte <= 1000:
            self.report("PC013", gte_node.span, f"call_count.gte must be between 0 and 1000, got {gte}")
            ok = False
        window = None
        if isinstance(window_node, YScalar) and isinstance(window_node.value, str):
            window = self.duration(window_node)
            if window is not None and not 0 < window <= MAX_CALL_WINDOW:
                self.report("PC013", window_node.span,
                            f"call_count.window must be > 0 and at most 720h, got {window_node.value!r}")
                window = None
        if not ok or window is None or not isinstance(gte, int):
            return None
        tool = self.globs(node.get("tool"), PatternLanguage.COMMAND_GLOB)
        return CallCount(gte=gte, window_seconds=window, tool=tool[0] if tool else None, span=node.span)

    def globs(self, node: YNode | None, language: PatternLanguage) -> list[Pattern]:
        """Patterns of a string-or-list value, each validated in its language."""
        if isinstance(node, YScalar):
            items = [node]
        elif isinstance(node, YSeq):
            items = [i for i in node.items if isinstance(i, YScalar)]
        else:
            return []
        out = []
        for item in items:
            if not isinstance(item.value, str):
                continue
            if self.valid_pattern(item, language):
                out.append(Pattern(item.value, language, span=item.span))
        return out

    def valid_pattern(self, node: YScalar, language: PatternLanguage) -> bool:
        text = node.value
        if language is PatternLanguage.SUBSTRING:
            if not text.strip():
                self.report("PC012", node.span, "empty command_contains entry matches every command",
                            help="remove it, or write the substring you mean")
                return False
            return True
        try:
            if language is PatternLanguage.REGEX:
                if len(text) > MAX_REGEX_CHARS:
                    raise patterns.PatternError(
                        f"regex is {len(text)} characters long; the limit is {MAX_REGEX_CHARS}", MAX_REGEX_CHARS)
                patterns.validate_regex(text)
            else:
                patterns.check_glob_limits(text)
                patterns.parse_glob(text, _FLAVOR[language])
        except patterns.PatternError as exc:
            code = "PC014" if language is PatternLanguage.REGEX else "PC015"
            self.report(code, _inside(node, exc.offset), f"invalid pattern {text!r}: {exc.message}",
                        label=exc.message)
            return False
        return True

    # -- tests
    def tests(self, node: YNode | None) -> tuple[TestCase, ...]:
        if not isinstance(node, YSeq):
            return ()
        out = []
        for index, item in enumerate(node.items):
            if isinstance(item, YMap):
                case = self.test_case(item, index)
                if case is not None:
                    out.append(case)
        return tuple(out)

    def test_case(self, node: YMap, index: int) -> TestCase | None:
        plain = yaml_source.to_plain(node, engine_keys=True)  # params keys: their text
        name = plain.get("name") or f"test #{index + 1}"
        expect = plain.get("expect")
        if not isinstance(plain.get("tool"), str) or not isinstance(expect, str):
            return None  # the schema already reported it
        try:
            effect = Effect.parse("ask" if expect.strip().lower() == "require_approval" else expect)
        except ValueError:
            self.report("PC021", node.get("expect").span, f"test case `{name}` expects unknown decision {expect!r}",
                        help="expect allow, deny, ask, watch (log) or webhook")
            return None
        call = {k: plain[k] for k in ("tool", "params", "agent") if plain.get(k) is not None}
        call.setdefault("agent", "test")  # the engine's test runner default
        call.setdefault("params", {})
        return TestCase(str(name), call, effect, plain.get("expect_message"), span=node.span)


def resolve_suite_policy(suite_path: str, policy: str) -> str:
    """A suite's ``policy:`` path, resolved as the engine does: ``~/``
    expands to the home directory, a relative path is taken from the suite
    file's directory (spec §6)."""
    if policy.startswith("~/"):
        policy = os.path.join(os.path.expanduser("~"), policy[2:])
    if not os.path.isabs(policy):
        policy = os.path.join(os.path.dirname(suite_path), policy)
    return os.path.normpath(policy)


def _scalar(node: YNode | None, kind: type, default: Any) -> Any:
    if isinstance(node, YScalar) and isinstance(node.value, kind) and not (
            kind is int and isinstance(node.value, bool)):
        return node.value
    return default


def _inside(node: YScalar, offset: int) -> Span:
    """The span of character ``offset`` inside a scalar's text (exact for
    single-line scalars without escapes, else the scalar's start)."""
    span = node.span
    if span.end_line not in (None, span.line):
        return span
    return span.shifted(node.value_offset + offset)
