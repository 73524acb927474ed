"""JavaScript values and the few ECMAScript operations the toolkit's engine uses.

The OpenClaw toolkit's policy engine is JavaScript: what it decides depends
on JS truthiness, ``===``, ``==`` against a number, ``parseFloat``,
``String(x)``, ``JSON.stringify``, property lookup (own properties first,
then the prototype chain) and ``for ... of``. This module models exactly
those, written from the ECMAScript specification (2023) and checked against
Node 20 by ``tests/test_openclaw_differential.py``.

Value shapes (what js-yaml 4 and ``JSON.parse`` produce):

========================  =====================================================
JavaScript                Python
========================  =====================================================
string                    ``str`` (surrogate pairs combined: :func:`js_string`)
number                    ``float`` (never ``int``; ``bool`` is not a number)
boolean                   ``bool``
null                      ``None``
undefined                 :data:`UNDEFINED`
array                     :class:`JSArray` (a ``tuple`` of values)
plain object              :class:`JSObject` (own properties, insertion order)
Date (js-yaml timestamp)  :class:`JSDate`
a prototype's function    :data:`FUNCTION` (inherited methods: ``toString``...)
a primitive's prototype   :class:`JSWrapper` (``"x".__proto__`` is a String
                          object wrapping ``""``)
========================  =====================================================

Operations that throw in JavaScript raise :class:`JSThrow` carrying V8's
message (``pattern.endsWith is not a function``, ``rules is not
iterable``...). Objects compare by identity, so no array or object of a call
is ever ``===`` one of a policy.

Property lookup and ``for ... of`` are in :mod:`.jsprops`, Dates in
:mod:`.jsdate`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from policyc.dialects.openclaw.jsdate import JSDate

__all__ = [
    "UNDEFINED", "FUNCTION", "JSArray", "JSObject", "JSDate", "JSWrapper", "JSThrow",
    "js_string", "from_json", "truthy", "typeof", "strict_equals", "same_value_zero", "map_key",
    "to_string", "to_number", "parse_float", "string_to_number", "loose_equals_number",
    "number_to_string", "stringify", "utf16_len", "code_unit", "is_index",
    "starts_with", "ends_with", "describe", "show", "JS_WHITESPACE",
]


class _Undefined:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Any = _Undefined()
"""JavaScript ``undefined`` (a missing property)."""


class _Function:
    __slots__ = ()

    def __repr__(self) -> str:
        return "FUNCTION"


FUNCTION: Any = _Function()
"""Any inherited method (``({}).toString``): its ``String()`` is source text,
so ``parseFloat`` and ``==`` against a number see ``NaN``."""


class JSThrow(Exception):
    """A JavaScript exception (a ``TypeError`` in practice); ``str()`` is
    V8's message."""


class JSArray(tuple):
    """An array: a tuple whose instances are never shared (Python shares one
    empty tuple; two JavaScript arrays are always two objects)."""

    __slots__ = ()


class JSObject:
    """A plain object: own properties in insertion order (``items``), as
    js-yaml builds a mapping and ``JSON.parse`` an object. Immutable; compares
    by identity like a JavaScript object."""

    __slots__ = ("items", "_index")

    def __init__(self, items: tuple[tuple[str, Any], ...] = ()):
        self.items = tuple(items)
        self._index = {k: v for k, v in self.items}

    def own(self, key: str) -> Any:
        """The own property ``key``, or :data:`UNDEFINED`."""
        return self._index.get(key, UNDEFINED)

    def has(self, key: str) -> bool:
        return key in self._index

    def keys(self) -> list[str]:
        """Own keys in ``Object.keys`` order: array indices ascending, then
        the other keys in insertion order."""
        return _ordered_keys([k for k, _ in self.items])

    def __repr__(self) -> str:
        return f"JSObject({dict(self.items)!r})"


@dataclass(frozen=True, eq=False)
class JSWrapper:
    """A primitive wrapper object (``String.prototype`` wraps ``""``,
    ``Number.prototype`` ``0``, ``Boolean.prototype`` ``false``)."""

    primitive: Any


# --------------------------------------------------------------------------
# Strings

_SURROGATE = re.compile("[\ud800-\udfff]")

JS_WHITESPACE = ("\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                 "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff")
"""JavaScript's ``WhiteSpace`` and ``LineTerminator`` characters: what
``\\s``, ``trim`` and ``Number()`` skip (Unicode 15 ``Zs``)."""


def js_string(text: str) -> str:
    """``text`` with surrogate pairs written as two code points combined into
    one, so that Python string equality is JavaScript's (UTF-16) equality."""
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _units(text: str) -> bytes:
    return text.encode("utf-16-le", "surrogatepass")


def _needs_units(*texts: str) -> bool:
    return any(ch > "\uffff" or "\ud800" <= ch <= "\udfff" for t in texts for ch in t)


def utf16_len(text: str) -> int:
    """``text.length`` in JavaScript (UTF-16 code units)."""
    return len(text) + sum(1 for ch in text if ch > "\uffff")


def starts_with(text: str, prefix: str) -> bool:
    """``text.startsWith(prefix)`` (compared in UTF-16 code units)."""
    if _needs_units(text, prefix):
        return _units(text).startswith(_units(prefix))
    return text.startswith(prefix)


def ends_with(text: str, suffix: str) -> bool:
    """``text.endsWith(suffix)`` (compared in UTF-16 code units)."""
    if _needs_units(text, suffix):
        return _units(text).endswith(_units(suffix))
    return text.endswith(suffix)


def code_unit(text: str, index: int) -> str | None:
    units = _units(text)
    if 2 * index + 2 > len(units):
        return None
    return units[2 * index:2 * index + 2].decode("utf-16-le", "surrogatepass")


# --------------------------------------------------------------------------
# From JSON


def from_json(value: Any) -> Any:
    """A JSON value (as ``json.loads`` returns it) as ``JSON.parse`` would
    give it to JavaScript: integers become doubles (``inf`` beyond the range),
    objects :class:`JSObject`, arrays tuples. Other Python values raise
    ``TypeError``."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return js_string(value)
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, float):
        return value
    if isinstance(value, (list, tuple)):
        return JSArray(from_json(v) for v in value)
    if isinstance(value, dict):
        return JSObject(tuple((js_string(str(k)), from_json(v)) for k, v in value.items()))
    if value is UNDEFINED or isinstance(value, (JSObject, JSDate)):
        return value
    raise TypeError(f"not a JSON value: {type(value).__name__}")


# --------------------------------------------------------------------------
# Types and equality


def typeof(value: Any) -> str:
    """JavaScript's ``typeof``."""
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is FUNCTION:
        return "function"
    return "object"  # null, arrays, objects, dates, wrappers


def truthy(value: Any) -> bool:
    """JavaScript truthiness: ``false``, ``0``, ``-0``, ``NaN``, ``""``,
    ``null`` and ``undefined`` are false; every object (even ``[]``) is true."""
    if value is None or value is UNDEFINED:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return not (value == 0 or value != value)
    if isinstance(value, str):
        return value != ""
    return True


def strict_equals(a: Any, b: Any) -> bool:
    """``a === b``."""
    ta, tb = typeof(a), typeof(b)
    if ta != tb:
        return False
    if ta in ("string", "number", "boolean", "undefined"):
        return a == b
    if a is None or b is None:
        return a is b
    return a is b


def same_value_zero(a: Any, b: Any) -> bool:
    """SameValueZero (``Map`` keys): ``===`` except that ``NaN`` equals ``NaN``."""
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return strict_equals(a, b)


def map_key(value: Any) -> Any:
    """A hashable key of ``value``, equal where ``Map`` keys are
    (SameValueZero: the string ``"1"`` is not the number ``1``): a string
    is itself; a number ``("number", n)`` (``-0`` as ``0``); a boolean
    ``("boolean", b)``; anything else ``("object", id)``, equal to no other
    value (a caller keeps the object alive while the key is in use)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, float):
        return ("number", value + 0.0)
    return ("object", id(value))


# --------------------------------------------------------------------------
# Numbers


def number_to_string(x: float) -> str:
    """``Number.prototype.toString()`` (ECMAScript Number::toString, radix 10):
    shortest round-trip digits, exponent form below 1e-6 and from 1e21."""
    if x != x:
        return "NaN"
    if x == 0:
        return "0"
    if x < 0:
        return "-" + number_to_string(-x)
    if x == math.inf:
        return "Infinity"
    mantissa, _, exp = repr(x).partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = whole + frac
    n = len(whole) + (int(exp) if exp else 0)
    stripped = digits.lstrip("0")
    n -= len(digits) - len(stripped)
    digits = stripped.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{head}e{'+' if e >= 0 else '-'}{abs(e)}"


_WS_CLASS = "[" + re.escape(JS_WHITESPACE) + "]"
_DECIMAL = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_PARSE_FLOAT = re.compile(r"[+-]?(?:Infinity|" + _DECIMAL + ")")
_STR_DECIMAL = re.compile(r"[+-]?(?:Infinity|" + _DECIMAL + r")\Z")
_STR_RADIX = re.compile(r"0(?:([xX])([0-9a-fA-F]+)|([oO])([0-7]+)|([bB])([01]+))\Z")


def _decimal(text: str) -> float:
    body = text.lstrip("+-")
    sign = -1.0 if text.startswith("-") else 1.0
    if body == "Infinity":
        return sign * math.inf
    return sign * float(body)


def parse_float(value: Any) -> float:
    """The global ``parseFloat(value)``: ``String(value)``, leading
    whitespace skipped, then the longest decimal prefix (``Infinity``
    included, no hex), else ``NaN``. Raises :class:`JSThrow` where
    ``String()`` does."""
    if isinstance(value, float):
        return value + 0.0  # String(-0) is "0"
    text = to_string(value).lstrip(JS_WHITESPACE)
    m = _PARSE_FLOAT.match(text)
    return _decimal(m.group()) if m else math.nan


def string_to_number(text: str) -> float:
    """``Number(text)`` for a string: surrounding whitespace trimmed; empty
    is 0; a decimal literal or ``Infinity`` (signed), or unsigned
    ``0x``/``0o``/``0b``; anything else ``NaN``."""
    body = text.strip(JS_WHITESPACE)
    if body == "":
        return 0.0
    if _STR_DECIMAL.match(body):
        return _decimal(body)
    m = _STR_RADIX.match(body)
    if m:
        groups = [g for g in m.groups() if g is not None]
        base = {"x": 16, "o": 8, "b": 2}[groups[0].lower()]
        try:
            return float(int(groups[1], base))
        except OverflowError:
            return math.inf
    return math.nan


def to_number(value: Any) -> float:
    """ECMAScript ``ToNumber`` for primitives and objects (``ToPrimitive``
    with the default hint first). Raises :class:`JSThrow` where it throws."""
    if value is UNDEFINED:
        return math.nan
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return string_to_number(value)
    return to_number(_to_primitive(value))


def loose_equals_number(value: Any, number: float) -> bool:
    """``value == number`` (the engine's ``==``; ``!=`` is its negation):
    ``null`` and ``undefined`` equal no number; strings and booleans are
    converted with ``Number()``; objects with ``ToPrimitive`` first."""
    if value is None or value is UNDEFINED:
        return False
    if isinstance(value, (str, bool, float)):
        return to_number(value) == number
    return loose_equals_number(_to_primitive(value), number)


# --------------------------------------------------------------------------
# Strings of values


def _to_primitive(value: Any) -> Any:
    """``ToPrimitive(value)`` with the default hint (``valueOf`` first) for
    the objects a policy or a call can hold. A plain object with an own
    ``toString`` property (never callable: YAML and JSON hold no functions)
    throws, whichever hint: its ``valueOf`` returns the object itself."""
    if isinstance(value, JSWrapper):
        return value.primitive
    if isinstance(value, JSDate):
        return value.text()  # Date's @@toPrimitive: the default hint is "string"
    return to_string(value)


def to_string(value: Any) -> str:
    """``String(value)`` / a template literal's ``${value}``. Raises
    :class:`JSThrow` ``Cannot convert object to primitive value`` for a
    plain object with an own ``toString`` property."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return number_to_string(value)
    if isinstance(value, tuple):
        return ",".join("" if v is None or v is UNDEFINED else to_string(v) for v in value)
    if isinstance(value, JSObject):
        if value.has("toString"):
            raise JSThrow("Cannot convert object to primitive value")
        return "[object Object]"
    if isinstance(value, JSDate):
        return value.text()
    if isinstance(value, JSWrapper):
        return to_string(value.primitive)
    if value is FUNCTION:
        return "function () { [native code] }"
    raise TypeError(f"not a JavaScript value: {type(value).__name__}")


def _quote(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif ch < " " or "\ud800" <= ch <= "\udfff":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_SHORT_ESCAPES = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


_INDEX = re.compile(r"(?:0|[1-9][0-9]*)\Z")


def is_index(key: str) -> bool:
    """Whether ``key`` is an array index (a canonical integer below 2**32 - 1)."""
    return _INDEX.match(key) is not None and int(key) < 4294967295


def _ordered_keys(keys: list[str]) -> list[str]:
    indices = sorted((k for k in keys if is_index(k)), key=int)
    return indices + [k for k in keys if not is_index(k)]


def stringify(value: Any) -> str | None:
    """``JSON.stringify(value)`` (no spacing): keys in ``Object.keys`` order,
    non-finite numbers as ``null``, dates as their ISO text, lone
    surrogates escaped. ``None`` where JavaScript returns ``undefined``."""
    if value is None:
        return "null"
    if value is UNDEFINED or value is FUNCTION:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return number_to_string(value) if math.isfinite(value) else "null"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, JSDate):
        iso = value.iso()
        return "null" if iso is None else _quote(iso)
    if isinstance(value, JSWrapper):
        return stringify(value.primitive)
    if isinstance(value, tuple):
        return "[" + ",".join(stringify(v) or "null" for v in value) + "]"
    if isinstance(value, JSObject):
        parts = []
        for key in value.keys():
            text = stringify(value.own(key))
            if text is not None:
                parts.append(_quote(key) + ":" + text)
        return "{" + ",".join(parts) + "}"
    raise TypeError(f"not a JavaScript value: {type(value).__name__}")


def describe(value: Any) -> str:
    """What ``value`` is, for messages: ``a string``, ``a number``, ``a
    boolean``, ``null``, ``a list``, ``a mapping``, ``a timestamp``."""
    if value is UNDEFINED:
        return "missing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, tuple):
        return "a list"
    if isinstance(value, JSDate):
        return "a timestamp"
    return "a mapping"


def show(value: Any) -> str:
    """A short source-like rendering of a YAML value for messages."""
    if isinstance(value, str):
        return value
    if isinstance(value, JSDate):
        return value.iso() or "Invalid Date"
    text = stringify(value)
    return text if text is not None else to_string(value)
