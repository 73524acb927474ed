"""Parameter annotations as the runtime's input model validates them.

``core.py`` ``_model_from_signature`` makes a pydantic model of the tool's
signature (one field per parameter: its annotation, ``Any`` when there is
none; required unless it has a default; ``extra="forbid"``) and
``ToolDefinition.validate_arguments`` validates a call's arguments with it
in pydantic's lax mode, then ``model_dump``\\ s the result.

:func:`resolve` reads an annotation's source text into a :data:`Spec`:

=====================  ========================================================
``("any",)``           ``Any``, or no annotation
``("int",)`` ...       ``int``, ``float``, ``str``, ``bool``
``("none",)``          ``None``
``("optional", s)``    ``X | None``, ``Optional[X]``, ``Union[X, None]``
``("list", s)``        ``list``, ``list[X]``, ``List[X]`` (``s`` may be ``None``)
``("dict", s)``        ``dict``, ``dict[str, X]``, ``Dict[str, X]``
``("unknown", why)``   any other type: its validation is not modelled
``("unresolvable", n)``  a postponed annotation naming ``n``, which pydantic
                       cannot resolve: every validation raises
                       ``PydanticUserError`` (class not fully defined)
``("undefined", n)``   an evaluated annotation naming an unbound ``n``:
                       importing the module raises ``NameError``
=====================  ========================================================

Annotations are strings under ``from __future__ import annotations`` (and
when written as strings); pydantic then resolves them in the namespace of
the module that calls ``create_model``, ``toolrampart.core``: builtins and
the names that module defines or imports (:data:`CORE_NAMESPACE`, read from
ToolRampart 0.2.0's ``core.py``), so ``Optional[int]`` there does not
resolve while ``int | None`` and ``Literal[...]`` do (verified with the oracle).

:func:`validate` decides one value as pydantic 2 lax mode does (the rules
were measured on pydantic 2.14 through the oracle; see the module's
tests): it returns ``(True, value_after_model_dump)``, ``(False, reason)``
or ``None`` when the spec is not modelled.
"""

from __future__ import annotations

import ast
import math
import re
from typing import Any

__all__ = ["Spec", "resolve", "validate", "CORE_NAMESPACE", "describe"]

Spec = tuple

CORE_NAMESPACE = frozenset({
    "Any", "ApprovalPolicy", "AuditLog", "AuditStore", "BaseModel", "Callable", "ConfigDict", "Field",
    "Literal", "Path", "PolicyCallable", "PolicyRule", "RateLimitRule", "RateLimitStore",
    "SideEffectMetadata", "SubprocessExecutionError", "SubprocessTimeoutError", "Telemetry",
    "ToolContext", "ToolDefinition", "ToolMetadata", "ToolNotFoundError", "ToolRampart",
    "ToolRegistrationError", "ToolResult", "TypeAdapter", "ValidationError", "annotations", "asyncio",
    "create_model", "dataclass", "default_rampart", "field", "hash_arguments", "inspect",
    "isolated_process", "logger", "logging", "max_retries", "parse_rate_limit", "policy", "rate_limit",
    "redact", "redact_data", "require_approval", "run_in_subprocess", "scope", "side_effects", "time",
    "timeout", "tool",
})
"""The global names of ``toolrampart/core.py`` (0.2.0), where pydantic resolves
postponed annotations."""

_CORE_MEANING = {"Any": "typing.Any", "Literal": "typing.Literal", "Callable": "typing.Callable",
                 "Path": "pathlib.Path"}
_BUILTIN_TYPES = {"int": ("int",), "float": ("float",), "str": ("str",), "bool": ("bool",),
                  "list": ("list", None), "dict": ("dict", None)}
_TYPING_LIST = {"typing.List", "list", "builtins.list"}
_TYPING_DICT = {"typing.Dict", "dict", "builtins.dict"}


def describe(spec: Spec) -> str:
    """A spec as a type is written."""
    tag = spec[0]
    if tag == "optional":
        return f"{describe(spec[1])} | None"
    if tag in ("list", "dict"):
        return tag if spec[1] is None else f"{tag}[{'str, ' if tag == 'dict' else ''}{describe(spec[1])}]"
    if tag in ("unknown", "unresolvable", "undefined"):
        return str(spec[1])
    return "Any" if tag == "any" else tag


def resolve(text: str | None, *, postponed: bool, imports: dict[str, str], bound: frozenset[str],
            builtin_names: frozenset[str], star_import: bool = False) -> Spec:
    """The :data:`Spec` of an annotation written ``text`` (``None``: no
    annotation) in a module with these imports and bound names."""
    if text is None:
        return ("any",)
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ("unknown", text)
    context = _Context(postponed, imports, bound, builtin_names, star_import)
    try:
        return context.spec(node, text)
    except RecursionError:
        return ("unknown", text)


class _Context:
    def __init__(self, postponed, imports, bound, builtin_names, star_import):
        self.postponed = postponed
        self.imports = imports
        self.bound = bound
        self.builtins = builtin_names
        self.star = star_import

    def name(self, node: ast.AST) -> str | Spec:
        """The qualified name ``node`` refers to, or a failure spec."""
        if isinstance(node, ast.Name):
            ident = node.id
            if self.postponed:
                if ident in _CORE_MEANING:
                    return _CORE_MEANING[ident]
                if ident in CORE_NAMESPACE:
                    return f"toolrampart.core.{ident}"
                if ident in self.builtins:
                    return ident
                return ("unresolvable", ident)
            if ident in self.imports:
                return self.imports[ident]
            if ident in self.bound:
                return f"<module>.{ident}"
            if ident in self.builtins:
                return ident
            if self.star:
                return f"<star>.{ident}"
            return ("undefined", ident)
        if isinstance(node, ast.Attribute):
            base = self.name(node.value)
            if isinstance(base, tuple):
                return base
            return f"{base}.{node.attr}"
        return ("unknown", ast.unparse(node))

    def spec(self, node: ast.AST, text: str) -> Spec:
        if isinstance(node, ast.Constant):
            if node.value is None:
                return ("none",)
            if isinstance(node.value, str):
                inner = _Context(True, self.imports, self.bound, self.builtins, self.star)
                try:
                    parsed = ast.parse(node.value.strip(), mode="eval").body
                except (SyntaxError, ValueError):
                    return ("unknown", node.value)
                return inner.spec(parsed, node.value)
            return ("unknown", text)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            left, right = self.spec(node.left, text), self.spec(node.right, text)
            for failure in (left, right):
                if failure[0] in ("unresolvable", "undefined"):
                    return failure
            if right == ("none",) and left != ("none",):
                return _optional(left)
            if left == ("none",) and right != ("none",):
                return _optional(right)
            return ("unknown", ast.unparse(node))
        if isinstance(node, (ast.Name, ast.Attribute)):
            qualified = self.name(node)
            if isinstance(qualified, tuple):
                return qualified
            return _simple(qualified)
        if isinstance(node, ast.Subscript):
            base = self.name(node.value)
            if isinstance(base, tuple):
                return base
            items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if base == "typing.Literal":
                return ("unknown", ast.unparse(node))
            args = [self.spec(i, text) for i in items]
            for failure in args:
                if failure[0] in ("unresolvable", "undefined"):
                    return failure
            if base == "typing.Optional" and len(args) == 1:
                return _optional(args[0])
            if base == "typing.Union" and len(args) == 2 and ("none",) in args and args[0] != args[1]:
                return _optional(args[1] if args[0] == ("none",) else args[0])
            if base in _TYPING_LIST and len(args) == 1:
                return ("list", args[0])
            if base in _TYPING_DICT and len(args) == 2 and args[0] == ("str",):
                return ("dict", args[1])
            return ("unknown", ast.unparse(node))
        return ("unknown", ast.unparse(node))


def _optional(inner: Spec) -> Spec:
    if inner[0] == "unknown":
        return inner
    if inner[0] in ("optional", "any"):
        return inner
    return ("optional", inner)


def _simple(qualified: str) -> Spec:
    if qualified in _BUILTIN_TYPES:
        return _BUILTIN_TYPES[qualified]
    if qualified.startswith("builtins.") and qualified[9:] in _BUILTIN_TYPES:
        return _BUILTIN_TYPES[qualified[9:]]
    if qualified in ("typing.Any", "typing_extensions.Any"):
        return ("any",)
    if qualified == "typing.List":
        return ("list", None)
    if qualified == "typing.Dict":
        return ("dict", None)
    return ("unknown", qualified)


# --- validation (pydantic 2 lax mode, JSON-shaped inputs) -------------------

#: ``char::is_whitespace`` (Unicode White_Space), which pydantic-core trims
#: from numeric strings; Python's ``str.strip`` also strips U+001C..U+001F.
_WHITESPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
               "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_INT_TEXT = re.compile(r"[+-]?[0-9]+(?:_[0-9]+)*(?:\.0+)?\Z")
_FLOAT_SPECIAL = re.compile(r"[+-]?(?:inf|infinity|nan)\Z", re.IGNORECASE)
_FLOAT_TEXT = re.compile(
    r"[+-]?(?:[0-9]+(?:_[0-9]+)*(?:\.(?:[0-9]+(?:_[0-9]+)*)?)?|\.[0-9]+(?:_[0-9]+)*)"
    r"(?:[eE][+-]?[0-9]+(?:_[0-9]+)*)?\Z")
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})
_I64 = 2.0 ** 63


def validate(spec: Spec, value: Any) -> tuple[bool, Any] | None:
    """``(True, dumped value)`` when pydantic accepts ``value`` for
    ``spec``; ``(False, error type)`` when it refuses it; ``None`` when
    ``spec`` (or a value inside it) is not modelled."""
    tag = spec[0]
    if tag == "any":
        return (True, value)
    if tag == "none":
        return (True, None) if value is None else (False, "none_required")
    if tag == "optional":
        return (True, None) if value is None else validate(spec[1], value)
    if tag == "str":
        return (True, value) if isinstance(value, str) else (False, "string_type")
    if tag == "int":
        return _int(value)
    if tag == "float":
        return _float(value)
    if tag == "bool":
        return _bool(value)
    if tag == "list":
        if not isinstance(value, list):
            return (False, "list_type")
        return _items(spec[1], value)
    if tag == "dict":
        if not isinstance(value, dict):
            return (False, "dict_type")
        if spec[1] is None:
            return (True, dict(value))
        out: dict = {}
        failed = None
        for key, item in value.items():
            if not isinstance(key, str):
                return None
            result = validate(spec[1], item)
            if result is None:
                return None
            if not result[0]:
                failed = result
            else:
                out[key] = result[1]
        return failed if failed else (True, out)
    return None


def _items(spec: Spec | None, value: list) -> tuple[bool, Any] | None:
    if spec is None:
        return (True, list(value))
    out = []
    failed = None
    for item in value:
        result = validate(spec, item)
        if result is None:
            return None
        if not result[0]:
            failed = result
        else:
            out.append(result[1])
    return failed if failed else (True, out)


def _int(value: Any) -> tuple[bool, Any] | None:
    if isinstance(value, bool):
        return (True, int(value))
    if isinstance(value, int):
        return (True, value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return (False, "finite_number")
        if value != math.floor(value):
            return (False, "int_from_float")
        if abs(value) >= _I64:
            return (False, "int_parsing_size")
        return (True, int(value))
    if isinstance(value, str):
        text = value.strip(_WHITESPACE)
        if text.startswith("0") and text.lstrip("0_").startswith(("-", "+")):
            # pydantic-core reads a sign after leading zeros ("0-9" is -9, "0-09" is refused): not modelled
            return None
        if not _INT_TEXT.match(text):
            return (False, "int_parsing")
        whole = text.split(".", 1)[0]
        if len(whole.replace("_", "").lstrip("+-")) > 4000:
            return None  # pydantic's and Python's digit limits are not modelled
        return (True, int(whole))
    if value is None or isinstance(value, (list, dict)):
        return (False, "int_type")
    return None


def _float(value: Any) -> tuple[bool, Any] | None:
    if isinstance(value, bool):
        return (True, float(value))
    if isinstance(value, int):
        try:
            return (True, float(value))
        except OverflowError:
            return None
    if isinstance(value, float):
        return (True, value)
    if isinstance(value, str):
        text = value.strip(_WHITESPACE)
        if _FLOAT_SPECIAL.match(text):
            return (True, float(text))
        if not _FLOAT_TEXT.match(text):
            return (False, "float_parsing")
        if len(text) > 4000:
            return None
        return (True, float(text))
    if value is None or isinstance(value, (list, dict)):
        return (False, "float_type")
    return None


def _bool(value: Any) -> tuple[bool, Any] | None:
    if isinstance(value, bool):
        return (True, value)
    if isinstance(value, int):
        if value in (0, 1):
            return (True, value == 1)
        return (False, "bool_parsing")
    if isinstance(value, float):
        if value in (0.0, 1.0):
            return (True, value == 1.0)
        return (False, "bool_type")
    if isinstance(value, str):
        low = value.lower()
        if low in _TRUE:
            return (True, True)
        if low in _FALSE:
            return (True, False)
        return (False, "bool_parsing")
    if value is None or isinstance(value, (list, dict)):
        return (False, "bool_type")
    return None

