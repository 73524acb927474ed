"""The ToolRampart checks (PC606-PC626) over a :class:`~.loader.LoadResult`.

Each check is one function ``check_<name>(result) -> list[Diagnostic]``
(listed in :data:`ANALYSES`); :func:`run_checks` runs them all. The checks
of the service config alone (PC615, PC617-PC620) are in :mod:`.config_checks`. What each
reports, and the ToolRampart source that makes it a problem, is on its
page ``docs/checks/PC6xx.md``. The load checks (PC601-PC605) are made by
the readers (:mod:`.source`, :mod:`.registration`, :mod:`.config`).

``CHECKS`` (from :mod:`.codes`) is every check of the dialect, for the
registry in :mod:`policyc.checks`.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any, Callable

from policyc.diagnostics.model import Diagnostic
from policyc.dialects.toolrampart.codes import (
    ANNOTATION_UNRESOLVABLE, APPROVAL_FAIL_OPEN, APPROVAL_NEVER_FIRES, CHECKS, DECORATOR_ABOVE_TOOL,
    DECORATORS_WITHOUT_TOOL, DUPLICATE_DECORATOR, LONG_WORK_NOT_ISOLATED, MIXED_RISK_SERVICE, OPAQUE_TOOL,
    PARAMETER_NOT_ACCEPTED, REDACT_STRING, REQUEST_METADATA_TRUSTED, RETRY_NON_IDEMPOTENT, TIMEOUT_NOT_POSITIVE,
    UNAPPROVED_RISKY_TOOL, WRITE_WITHOUT_IDEMPOTENCY,
)
from policyc.dialects.toolrampart.config_checks import (
    check_auth_not_required, check_local_audit_storage, check_plaintext_api_keys, check_retention_not_enforced,
    check_trusted_headers_unguarded,
)
from policyc.dialects.toolrampart.fields import describe
from policyc.dialects.toolrampart.model import UNKNOWN, ServiceConfig, Tool
from policyc.dialects.toolrampart.registration import short

if TYPE_CHECKING:  # pragma: no cover
    from policyc.dialects.toolrampart.loader import LoadResult

__all__ = ["CHECKS", "ANALYSES", "run_checks", "LONG_TIMEOUT_SECONDS"]

LONG_TIMEOUT_SECONDS = 60
"""A timeout above this many seconds is "long-running work" (PC613)."""

_PERMISSION_WORDS = frozenset({"grant", "grants", "revoke", "revokes", "permission", "permissions", "role",
                               "roles", "acl", "acls", "privilege", "privileges", "iam", "sudo", "chmod",
                               "chown"})


def _named(tool: Tool) -> str:
    if tool.name is not UNKNOWN and tool.name != tool.function.name:
        return f"`{tool.function.name}` (registered as `{tool.name}`)"
    return f"`{tool.function.name}`"


def _here(span, beside: str | None = None) -> str:
    """``file:line:col``; the file's base name when it is in the directory of ``beside``."""
    if span is None:
        return "?"
    path = span.path
    if beside is not None and os.path.dirname(os.path.abspath(path)) == os.path.dirname(os.path.abspath(beside)):
        path = os.path.basename(path)
    return f"{path}:{span.line}:{span.column}"


def _decided_timeout(tool: Tool, config: ServiceConfig | None) -> tuple[Any, str, Any]:
    """``(timeout, where it is set, span)`` as ``_execute_tool`` picks it."""
    if tool.timeout is not None:
        return tool.timeout, "its own timeout", tool.sources.get("timeout")
    if config is not None and config.valid:
        return (config.setting("execution", "timeout_seconds"), "the service's `[execution] timeout_seconds`",
                config.span("execution", "timeout_seconds"))
    return 30, "the runtime's default (`ToolRampart(execution_timeout_seconds=30)`)", None


def _decided_retries(tool: Tool, config: ServiceConfig | None) -> tuple[Any, str, Any]:
    if tool.max_retries is not None:
        return tool.max_retries, "its own `max_retries`", tool.sources.get("max_retries")
    if config is not None and config.valid:
        return (config.setting("execution", "max_retries"), "the service's `[execution] max_retries`",
                config.span("execution", "max_retries"))
    return 0, "the runtime's default", None


# --- decorators ----------------------------------------------------------------

_IGNORED_EFFECT = {
    "scope": lambda t: ("the scope below `@tool` is not a literal" if t.scope is UNKNOWN
                        else "the tool requires no scope: every caller may call it" if not t.scope
                        else f"the tool requires `{t.scope}` (set below `@tool`)"),
    "require_approval": lambda t: ("no call is ever held for approval" if t.approval is None
                                   else "the approval below `@tool` applies instead"),
    "rate_limit": lambda t: ("calls are not rate limited" if t.rate_limit is None
                             else f"the limit `{t.rate_limit.expression}` below `@tool` applies instead"),
    "side_effects": lambda t: "the tool's side effects stay as declared below `@tool` (all false if none)",
    "timeout": lambda t: "the tool keeps the service's default timeout" if t.timeout is None
    else f"the timeout below `@tool` ({t.timeout}) applies instead",
    "max_retries": lambda t: "the tool keeps the service's default retries" if t.max_retries is None
    else f"the retries below `@tool` ({t.max_retries}) apply instead",
    "isolated_process": lambda t: "the tool runs in a thread" if not t.isolated else "it is isolated anyway",
    "redact": lambda t: "those fields are logged unredacted",
    "policy": lambda t: "that custom policy never runs",
}


def check_decorator_above_tool(result: LoadResult) -> list[Diagnostic]:
    """PC606: a ToolRampart decorator above the registering ``@tool``."""
    out = []
    for tool in result.tools:
        registering = tool.sources.get("tool")
        for decorator in tool.ignored:
            effect = _IGNORED_EFFECT.get(decorator.kind, lambda t: "it has no effect")(tool)
            out.append(DECORATOR_ABOVE_TOOL.at(
                decorator.span,
                f"`@{short(decorator.text)}` is above `@tool` (line {registering.line if registering else '?'}), so it is "
                f"applied after {_named(tool)} was registered: `ToolDefinition.from_function` (core.py) copied the "
                f"metadata when `@tool` ran, and this decorator changes nothing the runtime uses; {effect}",
                help="move it below `@tool`: ToolRampart's decorators must sit between `@tool` and `def`",
                label="ignored by the runtime"))
    return out


_OVERRIDDEN = {"scope": "required scope", "require_approval": "approval policy", "rate_limit": "rate limit",
               "side_effects": "side effects", "timeout": "timeout", "max_retries": "retry count"}


def check_duplicate_decorator(result: LoadResult) -> list[Diagnostic]:
    """PC607: the same overriding decorator twice below ``@tool``."""
    out = []
    for module in result.modules:
        for tool, winner, loser in module.duplicates:
            what = _OVERRIDDEN.get(loser.kind, loser.kind)
            out.append(DUPLICATE_DECORATOR.at(
                loser.span,
                f"`@{short(loser.text)}` is overridden by `@{short(winner.text)}` (line {winner.span.line}): decorators apply "
                f"bottom-up and each sets {_named(tool)}'s {what} (core.py `_metadata_for`), so the one nearest "
                f"`@tool` wins and this one has no effect",
                help="keep one of them (only `@redact` and `@policy` accumulate)", label="no effect"))
    return out


def check_decorators_without_tool(result: LoadResult) -> list[Diagnostic]:
    """PC621: ToolRampart decorators on a function no ``@tool`` registers."""
    out = []
    for module in result.modules:
        for function in module.unregistered:
            decorators = [d for d in function.decorators if d.kind != "other"]
            names = ", ".join(f"`@{d.callee}`" for d in decorators)
            out.append(DECORATORS_WITHOUT_TOOL.at(
                decorators[0].span,
                f"`{function.name}` has {names} but no `@tool`: nothing registers it (`ToolRampart.tool`, core.py), "
                f"so no ToolRampart call reaches it and those policies guard nothing; called directly, it runs "
                f"unchecked",
                help="add `@tool` above the other ToolRampart decorators", label="never registered"))
    return out


def check_redact_string(result: LoadResult) -> list[Diagnostic]:
    """PC624: ``@redact("field")``: a string is a set of characters."""
    out = []
    for module in result.modules:
        for function in module.module.functions:
            for decorator in function.decorators:
                if decorator.kind != "redact" or not decorator.called:
                    continue
                values = list(decorator.args) + [v for k, v in decorator.kwargs if k == "fields"]
                for value in values[:1]:
                    if value.known and isinstance(value.value, str):
                        chars = ", ".join(repr(c) for c in sorted(set(value.value))[:8])
                        out.append(REDACT_STRING.at(
                            value.span,
                            f"`@{short(decorator.text)}` passes one string: `redact` (core.py) does `set.update(fields)`, "
                            f"which adds its characters ({chars}), so a field named {value.value!r} is written to "
                            f"the audit log unredacted",
                            help=f"pass a list: `@redact([{value.value!r}])`", label="a set of characters"))
    return out


def check_opaque_tool(result: LoadResult) -> list[Diagnostic]:
    """PC625: what a static reading cannot decide about a tool."""
    out = []
    for tool in result.tools:
        for part in tool.opaque:
            if part.what == "custom policy":
                continue
            out.append(OPAQUE_TOOL.at(
                part.span or tool.span,
                f"{part.what} `{short(part.text)}` of {_named(tool)} cannot be read statically: {part.effect}; policyc "
                f"makes no claim that depends on it",
                help="use ToolRampart's decorators with literal arguments where you can", label="opaque"))
    return out


# --- approvals -----------------------------------------------------------------

def _spec_of(tool: Tool, name: str):
    return next(((spec, default) for n, spec, default in tool.inputs if n == name), None)


def _never_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return True
    except OverflowError:
        return False
    return False


def check_approval_never_fires(result: LoadResult) -> list[Diagnostic]:
    """PC608: an approval condition no call can meet."""
    out = []
    for tool in result.tools:
        if tool.approval is None or tool.approval.always:
            continue
        for condition in tool.approval.conditions:
            found = _spec_of(tool, condition.field)
            threshold = condition.threshold.literal
            written = f"`{condition.keyword}={short(condition.threshold.text)}`"
            reason = None
            if found is None:
                if condition.op == "equals" and threshold is None:
                    continue  # None == None: it always fires
                hidden = " (it is not an input field)" if condition.field in tool.hidden else ""
                reason = (f"{written} reads argument `{condition.field}`, which {_named(tool)} does not take"
                          f"{hidden}: the validated arguments never hold it, so the condition never requires "
                          f"approval")
            elif condition.op != "equals" and threshold is not UNKNOWN and _never_number(threshold):
                reason = (f"{written}: the threshold is not a number, so `float(threshold)` raises and "
                          f"`_is_{condition.op}` returns False for every call: the condition never requires approval")
            elif condition.op != "equals" and found[0][0] in ("list", "dict") or (
                    condition.op != "equals" and found[0][0] == "optional" and found[0][1][0] in ("list", "dict")):
                reason = (f"{written}: `{condition.field}` is a `{describe(found[0])}`, which `float()` refuses, so "
                          f"the condition never requires approval")
            if reason:
                out.append(APPROVAL_NEVER_FIRES.at(
                    condition.span, reason + " (policies.py `ApprovalPolicy.required_reason`)",
                    help=f"name one of the parameters of `{tool.function.name}` "
                         f"({', '.join(n for n, _, _ in tool.inputs) or 'it has none'}) and a numeric threshold",
                    label="never fires"))
    return out


def check_approval_fail_open(result: LoadResult) -> list[Diagnostic]:
    """PC609: a threshold skipped when its value is missing or not a number."""
    out = []
    for tool in result.tools:
        if tool.approval is None or tool.approval.always:
            continue
        for condition in tool.approval.conditions:
            if condition.op == "equals":
                continue
            found = _spec_of(tool, condition.field)
            threshold = condition.threshold.literal
            if found is None or threshold is UNKNOWN or _never_number(threshold):
                continue
            spec, default = found
            holes = []
            if default is not None:
                value = default.literal
                if value is None:
                    holes.append(f"omitted (its default is None)")
                elif value is not UNKNOWN and _never_number(value):
                    holes.append(f"omitted (its default {default.text} is not a number)")
            tag = spec[0]
            inner = spec[1][0] if tag == "optional" else tag
            if tag in ("optional", "any", "none"):
                holes.append("null")
            if inner in ("str", "any"):
                holes.append('a string that is not a number (e.g. "n/a")')
            if inner == "any":
                holes.append("a list or an object")
            if not holes:
                continue
            out.append(APPROVAL_FAIL_OPEN.at(
                condition.span,
                f"`{condition.keyword}={short(condition.threshold.text)}` is skipped when `{condition.field}` "
                f"({describe(spec)}) is {', or '.join(holes)}: `required_reason` (policies.py) ignores a None value "
                f"and `_is_{condition.op}` returns False when `float()` fails, so such a call of {_named(tool)} "
                f"runs without approval (fail-open)",
                help=f"annotate `{condition.field}` as a required `float` or `int`, so validation refuses "
                     f"non-numbers, or add `@policy` that denies them", label="fails open"))
    return out


def _risks(tool: Tool) -> list[str]:
    side = tool.side_effects
    risks = []
    if side.flag("money_movement"):
        risks.append("moves money (`money_movement`)")
    if side.flag("destructive"):
        risks.append("is destructive (`destructive`)")
    if side.flag("external_network") and side.flag("writes_data"):
        risks.append("writes to an external system (`external_network` and `writes_data`)")
    words = set(re.split(r"[^a-z0-9]+", f"{tool.function.name} {tool.name if tool.name is not UNKNOWN else ''} "
                                        f"{tool.scope if isinstance(tool.scope, str) else ''}".lower()))
    permission = sorted(words & _PERMISSION_WORDS)
    if permission:
        risks.append(f"changes permissions (its name or scope says `{permission[0]}`)")
    return risks


def check_unapproved_risky_tool(result: LoadResult) -> list[Diagnostic]:
    """PC610: money movement, deletion, permission changes, external writes without approval."""
    out = []
    for tool in result.tools:
        if tool.approval is not None:
            continue
        risks = _risks(tool)
        if not risks:
            continue
        ignored = next((d for d in tool.ignored if d.kind == "require_approval"), None)
        note = (f" (the `@{ignored.text}` at line {ignored.span.line} is above `@tool` and ignored)"
                if ignored is not None else "")
        out.append(UNAPPROVED_RISKY_TOOL.at(
            tool.span,
            f"{_named(tool)} {' and '.join(risks)} but has no `@require_approval`{note}: every call that passes "
            f"the scope check runs at once (core.py `_check_approval` returns None without an approval policy)",
            help="add `@require_approval()` below `@tool` (or a threshold such as `over_amount=...`)",
            label="no approval"))
    return out


# --- idempotency, retries, timeouts ------------------------------------------

def check_write_without_idempotency(result: LoadResult) -> list[Diagnostic]:
    """PC611: a write tool not declared idempotent."""
    out = []
    for tool in result.tools:
        side = tool.side_effects
        if not side.writes or side.flag("idempotent") or side.idempotent is UNKNOWN:
            continue
        if any(p.reads_idempotency_key for p in tool.policies):
            continue
        flags = ", ".join(f for f in ("writes_data", "money_movement", "destructive") if side.flag(f))
        out.append(WRITE_WITHOUT_IDEMPOTENCY.at(
            side.span or tool.span,
            f"{_named(tool)} writes ({flags}) and is not declared idempotent, and ToolRampart cannot require an "
            f"idempotency key: `_check_idempotency` (core.py) skips the step when a call carries none, so a "
            f"client that repeats the call repeats the write",
            help="make the operation idempotent and declare `idempotent=True`, or require a key: "
                 "`@policy(lambda ctx, args: ctx.idempotency_key is not None or \"idempotency key required\")`",
            label="not idempotent"))
    return out


def check_retry_non_idempotent(result: LoadResult) -> list[Diagnostic]:
    """PC612: retries on a tool not declared idempotent."""
    out = []
    for tool in result.tools:
        side = tool.side_effects
        if side.flag("idempotent") or side.flag("read_only") or side.idempotent is UNKNOWN:
            continue
        config = result.config_for(tool.path)
        retries, where, span = _decided_retries(tool, config)
        if retries is UNKNOWN or isinstance(retries, bool) or not isinstance(retries, (int, float)) or retries <= 0:
            continue
        place = "" if span is None or span.path == tool.path else f" ({_here(span, tool.path)})"
        out.append(RETRY_NON_IDEMPOTENT.at(
            span if span is not None and span.path == tool.path else tool.span,
            f"{_named(tool)} is retried up to {retries} time(s) by {where}{place}, after a timeout or an exception "
            f"(core.py `_execute_tool`), but it is not declared idempotent: a timed-out attempt keeps running in "
            f"its thread while the next one starts, so its effect can happen more than once",
            help="set `@max_retries(0)` for this tool, or make it idempotent and declare `idempotent=True`",
            label="retried"))
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_long_work_not_isolated(result: LoadResult) -> list[Diagnostic]:
    """PC613: a long timeout on a thread-mode tool, or a long service default."""
    out = []
    for config in result.configs:
        timeout = config.setting("execution", "timeout_seconds") if config.valid else None
        if _is_number(timeout) and timeout > LONG_TIMEOUT_SECONDS:
            out.append(LONG_WORK_NOT_ISOLATED.at(
                config.span("execution", "timeout_seconds"),
                f"`[execution] timeout_seconds = {timeout}` lets every tool without its own `@timeout` run for "
                f"over {LONG_TIMEOUT_SECONDS} s; in thread mode a timeout only stops waiting (`asyncio.wait_for` on "
                f"`asyncio.to_thread`, core.py `_call_tool_with_mode`): the work goes on",
                help=f"set a short default (at most {LONG_TIMEOUT_SECONDS} s) and give long tools `@isolated_process` "
                     f"and their own `@timeout`", label="long default"))
    for tool in result.tools:
        if tool.isolated or tool.execution_mode is UNKNOWN or tool.timeout is None:
            continue
        timeout = tool.timeout
        if _is_number(timeout) and timeout > LONG_TIMEOUT_SECONDS:
            out.append(LONG_WORK_NOT_ISOLATED.at(
                tool.sources.get("timeout", tool.span),
                f"{_named(tool)} may run for {timeout} s in a thread: when it times out, `asyncio.wait_for` returns "
                f"`timeout` to the caller but cannot stop the thread (core.py `_call_tool_with_mode`), so the work "
                f"goes on unobserved",
                help="add `@isolated_process` below `@tool`: a subprocess is killed at its timeout",
                label="not isolated"))
    return out


def check_timeout_not_positive(result: LoadResult) -> list[Diagnostic]:
    """PC626: a timeout of zero or less."""
    out = []
    for config in result.configs:
        timeout = config.setting("execution", "timeout_seconds") if config.valid else None
        if _is_number(timeout) and timeout <= 0:
            out.append(TIMEOUT_NOT_POSITIVE.at(
                config.span("execution", "timeout_seconds"),
                f"`[execution] timeout_seconds = {timeout}`: every tool without its own `@timeout` ends each call "
                f"that passes the gates in `timeout` (`tool timed out after {timeout} seconds`)",
                help="set a positive timeout", label="always times out"))
    for tool in result.tools:
        timeout = tool.timeout
        if _is_number(timeout) and timeout <= 0:
            out.append(TIMEOUT_NOT_POSITIVE.at(
                tool.sources.get("timeout", tool.span),
                f"{_named(tool)} has a timeout of {timeout}: the runtime gives up waiting at once (in a thread "
                f"or a subprocess), so every call that passes the gates ends in `timeout` (`tool timed out after "
                f"{timeout} seconds`, core.py `_execute_tool`)",
                help="give a positive number of seconds", label="always times out"))
    return out


# --- signatures ----------------------------------------------------------------

def check_annotation_unresolvable(result: LoadResult) -> list[Diagnostic]:
    """PC622: a postponed annotation pydantic resolves in core.py's namespace and cannot."""
    out = []
    for tool in result.tools:
        for name, spec, _ in tool.inputs:
            if spec[0] != "unresolvable":
                continue
            parameter = tool.function.parameter(name)
            out.append(ANNOTATION_UNRESOLVABLE.at(
                parameter.annotation_span if parameter else tool.span,
                f"under `from __future__ import annotations` the annotation `{parameter.annotation if parameter else '?'}`"
                f" of `{name}` stays a string, which pydantic resolves in `toolrampart.core`'s namespace (the "
                f"module calling `create_model`), where `{spec[1]}` is not defined: every call of {_named(tool)} "
                f"raises PydanticUserError (the input model is not fully defined) instead of deciding",
                help="write it with builtins (`int | None`, `list[int]`), or drop the `__future__` import",
                label="unresolvable"))
    return out


def check_parameter_not_accepted(result: LoadResult) -> list[Diagnostic]:
    """PC623: a parameter pydantic does not make an input field."""
    out = []
    for tool in result.tools:
        for name in tool.hidden:
            parameter = tool.function.parameter(name)
            required = parameter is not None and parameter.required
            consequence = (" and, as it has no default, every call that passes the gates fails with TypeError "
                           "(missing argument)") if required else ""
            why = "starts with `_` (a private attribute to pydantic)" if name.startswith("_") else \
                "is pydantic's model configuration name"
            out.append(PARAMETER_NOT_ACCEPTED.at(
                parameter.span if parameter else tool.span,
                f"`{name}` {why}, so `create_model` (core.py `_model_from_signature`) makes no field of it: a call "
                f"passing `{name}` fails validation (extra inputs are not permitted){consequence}",
                help="rename the parameter without a leading underscore", label="not an input field"))
    return out


# --- policies and the REST layer ----------------------------------------------

def check_request_metadata_trusted(result: LoadResult) -> list[Diagnostic]:
    """PC616: a custom policy trusts ``ctx.metadata``."""
    out = []
    for tool in result.tools:
        for policy in tool.policies:
            if not policy.reads_metadata:
                continue
            out.append(REQUEST_METADATA_TRUSTED.at(
                policy.span,
                f"custom policy `{policy.name}` of {_named(tool)} reads `ctx.metadata`, which REST callers set: "
                f"`_context_from_request` (app.py) uses the request body's `metadata`, merged over the "
                f"authenticated principal's even with auth on, so a caller can send the metadata that passes it",
                help="decide on `ctx.actor`/`ctx.scopes` (from the authenticator) or on server-side state, "
                     "not on `ctx.metadata`", label="caller-controlled"))
    return out


def check_mixed_risk_service(result: LoadResult) -> list[Diagnostic]:
    """PC614: read-only and destructive tools in one service."""
    out = []
    for service in result.services():
        tools = service.tools
        readers = [t for t in tools if t.side_effects.flag("read_only")]
        destroyers = [t for t in tools if t.side_effects.flag("destructive")]
        if not readers or not destroyers:
            continue
        reader = readers[0]
        for tool in destroyers:
            out.append(MIXED_RISK_SERVICE.at(
                tool.side_effects.span or tool.span,
                f"{_named(tool)} is destructive and is served with read-only {_named(reader)} "
                f"({_here(reader.span, tool.path)}) by the same service (the tools of one directory): one process, "
                f"one config and one set of credentials serve both, so a leak through the read-only tool reaches the "
                f"destructive one",
                help="serve destructive tools from their own package and deployment, with their own credentials",
                label="destructive beside read-only"))
    return out


ANALYSES: list[Callable[[LoadResult], list[Diagnostic]]] = [
    check_decorator_above_tool, check_duplicate_decorator, check_approval_never_fires, check_approval_fail_open,
    check_unapproved_risky_tool, check_write_without_idempotency, check_retry_non_idempotent,
    check_long_work_not_isolated, check_mixed_risk_service, check_auth_not_required, check_request_metadata_trusted,
    check_plaintext_api_keys, check_trusted_headers_unguarded, check_local_audit_storage,
    check_retention_not_enforced, check_decorators_without_tool, check_annotation_unresolvable,
    check_parameter_not_accepted, check_redact_string, check_opaque_tool, check_timeout_not_positive,
]
"""Every analysis, in check-code order."""


def run_checks(result: LoadResult) -> list[Diagnostic]:
    """Every finding of every analysis over ``result``, sorted by position."""
    found: list[Diagnostic] = []
    for analysis in ANALYSES:
        found.extend(analysis(result))
    found.sort(key=Diagnostic.sort_key)
    return found

