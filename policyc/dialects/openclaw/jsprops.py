"""Property lookup and iteration on JavaScript values, with Node 20's prototypes.

``value[name]`` looks at own properties, then the prototype chain: every
object has ``constructor``, ``toString``, ``__proto__``...; an array has its
indices, ``length`` and Array.prototype's methods; a string its code units,
``length`` and String.prototype's methods; numbers and booleans their
prototypes' methods. The names are Node 20's (V8 11.3)
``Object.getOwnPropertyNames`` of each prototype;
``tests/test_openclaw_jsvalue.py`` compares them with the installed node.
"""

from __future__ import annotations

from typing import Any, Iterator

from policyc.dialects.openclaw.jsvalue import (
    FUNCTION, UNDEFINED, JSArray, JSObject, JSThrow, JSWrapper, code_unit, is_index, utf16_len,
)

__all__ = ["OBJECT_PROTO", "ARRAY_PROTO", "STRING_PROTO", "NUMBER_PROTO", "BOOLEAN_PROTO",
           "get_property", "method_missing", "iterate"]

# Node 20 (V8 11.3): Object.getOwnPropertyNames(X.prototype).
OBJECT_PROTO = frozenset((
    "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__", "__proto__",
    "constructor", "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toLocaleString",
    "toString", "valueOf"))
ARRAY_PROTO = frozenset((
    "at", "concat", "constructor", "copyWithin", "entries", "every", "fill", "filter", "find",
    "findIndex", "findLast", "findLastIndex", "flat", "flatMap", "forEach", "includes", "indexOf",
    "join", "keys", "lastIndexOf", "length", "map", "pop", "push", "reduce", "reduceRight",
    "reverse", "shift", "slice", "some", "sort", "splice", "toLocaleString", "toReversed",
    "toSorted", "toSpliced", "toString", "unshift", "values", "with"))
STRING_PROTO = frozenset((
    "anchor", "at", "big", "blink", "bold", "charAt", "charCodeAt", "codePointAt", "concat",
    "constructor", "endsWith", "fixed", "fontcolor", "fontsize", "includes", "indexOf",
    "isWellFormed", "italics", "lastIndexOf", "length", "link", "localeCompare", "match",
    "matchAll", "normalize", "padEnd", "padStart", "repeat", "replace", "replaceAll", "search",
    "slice", "small", "split", "startsWith", "strike", "sub", "substr", "substring", "sup",
    "toLocaleLowerCase", "toLocaleUpperCase", "toLowerCase", "toString", "toUpperCase",
    "toWellFormed", "trim", "trimEnd", "trimLeft", "trimRight", "trimStart", "valueOf"))
NUMBER_PROTO = frozenset((
    "constructor", "toExponential", "toFixed", "toLocaleString", "toPrecision", "toString",
    "valueOf"))
BOOLEAN_PROTO = frozenset(("constructor", "toString", "valueOf"))


def _inherited(name: str, proto: frozenset[str], wrapper: Any) -> Any:
    if name == "__proto__":
        return wrapper
    if name in proto or name in OBJECT_PROTO:
        return FUNCTION
    return UNDEFINED


def get_property(value: Any, name: str) -> Any:
    """``value[name]`` for a string ``name``: own properties, then the
    prototype chain (``{}.constructor`` is a function, ``[].length`` a
    number, ``"ab"[1]`` a one-unit string). Raises :class:`JSThrow` for
    ``null`` and ``undefined``."""
    if value is None or value is UNDEFINED:
        what = "null" if value is None else "undefined"
        raise JSThrow(f"Cannot read properties of {what} (reading '{name}')")
    if isinstance(value, JSObject):
        if value.has(name):
            return value.own(name)
        return _inherited(name, frozenset(), JSObject())
    if isinstance(value, tuple):
        if name == "length":
            return float(len(value))
        if is_index(name) and int(name) < len(value):
            return value[int(name)]
        return _inherited(name, ARRAY_PROTO, JSArray())
    if isinstance(value, str):
        if name == "length":
            return float(utf16_len(value))
        if is_index(name):
            unit = code_unit(value, int(name))
            if unit is not None:
                return unit
        return _inherited(name, STRING_PROTO, JSWrapper(""))
    if isinstance(value, bool):
        return _inherited(name, BOOLEAN_PROTO, JSWrapper(False))
    if isinstance(value, float):
        return _inherited(name, NUMBER_PROTO, JSWrapper(0.0))
    return UNDEFINED  # dates, wrappers, functions: nothing the engine reads


def method_missing(receiver: str, method: str, value: Any) -> JSThrow:
    """The ``TypeError`` of ``receiver.method(...)`` when ``value`` (what
    ``receiver`` holds) has no such method."""
    if value is None or value is UNDEFINED:
        what = "null" if value is None else "undefined"
        return JSThrow(f"Cannot read properties of {what} (reading '{method}')")
    return JSThrow(f"{receiver}.{method} is not a function")


def iterate(value: Any, name: str) -> Iterator[Any]:
    """``for (const x of value)``: an array's items, a string's code points
    (pairs as one); anything else raises :class:`JSThrow` ``NAME is not
    iterable`` (``name`` is the variable's name in the engine's source)."""
    if isinstance(value, tuple):
        return iter(value)
    if isinstance(value, str):
        return iter(value)
    raise JSThrow(f"{name} is not iterable")
