"""The reference evaluator: a call decided as ToolRampart's runtime decides it.

Written from ``core.py`` ``ToolRampart.execute`` (ToolRampart 0.2.0, MIT),
never from its code. The gates, in the runtime's order:

1. **lookup** (``get_tool``): an unknown name raises ``ToolNotFoundError``
   (status ``not_found`` here); a tool of a module whose import fails has
   status ``error`` (stage ``import``).
2. **validation** (``ToolDefinition.validate_arguments``): the input model
   of the signature, ``extra="forbid"``, pydantic lax mode (:mod:`.fields`);
   missing optional arguments take their defaults (not validated). Any
   error: ``validation_error`` (pydantic's message text is not reproduced:
   ``message`` is ``None``). A postponed annotation pydantic cannot resolve
   makes validation raise ``PydanticUserError``: status ``error``.
3. **scope** (``_check_scope``, ``_scope_grants``): no (or an empty) scope
   is open to all; a caller scope grants when it is ``*``, equal, or
   ``prefix.*`` with the required scope equal to ``prefix`` or under
   ``prefix.``. Else ``denied``, ``missing required scope: S``.
4. **custom policies** (``_check_policies``): opaque; a call with any
   ``@policy`` rule that passes the scope gate is ``unknown``.
5. **approval** (``_check_approval``, ``policies.py``
   ``ApprovalPolicy.required_reason``, ``_resolve_approval_gate``): always,
   or conditions OR-ed in keyword order: ``over_F`` is ``float(v) >
   float(t)``, ``at_or_over_F`` is ``>=``, both skipped when the value is
   missing (``None``) or either side is not a number (``TypeError``/
   ``ValueError``: fail-open); ``F=t`` is ``v == t``. The reasons are
   joined with ``"; "``. ``approved`` skips the gate; otherwise
   ``requires_approval`` with that reason.
6. **idempotency**: the call model carries no key, so the step is skipped.
7. **rate limit** (``_check_rate_limit``): ``rate_limited`` (``rate limit
   exceeded: EXPR``) when the calls already counted in the bucket within
   the window reach the limit; otherwise the call is counted. Calls stopped
   by an earlier gate are not counted; a window of zero or less counts none.
8. **execution** (``_execute_tool``): the call runs the tool's body, which
   policyc does not run: status ``success`` with ``executes=True`` (the
   body may still time out or fail). A timeout of zero or less ends every
   attempt in ``timeout`` (thread and subprocess modes, measured).

:class:`Session` keeps the rate-limit counters across calls; :func:`decide`
decides one call with its ``history`` (that many identical calls first, as
the oracle's ``decide.py`` does). Nothing raises: a call the oracle could
not even build a ``ToolContext`` for is an ``error`` outcome.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from policyc.dialects.toolrampart import ratelimit
from policyc.dialects.toolrampart.fields import validate
from policyc.dialects.toolrampart.model import UNKNOWN, Call, ServiceConfig, Tool

if TYPE_CHECKING:  # pragma: no cover
    from policyc.dialects.toolrampart.loader import LoadResult

__all__ = ["Outcome", "Session", "decide", "read_call", "STATUSES", "HTTP_STATUS", "input_model_name",
           "CALL_MODEL", "COMBINING", "BLOCKING_OPAQUE"]

CALL_MODEL = "toolrampart-call"
"""The calls decided (a bundle's ``call_model``): ``{"tool", "arguments", "actor"?, "scopes"?,
"approved"?, "metadata"?, "history"?}`` as :func:`read_call` reads them."""

COMBINING = {"name": "toolrampart",
             "gates": ["lookup", "validation", "scope", "policy", "approval", "idempotency", "rate_limit",
                       "execution"],
             "tool_combining": "only-one-applicable", "gate_combining": "first-applicable"}
"""How ``ToolRampart.execute`` decides (a bundle's ``combining``): the one tool
registered under the call's name (``only-one-applicable``: none is
``not_found``, several registries ``unknown``), then its gates in ``gates``
order (this module's docstring); the first gate that stops the call decides
(``first-applicable``), a call every gate passes executes (``success``)."""

BLOCKING_OPAQUE = ("unknown decorator",)
"""The kinds of :class:`~.model.Opaque` part that leave every decision of a
tool unknown (a decorator below ``@tool`` that may replace the function)."""

STATUSES = ("success", "validation_error", "denied", "requires_approval", "rejected", "rate_limited",
            "idempotency_conflict", "timeout", "error", "not_found", "refused", "unknown")

#: ``app.py`` ``_status_code_for``: the REST status of each result status.
HTTP_STATUS = {"success": 200, "validation_error": 422, "denied": 403, "requires_approval": 202,
               "rejected": 403, "rate_limited": 429, "idempotency_conflict": 409, "timeout": 504, "error": 500}

DEFAULT_TIMEOUT = 30
"""``ToolRampart(execution_timeout_seconds=30)``, also ``[execution] timeout_seconds``'s default."""
DEFAULT_RETRIES = 0


@dataclass(frozen=True)
class Outcome:
    """A decision: ``status`` (one of :data:`STATUSES`), the runtime's
    ``message`` (``ToolResult.error or ToolResult.message``; ``None`` when
    the runtime gives none, or when policyc does not reproduce its text:
    see ``message_known``), the ``stage`` that decided, a ``reason`` in
    words, the validated ``arguments`` (``model_dump``) once validation
    passed, whether the body ``executes``, and ``attempts`` (retries + 1).
    ``refused`` is a REST request answered before any gate (:mod:`.rest`),
    with its code in ``http``."""

    status: str
    message: str | None
    stage: str
    reason: str
    arguments: dict | None = None
    executes: bool = False
    attempts: int | None = None
    message_known: bool = True
    http: int | None = None

    @property
    def http_status(self) -> int | None:
        """The REST response code: ``app.py`` ``_status_code_for`` of the
        status, or the refusal's code (401, 422) for ``refused``."""
        return self.http if self.http is not None else HTTP_STATUS.get(self.status)

    def to_json(self) -> dict[str, Any]:
        """The oracle's output line, ``{"status", "message"}``."""
        return {"status": self.status, "message": self.message}


def input_model_name(tool_name: str) -> str:
    """The pydantic model's name (``_model_from_signature``)."""
    return f"{tool_name.title().replace('_', '')}Input"


def read_call(value: Any) -> Call | Outcome:
    """A parsed JSON line as the oracle's ``decide.py`` turns it into a
    ``ToolContext``; an :class:`Outcome` (``error``) where that raises."""
    if isinstance(value, Call):
        return value
    if not isinstance(value, dict):
        return _error("call", f"a call must be a JSON object, not {type(value).__name__}")
    if "tool" not in value:
        return _error("call", "the call has no `tool` (decide.py raises KeyError)")
    actor = value.get("actor", "anonymous")
    if not isinstance(actor, str):
        return _error("call", "ToolContext refuses a non-string actor (ValidationError)")
    scopes = value.get("scopes", [])
    if isinstance(scopes, (str, list, dict)):
        scopes = list(scopes)
    else:
        return _error("call", f"list() of {type(scopes).__name__} raises TypeError")
    if not all(isinstance(s, str) for s in scopes):
        return _error("call", "ToolContext refuses a non-string scope (ValidationError)")
    metadata = value.get("metadata", {})
    if not isinstance(metadata, dict):
        return _error("call", "ToolContext's metadata must be a mapping")
    arguments = value.get("arguments", {})
    if not isinstance(arguments, dict):
        return _error("call", "the call's arguments must be a JSON object")
    history = value.get("history", 0)
    try:
        history = int(history)
    except (TypeError, ValueError, OverflowError):
        return _error("call", "int() of the history raises")
    if history < 0:
        return _error("call", "a negative history makes no call at all (decide.py then fails)")
    return Call(tool=value["tool"], arguments=dict(arguments), actor=actor, scopes=tuple(scopes),
                approved=_truthy(value.get("approved", False)), metadata=dict(metadata), history=history)


def _truthy(value: Any) -> bool:
    return bool(value)


def _error(stage: str, reason: str, message: str | None = None) -> Outcome:
    return Outcome("error", message, stage, reason, message_known=message is not None)


def _unknown(stage: str, reason: str, arguments: dict | None = None) -> Outcome:
    return Outcome("unknown", None, stage, reason, arguments=arguments, message_known=False)


class Session:
    """Decides calls one after the other against the tools of a
    :class:`~.loader.LoadResult`, keeping the rate-limit counters
    (``{(tool name, bucket): calls counted}``) as one runtime would."""

    def __init__(self, result: LoadResult):
        self.result = result
        self.counted: dict[tuple[Any, str], int] = {}
        self.total = 0  # the calls counted, in all buckets

    def decide(self, call: Any) -> Outcome:
        """Decide one call (a JSON object or :class:`Call`); its
        ``history`` identical calls are decided first (once one leaves the
        counters as they were, the rest would decide alike: they are
        skipped, so a huge ``history`` costs at most the rate limit's count
        in repetitions). Never raises."""
        read = read_call(call)
        if isinstance(read, Outcome):
            return read
        outcome = None
        for _ in range(read.history + 1):
            before = self.total
            outcome = self.decide_one(read)
            if self.total == before:  # the same state again: every further repetition decides alike
                break
        return outcome

    def decide_one(self, call: Call) -> Outcome:
        tools = self.result.find(call.tool)
        if not tools:
            return Outcome("not_found", f"tool '{call.tool}' is not registered", "lookup",
                           "no loaded module registers this name (get_tool raises ToolNotFoundError)")
        if len(tools) > 1:
            return _unknown("lookup", "several registries define a tool of this name")
        tool = tools[0]
        if tool.broken:
            if any(r.startswith("importing ") for r in tool.broken):
                return _error("import", tool.broken[-1])
            return _unknown("import", "; ".join(tool.broken))
        blocking = [o for o in tool.opaque if o.what in BLOCKING_OPAQUE]
        if blocking:
            return _unknown("registration", f"`{blocking[0].text}` below `@tool`: {blocking[0].effect}")
        if tool.name is UNKNOWN:
            return _unknown("lookup", "the tool's name is not a literal")
        config = self.config_of(tool)
        validated = self.validate(tool, call.arguments)
        if isinstance(validated, Outcome):
            return validated
        scoped = self.scope(tool, call)
        if scoped is not None:
            return scoped
        if tool.policies:
            names = ", ".join(map(str, (p.name for p in tool.policies)))
            return _unknown("policy", f"custom policy {names} decides (opaque to static analysis)", validated)
        approval = self.approval(tool, call, validated)
        if approval is not None:
            return approval
        limited = self.rate_limit(tool, call, validated)
        if limited is not None:
            return limited
        return self.execute(tool, validated, config)

    def config_of(self, tool: Tool) -> ServiceConfig | None:
        """The config of ``tool``'s service, whose ``[execution]`` settings are
        the default timeout and retries: ``result.config_for`` the tool's
        module. (The bundle runtime's session, :mod:`policyc.dialects.toolrampart.runtime`,
        reads it from the bundle instead.)"""
        return self.result.config_for(tool.path)

    # -- gates ------------------------------------------------------------
    def validate(self, tool: Tool, arguments: dict) -> dict | Outcome:
        specs = {name: (spec, default) for name, spec, default in tool.inputs}
        for name, (spec, _) in specs.items():
            if spec[0] == "unresolvable":
                return _error("validation",
                              f"pydantic cannot resolve `{spec[1]}` in toolrampart.core's namespace (postponed "
                              f"annotation of `{name}`): validating raises PydanticUserError, "
                              f"`{input_model_name(tool.name)}` is not fully defined")
        errors: list[str] = []
        unknown: list[str] = []
        out: dict[str, Any] = {}
        for key in arguments:
            if key not in specs:
                errors.append(f"{key}: extra_forbidden")
        for name, (spec, default) in specs.items():
            if name in arguments:
                result = validate(spec, arguments[name])
                if result is None:
                    unknown.append(name)
                    out[name] = UNKNOWN
                elif result[0]:
                    out[name] = result[1]
                else:
                    errors.append(f"{name}: {result[1]}")
            elif default is None:
                errors.append(f"{name}: missing")
            else:
                out[name] = default.literal
        if errors:
            return Outcome("validation_error", None, "validation",
                           f"{len(errors)} validation error(s) for {input_model_name(tool.name)}: "
                           + ", ".join(errors), message_known=False)
        if unknown:
            return _unknown("validation", f"the validation of {', '.join(unknown)} is not modelled")
        return out

    def scope(self, tool: Tool, call: Call) -> Outcome | None:
        required = tool.scope
        if required is UNKNOWN:
            return _unknown("scope", "the required scope is not a literal")
        if not required:
            return None
        for granted in call.scopes:
            if granted == "*" or granted == required:
                return None
            if granted.endswith(".*"):
                prefix = granted[:-2]
                if required == prefix:
                    return None
                if not isinstance(required, str):
                    return _error("scope", f"the required scope {required!r} is not a string: _scope_grants "
                                           f"raises AttributeError on `startswith`")
                if required.startswith(prefix + "."):
                    return None
        message = f"missing required scope: {required}"
        return Outcome("denied", message, "scope", "no caller scope grants the tool's scope (_scope_grants)")

    def approval(self, tool: Tool, call: Call, arguments: dict) -> Outcome | None:
        policy = tool.approval
        if policy is None:
            return None
        if policy.always:
            reasons, unknown = ["approval is required"], False
        else:
            reasons, unknown, failure = _reasons(policy.conditions, arguments)
            if failure is not None:
                return _error("approval", failure)
        if not reasons and not unknown:
            return None
        if call.approved:
            return None
        if not reasons:
            return _unknown("approval", "an approval condition depends on a value policyc cannot know", arguments)
        if unknown:
            return Outcome("requires_approval", None, "approval", "approval is required (some reasons unknown)",
                           arguments=arguments, message_known=False)
        message = "; ".join(reasons)
        return Outcome("requires_approval", message, "approval", "the approval policy requires approval "
                       "(ApprovalPolicy.required_reason) and the call is not approved", arguments=arguments)

    def rate_limit(self, tool: Tool, call: Call, arguments: dict) -> Outcome | None:
        if tool.rate_limit_opaque:
            return _unknown("rate_limit", "the rate limit is not a literal", arguments)
        rule = tool.rate_limit
        if rule is None or rule.window_seconds <= 0:  # a window of zero or less never limits: nothing to count
            return None
        bucket = ratelimit.bucket(rule.per, tool.name, call.actor)
        key = (tool.name, bucket)
        used = self.counted.get(key, 0)
        if used >= rule.limit:
            return Outcome("rate_limited", f"rate limit exceeded: {rule.expression}", "rate_limit",
                           f"{used} call(s) already counted in bucket {bucket!r} (limit {rule.limit})",
                           arguments=arguments)
        self.counted[key] = self.counted.get(key, 0) + 1
        self.total += 1
        return None

    def execute(self, tool: Tool, arguments: dict, config: Any) -> Outcome:
        default_timeout = DEFAULT_TIMEOUT
        default_retries = DEFAULT_RETRIES
        if config is not None and config.valid:
            default_timeout = config.setting("execution", "timeout_seconds")
            default_retries = config.setting("execution", "max_retries")
        timeout = tool.timeout if tool.timeout is not None else default_timeout
        retries = tool.max_retries if tool.max_retries is not None else default_retries
        if timeout is UNKNOWN or retries is UNKNOWN or tool.execution_mode is UNKNOWN:
            return _unknown("execution", "the timeout, retries or execution mode is not a literal", arguments)
        try:
            attempts = max(0, retries) + 1
        except TypeError:
            return _unknown("execution", f"max_retries {retries!r} is not a number", arguments)
        if not isinstance(attempts, int) or isinstance(retries, bool):
            return _unknown("execution", f"max_retries {retries!r} is not a whole number", arguments)
        if tool.execution_mode not in ("thread", "subprocess"):
            return _unknown("execution", f"execution mode {tool.execution_mode!r} is not modelled", arguments)
        if timeout is not None and not isinstance(timeout, (int, float)) or isinstance(timeout, bool):
            return _unknown("execution", f"timeout {timeout!r} is not a number", arguments)
        if timeout is not None and math.isnan(timeout):
            return _unknown("execution", "a NaN timeout is not modelled", arguments)
        if timeout is not None and timeout <= 0:
            return Outcome("timeout", f"tool timed out after {timeout} seconds", "execution",
                           "a timeout of zero or less ends every attempt (asyncio.wait_for in a thread; the "
                           "subprocess is stopped at once)",
                           arguments=arguments, executes=True, attempts=attempts)
        missing = [p for p in tool.function.parameters if p.name in tool.hidden and p.required]
        if missing:
            kind = "keyword-only" if missing[0].kind == "KEYWORD_ONLY" else "positional"
            message = None
            if len(missing) == 1:
                message = (f"TypeError: {tool.function.name}() missing 1 required {kind} argument: "
                           f"'{missing[0].name}'")
            return Outcome("error", message, "execution",
                           f"the input model has no field for {', '.join(p.name for p in missing)} (pydantic makes "
                           f"none of a leading `_` or `model_config`), so the function is called without it",
                           arguments=arguments, executes=True, attempts=attempts, message_known=message is not None)
        return Outcome("success", None, "execution",
                       "the call passes every gate and the tool's body runs (its own outcome is not known "
                       "statically)", arguments=arguments, executes=True, attempts=attempts)


def _reasons(conditions, arguments: dict) -> tuple[list[str], bool, str | None]:
    """``(reasons, some condition unknown, exception)`` of
    ``ApprovalPolicy.required_reason`` over validated ``arguments``."""
    reasons: list[str] = []
    unknown = False
    for condition in conditions:
        threshold = condition.threshold.literal
        if condition.op == "equals":
            value = arguments.get(condition.keyword)
            if value is UNKNOWN or threshold is UNKNOWN:
                unknown = True
                continue
            try:
                equal = value == threshold
            except Exception:  # noqa: BLE001 - mirrors whatever == raises
                return reasons, unknown, "comparing the argument with the approval value raises"
            if equal:
                reasons.append(f"{condition.keyword} matched {threshold!r}")
            continue
        value = arguments.get(condition.field)
        if value is None:
            continue
        if value is UNKNOWN or threshold is UNKNOWN:
            unknown = True
            continue
        try:
            left, right = float(value), float(threshold)
        except (TypeError, ValueError):
            continue
        except OverflowError:
            return reasons, unknown, (f"float() of {condition.field!r} or its threshold overflows: OverflowError "
                                      f"escapes the approval check")
        if condition.op == "over" and left > right:
            reasons.append(f"{condition.field} exceeds {threshold}")
        elif condition.op == "at_or_over" and left >= right:
            reasons.append(f"{condition.field} is at least {threshold}")
    return reasons, unknown, None


def decide(result: LoadResult, call: Any) -> Outcome:
    """Decide ``call`` against ``result``'s tools with fresh counters (its
    ``history`` identical calls first). Never raises."""
    return Session(result).decide(call)
