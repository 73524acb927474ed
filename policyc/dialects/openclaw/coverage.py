"""``policyc coverage`` for OpenClaw toolkit agent policies (seed 003's checklist).

:func:`build_report` verifies the shipped ``openclaw-toolkit`` checklist and
the OWASP catalog from the policy files themselves, as the toolkit's engine
reads them; ``coverage.yaml`` beside this module maps every item to the
verifiers below (:data:`VERIFIERS`) or says what would settle it. Each
verifier gives one verdict per agent policy the engine holds (so an item is
partial when some agents meet it), except the red flags, which hold only
when no agent raises them. Evidence names the file, line and column.

What each verdict rests on:

* ``checkPermission``'s decisions (escalate > deny > allow > default deny),
  computed with the reference evaluator (:func:`.evaluate.decide_policy`)
  on witness actions: which deletion-like actions an agent may perform,
  which spellings a wildcard misses, whether an escalate rule can escalate;
* the dialect's checks (:func:`.checks.check_policy`): ``*`` allowed
  without restrictions (PC513), literal stars (PC511), and the settings no
  toolkit code reads (PC514);
* what the runtime enforces instead of those settings: the AuditLogger's
  fixed redaction list (:data:`.checks.REDACTED_FIELDS`), its own retention
  option, the IdentitySystem's hard-coded trust floor
  (:data:`.checks.TRUST_FLOOR`), and no rate limiting at all.

Items about operations (identities, audit storage, monitoring, people and
documents) need evidence: no toolkit file states them, and no shipped
deployment check applies to them (those read ``rampart serve`` units and
Rampart commands), so ``deployments`` are read and listed in the context only.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from functools import partial
from importlib import resources

from policyc.coverage.deployment import read_artifacts
from policyc.coverage.dialect import build_dialect_report, finding_verdict, source_verdict
from policyc.coverage.model import Report, Verdict
from policyc.diagnostics.model import Diagnostic, Severity
from policyc.dialects.openclaw import NAME, conditions, patterns
from policyc.dialects.openclaw.checks import REDACTED_FIELDS, TRUST_FLOOR, check_policy
from policyc.dialects.openclaw.codes import ALLOW_ALL, LITERAL_STAR, NOT_ENFORCED
from policyc.dialects.openclaw.evaluate import Outcome, decide_policy
from policyc.dialects.openclaw.jsvalue import JSObject, from_json, map_key, show
from policyc.dialects.openclaw.loader import LoadResult
from policyc.dialects.openclaw.model import AgentPolicy, Call, RuleEntry, RuleList

__all__ = ["build_report", "VERIFIERS", "DESTRUCTIVE_VERBS", "mapping_path"]

DESTRUCTIVE_VERBS = ("delete", "remove", "drop", "destroy", "purge", "truncate")
"""The verbs of the deletion-like actions ``deny-dangerous`` decides (``delete:anything``...);
an entry is deletion-like when it contains one of their stems (``delet``, ``remov``...)."""

_DESTRUCTIVE = re.compile("|".join(v.removesuffix("e") for v in DESTRUCTIVE_VERBS), re.IGNORECASE)

_RETENTION_RUNTIME = ("the AuditLogger never reads `audit.retention`: it keeps its own `retentionDays` "
                      "option (default 2555 days) and deletes no log")
_REDACTION_RUNTIME = (f"the AuditLogger never reads `audit.sensitive_fields`: it redacts only "
                      f"{', '.join(REDACTED_FIELDS)}, at the top level of a context")
_TRUST_RUNTIME = (f"the IdentitySystem never reads `trust`: it refuses an agent only below its hard-coded "
                  f"score of {TRUST_FLOOR}, and no module checks a recovery threshold")
_RATE_RUNTIME = "no toolkit module reads `rate_limits` or limits how often an agent acts"


def mapping_path() -> str:
    """The shipped mapping of catalog items to :data:`VERIFIERS` (``coverage.yaml``)."""
    return str(resources.files("policyc.dialects.openclaw").joinpath("coverage.yaml"))


class _Policies:
    """The policies the engine holds for a load result, and each one's check findings."""

    def __init__(self, result: LoadResult):
        self.result = result
        self.held = list(result.policies.values()) if result.ok else []
        self._findings: dict[int, list[Diagnostic]] = {}

    def findings(self, policy: AgentPolicy, code: str | None = None) -> list[Diagnostic]:
        """The findings of :func:`~.checks.check_policy` on ``policy`` (of one check)."""
        if id(policy) not in self._findings:
            self._findings[id(policy)] = check_policy(policy)
        return [d for d in self._findings[id(policy)] if code is None or d.code == code]

    def per_agent(self, name: str, judge: Callable[[AgentPolicy], list[Verdict]]) -> list[Verdict]:
        """``judge`` of every held policy; one absent verdict when the engine holds none."""
        if not self.held:
            return [source_verdict(name, None, "the engine holds no agent policy"
                                   + (f" (loadPolicies throws: {self.result.load_error})"
                                      if self.result.load_error else ""))]
        return [v for policy in self.held for v in judge(policy)]


def _agent(policy: AgentPolicy) -> str:
    return f"agent `{show(policy.agent)}`"


def _at(rules: RuleList, entry: RuleEntry) -> str:
    return f"`permissions.{rules.name}[{entry.index}]` `{show(entry.value)}`"


def _decide(policy: AgentPolicy, action: str, context: object = None) -> Outcome:
    return decide_policy(policy, Call(policy.agent, action, context if context is not None else JSObject()))


def _allow_entry(policy: AgentPolicy, outcome: Outcome) -> RuleEntry | None:
    return next((e for e in policy.allow.entries if e.value == outcome.rule), None)


# ------------------------------------------------------------------ red flags


def has_policies(facts: _Policies) -> list[Verdict]:
    """``no-policy``: the engine loads the files and holds at least one policy."""
    result = facts.result
    if not result.ok:
        first = next((d.span for d in result.diagnostics if d.severity is Severity.ERROR), None)
        return [source_verdict("has-policies", False, f"the engine's loadPolicies throws ({result.load_error}): "
                               "no agent gets a policy and every call is denied", first)]
    if not facts.held:
        return [source_verdict("has-policies", False, "no policy file: every call is denied (no policy found)")]
    agents = ", ".join(f"`{show(p.agent)}`" for p in facts.held)
    return [source_verdict("has-policies", True, f"{len(facts.held)} agent policies: {agents}")]


def no_unrestricted_allow(facts: _Policies) -> list[Verdict]:
    """``allow-all-unrestricted``: no agent allows ``*`` with no deny or
    escalate rule (PC513); one failed verdict per agent that does."""
    found = [d for p in facts.held for d in facts.findings(p, ALLOW_ALL.code)]
    if found:
        return [finding_verdict("no-unrestricted-allow", d) for d in found]
    return [source_verdict("no-unrestricted-allow", True,
                           "no agent allows `*` without deny or escalate rules")]


def has_deny_rules(facts: _Policies) -> list[Verdict]:
    """``no-deny-rules``: every agent has a deny list with entries; one failed
    verdict per agent that has none."""
    if not facts.held:
        return [source_verdict("has-deny-rules", False, "no agent policy is loaded, so no deny rule")]
    bare = [p for p in facts.held if p.deny.shape != "list" or not p.deny.entries]
    if bare:
        return [source_verdict("has-deny-rules", False, f"{_agent(p)} has no deny rule", p.agent_span)
                for p in bare]
    counts = ", ".join(f"`{show(p.agent)}` {len(p.deny.entries)}" for p in facts.held)
    return [source_verdict("has-deny-rules", True, f"every agent has deny rules ({counts})")]


# ------------------------------------------------------------------ permissions


def policy_per_agent(facts: _Policies) -> list[Verdict]:
    """``policy-per-agent``: each file's agent gets its policy (a later file
    with the same agent replaces it, PC502); which agents run in production
    is not in the files, so one verdict is always absent."""
    result = facts.result
    if not result.ok:
        return [source_verdict("policy-per-agent", False, f"the engine's loadPolicies throws "
                               f"({result.load_error}): no agent gets a policy")]
    out = []
    for file in result.file_results:
        policy = file.policy
        if policy is None or file.failure:
            continue
        held = result.policies.get(map_key(policy.agent))
        if held is policy:
            out.append(source_verdict("policy-per-agent", True, f"{_agent(policy)} has this policy",
                                      policy.agent_span))
        else:
            out.append(source_verdict("policy-per-agent", False,
                                      f"{_agent(policy)} is also the agent of {held.path}, read later: the engine "
                                      "silently replaces this policy, whose rules never apply", policy.agent_span))
    agents = ", ".join(f"`{show(p.agent)}`" for p in facts.held) or "none"
    out.append(source_verdict("policy-per-agent", None, f"the agents with a policy are {agents}; which agents "
                              "run in production is not in the policy files"))
    return out


def least_privilege(facts: _Policies) -> list[Verdict]:
    """``least-privilege``: an agent's allow list has no ``*`` entry; its
    other actions are denied by default."""

    def judge(policy: AgentPolicy) -> list[Verdict]:
        allow = policy.allow
        star = next((e for e in allow.patterns if e.value == "*"), None)
        if star is not None:
            return [source_verdict("least-privilege", False,
                                   f"{_agent(policy)}: {_at(allow, star)} allows every action no escalate or deny "
                                   "entry matches; list the actions the agent needs", star.span)]
        wide = [e for e in allow.patterns if patterns.shape(e.value).kind != "exact"]
        extra = f", {len(wide)} of them wildcards ({', '.join(f'`{e.value}`' for e in wide)})" if wide else ""
        return [source_verdict("least-privilege", True,
                               f"{_agent(policy)} allows {len(allow.patterns)} listed action pattern(s){extra}; "
                               "the engine denies every other action (default deny)",
                               allow.key_span or policy.agent_span)]

    return facts.per_agent("least-privilege", judge)


def deny_dangerous(facts: _Policies) -> list[Verdict]:
    """``deny-dangerous``: an agent's deny or escalate list names
    deletion-like actions, and the engine allows none of ``VERB:anything``
    (:data:`DESTRUCTIVE_VERBS`) nor any deletion-like allow entry."""

    typical = [f"{verb}:anything" for verb in DESTRUCTIVE_VERBS]

    def judge(policy: AgentPolicy) -> list[Verdict]:
        allowed = [patterns.sample(e.value) for e in policy.allow.patterns if _DESTRUCTIVE.search(e.value)]
        for action in dict.fromkeys(typical + allowed):
            outcome = _decide(policy, action)
            if outcome.decision == "allow":
                entry = _allow_entry(policy, outcome)
                return [source_verdict("deny-dangerous", False,
                                       f"{_agent(policy)}: the engine allows `{action}` ({outcome.reason})",
                                       entry.span if entry else policy.agent_span)]
        named = [(rules, e) for rules in (policy.deny, policy.escalate) for e in rules.patterns
                 if _DESTRUCTIVE.search(e.value)]
        if not named:
            return [source_verdict("deny-dangerous", False,
                                   f"{_agent(policy)} has no deny or escalate entry for deletion-like actions "
                                   f"({', '.join(DESTRUCTIVE_VERBS)}): they are denied only because no allow entry "
                                   "matches them yet", policy.deny.key_span or policy.agent_span)]
        listed = ", ".join(_at(r, e) for r, e in named)
        return [source_verdict("deny-dangerous", True,
                               f"{_agent(policy)}: {listed}; the engine allows no `VERB:anything` of "
                               f"{', '.join(DESTRUCTIVE_VERBS)}", named[0][1].span)]

    return facts.per_agent("deny-dangerous", judge)


def wildcards_verified(facts: _Policies) -> list[Verdict]:
    """``wildcards-verified``: no ``*`` the engine reads as a literal
    character (PC511), and no spelling a deny or escalate wildcard misses
    (the engine compares case-sensitively: ``DELETE:x`` against
    ``delete:*``) is allowed. One verdict per wildcard and per literal star;
    a single verdict when no agent uses a wildcard."""
    out = [finding_verdict("wildcards-verified", d) for p in facts.held for d in facts.findings(p, LITERAL_STAR.code)]
    for policy in facts.held:
        for rules in (policy.escalate, policy.deny):
            for entry in rules.patterns:
                if patterns.shape(entry.value).kind != "exact":
                    out.append(_spellings(policy, rules, entry))
    if not out:
        out.append(source_verdict("wildcards-verified", True, "no deny or escalate entry is a wildcard: every "
                                  "pattern names one exact action"))
    return out


def _spellings(policy: AgentPolicy, rules: RuleList, entry: RuleEntry) -> Verdict:
    inside = patterns.sample(entry.value)
    variants = [v for v in dict.fromkeys((inside.upper(), inside.title(), inside.lower()))
                if not patterns.matches(v, entry.value)]
    for action in variants:
        outcome = _decide(policy, action)
        if outcome.decision == "allow":
            allowed = _allow_entry(policy, outcome)
            by = _at(policy.allow, allowed) if allowed else "an allow entry"
            return source_verdict("wildcards-verified", False,
                                  f"{_agent(policy)}: {_at(rules, entry)} does not match `{action}` (the engine "
                                  f"compares case-sensitively) and {by} allows it", entry.span)
    missed = f"; the spellings it misses ({', '.join(f'`{v}`' for v in variants)}) are not allowed either" \
        if variants else ""
    shape = patterns.shape(entry.value)
    what = {"any": "every action", "prefix": f"every action starting with `{shape.text}`",
            "suffix": f"every action ending with `{shape.text}`"}[shape.kind]
    verb = "denies" if rules.name == "deny" else "escalates"
    return source_verdict("wildcards-verified", True, f"{_agent(policy)}: {_at(rules, entry)} {verb} {what}{missed}",
                          entry.span)


def escalation_rules(facts: _Policies) -> list[Verdict]:
    """``escalation-rules``: an agent has escalate rules and each one
    escalates some call, decided on a witness (the rule's action, and a
    context meeting its condition); rules without a condition, with one the
    engine cannot honour, or of a type it skips never do."""

    def judge(policy: AgentPolicy) -> list[Verdict]:
        rules = policy.escalate
        entries = rules.entries if rules.shape in ("list", "string") else ()
        if not entries:
            return [source_verdict("escalation-rules", False,
                                   f"{_agent(policy)} has no escalate rule: no action of this agent is sent to "
                                   "a human", rules.key_span or policy.agent_span)]
        witnesses = [(e, *_escalation(policy, e)) for e in entries]
        never = [(e, call, outcome) for e, call, outcome in witnesses if outcome.decision != "escalate"]
        if never:
            return [_never_escalates(facts, policy, e, call, outcome) for e, call, outcome in never]
        shown = ", ".join(f"`{call}`" for _, call, _ in witnesses[:3])
        return [source_verdict("escalation-rules", True,
                               f"{_agent(policy)}: {len(entries)} escalate rule(s), each escalating a call "
                               f"(e.g. {shown})", rules.key_span or policy.agent_span)]

    return facts.per_agent("escalation-rules", judge)


def _escalation(policy: AgentPolicy, entry: RuleEntry) -> tuple[str, Outcome]:
    """A witness call for ``entry`` (shown as text) and the engine's decision of it."""
    action, context = "read:anything", {}
    if entry.kind == "pattern":
        action = patterns.sample(entry.value)
    elif isinstance(entry.action, str) and entry.action:
        action = patterns.sample(entry.action)
    if entry.kind == "conditional" and isinstance(entry.condition, str):
        parsed = conditions.parse(entry.condition)
        context = {parsed.field: _meeting(parsed)} if parsed else {}
    outcome = _decide(policy, action, from_json(context))
    return action + (f" with context {json.dumps(context)}" if context else ""), outcome


def _meeting(parsed: conditions.Parsed) -> float:
    """A context value that meets the condition when one can."""
    t = 0.0 if math.isnan(parsed.threshold) else parsed.threshold
    return {">": t + 1, "!=": t + 1, "<": t - 1}.get(parsed.operator, t)


def _never_escalates(facts: _Policies, policy: AgentPolicy, entry: RuleEntry, call: str, outcome: Outcome) -> Verdict:
    spans = {entry.span, entry.action_span, entry.condition_span} - {None}
    why = next((d.message for d in facts.findings(policy) if d.span in spans), None)
    detail = why or f"the engine decides its witness `{call}` {outcome.decision} ({outcome.reason})"
    return source_verdict("escalation-rules", False, f"{_agent(policy)}: {_at(policy.escalate, entry)} never "
                          f"escalates: {detail}", entry.span)


# ------------------------------------------------------------------ never-read sections


def _never_read(facts: _Policies, policy: AgentPolicy, section: str, key: str) -> Diagnostic | None:
    """The PC514 finding on ``section.key`` of ``policy``, when it is written."""
    found = policy.section(section)
    field = found.get(key) if found else None
    if field is None:
        return None
    return next((d for d in facts.findings(policy, NOT_ENFORCED.code) if d.span == field.key_span), None)


def audit_retention(facts: _Policies) -> list[Verdict]:
    """``audit-retention``: absent for every agent, whatever it declares:
    the engine never reads ``audit.retention`` (PC514), so only the audit
    store can settle retention."""

    def judge(policy: AgentPolicy) -> list[Verdict]:
        audit = policy.section("audit")
        field = audit.get("retention") if audit else None
        if field is None:
            return [source_verdict("audit-retention", None, f"{_agent(policy)} declares no `audit.retention`",
                                   policy.agent_span, runtime=_RETENTION_RUNTIME)]
        years = f" ({field.value / 365:.1f} years)" if isinstance(field.value, float) else ""
        return [source_verdict("audit-retention", None, f"{_agent(policy)} declares `audit.retention: "
                               f"{show(field.value)}`{years}, which is never read", field.key_span,
                               runtime=_RETENTION_RUNTIME)]

    return facts.per_agent("audit-retention", judge)


def sensitive_fields(facts: _Policies) -> list[Verdict]:
    """``sensitive-fields-redacted``: the fields an agent lists in
    ``audit.sensitive_fields`` are all in the runtime's fixed redaction list
    (the list itself is never read); absent when the agent lists none."""

    def judge(policy: AgentPolicy) -> list[Verdict]:
        audit = policy.section("audit")
        field = audit.get("sensitive_fields") if audit else None
        if field is None:
            return [source_verdict("sensitive-fields", None, f"{_agent(policy)} lists no `audit.sensitive_fields`: "
                                   "which context fields its calls carry is not in the policy", policy.agent_span,
                                   runtime=_REDACTION_RUNTIME)]
        listed = [v for v in field.value if isinstance(v, str)] if isinstance(field.value, tuple) else []
        clear = [v for v in listed if v not in REDACTED_FIELDS]
        if clear:
            finding = _never_read(facts, policy, "audit", "sensitive_fields")
            detail = finding.message if finding else f"{', '.join(clear)} are logged in clear"
            return [source_verdict("sensitive-fields", False, f"{_agent(policy)}: {detail}", field.key_span,
                                   runtime=_REDACTION_RUNTIME)]
        return [source_verdict("sensitive-fields", True, f"{_agent(policy)} lists {', '.join(listed)}: each is in "
                               "the runtime's fixed list, so each is redacted", field.key_span,
                               runtime=_REDACTION_RUNTIME)]

    return facts.per_agent("sensitive-fields", judge)


def trust_thresholds(facts: _Policies) -> list[Verdict]:
    """``trust-thresholds``: two verdicts per agent. The minimum holds when
    the agent declares none or exactly the hard-coded floor (the runtime's
    floor is then what the policy says); the recovery threshold never holds,
    as no toolkit module has one."""

    def judge(policy: AgentPolicy) -> list[Verdict]:
        trust = policy.section("trust")
        minimum = trust.get("minimum_score") if trust else None
        if minimum is None or minimum.value == float(TRUST_FLOOR):
            said = "declares no `trust.minimum_score`" if minimum is None else \
                f"declares `trust.minimum_score: {TRUST_FLOOR}`"
            out = [source_verdict("trust-thresholds", True, f"{_agent(policy)} {said}: the runtime's floor of "
                                  f"{TRUST_FLOOR} is the checklist's minimum",
                                  minimum.key_span if minimum else policy.agent_span, runtime=_TRUST_RUNTIME)]
        else:
            finding = _never_read(facts, policy, "trust", "minimum_score")
            out = [source_verdict("trust-thresholds", False, f"{_agent(policy)}: "
                                  + (finding.message if finding else f"`trust.minimum_score: {show(minimum.value)}` "
                                     "is never read"), minimum.key_span, runtime=_TRUST_RUNTIME)]
        recovery = trust.get("recovery_threshold") if trust else None
        finding = _never_read(facts, policy, "trust", "recovery_threshold") if recovery else None
        detail = finding.message if finding else "declares no recovery threshold, and the runtime has none"
        out.append(source_verdict("trust-thresholds", False, f"{_agent(policy)}: {detail}",
                                  recovery.key_span if recovery else policy.agent_span, runtime=_TRUST_RUNTIME))
        return out

    return facts.per_agent("trust-thresholds", judge)


def rate_limits(facts: _Policies) -> list[Verdict]:
    """``rate-limits`` (ASI08): declared ``rate_limits`` fail (never read,
    PC514); an agent declaring none is absent (a limit may be enforced in
    front of the agent)."""

    def judge(policy: AgentPolicy) -> list[Verdict]:
        section = policy.section("rate_limits")
        if section is None:
            return [source_verdict("rate-limits", None, f"{_agent(policy)} declares no rate limit",
                                   policy.agent_span, runtime=_RATE_RUNTIME)]
        limits = ", ".join(f"`{f.key}: {show(f.value)}`" for f in section.fields) or "`rate_limits`"
        return [source_verdict("rate-limits", False, f"{_agent(policy)} declares {limits}, which nothing enforces",
                               section.key_span, runtime=_RATE_RUNTIME)]

    return facts.per_agent("rate-limits", judge)


def policy_documented(facts: _Policies) -> list[Verdict]:
    """``policy-documented``: an agent's ``metadata.description`` says what
    the policy is for (documentation only: the engine never reads it)."""

    def judge(policy: AgentPolicy) -> list[Verdict]:
        metadata = policy.section("metadata")
        field = metadata.get("description") if metadata else None
        if field is not None and isinstance(field.value, str) and field.value.strip():
            return [source_verdict("policy-documented", True, f"{_agent(policy)}: {field.value!r}", field.key_span)]
        return [source_verdict("policy-documented", False, f"{_agent(policy)} has no `metadata.description`",
                               policy.agent_span)]

    return facts.per_agent("policy-documented", judge)


VERIFIERS: dict[str, Callable[[_Policies], list[Verdict]]] = {
    "has-policies": has_policies,
    "no-unrestricted-allow": no_unrestricted_allow,
    "has-deny-rules": has_deny_rules,
    "policy-per-agent": policy_per_agent,
    "least-privilege": least_privilege,
    "deny-dangerous": deny_dangerous,
    "wildcards-verified": wildcards_verified,
    "escalation-rules": escalation_rules,
    "audit-retention": audit_retention,
    "sensitive-fields": sensitive_fields,
    "trust-thresholds": trust_thresholds,
    "rate-limits": rate_limits,
    "policy-documented": policy_documented,
}
"""The verifiers ``coverage.yaml`` names, each taking the load result's policies."""


def build_report(result: LoadResult, *, checklists: list[str] | None = None,
                 deployments: list[str] = ()) -> Report:
    """The coverage report of toolkit policies loaded with
    :func:`policyc.dialects.openclaw.load_paths`.

    ``checklists`` may only name ``openclaw-toolkit`` (the default); the
    OWASP rows are mapped as ``coverage.yaml`` says (ASI07 and ASI09 are
    not-applicable; ASI04, ASI05, ASI06 and ASI10 need evidence). Policy
    items are covered, partial or uncovered by the verifiers above; items
    resting on a setting the engine never reads (``audit.retention``, an
    agent without ``sensitive_fields`` or ``rate_limits``) and operations
    need evidence. A result the engine would not load (``result.ok``
    false) is reported as holding no policy.
    ``deployments`` are read as ``policyc coverage --deployment`` reads them
    and listed in the context. The context holds ``policyc``, ``dialect``,
    ``sources`` (the files read), ``default_action`` (the engine's ``deny``)
    and ``deployment`` (artifact path -> kind).

    Raises :class:`~policyc.coverage.catalog.DataError` for another
    checklist, ``ArtifactError``/``OSError`` for an unreadable artifact.
    """
    artifacts = read_artifacts(list(deployments))
    facts = _Policies(result)
    context = {"sources": list(result.files), "default_action": "deny", "deployment": dict(artifacts.kinds)}
    return build_dialect_report(NAME, mapping_path(), {n: partial(v, facts) for n, v in VERIFIERS.items()},
                                checklists=checklists, context=context)
