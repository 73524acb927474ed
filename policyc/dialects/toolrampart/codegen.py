"""The ToolRampart bundle writer (``docs/bundle-format.md`` §9).

``compile_toolrampart(result, sources) -> bytes``: the tools a
:class:`~policyc.dialects.toolrampart.loader.LoadResult` registers, as a
version 3 bundle (the envelope, manifest and digest of
:func:`.bundle.bundle_bytes`) whose payload is::

    {"dialect": "toolrampart", "call_model": "toolrampart-call",
     "combining": {"name": "toolrampart",
                   "gates": ["lookup", "validation", "scope", "policy", "approval",
                             "idempotency", "rate_limit", "execution"],
                   "tool_combining": "only-one-applicable",
                   "gate_combining": "first-applicable"},
     "values": [ENTRY, ...],
     "configs": [{"timeout_seconds": VALUE, "max_retries": VALUE}, ...],
     "tools": [TOOL, ...]}

``tools``: every registered tool, in load order (modules as the loader
read them, tools in source order), with exactly the facts the reference
evaluator (:mod:`policyc.dialects.toolrampart.evaluate`) reads::

    {"name": VALUE,                     # a string, or unknown (not a literal)
     "function": "refund_user",         # the Python function's name
     "config": 0,                       # its service's entry of "configs", or null
     "broken": [TEXT, ...],             # why registering it cannot be decided
     "opaque": [{"what", "text", "effect"}, ...],   # parts of BLOCKING_OPAQUE kinds
     "inputs": [{"name", "spec": VALUE, "default"?: VALUE}, ...],  # no default: required
     "hidden": [{"name", "kind", "required"}, ...], # parameters with no input field
     "scope": VALUE, "policies": [VALUE, ...],
     "approval": null | {"always": BOOL,
                         "conditions": [{"keyword", "op", "field", "threshold": VALUE}, ...]},
     "rate_limit": null | {"unknown": true}
                   | {"expression", "limit", "window_seconds", "per"},
     "timeout": VALUE, "max_retries": VALUE, "execution_mode": VALUE}

``configs``: the ``[execution]`` settings (after pydantic's coercion) of
each distinct service config a tool uses, in order of first use. Side
effects, redactions, descriptions, spans and source text the decisions do
not need are left out.

A VALUE is a Python literal as ``ast.literal_eval`` gave it, in a tagged
encoding with no floats and bounded nesting: a string, ``null``, ``true``,
``false`` and integers are themselves; ``{"float": repr(x)}``,
``{"complex": [repr(re), repr(im)]}``, ``{"bytes": HEX}``,
``{"ellipsis": true}``, ``{"unknown": true}`` (not a literal) and
``{"ref": I}``: entry ``I`` of ``values``, ``{"list"|"tuple"|"set": [VALUE,
...]}`` or ``{"dict": [[KEY, VALUE], ...]}``, whose refs name earlier
entries only (a set's elements sorted by ``repr``). An annotation's spec
(:data:`policyc.dialects.toolrampart.fields.Spec`) is such a tuple.
The same sources give byte-identical bundles.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policyc.codegen.bundle import CompileError, bundle_bytes, canonical_json
from policyc.dialects.toolrampart import NAME
from policyc.dialects.toolrampart.evaluate import BLOCKING_OPAQUE, CALL_MODEL, COMBINING
from policyc.dialects.toolrampart.loader import LoadResult
from policyc.dialects.toolrampart.model import UNKNOWN, ServiceConfig, Tool
from policyc.dialects.toolrampart.runtime import MAX_VALUE_DEPTH

__all__ = ["compile_payload", "compile_toolrampart"]

class _Values:
    """Encodes values into one ``values`` table (:attr:`entries`, each
    container once: equal entries are shared)."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self._ids: dict[bytes, int] = {}
        self._depths: list[int] = []

    def encode(self, value: Any, where: str, *, unknown: bool = False) -> Any:
        """The VALUE of ``value``; :data:`UNKNOWN` only when ``unknown``.
        Raises :class:`CompileError` for what a bundle cannot hold."""
        return self._encode(value, where, unknown)[0]

    def _encode(self, value: Any, where: str, unknown: bool) -> tuple[Any, int]:
        """``(VALUE, nesting depth)``."""
        if value is UNKNOWN and unknown:
            return {"unknown": True}, 0
        if value is None or isinstance(value, bool):
            return value, 0
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise CompileError(f"{where}: the string {value!r} holds a lone surrogate, which a bundle "
                                   f"(UTF-8 JSON) cannot hold") from None
            return value, 0
        if isinstance(value, int):
            try:
                str(value)
            except ValueError:  # over Python's int/str digit limit, which the loader's parser keeps too
                raise CompileError(f"{where}: an integer of more than 4,300 digits cannot be written in a "
                                   f"bundle") from None
            return value, 0
        if isinstance(value, float):
            return {"float": repr(value)}, 0
        if isinstance(value, complex):
            return {"complex": [repr(value.real), repr(value.imag)]}, 0
        if isinstance(value, bytes):
            return {"bytes": value.hex()}, 0
        if value is Ellipsis:
            return {"ellipsis": True}, 0
        if isinstance(value, (list, tuple, set, dict)):
            return self._container(value, where)
        raise CompileError(f"{where}: {type(value).__name__} value {value!r} cannot be written in a bundle")

    def _container(self, value: list | tuple | set | dict, where: str) -> tuple[Any, int]:
        if isinstance(value, dict):
            pairs = [[self._encode(k, where, False), self._encode(v, where, False)] for k, v in value.items()]
            entry = {"dict": [[k, v] for (k, _), (v, _) in pairs]}
            depth = max((d for pair in pairs for _, d in pair), default=0) + 1
        else:
            items = sorted(value, key=repr) if isinstance(value, set) else value
            encoded = [self._encode(item, where, False) for item in items]
            entry = {type(value).__name__: [v for v, _ in encoded]}
            depth = max((d for _, d in encoded), default=0) + 1
        if depth > MAX_VALUE_DEPTH:
            raise CompileError(f"{where}: a value nests more than {MAX_VALUE_DEPTH} containers deep")
        key = canonical_json(entry)
        if key not in self._ids:
            self._ids[key] = len(self.entries)
            self.entries.append(entry)
        return {"ref": self._ids[key]}, depth


def _tool(tool: Tool, values: _Values, config: int | None) -> dict[str, Any]:
    where = f"tool `{tool.function.name}` ({tool.path})"

    def value(x: Any, what: str) -> Any:
        return values.encode(x, f"{where} {what}", unknown=True)

    inputs = []
    for name, spec, default in tool.inputs:
        entry = {"name": name, "spec": values.encode(spec, f"{where} annotation of {name}")}
        if default is not None:
            entry["default"] = value(default.literal, f"default of {name}")
        inputs.append(entry)
    approval = None
    if tool.approval is not None:
        approval = {"always": tool.approval.always,
                    "conditions": [{"keyword": c.keyword, "op": c.op, "field": c.field,
                                    "threshold": value(c.threshold.literal, f"approval {c.keyword}")}
                                   for c in tool.approval.conditions]}
    rate = tool.rate_limit
    if tool.rate_limit_opaque:
        rate_limit: Any = {"unknown": True}
    elif rate is not None:
        rate_limit = {"expression": rate.expression, "limit": rate.limit, "window_seconds": rate.window_seconds,
                      "per": rate.per}
    else:
        rate_limit = None
    return {
        "name": value(tool.name, "name"),
        "function": tool.function.name,
        "config": config,
        "broken": list(tool.broken),
        "opaque": [{"what": o.what, "text": o.text, "effect": o.effect} for o in tool.opaque
                   if o.what in BLOCKING_OPAQUE],
        "inputs": inputs,
        "hidden": [{"name": p.name, "kind": p.kind, "required": p.required} for p in tool.function.parameters
                   if p.name in tool.hidden],
        "scope": value(tool.scope, "scope"),
        "policies": [value(p.name, "policy name") for p in tool.policies],
        "approval": approval,
        "rate_limit": rate_limit,
        "timeout": value(tool.timeout, "timeout"),
        "max_retries": value(tool.max_retries, "max_retries"),
        "execution_mode": value(tool.execution_mode, "execution_mode"),
    }


def _config(config: ServiceConfig, values: _Values) -> dict[str, Any]:
    return {key: values.encode(config.setting("execution", key), f"{config.path} [execution] {key}")
            for key in ("timeout_seconds", "max_retries")}


def compile_payload(result: LoadResult) -> dict[str, Any]:
    """The payload (a JSON-ready dict, shape above) of the tools ``result``
    registers. Raises :class:`~.bundle.CompileError` when ToolRampart would
    not run them (``result.ok`` is false: a module whose import raises, a
    config ``load_config`` refuses) or a value cannot be written (a string
    with a lone surrogate, an integer over 4,300 digits)."""
    if not result.ok:
        raise CompileError(f"ToolRampart does not load these files: {result.load_error}")
    values = _Values()
    configs: dict[bytes, tuple[int, dict[str, Any]]] = {}
    tools = []
    for tool in result.tools:
        config = result.config_for(tool.path)
        index = None
        if config is not None:
            entry = _config(config, values)
            index = configs.setdefault(canonical_json(entry), (len(configs), entry))[0]
        tools.append(_tool(tool, values, index))
    return {"dialect": NAME, "call_model": CALL_MODEL, "combining": COMBINING, "values": values.entries,
            "configs": [entry for _, entry in configs.values()], "tools": tools}


def compile_toolrampart(result: LoadResult, sources: Mapping[str, bytes]) -> bytes:
    """The canonical bundle bytes of ``result``'s tools; ``sources`` maps
    each source path (as the manifest names it) to the file's bytes. Raises
    :class:`~.bundle.CompileError` as :func:`compile_payload` does."""
    return bundle_bytes(compile_payload(result), sources)
