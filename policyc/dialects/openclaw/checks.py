"""The dialect's checks (PC501-PC514, PC512 retired): what the engine does silently.

:func:`run_checks` analyses every policy a :class:`~.loader.LoadResult`
read (replaced ones included) and returns diagnostics; the loader itself
reports PC501-PC503 and the schema's PC504 (unloadable files, duplicate
agents, unknown keys, wrong types outside the rule lists). Each message names what the engine really does. The codes, names
and severities are in :mod:`.codes`; ``CHECKS`` lists them for the registry.
Rules that never decide a call because an earlier one always does are the
shared passes' (PC101, PC302; :data:`policyc.dialects.openclaw.SHARED_PASSES`).

Sources quoted for the sections the engine never reads (the toolkit's
``src/`` at reflectt/openclaw-production-toolkit 583166f; only
``policy-engine.js`` is in ``../shared/corpora``): ``audit-logger.js``
redacts a fixed list and takes its retention from its options,
``identity-system.js`` blocks below a hard-coded trust score of 50, no
module reads ``rate_limits`` or ``trust``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterator

from policyc.diagnostics.model import Diagnostic
from policyc.dialects.openclaw import conditions, patterns
from policyc.dialects.openclaw.codes import (
    ALLOW_ALL, BROKEN_CONDITION, CHECKS, IGNORED_TEXT, LITERAL_STAR, NO_ACTION, NO_CONDITION,
    NOT_ENFORCED, SCHEMA, STRING_LIST, THROWS,
)
from policyc.dialects.openclaw.jsprops import OBJECT_PROTO
from policyc.dialects.openclaw.jsvalue import (
    JS_WHITESPACE, UNDEFINED, JSDate, JSObject, describe, number_to_string, show, truthy,
)
from policyc.dialects.openclaw.model import AgentPolicy, RuleEntry, RuleList, Section

if TYPE_CHECKING:  # pragma: no cover
    from policyc.dialects.openclaw.loader import LoadResult

__all__ = ["CHECKS", "run_checks", "check_policy", "REDACTED_FIELDS", "TRUST_FLOOR"]

REDACTED_FIELDS = ("password", "token", "secret", "apiKey", "ssn", "creditCard")
"""``AuditLogger.sanitizeContext``'s fixed list (src/audit-logger.js)."""

TRUST_FLOOR = 50
"""``IdentitySystem.verifyIdentity`` refuses an agent when ``trustScore < 50``."""

_AUDIT_SRC = ("src/audit-logger.js, sanitizeContext: `const sensitiveFields = ['password', 'token', "
              "'secret', 'apiKey', 'ssn', 'creditCard'];`")
_RETENTION_SRC = ("src/audit-logger.js, constructor: `retentionDays: options.retentionDays || 2555`; "
                  "no code reads retentionDays afterwards")
_TRUST_SRC = "src/identity-system.js, verifyIdentity: `if (trustScore < 50) { ... verified: false`"
_RATE_SRC = ("src/policy-engine.js and src/production-agent.js read only `agent` and "
             "`permissions`; no toolkit module counts actions")


def run_checks(result: LoadResult) -> list[Diagnostic]:
    """Every finding of :func:`check_policy` for each policy ``result`` read
    (replaced ones included), sorted by file and position."""
    out: list[Diagnostic] = []
    for file in result.file_results:
        if file.policy is not None:
            out.extend(check_policy(file.policy))
    out.sort(key=Diagnostic.sort_key)
    return out


def check_policy(policy: AgentPolicy) -> list[Diagnostic]:
    """The findings for one policy file: PC504 (agent, entry and list types),
    PC505-PC511, PC513, PC514. Never raises."""
    out = list(_agent_type(policy))
    for rules in (policy.escalate, policy.deny, policy.allow):
        out.extend(_list_shape(rules))
    out.extend(_escalate_entries(policy.escalate))
    out.extend(_pattern_entries(policy.deny))
    out.extend(_pattern_entries(policy.allow))
    out.extend(_literal_stars(policy))
    out.extend(_allow_all(policy))
    out.extend(_not_enforced(policy))
    return out


def _where(rules: RuleList, entry: RuleEntry | None = None) -> str:
    text = f"permissions.{rules.name}"
    return f"`{text}[{entry.index}]`" if entry is not None else f"`{text}`"


# ---------------------------------------------------------------- agent


def _agent_type(policy: AgentPolicy) -> Iterator[Diagnostic]:
    agent = policy.agent
    if isinstance(agent, str) or not truthy(agent):
        return  # a falsy agent is PC501 (the load fails)
    if isinstance(agent, (float, bool)):
        text = show(agent)
        yield SCHEMA.at(policy.agent_span,
                        f"`agent` is {describe(agent)}, {text}: the engine keys this policy by that "
                        f"{'number' if isinstance(agent, float) else 'boolean'}, so only a call whose "
                        f"agent is {text} itself gets it, never the string \"{text}\"",
                        help=f'quote the agent id: `agent: "{text}"`', label="not a string")
        return
    what = "a Date (js-yaml reads the timestamp as one)" if isinstance(agent, JSDate) else describe(agent)
    yield SCHEMA.at(policy.agent_span,
                    f"`agent` is {what}: the engine keys this policy by that object, which no call's "
                    "agent can be, so the policy never applies",
                    help="write the agent id as a string (quote it)", label="not a string")


# ---------------------------------------------------------------- list shapes


def _list_shape(rules: RuleList) -> Iterator[Diagnostic]:
    var = "escalationRules" if rules.name == "escalate" else "rules"
    if rules.shape == "none" and rules.value is not None:
        yield SCHEMA.at(rules.span, f"{_where(rules)} is {describe(rules.value)} `{show(rules.value)}`: "
                        f"JavaScript treats it as false, so the engine reads no {rules.name} rules",
                        help=f"write a list, or `{rules.name}: []` for none", label="not a list")
    elif rules.shape == "string":
        chars = list(dict.fromkeys(e.value for e in rules.entries))
        shown = ", ".join(f"`{c}`" for c in chars[:12]) + (", ..." if len(chars) > 12 else "")
        effect = ""
        if "*" in chars:
            effect = "; its `*` character matches every action"
        yield STRING_LIST.at(rules.span,
                             f"{_where(rules)} is the string `{rules.value}`, not a list: the engine "
                             f"walks it character by character, so its patterns are the single "
                             f"characters {shown}{effect}",
                             help=f'write a list: `{rules.name}: ["{rules.value}"]`',
                             label="a string, not a list")
    elif rules.shape == "not-iterable":
        reached = {"escalate": "every call of this agent",
                   "deny": "every call of this agent that is not escalated",
                   "allow": "every call of this agent that is neither escalated nor denied"}
        yield THROWS.at(rules.span,
                        f"{_where(rules)} is {describe(rules.value)}, not a list: the engine throws "
                        f"`{var} is not iterable` (TypeError) for {reached[rules.name]}, which then "
                        "fails instead of being decided",
                        help=f"write {rules.name} as a list of patterns", label="not iterable")


# ---------------------------------------------------------------- entries


def _pattern_entries(rules: RuleList) -> Iterator[Diagnostic]:
    if rules.shape != "list":
        return
    for entry in rules.entries:
        if entry.kind == "pattern":
            continue
        if entry.value is None:
            error = "Cannot read properties of null (reading 'endsWith')"
        else:
            error = "pattern.endsWith is not a function"
        hint = "a list entry of allow and deny is an action pattern string"
        if isinstance(entry.value, JSObject):
            hint += ("; a mapping with `action` and `condition` is an escalate rule, and only "
                     "escalate reads it")
        yield THROWS.at(entry.span,
                        f"{_where(rules, entry)} is {describe(entry.value)}, not a pattern string: the "
                        f"engine throws `{error}` (TypeError) at every call that reaches it, though the "
                        "policy loads",
                        help=hint, label="the engine throws here")


def _escalate_entries(rules: RuleList) -> Iterator[Diagnostic]:
    if rules.shape != "list":
        return
    for entry in rules.entries:
        value = entry.value
        if entry.kind == "pattern":
            continue
        if entry.kind == "other":
            yield SCHEMA.at(entry.span,
                            f"{_where(rules, entry)} is {describe(value)}, {show(value)}: the engine "
                            "skips escalate entries that are neither strings nor mappings, so it never "
                            "escalates", help=f'quote it to make it a pattern: `- "{show(value)}"`',
                            label="skipped")
        elif value is None:
            yield THROWS.at(entry.span,
                            f"{_where(rules, entry)} is null (an empty list item): the engine throws "
                            "`Cannot read properties of null (reading 'action')` (TypeError) at every "
                            "call that reaches it", help="remove the empty item", label="null entry")
        elif not isinstance(value, JSObject):
            yield NO_CONDITION.at(entry.span,
                                  f"{_where(rules, entry)} is {describe(value)}, not a mapping: the engine "
                                  "reads no `action` or `condition` from it, so it never escalates",
                                  help="write a pattern string or a mapping with `action` and `condition`",
                                  label="never escalates")
        else:
            yield from _conditional(rules, entry)


def _conditional(rules: RuleList, entry: RuleEntry) -> Iterator[Diagnostic]:
    action, condition = entry.action, entry.condition
    where = _where(rules, entry)
    if truthy(action) and not isinstance(action, str):
        error = "pattern.endsWith is not a function"
        yield THROWS.at(entry.action_span or entry.span,
                        f"`action` of {where} is {describe(action)}, not a pattern string: the engine "
                        f"throws `{error}` (TypeError) at every call that reaches it",
                        help="write the action pattern as a string", label="the engine throws here")
    if not truthy(condition):
        what = "has no `condition`" if condition is UNDEFINED else \
            f"has an empty `condition` ({describe(condition)})"
        target = f"an action matching `{show(action)}`" if truthy(action) else "every action"
        help_ = (f"to escalate it always, write the pattern itself: `- \"{show(action)}\"`"
                 if isinstance(action, str) and action else "add `condition: FIELD OP NUMBER`")
        yield NO_CONDITION.at(entry.span,
                              f"{where} {what}: the engine escalates a mapping only when its condition "
                              f"holds, so this rule never escalates ({target} goes on to the deny and "
                              "allow rules)", help=help_, label="never escalates")
        return
    if not isinstance(condition, str):
        yield THROWS.at(entry.condition_span or entry.span,
                        f"`condition` of {where} is {describe(condition)}, not a string: the engine "
                        "throws `condition.match is not a function` (TypeError) at every call "
                        "that reaches it", help="write the condition as a string: `amount > 500`",
                        label="the engine throws here")
        return
    if not truthy(action):
        what = "no `action`" if action is UNDEFINED else f"an empty `action` ({describe(action)})"
        yield NO_ACTION.at(entry.span,
                           f"{where} has {what}: the engine escalates every action of this agent whose "
                           f"context satisfies `{condition}`, whatever the action",
                           help="add `action: <pattern>` to limit it to the actions you mean",
                           label="applies to every action")
    yield from _condition_findings(condition, entry.condition_span or entry.span)


_SUGGEST = {"=": "==", "===": "==", "=>": ">=", "=<": "<=", "<>": "!=", "!": "!=", "!==": "!=",
            ">>": ">", "<<": "<", "==>": ">=", "<==": "<=", "!>": "<=", "!<": ">="}
_NUMBER_PREFIX = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")


def _condition_findings(text: str, span: Any) -> Iterator[Diagnostic]:
    parsed = conditions.parse(text)
    if parsed is None:
        yield BROKEN_CONDITION.at(span, f"condition `{text}` does not parse: the engine's regex "
                                  r"`(\w+)\s*([><=!]+)\s*(.+)` finds no FIELD OPERATOR VALUE in it, so "
                                  "the condition is always false and the rule never escalates",
                                  help="write one comparison, FIELD OP NUMBER: `amount > 500`",
                                  label="always false")
        return
    field, op = parsed.field, parsed.operator
    if not parsed.honoured:
        better = _SUGGEST.get(op)
        hint = f"write `{field} {better} {parsed.value_text}`" if better else \
            "use one of `>`, `<`, `>=`, `<=`, `==`, `!=`"
        yield BROKEN_CONDITION.at(span, f"operator `{op}` in `{text}` is not one the engine compares "
                                  "(`>`, `<`, `>=`, `<=`, `==`, `!=`): it falls to the default case, so "
                                  "the condition is always false and the rule never escalates",
                                  help=hint, label="always false")
        return
    if not parsed.numeric:
        if op == "!=":
            effect = (f"`{field} != NaN` is always true: the rule escalates every call whose context "
                      f"has `{field}`")
        else:
            effect = f"`{field} {op} NaN` is always false: the rule never escalates"
        yield BROKEN_CONDITION.at(span, f"threshold `{parsed.value_text}` in `{text}` is not a number "
                                  "(the engine removes `$` and `,`, then parseFloat gives NaN): "
                                  f"{effect}", help="compare with a number: `tier == 2`, not `tier == gold`",
                                  label="not a number")
        return
    if field in OBJECT_PROTO:
        effect = ("holds for every call whose context lacks its own `" + field + "`" if op == "!="
                  else "never holds unless the context has its own `" + field + "`")
        yield BROKEN_CONDITION.at(span, f"field `{field}` is inherited by every context object "
                                  f"(Object.prototype.{field}): the engine compares a function, not "
                                  f"undefined, when a call's context has no `{field}`, so `{text}` "
                                  f"{effect}", help="name a field the agent's calls carry",
                                  label="inherited field")
    ignored = _ignored(text, parsed)
    if ignored:
        read = f"{field} {op} {number_to_string(parsed.threshold)}"
        yield IGNORED_TEXT.at(span, f"the engine reads only `{read}` from `{text}`; "
                              + " and ".join(f"`{part}`" for part in ignored) + " is ignored",
                              help="a condition is one comparison, FIELD OP NUMBER: the engine has no "
                                   "`and`/`or`, units, dotted paths or quoted values",
                              label="partly ignored")


def _ignored(text: str, parsed: conditions.Parsed) -> list[str]:
    parts = []
    before = text[:parsed.start].strip(JS_WHITESPACE)
    if before:
        parts.append(before)
    cleaned = parsed.value_text.replace("$", "").replace(",", "").lstrip(JS_WHITESPACE)
    m = _NUMBER_PREFIX.match(cleaned)
    after = (cleaned[m.end():] if m else cleaned) + text[parsed.end:]
    after = after.strip(JS_WHITESPACE)
    if after:
        parts.append(after)
    return parts


# ---------------------------------------------------------------- patterns


def _string_patterns(policy: AgentPolicy) -> Iterator[tuple[str, Any, str]]:
    """(pattern, span, where) of every list-entry pattern string and escalate action."""
    for rules in (policy.escalate, policy.deny, policy.allow):
        if rules.shape != "list":
            continue
        for entry in rules.entries:
            if entry.kind == "pattern":
                yield entry.value, entry.span, _where(rules, entry)
            elif isinstance(entry.action, str):
                yield entry.action, entry.action_span or entry.span, f"`action` of {_where(rules, entry)}"


def _literal_stars(policy: AgentPolicy) -> Iterator[Diagnostic]:
    for pattern, span, where in _string_patterns(policy):
        why = patterns.literal_stars(pattern)
        if why is not None:
            yield LITERAL_STAR.at(span, f"{where} `{pattern}` has a `*` the engine does not treat as a "
                                  f"wildcard: {why}",
                                  help="the engine's only wildcards are `*`, `prefix*` and `*suffix`; "
                                       "write patterns of those shapes or list the actions",
                                  label="literal `*`")


def _allow_all(policy: AgentPolicy) -> Iterator[Diagnostic]:
    if policy.allow.shape != "list":
        return
    star = next((e for e in policy.allow.patterns if e.value == "*"), None)
    if star is None or policy.escalate.entries or policy.deny.entries:
        return
    if any(r.shape == "not-iterable" for r in (policy.escalate, policy.deny)):
        return
    yield ALLOW_ALL.at(star.span, f"{_where(policy.allow, star)} `*` with no deny or escalate rule: the "
                       "engine allows every action this agent asks for",
                       help="list the actions the agent needs, or add deny rules for destructive "
                            "actions (`delete:*`) and escalate rules for sensitive ones; the toolkit's "
                            "checklist asks for no `*` allow without restrictions",
                       label="allows everything")


# ---------------------------------------------------------------- never-read sections


def _not_enforced(policy: AgentPolicy) -> Iterator[Diagnostic]:
    for section in policy.sections:
        if section.name == "audit":
            yield from _audit(section)
        elif section.name == "rate_limits":
            yield from _rate_limits(section)
        elif section.name == "trust":
            yield from _trust(section)


def _audit(section: Section) -> Iterator[Diagnostic]:
    for f in section.fields:
        if f.key == "level":
            yield NOT_ENFORCED.at(f.key_span, f"`audit.level: {show(f.value)}` is never read: the "
                                  "toolkit's AuditLogger writes every decision, whatever it says",
                                  help="src/audit-logger.js, logDecision: every checkPermission call is "
                                       "logged; remove the key or keep it as documentation",
                                  label="not enforced")
        elif f.key == "retention":
            yield NOT_ENFORCED.at(f.key_span, f"`audit.retention: {show(f.value)}` is never read: the "
                                  "AuditLogger takes its retention from its constructor options "
                                  "(default 2555 days) and deletes no log",
                                  help=_RETENTION_SRC + "; set retention where the logs are stored",
                                  label="not enforced")
        elif f.key == "sensitive_fields":
            listed = [v for v in f.value if isinstance(v, str)] if isinstance(f.value, tuple) else []
            clear = [v for v in listed if v not in REDACTED_FIELDS]
            if clear:
                effect = (f"so {', '.join(f'`{c}`' for c in clear)} "
                          f"{'is' if len(clear) == 1 else 'are'} logged in clear")
            else:
                effect = "though every field listed here is in that list anyway"
            yield NOT_ENFORCED.at(f.key_span, "`audit.sensitive_fields` is never read: the AuditLogger "
                                  "redacts only a fixed list (password, token, secret, apiKey, ssn, "
                                  f"creditCard) at the top level of a context, {effect}",
                                  help=_AUDIT_SRC + "; name context fields with those exact names, or "
                                       "redact before calling the agent", label="not enforced")


def _rate_limits(section: Section) -> Iterator[Diagnostic]:
    if not section.fields:
        yield NOT_ENFORCED.at(section.key_span, "`rate_limits` is never read: no toolkit module limits "
                              "how often an agent acts", help=_RATE_SRC, label="not enforced")
        return
    for f in section.fields:
        yield NOT_ENFORCED.at(f.key_span, f"`rate_limits.{f.key}: {show(f.value)}` is never read: no "
                              "toolkit module limits how often an agent acts, so nothing stops it "
                              "going past this", help=_RATE_SRC + "; enforce rate limits in front of "
                              "the agent", label="not enforced")


def _trust(section: Section) -> Iterator[Diagnostic]:
    for f in section.fields:
        if f.key == "minimum_score":
            extra = ""
            if isinstance(f.value, float) and f.value > TRUST_FLOOR:
                extra = f", so an agent scoring from {TRUST_FLOOR} to below {show(f.value)} still acts"
            elif isinstance(f.value, float) and f.value < TRUST_FLOOR:
                extra = f", so an agent scoring from {show(f.value)} to below {TRUST_FLOOR} is still refused"
            yield NOT_ENFORCED.at(f.key_span, f"`trust.minimum_score: {show(f.value)}` is never read: "
                                  f"the IdentitySystem refuses an agent only below its hard-coded score "
                                  f"of {TRUST_FLOOR}{extra}", help=_TRUST_SRC, label="not enforced")
        elif f.key == "recovery_threshold":
            yield NOT_ENFORCED.at(f.key_span, f"`trust.recovery_threshold: {show(f.value)}` is never "
                                  "read: no toolkit module lets a blocked agent recover; its score rises "
                                  "by 1 per successful action and nothing checks this threshold",
                                  help="src/identity-system.js: incrementTrustScore adds 1 per successful "
                                       "action; only `trustScore < 50` is ever tested",
                                  label="not enforced")

