"""What importing a tool module registers, decided from its source alone.

Python evaluates a function's decorator expressions top to bottom, then
applies them bottom to top. ToolRampart's decorators (``core.py``) only
record metadata on the function (``_metadata_for``), and ``@tool``
(``ToolRampart.tool`` -> ``ToolDefinition.from_function``) copies that
metadata into the registered definition once, when it is applied:

* a decorator **below** ``@tool`` is applied first, so it counts; of two of
  the same kind, the upper one is applied last and wins (``@scope``,
  ``@require_approval``, ``@rate_limit``, ``@side_effects``, ``@timeout``,
  ``@max_retries``); ``@redact`` sets accumulate; ``@policy`` rules run in
  the order they were applied, bottom-up;
* a decorator **above** ``@tool`` changes the function after it was
  copied: ignored (a new ``ApprovalPolicy``/``SideEffectMetadata`` replaces
  the attribute, ``set``/``list`` fields were copied);
* ``@tool(...)`` keywords override: ``name`` (``or`` the function's name),
  ``description`` (``or`` the docstring's first line), ``side_effects``,
  ``timeout_seconds`` and ``max_retries`` (when not ``None``),
  ``execution_mode`` (``or``).

Import fails (PC602, and then no tool of the module registers) where the
runtime raises: a bad ``@rate_limit`` expression (parsed when the decorator
expression is evaluated, wherever it stands), ``@max_retries`` of a negative
count, unknown or missing decorator arguments (``TypeError``), ``*args`` or
``**kwargs`` in a tool's signature (``ToolRegistrationError`` from
``_model_from_signature``), a parameter named like a pydantic method
(``model_dump``...: pydantic's protected namespace), two tools of one name
in one registry (``ToolRampart.register``), an annotation naming an unbound
name (``NameError`` when ``def`` runs, unless annotations are postponed).
A decorator used bare where it needs arguments (``@scope``, ``@redact``,
``@timeout``, ``@max_retries``, ``@policy``) replaces the function with its
inner closure; below ``@tool`` that closure is what registers.

Anything not a literal, and any decorator that is not ToolRampart's below
``@tool``, becomes an :class:`~.model.Opaque` part of the tool.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from typing import Any

from policyc.diagnostics.model import Diagnostic
from policyc.dialects.toolrampart import ratelimit
from policyc.dialects.toolrampart.codes import IMPORT_FAILS
from policyc.dialects.toolrampart.fields import resolve
from policyc.dialects.toolrampart.model import (
    SIDE_EFFECT_FLAGS, UNKNOWN, Approval, ApprovalCondition, Decorator, Function, Opaque, PolicyRef,
    RateLimit, SideEffects, Tool, Value,
)
from policyc.dialects.toolrampart.source import BUILTIN_NAMES, ModuleSource
from policyc.ir import Span

__all__ = ["ModuleTools", "register_module", "SIGNATURES", "PROTECTED_NAMES"]

_REQ = object()


def short(text: str, limit: int = 80) -> str:
    """Source text for a message, cut in the middle when long."""
    return text if len(text) <= limit else text[:limit // 2 - 2] + " ... " + text[-(limit // 2 - 3):]

#: Each decorator's parameters: (positional-or-keyword names with defaults,
#: keyword-only names with defaults, accepts **kwargs), from ``core.py``.
SIGNATURES: dict[str, tuple[tuple[tuple[str, Any], ...], tuple[tuple[str, Any], ...], bool]] = {
    "tool": ((("func", None),), (("name", None), ("description", None), ("side_effects", None),
                                 ("timeout_seconds", None), ("max_retries", None), ("execution_mode", None)),
             False),
    "scope": ((("name", _REQ),), (), False),
    "require_approval": ((("func", None),), (), True),
    "redact": ((("fields", _REQ),), (), False),
    "rate_limit": ((("expression", _REQ),), (), False),
    "policy": ((("check", _REQ),), (("name", None), ("description", "")), False),
    "timeout": ((("seconds", _REQ),), (), False),
    "max_retries": ((("count", _REQ),), (), False),
    "side_effects": ((), tuple((flag, False) for flag in SIDE_EFFECT_FLAGS), False),
    "isolated_process": ((("func", None),), (), False),
}

#: Members of pydantic's ``BaseModel`` in its protected namespaces
#: (``model_validate``, ``model_dump``): a field of that name makes
#: ``create_model`` raise ``ValueError`` (pydantic 2.14, measured).
PROTECTED_NAMES = frozenset({"model_dump", "model_dump_json", "model_validate", "model_validate_json",
                             "model_validate_strings"})

#: Decorators that, used bare, return their inner closure instead of the function.
_REPLACING = ("scope", "redact", "timeout", "max_retries", "policy")
_OVERRIDING = ("scope", "require_approval", "rate_limit", "side_effects", "timeout", "max_retries")


@dataclass
class ModuleTools:
    """What a module registers: ``tools`` (every ``@tool`` function, even
    when the import fails; then each tool's ``broken`` says why),
    ``unregistered`` (functions with ToolRampart decorators but no
    ``@tool``), ``failures`` (PC602 diagnostics, source order),
    ``duplicates`` (``(kind, winner, loser)`` decorator pairs below ``@tool``)."""

    module: ModuleSource
    tools: list[Tool] = field(default_factory=list)
    unregistered: list[Function] = field(default_factory=list)
    failures: list[Diagnostic] = field(default_factory=list)
    duplicates: list[tuple[Tool, Decorator, Decorator]] = field(default_factory=list)

    @property
    def imports(self) -> bool:
        """Whether importing the module succeeds."""
        return not self.failures


def register_module(module: ModuleSource) -> ModuleTools:
    """Everything ``module`` registers when imported (never raises)."""
    out = ModuleTools(module)
    if not module.readable:
        return out
    names: dict[tuple[str, Any], Tool] = {}
    for function in module.functions:
        builder = _Builder(module, function)
        tool = builder.build()
        out.failures.extend(builder.failures)
        if tool is None:
            if any(d.kind != "other" for d in function.decorators):
                out.unregistered.append(function)
            continue
        key = (tool.registrar, tool.name)
        if tool.name is not UNKNOWN and key in names:
            first = names[key]
            out.failures.append(IMPORT_FAILS.at(
                tool.sources.get("tool", tool.span),
                f"ToolRegistrationError at import: tool '{tool.name}' is already registered "
                f"(by `{first.function.name}` at line {first.function.span.line}); "
                f"`ToolRampart.register` (core.py) refuses a second tool of one name",
                help="give one of the tools another name: `@tool(name=\"...\")`",
                label="registers the same name again"))
        else:
            names[key] = tool
        out.duplicates.extend((tool, a, b) for a, b in builder.duplicates)
        out.tools.append(tool)
    if out.failures:
        out.failures.sort(key=Diagnostic.sort_key)
        first = out.failures[0]
        reason = f"importing {module.path} fails at line {first.span.line}: {first.message}"
        out.tools = [replace(t, broken=t.broken + (reason,)) for t in out.tools]
    return out


class _Builder:
    """Builds one function's :class:`Tool` and collects its import failures."""

    def __init__(self, module: ModuleSource, function: Function):
        self.module = module
        self.function = function
        self.failures: list[Diagnostic] = []
        self.opaque: list[Opaque] = []
        self.broken: list[str] = []
        self.duplicates: list[tuple[Decorator, Decorator]] = []
        self._bound: dict[int, dict | None] = {}

    # -- failures ---------------------------------------------------------
    def fail(self, span: Span | None, message: str, help: str, label: str = "raises at import") -> None:
        self.failures.append(IMPORT_FAILS.at(span, message, help=help, label=label))

    def bind(self, decorator: Decorator) -> dict[str, Value | Any] | None:
        """``decorator``'s arguments bound to its parameters (defaults as
        plain values), or ``None`` when binding raises (a failure is
        recorded once) or is unknown (``**`` of a non-literal: opaque)."""
        if decorator.index not in self._bound:
            self._bound[decorator.index] = self._bind(decorator)
        return self._bound[decorator.index]

    def _bind(self, decorator: Decorator) -> dict[str, Value | Any] | None:
        positional, keyword_only, varkw = SIGNATURES[decorator.kind]
        params = dict(positional)
        params.update(keyword_only)
        bound: dict[str, Any] = {}
        where = f"`@{short(decorator.text)}`"
        if len(decorator.args) > len(positional):
            self.fail(decorator.span,
                      f"TypeError at import: {where} passes {len(decorator.args)} positional argument(s); "
                      f"`{decorator.kind}` takes {len(positional)}",
                      help=f"see `{decorator.kind}` in ToolRampart's core.py for its parameters")
            return None
        for (name, _), value in zip(positional, decorator.args):
            bound[name] = value
        extra: dict[str, Value] = {}
        items: list[tuple[str, Value]] = []
        for key, value in decorator.kwargs:
            if key is None:
                if not value.known or not isinstance(value.value, dict) or not all(
                        isinstance(k, str) for k in value.value):
                    self.opaque.append(Opaque("non-literal argument", f"**{value.text}",
                                              f"the keywords of `{decorator.kind}` are not known", value.span))
                    return None
                items.extend((k, Value(v, True, repr(v), value.span)) for k, v in value.value.items())
            else:
                items.append((key, value))
        for key, value in items:
            if key in bound or key in extra:
                self.fail(decorator.span, f"TypeError at import: {where} gives `{key}` twice",
                          help="pass each argument once")
                return None
            if key in params:
                bound[key] = value
            elif varkw:
                extra[key] = value
            else:
                self.fail(value.span or decorator.span,
                          f"TypeError at import: `{decorator.kind}` has no parameter `{key}` ({where})",
                          help=f"the parameters of `{decorator.kind}` are: "
                               f"{', '.join(params) or 'none'}" + (" (and any keyword)" if varkw else ""))
                return None
        for name, default in params.items():
            if name not in bound:
                if default is _REQ:
                    self.fail(decorator.span,
                              f"TypeError at import: {where} misses its required argument `{name}`",
                              help=f"write `@{decorator.callee}(...)` with its `{name}`")
                    return None
                bound[name] = default
        if varkw:
            bound["**"] = extra
        return bound

    # -- the tool ---------------------------------------------------------
    def build(self) -> Tool | None:
        function = self.function
        decorators = function.decorators
        tool_indexes = [d.index for d in decorators if d.kind == "tool"]
        self.evaluation_failures()
        self.annotation_failures()
        if not tool_indexes:
            return None
        lowest = decorators[tool_indexes[-1]]
        below = decorators[lowest.index + 1:]
        above = decorators[:lowest.index]
        registrar = _registrar(self.module, lowest)
        for other in above:
            if other.kind == "tool" and _registrar(self.module, other) != registrar:
                self.opaque.append(Opaque("second registration", "@" + other.text,
                                          f"also registered in `{other.callee}`, with the metadata of the "
                                          f"decorators between the two `@tool` lines", other.span))
        state = _State()
        function_replaced = False
        for decorator in reversed(below):
            replaced = self.apply(decorator, state)
            if replaced:
                function_replaced = True
        tool_args = self.bind(lowest) if lowest.called else {name: default for name, default in
                                                            SIGNATURES["tool"][0] + SIGNATURES["tool"][1]}
        if tool_args is None:
            tool_args = {}
            self.broken.append(f"`{lowest.text}` cannot be applied")
        func_arg = tool_args.get("func")
        if isinstance(func_arg, Value):
            self.fail(lowest.span,
                      f"`@{lowest.text}` passes `{func_arg.text}` as the function to register: the decorator "
                      f"registers that object at once and the decorated function is then called with "
                      f"`{function.name}` as its argument",
                      help="pass options as keywords only: `@tool(name=\"...\")`", label="registers something else")
            self.broken.append("the tool decorator registers another object")
        name = _override(tool_args.get("name"), function.name, use_or=True)
        if name is UNKNOWN:
            self.opaque.append(Opaque("non-literal argument", tool_args["name"].text,
                                      "the tool's name is not known, so no call can be decided", tool_args["name"].span))
        for option in ("timeout_seconds", "max_retries", "execution_mode"):
            given = tool_args.get(option)
            if isinstance(given, Value) and not given.known:
                self.opaque.append(Opaque("non-literal argument", given.text, f"`{option}` is not known", given.span))
        if name is not UNKNOWN and not isinstance(name, str):
            self.fail(tool_args["name"].span,
                      f"AttributeError at import: the tool name {short(repr(name))} is not a string "
                      f"(`_model_from_signature` calls `name.title()`)", help="name the tool with a string")
        description = _override(tool_args.get("description"), function.doc, use_or=True)
        side = state.side
        given_side = tool_args.get("side_effects")
        if isinstance(given_side, Value):
            parsed = self.side_effect_metadata(given_side)
            if parsed is not None:
                side = parsed
                state.sources["side_effects"] = given_side.span
        timeout = state.timeout
        given = tool_args.get("timeout_seconds")
        if isinstance(given, Value) and given.literal is not None:
            timeout = given.literal
            state.sources["timeout"] = given.span
        retries = state.retries
        given = tool_args.get("max_retries")
        if isinstance(given, Value) and given.literal is not None:
            retries = given.literal
            state.sources["max_retries"] = given.span
        mode = state.mode
        given = tool_args.get("execution_mode")
        if isinstance(given, Value):
            if given.literal is UNKNOWN:
                mode = UNKNOWN
            elif given.literal:
                mode = given.literal
                state.sources["execution_mode"] = given.span
        if function_replaced:
            self.broken.append("a bare decorator below `@tool` replaced the function with its inner closure")
        for parameter in function.parameters:
            if parameter.kind in ("VAR_POSITIONAL", "VAR_KEYWORD"):
                star = "*" if parameter.kind == "VAR_POSITIONAL" else "**"
                self.fail(parameter.span,
                          f"ToolRegistrationError at import: tool '{name if name is not UNKNOWN else function.name}' "
                          f"cannot use *args or **kwargs parameters (`{star}{parameter.name}`; "
                          f"core.py `_model_from_signature`)",
                          help="declare every argument as a named parameter")
            elif parameter.name in PROTECTED_NAMES:
                self.fail(parameter.span,
                          f"ValueError at import: field '{parameter.name}' conflicts with a member of pydantic's "
                          f"protected namespace, so `create_model` refuses the tool's input model",
                          help="rename the parameter")
        inputs, hidden = self.inputs()
        state.sources["tool"] = lowest.span
        return Tool(
            name=name, function=function, registrar=registrar, decorators=decorators,
            applied=tuple(below), ignored=tuple(d for d in above if d.kind not in ("other", "tool")),
            description=description, scope=state.scope, approval=state.approval, rate_limit=state.rate,
            rate_limit_opaque=state.rate_opaque, side_effects=side, timeout=timeout, max_retries=retries,
            execution_mode=mode, redact=frozenset(state.redact), policies=tuple(state.policies),
            opaque=tuple(self.opaque), broken=tuple(self.broken), inputs=inputs, hidden=hidden,
            postponed_annotations=self.module.postponed, sources=dict(state.sources), span=function.span)

    def inputs(self) -> tuple[tuple, tuple]:
        fields_ = []
        hidden = []
        for parameter in self.function.parameters:
            if parameter.kind in ("VAR_POSITIONAL", "VAR_KEYWORD"):
                continue
            if parameter.name.startswith("_") or parameter.name == "model_config":
                hidden.append(parameter.name)
                continue
            spec = resolve(parameter.annotation, postponed=self.module.postponed, imports=self.module.imports,
                           bound=self.module.bound, builtin_names=BUILTIN_NAMES,
                           star_import=self.module.star_import)
            fields_.append((parameter.name, spec, parameter.default))
        return tuple(fields_), tuple(hidden)

    def side_effect_metadata(self, value: Value) -> SideEffects | None:
        """``SideEffectMetadata(flag=literal, ...)`` written in ``@tool(side_effects=...)``."""
        try:
            node = ast.parse(value.text, mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            node = None
        if (isinstance(node, ast.Call) and not node.args
                and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) == "SideEffectMetadata"):
            flags: dict[str, Any] = {}
            for keyword in node.keywords:
                if keyword.arg not in SIDE_EFFECT_FLAGS:
                    break
                try:
                    flags[keyword.arg] = ast.literal_eval(keyword.value)
                except Exception:  # noqa: BLE001
                    flags[keyword.arg] = UNKNOWN
            else:
                return SideEffects(**flags, declared=True, span=value.span)
        self.opaque.append(Opaque("non-literal argument", value.text, "the tool's side effects are not known",
                                  value.span))
        return SideEffects(**{flag: UNKNOWN for flag in SIDE_EFFECT_FLAGS}, declared=True, span=value.span)

    # -- per decorator ----------------------------------------------------
    def evaluation_failures(self) -> None:
        """What raises while the decorator expressions are evaluated (any
        position): argument binding and ``rate_limit``'s parsing."""
        for decorator in self.function.decorators:
            if decorator.kind == "other":
                continue
            if not decorator.called:
                if decorator.kind == "side_effects":
                    self.fail(decorator.span,
                              "TypeError at import: bare `@side_effects` is called with the function as a "
                              "positional argument; `side_effects` takes keywords only",
                              help="write `@side_effects(...)` with its flags")
                elif decorator.kind == "rate_limit":
                    self.fail(decorator.span,
                              "AttributeError at import: bare `@rate_limit` parses the function as its "
                              "expression ('function' object has no attribute 'split')",
                              help='write `@rate_limit("10/hour/user")`')
                continue
            bound = self.bind(decorator)
            if bound is None:
                continue
            if decorator.kind == "rate_limit":
                expression = bound["expression"]
                if expression.known:
                    parsed = ratelimit.parse(expression.value)
                    if isinstance(parsed, str):
                        self.fail(expression.span or decorator.span,
                                  f"{parsed.replace(': ', ' at import: ', 1)} (`@{short(decorator.text)}`; policies.py `parse_rate_limit` runs when the "
                                  f"decorator is evaluated)",
                                  help='write "COUNT/WINDOW/PER", e.g. "10/hour/user" or "5/10 minutes/tool"')
            if decorator.kind == "max_retries":
                self.apply_failures_only(decorator, bound)
            if decorator.kind == "redact":
                fields_ = bound["fields"]
                if fields_.known:
                    try:
                        set().update(fields_.value)
                    except TypeError as exc:
                        self.fail(fields_.span, f"TypeError at import: `@{short(decorator.text)}`: {exc} "
                                                f"(`redact` does `set.update(fields)` when applied)",
                                  help='pass a list of field names: `@redact(["email"])`')

    def apply_failures_only(self, decorator: Decorator, bound: dict | None = None) -> None:
        """``@max_retries`` checks its count when applied (above or below ``@tool``)."""
        if decorator.kind != "max_retries" or not decorator.called:
            return
        if bound is None:
            return
        count = bound["count"]
        if not count.known:
            return
        value = count.value
        try:
            negative = value < 0
        except TypeError:
            self.fail(count.span, f"TypeError at import: `@max_retries({short(count.text)})` compares its count with 0",
                      help="pass a whole number of retries")
            return
        if negative:
            self.fail(count.span, f"ValueError at import: max retries cannot be negative (`@{short(decorator.text)}`)",
                      help="pass 0 or more")

    def annotation_failures(self) -> None:
        """An evaluated annotation naming an unbound name raises ``NameError``."""
        if self.module.postponed:
            return
        for parameter in self.function.parameters:
            if parameter.annotation is None:
                continue
            spec = resolve(parameter.annotation, postponed=False, imports=self.module.imports,
                           bound=self.module.bound, builtin_names=BUILTIN_NAMES,
                           star_import=self.module.star_import)
            if spec[0] == "undefined":
                self.fail(parameter.annotation_span,
                          f"NameError at import: name '{spec[1]}' is not defined (the annotation of "
                          f"`{parameter.name}` is evaluated when `def {self.function.name}` runs)",
                          help=f"import `{spec[1]}`, or add `from __future__ import annotations`")

    def apply(self, decorator: Decorator, state: _State) -> bool:
        """Apply one decorator below ``@tool``; ``True`` when it replaces the function."""
        kind = decorator.kind
        if kind == "other":
            self.opaque.append(Opaque("unknown decorator", "@" + decorator.text,
                                      "it may wrap or replace the function, so its signature, metadata and "
                                      "every decision are unknown", decorator.span))
            state.opaque_decorator = True
            return False
        if kind == "tool":
            return False
        if not decorator.called:
            if kind in _REPLACING:
                self.fail(decorator.span,
                          f"bare `@{decorator.callee}` calls `{kind}` with the function as its argument and "
                          f"returns ToolRampart's inner closure: `@tool` then registers that closure (named "
                          f"`decorator`), not `{self.function.name}`",
                          help=f"call it with its argument: `@{decorator.callee}(...)`",
                          label="replaces the function")
                return True
            if kind == "require_approval":
                self.note(state, kind, decorator)
                state.approval = Approval(True, (), span=decorator.span)
            elif kind == "isolated_process":
                state.mode = "subprocess"
                self.note(state, "execution_mode", decorator)
            return False
        bound = self.bind(decorator)
        if bound is None:
            if kind == "rate_limit":
                state.rate_opaque = True
            return False
        if kind in ("require_approval", "isolated_process") and isinstance(bound.get("func"), Value):
            self.fail(decorator.span,
                      f"`@{decorator.text}` applies itself to `{bound['func'].text}` at once, then the result is "
                      f"called with the function: the function's metadata is not what it seems",
                      help=f"write `@{decorator.callee}` or `@{decorator.callee}(keyword=...)`",
                      label="registers something else")
            self.broken.append(f"`{decorator.text}` is applied to its own argument")
            return False
        if kind in ("timeout", "max_retries", "redact"):
            for value in bound.values():
                if isinstance(value, Value) and not value.known:
                    self.opaque.append(Opaque("non-literal argument", value.text,
                                              f"the tool's {kind.replace('_', ' ')} is not known", value.span))
        if kind == "scope":
            self.note(state, kind, decorator)
            value = bound["name"]
            if not value.known:
                self.opaque.append(Opaque("non-literal argument", value.text, "the required scope is not known",
                                          value.span))
            state.scope = value.literal
        elif kind == "require_approval":
            self.note(state, kind, decorator)
            state.approval = self.approval(decorator, bound["**"])
        elif kind == "redact":
            fields_ = bound["fields"]
            if fields_.known:
                try:
                    state.redact.update(fields_.value)
                except TypeError:
                    pass
        elif kind == "rate_limit":
            self.note(state, kind, decorator)
            expression = bound["expression"]
            parsed = ratelimit.parse(expression.value) if expression.known else None
            if isinstance(parsed, tuple):
                state.rate = RateLimit(expression.value, parsed[0], parsed[1], parsed[2], span=decorator.span)
                state.rate_opaque = False
            elif parsed is None:
                self.opaque.append(Opaque("non-literal argument", expression.text, "the rate limit is not known",
                                          expression.span))
                state.rate, state.rate_opaque = None, True
        elif kind == "policy":
            state.policies.append(self.policy_ref(decorator, bound))
        elif kind == "timeout":
            self.note(state, kind, decorator)
            state.timeout = bound["seconds"].literal
        elif kind == "max_retries":
            self.note(state, kind, decorator)
            state.retries = bound["count"].literal
        elif kind == "side_effects":
            self.note(state, kind, decorator)
            flags = {}
            for flag in SIDE_EFFECT_FLAGS:
                value = bound[flag]
                flags[flag] = value.literal if isinstance(value, Value) else value
                if isinstance(value, Value) and not value.known:
                    self.opaque.append(Opaque("non-literal argument", value.text, f"`{flag}` is not known",
                                              value.span))
            state.side = SideEffects(**flags, declared=True, span=decorator.span)
        elif kind == "isolated_process":
            self.note(state, "execution_mode", decorator)
            state.mode = "subprocess"
        return False

    def note(self, state: _State, kind: str, decorator: Decorator) -> None:
        """Record the decorator that set ``kind``; applied bottom-up, a later
        one (written higher) overrides an earlier one."""
        earlier = state.setters.get(kind)
        if earlier is not None and kind in _OVERRIDING:
            self.duplicates.append((decorator, earlier))
        state.setters[kind] = decorator
        state.sources[kind] = decorator.span

    def approval(self, decorator: Decorator, conditions: dict[str, Value]) -> Approval:
        parsed = []
        for keyword, threshold in conditions.items():
            if keyword.startswith("over_"):
                op, field_name = "over", keyword.removeprefix("over_")
            elif keyword.startswith("at_or_over_"):
                op, field_name = "at_or_over", keyword.removeprefix("at_or_over_")
            else:
                op, field_name = "equals", keyword
            if not threshold.known:
                self.opaque.append(Opaque("non-literal argument", threshold.text,
                                          f"the threshold of `{keyword}` is not known", threshold.span))
            parsed.append(ApprovalCondition(keyword, op, field_name, threshold, span=threshold.span))
        return Approval(not conditions, tuple(parsed), span=decorator.span)

    def policy_ref(self, decorator: Decorator, bound: dict) -> PolicyRef:
        check = bound["check"]
        name_value = bound.get("name")
        source, source_span = self.policy_source(check)
        if isinstance(name_value, Value) and name_value.literal is not None:
            name = name_value.literal
        elif isinstance(source, ast.Lambda):
            name = "<lambda>"
        elif isinstance(source, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = source.name
        else:
            name = check.text
        reads_metadata = reads_key = False
        if source is not None:
            for node in ast.walk(source):
                if isinstance(node, ast.Attribute):
                    reads_metadata = reads_metadata or node.attr == "metadata"
                    reads_key = reads_key or node.attr == "idempotency_key"
        self.opaque.append(Opaque("custom policy", "@" + decorator.text,
                                  "calls that pass the scope check are decided by code policyc does not run",
                                  decorator.span))
        return PolicyRef(name=name, text=check.text, reads_metadata=reads_metadata,
                         reads_idempotency_key=reads_key, span=decorator.span, source_span=source_span)

    def policy_source(self, check: Value) -> tuple[ast.AST | None, Span | None]:
        """The lambda or module-level function a ``@policy`` check names."""
        try:
            node = ast.parse(check.text, mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None, None
        if isinstance(node, ast.Lambda):
            return node, check.span
        if isinstance(node, ast.Name) and node.id in self.module.helpers:
            helper = self.module.helpers[node.id]
            return helper, self.module.span(helper)
        return None, None


@dataclass
class _State:
    scope: Any = None
    approval: Approval | None = None
    redact: set = field(default_factory=set)
    rate: RateLimit | None = None
    rate_opaque: bool = False
    policies: list[PolicyRef] = field(default_factory=list)
    side: SideEffects = field(default_factory=SideEffects)
    timeout: Any = None
    retries: Any = None
    mode: Any = "thread"
    opaque_decorator: bool = False
    setters: dict[str, Decorator] = field(default_factory=dict)
    sources: dict[str, Span | None] = field(default_factory=dict)


def _override(given: Any, fallback: Any, *, use_or: bool) -> Any:
    """``given or fallback`` for a bound :class:`Value` (or default)."""
    if not isinstance(given, Value):
        return given if given else fallback
    if not given.known:
        return UNKNOWN
    return given.value if given.value else fallback


def _registrar(module: ModuleSource, decorator: Decorator) -> str:
    """``""`` for ``default_rampart`` (the module-level ``tool``), else the
    text before ``.tool``."""
    callee = decorator.callee
    if "." not in callee:
        return ""
    base = callee.rsplit(".", 1)[0]
    target = module.imports.get(base.split(".")[0], base)
    if base == "toolrampart" or target == "toolrampart" or base.endswith("default_rampart") \
            or target.endswith(".default_rampart"):
        return ""
    return base
