"""``policyc coverage`` for ToolRampart tool modules and configs (seed 004's checklist).

:func:`build_report` verifies the shipped ``toolrampart`` checklist and the
OWASP catalog from the tools' source and the service configs, as the
dialect reads them (never importing a tool module); ``coverage.yaml``
beside this module maps every item to the verifiers below
(:data:`VERIFIERS`) or says what would settle it. A verifier gives one
verdict per thing it judges: a tool, a config, a service (the tools of one
directory), a deployment artifact. Evidence names the file, line and column.

What the verdicts rest on:

* the tools as ToolRampart registers them (:mod:`.registration`: scope,
  approval, side effects, timeout, retries, execution mode, rate limit),
  and the dialect's checks for what the runtime does with them: risky
  tools without approval (PC610), approvals that never fire or fail open
  (PC608, PC609), writes without idempotency (PC611, as the runtime never
  requires a key), retries of non-idempotent tools (PC612), long work in a
  thread (PC613), read-only beside destructive tools (PC614);
* the configs: every ``toolrampart.toml`` among the loaded paths, plus each
  ``--deployment`` artifact of kind ``toolrampart`` (read with the
  dialect's :func:`~.config.read_config`, not the raw TOML), judged on the
  values ``load_config`` would use (defaults filled in) and the config
  checks: auth not required (PC615), plaintext keys (PC617), unguarded
  trusted headers (PC618), SQLite in a production config (PC619);
  ``retention_days`` is never read (PC620), so retention holds only when a
  ``--deployment`` crontab, timer or script runs ``toolrampart prune``;
* other ``--deployment`` artifacts: the systemd unit that runs ToolRampart
  (its resource limits).

Where the files cannot tell (is this SQLite config only for one node, are
OpenTelemetry exporters set up in the host), the verdict is absent and the
item needs evidence.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from functools import partial
from importlib import resources
from typing import Any

from policyc.coverage.deployment import ArtifactError, Artifacts, read_artifacts
from policyc.coverage.dialect import build_dialect_report, finding_verdict, source_verdict
from policyc.coverage.model import Report, Verdict
from policyc.diagnostics.model import Diagnostic
from policyc.dialects.toolrampart import NAME
from policyc.dialects.toolrampart.checks import (
    LONG_TIMEOUT_SECONDS, _risks, check_approval_fail_open, check_approval_never_fires, check_long_work_not_isolated,
    check_mixed_risk_service, check_retry_non_idempotent, check_unapproved_risky_tool,
    check_write_without_idempotency,
)
from policyc.dialects.toolrampart.codes import CONFIG_SCHEMA
from policyc.dialects.toolrampart.config import read_config
from policyc.dialects.toolrampart.config_checks import (
    check_auth_not_required, check_local_audit_storage, check_plaintext_api_keys,
    check_retention_not_enforced, check_trusted_headers_unguarded,
)
from policyc.dialects.toolrampart.loader import LoadResult
from policyc.dialects.toolrampart.model import SIDE_EFFECT_FLAGS, UNKNOWN, ServiceConfig, Tool
from policyc.ir import Span

__all__ = ["build_report", "VERIFIERS", "SHORT_TIMEOUT_SECONDS", "LOW_RETRIES", "RESOURCE_LIMITS",
           "mapping_path"]

SHORT_TIMEOUT_SECONDS = 30
"""A "short" default timeout, as the checklist item says (at most 30 s)."""

LOW_RETRIES = 2
"""A "low" retry count, as the checklist item says (at most 2)."""

RESOURCE_LIMITS = ("MemoryMax", "MemoryHigh", "CPUQuota", "TasksMax")
"""systemd ``[Service]`` settings that limit the worker's resources."""

_PRUNE = re.compile(r"\btoolrampart\s+prune\b")
_SERVE = re.compile(r"\btoolrampart\s+serve\b")

_RETENTION_RUNTIME = ("no runtime code reads `retention_days`; audit events are deleted only by "
                      "`toolrampart prune --days N` (default 90)")
_IDEMPOTENCY_RUNTIME = ("ToolRampart never requires an idempotency key: `_check_idempotency` (core.py) "
                        "skips a call that carries none")
_APPROVAL_RUNTIME = "a call with `approved=True` skips every approval (core.py `_check_approval`)"


def mapping_path() -> str:
    """The shipped mapping of catalog items to :data:`VERIFIERS` (``coverage.yaml``)."""
    return str(resources.files("policyc.dialects.toolrampart").joinpath("coverage.yaml"))


class _Facts:
    """The load result, the configs judged and the deployment artifacts, with
    each check's findings computed once."""

    def __init__(self, result: LoadResult, artifacts: Artifacts):
        self.artifacts = artifacts
        configs, refusals = list(result.configs), [d for d in result.diagnostics if d.code == CONFIG_SCHEMA.code]
        seen = {os.path.realpath(c.path) for c in configs}
        for path, _ in artifacts.toolrampart:
            if os.path.realpath(path) in seen:
                continue
            config, diagnostics = read_config(path)
            if config is None:
                first = diagnostics[0]
                raise ArtifactError(f"{path}:{first.span.line}:{first.span.column}: {first.message}")
            seen.add(os.path.realpath(path))
            configs.append(config)
            refusals += [d for d in diagnostics if d.code == CONFIG_SCHEMA.code]
        self.refusals = refusals
        #: the tools as loaded, with every config judged (so the checks see the artifacts' too)
        self.result = LoadResult(modules=result.modules, configs=configs, diagnostics=result.diagnostics)
        self._findings: dict[Callable, list[Diagnostic]] = {}

    @property
    def configs(self) -> list[ServiceConfig]:
        return self.result.configs

    @property
    def tools(self) -> list[Tool]:
        return self.result.tools

    def findings(self, check: Callable[[LoadResult], list[Diagnostic]]) -> list[Diagnostic]:
        if check not in self._findings:
            self._findings[check] = check(self.result)
        return self._findings[check]

    def per_config(self, name: str, judge: Callable[[ServiceConfig], list[Verdict]]) -> list[Verdict]:
        """``judge`` of every config ``load_config`` accepts; a refused one fails
        (the service does not start); one absent verdict when there is none."""
        if not self.configs:
            return [source_verdict(name, None, "no toolrampart.toml among the paths or the --deployment artifacts")]
        out = []
        for config in self.configs:
            if config.valid:
                out += judge(config)
                continue
            refusal = next((d for d in self.refusals if d.span and d.span.path == config.path), None)
            out.append(source_verdict(name, False, "`load_config` refuses this config, so the service does not start"
                                      + (f": {refusal.message}" if refusal else ""),
                                      refusal.span if refusal else Span(config.path, 1, 1)))
        return out

    def per_tool(self, name: str, tools: Iterable[Tool], judge: Callable[[Tool], list[Verdict]],
                 none: str = "") -> list[Verdict]:
        """``judge`` of each of ``tools`` (the tools it concerns); one absent
        verdict when no tool is loaded, one holding verdict saying ``none``
        when ``judge`` gives no verdict (no tool it concerns)."""
        if not self.tools:
            return [source_verdict(name, None, "no ToolRampart tool among the paths")]
        out = [v for tool in tools for v in judge(tool)]
        return out or [source_verdict(name, True, none)]


def _named(tool: Tool) -> str:
    return f"`{tool.function.name}`"


def _spans(tool: Tool) -> set[Any]:
    """Where a check's finding about ``tool`` can point."""
    spans = {tool.span, tool.side_effects.span, *tool.sources.values()}
    if tool.approval is not None:
        spans.update(c.span for c in tool.approval.conditions)
    return spans - {None}


def _about(findings: list[Diagnostic], tool: Tool) -> list[Diagnostic]:
    spans = _spans(tool)
    return [d for d in findings if d.span in spans]


def _in(findings: list[Diagnostic], config: ServiceConfig) -> Diagnostic | None:
    return next((d for d in findings if d.span is not None and d.span.path == config.path), None)


def _toml(value: Any) -> str:
    """A setting's value as TOML writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value) if isinstance(value, str) else str(value)


def _shown_url(url: Any) -> str:
    """A storage URL without its credentials."""
    return re.sub(r"//[^/@]*@", "//***@", str(url))


def _setting(config: ServiceConfig, section: str, key: str) -> str:
    shown = f"`[{section}] {key} = {_toml(config.setting(section, key))}`"
    return shown if config.key(section, key) is not None else f"{shown} (not set: the default)"


# ------------------------------------------------------------------ identity


def auth_required(facts: _Facts) -> list[Verdict]:
    """``require-auth``: ``[auth] required`` is true (PC615 otherwise)."""
    findings = facts.findings(check_auth_not_required)

    def judge(config: ServiceConfig) -> list[Verdict]:
        finding = _in(findings, config)
        if finding is not None:
            return [finding_verdict("auth-required", finding)]
        return [source_verdict("auth-required", True, "`[auth] required = true`: a request without valid credentials "
                               "is refused (401)", config.span("auth", "required"))]

    return facts.per_config("auth-required", judge)


def actor_from_principal(facts: _Facts) -> list[Verdict]:
    """``actor-not-from-body``: with ``[auth] required`` every request needs a
    principal, whose actor and scopes are used (``app.py``
    ``_context_from_request``); without it the body supplies them."""

    def judge(config: ServiceConfig) -> list[Verdict]:
        span = config.span("auth", "required")
        if config.setting("auth", "required"):
            return [source_verdict("actor-from-principal", True, "`[auth] required = true`: actor and scopes come from "
                                   "the authenticated principal and `approved` is false", span)]
        return [source_verdict("actor-from-principal", False, f"{_setting(config, 'auth', 'required')}: a request "
                               "without credentials takes `actor`, `scopes` and `approved` from its JSON body "
                               "(app.py `_context_from_request`)", span)]

    return facts.per_config("actor-from-principal", judge)


def no_plaintext_keys(facts: _Facts) -> list[Verdict]:
    """``no-plaintext-keys``: no ``[auth.api_keys]`` entry (PC617, one failed
    verdict per key) and hashed API keys or JWT configured."""
    findings = facts.findings(check_plaintext_api_keys)

    def judge(config: ServiceConfig) -> list[Verdict]:
        plaintext = [d for d in findings if d.span is not None and d.span.path == config.path]
        if plaintext:
            return [finding_verdict("no-plaintext-keys", d) for d in plaintext]
        hashed = config.setting("auth", "hashed_api_keys") or {}
        jwt = [k for k in ("jwt_secret", "jwt_jwks_url") if config.setting("auth", k)]
        if hashed or jwt:
            used = ([f"{len(hashed)} hashed API key(s)"] if hashed else []) + [f"`{k}`" for k in jwt]
            return [source_verdict("no-plaintext-keys", True, f"no plaintext key; {' and '.join(used)}",
                                   config.span("auth"))]
        return [source_verdict("no-plaintext-keys", False, "no hashed API key and no JWT is configured",
                               config.span("auth"))]

    return facts.per_config("no-plaintext-keys", judge)


def trusted_headers(facts: _Facts) -> list[Verdict]:
    """``trusted-headers``: ``trust_headers`` is false; true with a comment
    that a proxy strips the headers (which PC618 accepts) is absent, as the
    proxy's own configuration settles it; true without one fails (PC618)."""
    findings = facts.findings(check_trusted_headers_unguarded)

    def judge(config: ServiceConfig) -> list[Verdict]:
        span = config.span("auth", "trust_headers")
        finding = _in(findings, config)
        if finding is not None:
            return [finding_verdict("trusted-headers", finding)]
        if config.setting("auth", "trust_headers"):
            return [source_verdict("trusted-headers", None, "`trust_headers = true` with a comment that a proxy strips "
                                   "inbound X-ToolRampart-* headers: the proxy's configuration settles it", span)]
        return [source_verdict("trusted-headers", True, f"{_setting(config, 'auth', 'trust_headers')}: the "
                               "X-ToolRampart-Actor and -Scopes headers are ignored", span)]

    return facts.per_config("trusted-headers", judge)


# ------------------------------------------------------------------ tool design


def narrow_scope(facts: _Facts) -> list[Verdict]:
    """``narrow-scope``: every tool requires a scope (a tool without
    ``@scope`` is open to every caller)."""

    def judge(tool: Tool) -> list[Verdict]:
        span = tool.sources.get("scope") or tool.span
        if tool.scope is UNKNOWN:
            return [source_verdict("narrow-scope", None, f"{_named(tool)}'s scope is not a literal", span)]
        if not tool.scope:
            return [source_verdict("narrow-scope", False, f"{_named(tool)} has no `@scope`: every caller may call it",
                                   span)]
        return [source_verdict("narrow-scope", True, f"{_named(tool)} requires scope `{tool.scope}`", span)]

    return facts.per_tool("narrow-scope", facts.tools, judge)


def side_effects_declared(facts: _Facts) -> list[Verdict]:
    """``side-effects-declared``: every tool has ``@side_effects`` below ``@tool``."""

    def judge(tool: Tool) -> list[Verdict]:
        side = tool.side_effects
        span = tool.sources.get("side_effects") or side.span or tool.span
        if not side.declared:
            return [source_verdict("side-effects-declared", False, f"{_named(tool)} has no `@side_effects`: the "
                                   "runtime records every flag as false", span)]
        flags = [f for f in SIDE_EFFECT_FLAGS if side.flag(f)] or ["none"]
        return [source_verdict("side-effects-declared", True, f"{_named(tool)} declares {', '.join(flags)}", span)]

    return facts.per_tool("side-effects-declared", facts.tools, judge)


def _approval_text(tool: Tool) -> str:
    approval = tool.approval
    if approval is None or approval.always:
        return "on every call"
    conditions = " or ".join(f"`{c.keyword}={c.threshold.text}`" for c in approval.conditions)
    return f"when {conditions}" + (" (and conditions not written as literals)" if approval.opaque else "")


def approvals(facts: _Facts) -> list[Verdict]:
    """``approvals``: every tool that moves money, destroys, writes to an
    external system or changes permissions needs approval (PC610), with
    conditions that fire (PC608) and do not fail open (PC609); a tool
    without ``@side_effects`` is absent (its risk is unknown). A config
    without ``[auth] required`` fails as well when a risky tool has an
    approval: REST callers then send ``approved: true`` themselves."""
    findings = (facts.findings(check_unapproved_risky_tool) + facts.findings(check_approval_never_fires)
                + facts.findings(check_approval_fail_open))

    def judge(tool: Tool) -> list[Verdict]:
        risks = _risks(tool)
        if not risks:
            return [source_verdict("approvals", None, f"{_named(tool)} declares no side effects: whether it needs "
                                   "approval is unknown", tool.span)] if not tool.side_effects.declared else []
        mine = _about(findings, tool)
        if mine:
            return [finding_verdict("approvals", d, runtime=_APPROVAL_RUNTIME) for d in mine]
        return [source_verdict("approvals", True, f"{_named(tool)} {' and '.join(risks)} and needs approval "
                               f"{_approval_text(tool)}", tool.sources.get("require_approval") or tool.span,
                               runtime=_APPROVAL_RUNTIME)]

    out = facts.per_tool("approvals", facts.tools, judge, "no tool moves money, destroys, writes to an external "
                         "system or changes permissions")
    approved = [_named(t) for t in facts.tools if t.approval is not None and _risks(t)]
    if approved:
        open_ = facts.findings(check_auth_not_required)
        out += [source_verdict("approvals", False, f"with `[auth] required` false a REST request's body sets "
                               f"`approved: true`, which skips the approval of {', '.join(approved)}", d.span,
                               runtime=_APPROVAL_RUNTIME) for d in open_]
    return out


def idempotency_keys(facts: _Facts) -> list[Verdict]:
    """``idempotency-keys``: every write tool (``writes_data``,
    ``money_movement``, ``destructive``) is declared idempotent or has a
    custom policy requiring ``ctx.idempotency_key``; PC611 otherwise."""
    findings = facts.findings(check_write_without_idempotency)

    def judge(tool: Tool) -> list[Verdict]:
        mine = _about(findings, tool)
        if mine:
            return [finding_verdict("idempotency-keys", d, runtime=_IDEMPOTENCY_RUNTIME) for d in mine]
        span = tool.side_effects.span or tool.span
        if tool.side_effects.idempotent is UNKNOWN:
            return [source_verdict("idempotency-keys", None, f"{_named(tool)}'s `idempotent` is not a literal", span)]
        if tool.side_effects.flag("idempotent"):
            return [source_verdict("idempotency-keys", True, f"{_named(tool)} is declared idempotent: repeating it is "
                                   "harmless", span, runtime=_IDEMPOTENCY_RUNTIME)]
        policy = next(p for p in tool.policies if p.reads_idempotency_key)
        return [source_verdict("idempotency-keys", True, f"{_named(tool)}'s custom policy `{policy.name}` requires "
                               "`ctx.idempotency_key`", policy.span or span, runtime=_IDEMPOTENCY_RUNTIME)]

    return facts.per_tool("idempotency-keys", [t for t in facts.tools if t.side_effects.writes], judge,
                          "no tool declares a write (writes_data, money_movement, destructive)")


def rate_limited(facts: _Facts) -> list[Verdict]:
    """``rate-limited`` (ASI08): every tool that writes or reaches the network
    has ``@rate_limit``."""

    def judge(tool: Tool) -> list[Verdict]:
        span = tool.sources.get("rate_limit") or tool.span
        if tool.rate_limit is not None:
            return [source_verdict("rate-limited", True,
                                   f"{_named(tool)} is limited to `{tool.rate_limit.expression}`", span)]
        if tool.rate_limit_opaque:
            return [source_verdict("rate-limited", None, f"{_named(tool)}'s rate limit is not a literal", span)]
        return [source_verdict("rate-limited", False, f"{_named(tool)} writes or reaches the network and has no "
                               "`@rate_limit`: nothing bounds how often it runs", span)]

    tools = [t for t in facts.tools if t.side_effects.writes or t.side_effects.flag("external_network")]
    return facts.per_tool("rate-limited", tools, judge, "no tool writes or reaches the network")


# ------------------------------------------------------------------ runtime safety


def short_timeouts(facts: _Facts) -> list[Verdict]:
    """``short-timeouts``: the service default ``[execution]
    timeout_seconds`` (30 when not set) is positive and at most
    :data:`SHORT_TIMEOUT_SECONDS`."""

    def judge(config: ServiceConfig) -> list[Verdict]:
        timeout = config.setting("execution", "timeout_seconds")
        number = isinstance(timeout, (int, float)) and not isinstance(timeout, bool)
        ok = number and 0 < timeout <= SHORT_TIMEOUT_SECONDS
        return [source_verdict("short-timeouts", ok, f"{_setting(config, 'execution', 'timeout_seconds')} "
                               f"(short: over 0 and at most {SHORT_TIMEOUT_SECONDS} s)",
                               config.span("execution", "timeout_seconds"))]

    return facts.per_config("short-timeouts", judge)


def low_retries(facts: _Facts) -> list[Verdict]:
    """``low-retries``: the service default ``[execution] max_retries`` is at
    most :data:`LOW_RETRIES`, and no tool that is not idempotent is retried
    (PC612)."""

    def judge(config: ServiceConfig) -> list[Verdict]:
        retries = config.setting("execution", "max_retries")
        ok = isinstance(retries, int) and not isinstance(retries, bool) and 0 <= retries <= LOW_RETRIES
        return [source_verdict("low-retries", ok, f"{_setting(config, 'execution', 'max_retries')} (low: at most "
                               f"{LOW_RETRIES})", config.span("execution", "max_retries"))]

    retried = [finding_verdict("low-retries", d) for d in facts.findings(check_retry_non_idempotent)]
    return facts.per_config("low-retries", judge) + retried


def isolation(facts: _Facts) -> list[Verdict]:
    """``isolated-process``: no tool, and no service default, lets work run
    over :data:`~.checks.LONG_TIMEOUT_SECONDS` in a thread (PC613); each
    tool run with ``@isolated_process`` holds (a subprocess is killed at its
    timeout)."""
    if not facts.tools:
        return [source_verdict("isolation", None, "no ToolRampart tool among the paths")]
    out = [finding_verdict("isolation", d) for d in facts.findings(check_long_work_not_isolated)]
    for tool in (t for t in facts.tools if t.isolated):
        limit = f"its timeout of {_toml(tool.timeout)} s" if tool.timeout is not None else "the service's timeout"
        span = tool.sources.get("isolated_process") or tool.sources.get("execution_mode") or tool.span
        out.append(source_verdict("isolation", True, f"{_named(tool)} runs in a subprocess (`@isolated_process`), "
                                  f"killed at {limit}", span))
    return out or [source_verdict("isolation", True, f"no tool and no service default lets work run over "
                                  f"{LONG_TIMEOUT_SECONDS} s in a thread")]


def split_services(facts: _Facts) -> list[Verdict]:
    """``split-services``: no service (the tools of one directory) serves a
    destructive tool beside a read-only one (PC614); one verdict per service."""
    if not facts.tools:
        return [source_verdict("split-services", None, "no ToolRampart tool among the paths")]
    findings = facts.findings(check_mixed_risk_service)
    out = []
    for service in facts.result.services():
        mixed = next((d for t in service.tools for d in _about(findings, t)), None)
        if mixed is not None:
            out.append(finding_verdict("split-services", mixed))
        else:
            out.append(source_verdict("split-services", True, f"the service of {service.directory} "
                                      f"({len(service.tools)} tool(s)) has no destructive tool beside a read-only one"))
    return out


def resource_limits(facts: _Facts) -> list[Verdict]:
    """``resource-limits``: each systemd unit among the artifacts whose
    ``ExecStart`` runs ``toolrampart serve`` sets one of
    :data:`RESOURCE_LIMITS`; absent without such a unit."""
    units = [u for u in facts.artifacts.units if any(_SERVE.search(ln.text) for ln in u.exec_lines)]
    if not units:
        return [source_verdict("resource-limits", None, "no systemd unit running ToolRampart among the --deployment "
                               "artifacts")]
    out = []
    for unit in units:
        limits = [(key, line) for key in RESOURCE_LIMITS if (line := unit.last(key)) is not None]
        if limits:
            shown = ", ".join(f"{key}={line.text}" for key, line in limits)
            first = limits[0][1]
            out.append(source_verdict("resource-limits", True, f"the ToolRampart unit sets {shown}",
                                      Span(first.path, first.number, 1)))
        else:
            start = unit.exec_lines[0]
            out.append(source_verdict("resource-limits", False, "the ToolRampart unit sets none of "
                                      f"{', '.join(f'{k}=' for k in RESOURCE_LIMITS)}",
                                      Span(start.path, start.number, 1)))
    return out


# ------------------------------------------------------------------ storage and observability


def _postgres(config: ServiceConfig) -> bool:
    """Whether ``create_audit_store`` builds Postgres (any other accepted URL is SQLite)."""
    url = config.setting("storage", "storage_url")
    return bool(url) and not str(url).startswith("sqlite://")


def _storage_span(config: ServiceConfig) -> Span:
    key = "storage_url" if config.key("storage", "storage_url") else "audit_path"
    return config.span("storage", key)


def sqlite_local(facts: _Facts) -> list[Verdict]:
    """``no-sqlite-in-production``: Postgres holds; SQLite in a config that
    looks like production fails (PC619); SQLite otherwise is absent (fine for
    one node; whether the deployment is one node is not in the files)."""
    findings = facts.findings(check_local_audit_storage)

    def judge(config: ServiceConfig) -> list[Verdict]:
        if _postgres(config):
            return [source_verdict("sqlite-local", True, f"Postgres: `storage_url = "
                                   f"{_shown_url(config.setting('storage', 'storage_url'))!r}`", _storage_span(config))]
        finding = _in(findings, config)
        if finding is not None:
            return [finding_verdict("sqlite-local", finding)]
        return [source_verdict("sqlite-local", None, "SQLite audit storage (storage.py `create_audit_store`), fine for "
                               "local or single-node use; nothing in this config says it is deployed on more",
                               _storage_span(config))]

    return facts.per_config("sqlite-local", judge)


def postgres_storage(facts: _Facts) -> list[Verdict]:
    """``postgres-storage``: ``storage_url`` is a Postgres URL."""

    def judge(config: ServiceConfig) -> list[Verdict]:
        url = config.setting("storage", "storage_url")
        if _postgres(config):
            return [source_verdict("postgres-storage", True, f"`storage_url = {_shown_url(url)!r}`",
                                   _storage_span(config))]
        where = f"`audit_path = {config.setting('storage', 'audit_path')!r}`" if config.key("storage", "audit_path") \
            else "the default audit path"
        return [source_verdict("postgres-storage", False, f"audit events and approval requests are stored in SQLite "
                               f"({'`storage_url` not set' if not url else f'`storage_url = {url!r}`'}, {where})",
                               _storage_span(config))]

    return facts.per_config("postgres-storage", judge)


def redis_rate_limits(facts: _Facts) -> list[Verdict]:
    """``redis-rate-limits``: ``redis_url`` is set (without it, core.py
    ``rate_limiter`` keeps the counters in the audit store)."""

    def judge(config: ServiceConfig) -> list[Verdict]:
        url = config.setting("storage", "redis_url")
        span = config.span("storage", "redis_url")
        if url:
            return [source_verdict("redis-rate-limits", True, f"`redis_url = {_shown_url(url)!r}`: workers share the "
                                   "rate-limit counters", span)]
        return [source_verdict("redis-rate-limits", False, "no `redis_url`: core.py `rate_limiter` keeps the counters "
                               "in the audit store", span)]

    return facts.per_config("redis-rate-limits", judge)


def retention_enforced(facts: _Facts) -> list[Verdict]:
    """``retention-defined``: a ``--deployment`` crontab, timer or script runs
    ``toolrampart prune``; a crontab or timer without it fails; otherwise
    absent. ``retention_days`` is never read (PC620), so it is cited, never
    counted."""
    declared = "; ".join(f"{d.span.path}:{d.span.line}: `retention_days` is set but never read"
                         for d in facts.findings(check_retention_not_enforced) if d.span)
    note = f" ({declared})" if declared else ""
    arts = facts.artifacts
    runs = [ln for ln in arts.command_lines if _PRUNE.search(ln.text)]
    if runs:
        return [source_verdict("retention-enforced", True, f"`{ln.text}` prunes the audit log{note}",
                               Span(ln.path, ln.number, 1), runtime=_RETENTION_RUNTIME) for ln in runs]
    schedules = [p for p, k in arts.kinds.items() if k == "crontab"]
    schedules += [u.path for u in arts.units if u.path.endswith(".timer")]
    if schedules:
        return [source_verdict("retention-enforced", False, f"no `toolrampart prune` in the crontab or timer given: "
                               f"nothing deletes audit events{note}", Span(schedules[0], 1, 1),
                               runtime=_RETENTION_RUNTIME)]
    return [source_verdict("retention-enforced", None, f"nothing prunes the audit log unless `toolrampart prune "
                           f"--days N` runs on a schedule{note}", runtime=_RETENTION_RUNTIME)]


def telemetry(facts: _Facts) -> list[Verdict]:
    """``telemetry``: ``[telemetry] enabled = false`` fails; enabled (the
    default) is absent, as the OpenTelemetry providers and exporters are
    set up by the host application."""

    def judge(config: ServiceConfig) -> list[Verdict]:
        span = config.span("telemetry", "enabled")
        if not config.setting("telemetry", "enabled"):
            return [source_verdict("telemetry", False, "`[telemetry] enabled = false`: ToolRampart records no spans",
                                   span)]
        return [source_verdict("telemetry", None, f"{_setting(config, 'telemetry', 'enabled')}: ToolRampart records "
                               "spans; exporting them is the host application's OpenTelemetry set-up", span)]

    return facts.per_config("telemetry", judge)


VERIFIERS: dict[str, Callable[[_Facts], list[Verdict]]] = {
    "auth-required": auth_required,
    "actor-from-principal": actor_from_principal,
    "no-plaintext-keys": no_plaintext_keys,
    "trusted-headers": trusted_headers,
    "narrow-scope": narrow_scope,
    "side-effects-declared": side_effects_declared,
    "approvals": approvals,
    "idempotency-keys": idempotency_keys,
    "rate-limited": rate_limited,
    "short-timeouts": short_timeouts,
    "low-retries": low_retries,
    "isolation": isolation,
    "split-services": split_services,
    "resource-limits": resource_limits,
    "sqlite-local": sqlite_local,
    "postgres-storage": postgres_storage,
    "redis-rate-limits": redis_rate_limits,
    "retention-enforced": retention_enforced,
    "telemetry": telemetry,
}
"""The verifiers ``coverage.yaml`` names, each taking the report's facts."""


def build_report(result: LoadResult, *, checklists: list[str] | None = None,
                 deployments: list[str] = ()) -> Report:
    """The coverage report of ToolRampart tools and configs loaded with
    :func:`policyc.dialects.toolrampart.load_paths`.

    ``checklists`` may only name ``toolrampart`` (the default); the OWASP
    rows are mapped as ``coverage.yaml`` says (ASI07 and ASI09 are
    not-applicable; ASI04, ASI05, ASI06 and ASI10 need evidence). Tool and
    config items are covered, partial or uncovered by the verifiers above,
    one verdict per tool or config; without a config (or without tools)
    they need evidence, as do retention without a ``toolrampart prune``
    schedule, telemetry exporters and operations. ``deployments`` are read as
    ``policyc coverage --deployment`` reads them: ``toolrampart.toml``
    artifacts are judged with the loaded configs, crontabs, timers and
    scripts settle retention, systemd units resource limits. The context
    holds ``policyc``, ``dialect``, ``sources`` (modules and configs read),
    ``tools`` (their registered names) and ``deployment`` (path -> kind).

    Raises :class:`~policyc.coverage.catalog.DataError` for another
    checklist, ``ArtifactError``/``OSError`` for an unreadable artifact.
    """
    artifacts = read_artifacts(list(deployments))
    facts = _Facts(result, artifacts)
    context = {"sources": [m.module.path for m in result.modules] + [c.path for c in result.configs],
               "tools": [str(t.name) for t in result.tools], "deployment": dict(artifacts.kinds)}
    return build_dialect_report(NAME, mapping_path(), {n: partial(v, facts) for n, v in VERIFIERS.items()},
                                checklists=checklists, context=context)
