"""ToolRampart bundles: tool calls decided as ``ToolRampart.execute`` decides them.

:func:`~policyc.runtime.load_bundle` builds a :class:`ToolRampartBundle`
for a verified bundle whose payload names the ``toolrampart`` dialect
(``docs/bundle-format.md`` §9). Loading checks the whole payload (its
members, every value of the tagged encoding and its ``values`` table,
every tool, annotation spec, rate limit and config) and raises
:class:`~.model.BundleError` for anything malformed; deciding rebuilds the
dialect's model (:class:`~policyc.dialects.toolrampart.model.Tool`,
:class:`~policyc.dialects.toolrampart.model.ServiceConfig`) and runs its
reference evaluator (:class:`policyc.dialects.toolrampart.evaluate.Session`)
on it, so a bundle decides exactly as the tool modules it was compiled from.

Rate limits: like one ToolRampart process (and ``policyc eval --engine
reference``), a bundle keeps one session, whose rate-limit counters count
every call it decides (a call's ``history`` replays that many identical
calls first); :meth:`ToolRampartBundle.reset` starts a new one, as a
restarted process would. :func:`policyc.dialects.toolrampart.decide`
decides each call in a fresh session: a bundle decides a call alike right
after loading or :meth:`~ToolRampartBundle.reset`.

Imports the standard library and the dialect's evaluator modules
(``evaluate``, ``fields``, ``ratelimit``, ``model``, which needs
:mod:`policyc.ir` for its spans): no ``ast`` reading, TOML, JSON Schema or
pydantic, and only when a ToolRampart bundle is loaded.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policyc.dialects.toolrampart import NAME, ratelimit
from policyc.dialects.toolrampart.evaluate import BLOCKING_OPAQUE, CALL_MODEL, COMBINING, Outcome, Session
from policyc.dialects.toolrampart.model import (
    UNKNOWN, Approval, ApprovalCondition, Function, Opaque, Parameter, PolicyRef, RateLimit, ServiceConfig, Tool,
    Value,
)

from policyc.runtime.model import BundleError, dialect_payload

__all__ = ["BUNDLE", "ToolRampartDecision", "ToolRampartBundle", "MAX_VALUE_DEPTH"]

MAX_VALUE_DEPTH = 256
"""The deepest a value of the ``values`` table nests (containers in
containers); Python's parser stops a literal or annotation at 200 brackets."""

_MEMBERS = frozenset({"dialect", "call_model", "combining", "values", "configs", "tools"})
_TOOL_MEMBERS = frozenset({"name", "function", "config", "broken", "opaque", "inputs", "hidden", "scope",
                           "policies", "approval", "rate_limit", "timeout", "max_retries", "execution_mode"})
_CONTAINERS = {"list": list, "tuple": tuple, "set": set, "dict": dict}
#: ``inspect.Parameter`` kinds a tool's parameter may have (``*args`` and ``**kwargs`` stop registration).
_KINDS = ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD", "KEYWORD_ONLY")
#: :class:`~policyc.dialects.toolrampart.model.ApprovalCondition` operators.
_OPS = ("over", "at_or_over", "equals")
#: :data:`~policyc.dialects.toolrampart.fields.Spec` tags and their arguments.
_LEAF_SPECS = ("any", "int", "float", "str", "bool", "none")
_TEXT_SPECS = ("unknown", "unresolvable", "undefined")
#: The action of a status; every other status is ``deny``.
_ACTIONS = {"success": "allow", "requires_approval": "ask"}


@dataclass(frozen=True)
class ToolRampartDecision:
    """A ToolRampart call's decision: ``status``, ToolRampart's result status
    (:data:`~policyc.dialects.toolrampart.evaluate.STATUSES`), its
    ``message`` (``None`` where the runtime gives none or policyc does not
    reproduce its text, e.g. pydantic's), and ``action``: ``allow`` for
    ``success``, ``ask`` for ``requires_approval``, ``deny`` for every other
    status (fail closed). ``error`` says why no ToolRampart decision was
    reached: the call is not one ToolRampart could be given, policyc
    cannot decide it statically (status ``unknown``), or the runtime failed."""

    action: str
    status: str
    message: str | None = None
    error: str | None = None

    @classmethod
    def of(cls, outcome: Outcome) -> ToolRampartDecision:
        """The decision of a reference :class:`~policyc.dialects.toolrampart.evaluate.Outcome`:
        status ``unknown`` has ``error`` ``policyc cannot decide this statically
        (STAGE: REASON); failing closed``, a call no ``ToolContext`` can be built
        for ``no ToolContext can be built for the call: REASON``."""
        error = None
        if outcome.status == "unknown":
            error = f"policyc cannot decide this statically ({outcome.stage}: {outcome.reason}); failing closed"
        elif outcome.stage == "call":
            error = f"no ToolContext can be built for the call: {outcome.reason}"
        return cls(_ACTIONS.get(outcome.status, "deny"), outcome.status, outcome.message, error)

    @property
    def decision(self) -> str:
        """``action``, or ``error`` when no decision was reached."""
        return "error" if self.error is not None else self.action

    def to_json(self) -> dict[str, Any]:
        """``{"action", "status", "message", "dialect"}``, with ``"error"``
        when set: what ``policyc eval`` prints (with ``line``)."""
        out: dict[str, Any] = {"action": self.action, "status": self.status, "message": self.message,
                               "dialect": NAME}
        if self.error is not None:
            out["error"] = self.error
        return out


# -- values ------------------------------------------------------------------

def _float(text: Any, where: str) -> float:
    if isinstance(text, str):
        try:
            value = float(text)
        except ValueError:
            pass
        else:
            if repr(value) == text:
                return value
    raise ValueError(f"{where}: {text!r} is not the repr of a float")


def _bytes(text: Any, where: str) -> bytes:
    if isinstance(text, str):
        try:
            value = bytes.fromhex(text)
        except ValueError:
            pass
        else:
            if value.hex() == text:
                return value
    raise ValueError(f"{where}: {text!r} is not lower-case hex")


def _decode(value: Any, table: list[tuple[Any, int]], where: str, *, unknown: bool = False) -> tuple[Any, int]:
    """``(the value, its nesting depth)`` of a VALUE; ``ValueError`` for
    anything the writer does not write (``{"unknown": true}`` only where
    ``unknown``)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value, 0
    if isinstance(value, dict) and len(value) == 1:
        ((tag, x),) = value.items()
        if tag == "ref":
            if type(x) is not int or not 0 <= x < len(table):
                raise ValueError(f"{where}: ref {x!r} names no earlier entry of values")
            return table[x]
        if tag == "float":
            return _float(x, where), 0
        if tag == "complex" and isinstance(x, list) and len(x) == 2:
            return complex(_float(x[0], where), _float(x[1], where)), 0
        if tag == "bytes":
            return _bytes(x, where), 0
        if tag == "ellipsis" and x is True:
            return Ellipsis, 0
        if tag == "unknown" and x is True and unknown:
            return UNKNOWN, 0
        raise ValueError(f"{where}: unknown tag {tag!r} (or a malformed {tag!r} value)")
    raise ValueError(f"{where} must be a string, an integer, null, a boolean or an object of one tag, "
                     f"not {type(value).__name__}")


def _entry(entry: Any, table: list[tuple[Any, int]], where: str) -> tuple[Any, int]:
    if not isinstance(entry, dict) or len(entry) != 1 or next(iter(entry)) not in _CONTAINERS:
        raise ValueError(f"{where} must be an object of one member: list, tuple, set or dict")
    ((kind, items),) = entry.items()
    if not isinstance(items, list):
        raise ValueError(f"{where}: {kind} must hold a list")
    if kind == "dict":
        for j, pair in enumerate(items):
            if not isinstance(pair, list) or len(pair) != 2:
                raise ValueError(f"{where}[{j}] must be a [KEY, VALUE] pair")
        decoded = [(_decode(k, table, f"{where}[{j}] key"), _decode(v, table, f"{where}[{j}]"))
                   for j, (k, v) in enumerate(items)]
        depths = [d for pair in decoded for _, d in pair]
        try:
            value: Any = {k: v for (k, _), (v, _) in decoded}
        except TypeError:
            raise ValueError(f"{where}: a key is not hashable") from None
    else:
        elements = [_decode(item, table, f"{where}[{j}]") for j, item in enumerate(items)]
        depths = [d for _, d in elements]
        try:
            value = _CONTAINERS[kind](v for v, _ in elements)
        except TypeError:
            raise ValueError(f"{where}: an element is not hashable") from None
        if kind == "set":
            shown = [repr(v) for v, _ in elements]
            if any(a >= b for a, b in zip(shown, shown[1:])):
                raise ValueError(f"{where}: a set's elements must be sorted by repr, each once")
    if len(value) != len(items):
        raise ValueError(f"{where}: {kind} {'keys' if kind == 'dict' else 'elements'} must be distinct")
    depth = max(depths, default=0) + 1
    if depth > MAX_VALUE_DEPTH:
        raise ValueError(f"{where} nests more than {MAX_VALUE_DEPTH} containers deep")
    return value, depth


def _table(entries: Any) -> list[tuple[Any, int]]:
    """The decoded ``values`` table, ``(value, depth)`` per entry, read in one pass."""
    if not isinstance(entries, list):
        raise ValueError("values must be a list")
    table: list[tuple[Any, int]] = []
    for i, entry in enumerate(entries):
        table.append(_entry(entry, table, f"values[{i}]"))
    return table


# -- the model -----------------------------------------------------------------

class _Reader:
    """Reads one payload's configs and tools against its ``values`` table."""

    def __init__(self, table: list[tuple[Any, int]]):
        self.table = table

    def value(self, value: Any, where: str, *, unknown: bool = True) -> Any:
        return _decode(value, self.table, where, unknown=unknown)[0]

    def literal(self, value: Any, where: str) -> Value:
        decoded = self.value(value, where)
        return Value(decoded, decoded is not UNKNOWN, "")

    @staticmethod
    def members(value: Any, members: frozenset[str] | set[str], where: str, optional: frozenset[str] = frozenset()
               ) -> dict[str, Any]:
        if not isinstance(value, dict) or not members <= set(value) <= members | optional:
            raise ValueError(f"{where} must be an object with the members {', '.join(sorted(members))}"
                             + (f" (and optionally {', '.join(sorted(optional))})" if optional else ""))
        return value

    @staticmethod
    def items(value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise ValueError(f"{where} must be a list")
        return value

    @staticmethod
    def string(value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise ValueError(f"{where} must be a string")
        return value

    @staticmethod
    def integer(value: Any, where: str) -> int:
        if type(value) is not int:
            raise ValueError(f"{where} must be an integer")
        return value

    def spec(self, value: Any, where: str) -> tuple:
        spec = self.value(value, where, unknown=False)
        if not _is_spec(spec):
            raise ValueError(f"{where} is not an annotation spec (fields.Spec)")
        return spec

    def config(self, entry: Any, where: str) -> ServiceConfig:
        entry = self.members(entry, {"timeout_seconds", "max_retries"}, where)
        timeout = self.value(entry["timeout_seconds"], f"{where} timeout_seconds", unknown=False)
        if type(timeout) not in (int, float):
            raise ValueError(f"{where} timeout_seconds must be a number")
        retries = self.integer(self.value(entry["max_retries"], f"{where} max_retries", unknown=False),
                               f"{where} max_retries")
        return ServiceConfig(path="", data={}, settings={"execution": {"timeout_seconds": timeout,
                                                                       "max_retries": retries}}, valid=True)

    def tool(self, entry: Any, where: str, configs: list[ServiceConfig]) -> tuple[Tool, ServiceConfig | None]:
        entry = self.members(entry, _TOOL_MEMBERS, where)
        name = self.value(entry["name"], f"{where} name")
        if not isinstance(name, str) and name is not UNKNOWN:
            raise ValueError(f"{where} name must be a string or unknown")
        config = entry["config"]
        if config is not None and (type(config) is not int or not 0 <= config < len(configs)):
            raise ValueError(f"{where} config must be null or the index of an entry of configs")
        inputs = []
        for j, item in enumerate(self.items(entry["inputs"], f"{where} inputs")):
            at = f"{where} inputs[{j}]"
            item = self.members(item, {"name", "spec"}, at, optional=frozenset({"default"}))
            default = self.literal(item["default"], f"{at} default") if "default" in item else None
            inputs.append((self.string(item["name"], f"{at} name"), self.spec(item["spec"], f"{at} spec"), default))
        hidden = []
        for j, item in enumerate(self.items(entry["hidden"], f"{where} hidden")):
            at = f"{where} hidden[{j}]"
            item = self.members(item, {"name", "kind", "required"}, at)
            if item["kind"] not in _KINDS or not isinstance(item["required"], bool):
                raise ValueError(f"{at}: kind must be one of {', '.join(_KINDS)} and required a boolean")
            hidden.append(Parameter(self.string(item["name"], f"{at} name"), item["kind"],
                                    default=None if item["required"] else Value(None, True, "")))
        names = [n for n, _, _ in inputs] + [p.name for p in hidden]
        if len(set(names)) != len(names):
            raise ValueError(f"{where}: a parameter name appears twice in inputs and hidden")
        opaque = []
        for j, item in enumerate(self.items(entry["opaque"], f"{where} opaque")):
            at = f"{where} opaque[{j}]"
            item = self.members(item, {"what", "text", "effect"}, at)
            if item["what"] not in BLOCKING_OPAQUE:
                raise ValueError(f"{at} what must be one of {', '.join(BLOCKING_OPAQUE)}")
            opaque.append(Opaque(item["what"], self.string(item["text"], f"{at} text"),
                                 self.string(item["effect"], f"{at} effect")))
        rate, rate_opaque = self.rate_limit(entry["rate_limit"], f"{where} rate_limit")
        tool = Tool(
            name=name,
            function=Function(self.string(entry["function"], f"{where} function"), (), tuple(hidden), None, False,
                              "", ""),
            registrar="", decorators=(), applied=(), ignored=(),
            scope=self.value(entry["scope"], f"{where} scope"),
            approval=self.approval(entry["approval"], f"{where} approval"),
            rate_limit=rate, rate_limit_opaque=rate_opaque,
            timeout=self.value(entry["timeout"], f"{where} timeout"),
            max_retries=self.value(entry["max_retries"], f"{where} max_retries"),
            execution_mode=self.value(entry["execution_mode"], f"{where} execution_mode"),
            policies=tuple(PolicyRef(self.value(p, f"{where} policies[{j}]"), "")
                           for j, p in enumerate(self.items(entry["policies"], f"{where} policies"))),
            opaque=tuple(opaque),
            broken=tuple(self.string(b, f"{where} broken[{j}]")
                         for j, b in enumerate(self.items(entry["broken"], f"{where} broken"))),
            inputs=tuple(inputs), hidden=tuple(p.name for p in hidden))
        return tool, None if config is None else configs[config]

    def approval(self, value: Any, where: str) -> Approval | None:
        if value is None:
            return None
        value = self.members(value, {"always", "conditions"}, where)
        if not isinstance(value["always"], bool):
            raise ValueError(f"{where} always must be a boolean")
        conditions = []
        for j, item in enumerate(self.items(value["conditions"], f"{where} conditions")):
            at = f"{where} conditions[{j}]"
            item = self.members(item, {"keyword", "op", "field", "threshold"}, at)
            if item["op"] not in _OPS:
                raise ValueError(f"{at} op must be one of {', '.join(_OPS)}")
            conditions.append(ApprovalCondition(self.string(item["keyword"], f"{at} keyword"), item["op"],
                                                self.string(item["field"], f"{at} field"),
                                                self.literal(item["threshold"], f"{at} threshold")))
        return Approval(value["always"], tuple(conditions))

    def rate_limit(self, value: Any, where: str) -> tuple[RateLimit | None, bool]:
        """``(rule, opaque)``."""
        if value is None:
            return None, False
        if isinstance(value, dict) and value.keys() == {"unknown"} and value["unknown"] is True:
            return None, True
        value = self.members(value, {"expression", "limit", "window_seconds", "per"}, where)
        expression = self.string(value["expression"], f"{where} expression")
        parsed = (self.integer(value["limit"], f"{where} limit"),
                  self.integer(value["window_seconds"], f"{where} window_seconds"), value["per"])
        if ratelimit.parse(expression) != parsed:
            raise ValueError(f"{where}: limit, window_seconds and per must be what parse_rate_limit reads "
                             f"in {expression!r}")
        return RateLimit(expression, *parsed), False


def _is_spec(spec: Any) -> bool:
    """Whether ``spec`` is a :data:`~policyc.dialects.toolrampart.fields.Spec`."""
    if type(spec) is not tuple or not spec:
        return False
    tag = spec[0]
    if tag in _LEAF_SPECS:
        return len(spec) == 1
    if len(spec) != 2:
        return False
    if tag == "optional":
        return _is_spec(spec[1])
    if tag in ("list", "dict"):
        return spec[1] is None or _is_spec(spec[1])
    return tag in _TEXT_SPECS and isinstance(spec[1], str)


class _Tools:
    """A bundle's tools, read by the evaluator as it reads a
    :class:`~policyc.dialects.toolrampart.loader.LoadResult`."""

    def __init__(self, tools: list[tuple[Tool, ServiceConfig | None]]):
        self.tools = [tool for tool, _ in tools]  # alive, so that their ids stay theirs
        self.configs = {id(tool): config for tool, config in tools}
        self.named: dict[Any, list[Tool]] = {}
        for tool in self.tools:
            self.named.setdefault(tool.name, []).append(tool)

    def find(self, name: Any) -> list[Tool]:
        """``LoadResult.find``: the tools registered under ``name``, a string
        (or :data:`~policyc.dialects.toolrampart.model.UNKNOWN`, for the tools
        whose name is not a literal); a name of another type names none."""
        if type(name) is not str and name is not UNKNOWN:
            return []
        return list(self.named.get(name, ()))


class _Session(Session):
    """The evaluator's session over a bundle's tools: each tool's config is the one the bundle names."""

    result: _Tools

    def config_of(self, tool: Tool) -> ServiceConfig | None:
        return self.result.configs[id(tool)]


class ToolRampartBundle:
    """A loaded, verified ToolRampart bundle. Build with :func:`policyc.runtime.load_bundle`.

    ``digest`` is the manifest digest, ``manifest`` the manifest dict,
    ``dialect`` ``"toolrampart"``, ``tools`` how many tools it holds. Its
    rate-limit counters are its only state (see the module docstring);
    :meth:`decide` and :meth:`reset` take a lock, so concurrent calls count
    as one process's would.
    """

    dialect = NAME

    def __init__(self, document: Mapping[str, Any]):
        self.manifest, self.digest, payload = dialect_payload(document, NAME, CALL_MODEL, COMBINING, _MEMBERS)
        try:
            reader = _Reader(_table(payload["values"]))
            configs = [reader.config(c, f"configs[{i}]")
                       for i, c in enumerate(reader.items(payload["configs"], "configs"))]
            tools = [reader.tool(t, f"tools[{i}]", configs)
                     for i, t in enumerate(reader.items(payload["tools"], "tools"))]
        except ValueError as exc:
            raise BundleError(f"bundle payload: {exc}") from None
        self.tools = len(tools)
        self._tools = _Tools(tools)
        self._lock = threading.Lock()
        self._session = _Session(self._tools)

    def reset(self) -> None:
        """Forget every rate-limit count: decide on as a restarted ToolRampart process."""
        with self._lock:
            self._session = _Session(self._tools)

    def decide(self, call: Any) -> ToolRampartDecision:
        """Decide ``call`` (a JSON value as ``json.loads`` gives it, normally
        ``{"tool", "arguments", "actor"?, "scopes"?, "approved"?,
        "metadata"?, "history"?}``, read as
        :func:`~policyc.dialects.toolrampart.evaluate.read_call` reads it)
        exactly as the reference evaluator's session does with the tools
        compiled, counting it (and its ``history``) toward the rate limits.
        Never raises: a call no ``ToolContext`` can be built for is ``deny``
        with status ``error`` and ``error``; any failure of the runtime
        itself is ``deny`` with status ``unknown`` and ``error`` ``internal
        error deciding the call (...); failing closed``."""
        try:
            with self._lock:
                outcome = self._session.decide(call)
            return ToolRampartDecision.of(outcome)
        except Exception as exc:  # noqa: BLE001 - an enforcement decision must not crash open
            return ToolRampartDecision("deny", "unknown", error=f"internal error deciding the call "
                                                                f"({type(exc).__name__}); failing closed")


#: The bundle class :func:`policyc.runtime.load_bundle` builds for this dialect.
BUNDLE = ToolRampartBundle
