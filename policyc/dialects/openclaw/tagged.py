"""JavaScript values as bundle JSON: exact, deterministic, with no float and bounded nesting.

A toolkit bundle (``docs/bundle-format.md`` §8) carries the values the
evaluator reads (agents and rule lists) as js-yaml built them. Canonical
bundle JSON has integers as its only numbers and nests at most 32 levels
(checked before parsing), while a policy's numbers are doubles and its
values nest as deep as its YAML. So a value is written as:

=====================  ===================================================
JavaScript             bundle JSON
=====================  ===================================================
string                 the string itself
``null``, booleans     themselves
number                 ``{"number": TEXT}`` (:func:`number_text`)
``undefined``          ``{"undefined": true}``
Date                   ``{"date": TEXT}``: :func:`number_text` of its time
                       value (ms since the epoch; ``NaN`` when invalid)
array, object          ``{"ref": I}``: entry ``I`` of the ``values`` table
=====================  ===================================================

An entry of the ``values`` table is ``{"array": [VALUE, ...]}`` or
``{"object": [[KEY, VALUE], ...]}`` (own properties in insertion order,
keys unique strings). An entry refers only to earlier entries: the table
is written children first and read in one pass, cannot hold a cycle, and
nests as deep for any policy (5 levels). A value the policy reaches
twice (a YAML alias: js-yaml gives the same object) is one entry and
decodes to one object again.

* :class:`Encoder` -- ``encode(value)`` -> bundle JSON; ``entries``: the table;
* :func:`decode_table(entries) <decode_table>` -> the table's arrays and
  objects; :func:`decode_value(value, objects, where) <decode_value>` -> a
  value; both raise ``ValueError`` (saying where) for anything the encoder
  would not write;
* :func:`number_text` / :func:`parse_number_text`.

Standard library and :mod:`.jsvalue` only: the bundle runtime imports it.
"""

from __future__ import annotations

import math
from typing import Any

from policyc.dialects.openclaw.jsvalue import UNDEFINED, JSArray, JSDate, JSObject, number_to_string

__all__ = ["Encoder", "decode_table", "decode_value", "number_text", "parse_number_text"]

#: The largest time value a Date holds (ECMAScript TimeClip), in ms.
MAX_TIME = 8.64e15


def number_text(x: float) -> str:
    """The text of exactly one double: ``String(x)`` (shortest round-trip
    digits, exponent form below ``1e-6`` and from ``1e21``, ``NaN``,
    ``Infinity``, ``-Infinity``), except that ``-0`` is ``"-0"``."""
    if x == 0 and math.copysign(1.0, x) < 0:
        return "-0"
    return number_to_string(x)


def parse_number_text(text: Any) -> float:
    """The double whose :func:`number_text` is ``text``; ``ValueError`` for
    any other value (``"1.50"``, ``"1e21"``, ``"nan"``, a non-string)."""
    if isinstance(text, str):
        try:
            value = float(text)
        except ValueError:
            pass
        else:
            if number_text(value) == text:
                return value
    raise ValueError(f"{text!r} is not the text of a number (JavaScript's String(x), -0 as \"-0\")")


class Encoder:
    """Encodes values into one ``values`` table (:attr:`entries`) shared by
    every value it encodes."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self._refs: dict[int, tuple[int, Any]] = {}  # id -> (entry, the object, kept alive)

    def encode(self, value: Any) -> Any:
        """``value`` (a :mod:`.jsvalue` value js-yaml can build) as bundle
        JSON, its arrays and objects added to :attr:`entries`. Raises
        ``TypeError`` for any other Python value."""
        if value is None or isinstance(value, (str, bool)):
            return value
        if isinstance(value, float):
            return {"number": number_text(value)}
        if value is UNDEFINED:
            return {"undefined": True}
        if isinstance(value, JSDate):
            return {"date": number_text(value.ms)}
        if not isinstance(value, (tuple, JSObject)):
            raise TypeError(f"not a value a policy holds: {type(value).__name__}")
        known = self._refs.get(id(value))
        if known is None:
            if isinstance(value, tuple):
                entry = {"array": [self.encode(item) for item in value]}
            else:
                entry = {"object": [[key, self.encode(item)] for key, item in value.items]}
            known = self._refs[id(value)] = (len(self.entries), value)
            self.entries.append(entry)
        return {"ref": known[0]}


def _tagged(value: Any, where: str) -> tuple[str, Any]:
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError(f"{where} must be a string, null, a boolean or an object of one tag, "
                         f"not {_kind(value)}")
    ((tag, body),) = value.items()
    return tag, body


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer (numbers are {\"number\": TEXT})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return f"an object with members {sorted(value)}"
    return type(value).__name__


def decode_value(value: Any, objects: list[Any], where: str) -> Any:
    """The JavaScript value bundle JSON ``value`` stands for; ``objects``
    are the arrays and objects a ``ref`` may name (:func:`decode_table`).
    Raises ``ValueError`` naming ``where`` for a malformed value."""
    if value is None or isinstance(value, (str, bool)):
        return value
    tag, body = _tagged(value, where)
    if tag == "number":
        return parse_number_text(body)
    if tag == "date":
        ms = parse_number_text(body)
        if ms == ms and not (math.isfinite(ms) and ms.is_integer() and abs(ms) <= MAX_TIME):
            raise ValueError(f"{where}: {body!r} is not a Date's time value (an integer of at most "
                             f"8.64e15 ms, or NaN)")
        return JSDate(ms)
    if tag == "undefined" and body is True:
        return UNDEFINED
    if tag == "ref" and isinstance(body, int) and not isinstance(body, bool) and 0 <= body < len(objects):
        return objects[body]
    if tag == "ref":
        raise ValueError(f"{where}: ref {body!r} names no earlier entry of the values table "
                         f"(it has {len(objects)} before this point)")
    raise ValueError(f"{where}: unknown tag {tag!r} (or a bad body {body!r})")


def decode_table(entries: Any) -> list[Any]:
    """The arrays (:class:`~.jsvalue.JSArray`) and objects
    (:class:`~.jsvalue.JSObject`) of a ``values`` table, in order. Raises
    ``ValueError`` for a table the encoder would not write: not a list, an
    entry that is not ``{"array": [...]}`` or ``{"object": [[KEY, VALUE],
    ...]}``, a key that is not a string or appears twice, a ref to the entry
    itself or a later one, a malformed value."""
    if not isinstance(entries, list):
        raise ValueError(f"values must be a list, not {_kind(entries)}")
    objects: list[Any] = []
    for i, entry in enumerate(entries):
        where = f"values[{i}]"
        tag, body = _tagged(entry, where)
        if not isinstance(body, list) or tag not in ("array", "object"):
            raise ValueError(f"{where} must be {{\"array\": [...]}} or {{\"object\": [[KEY, VALUE], ...]}}")
        if tag == "array":
            objects.append(JSArray(decode_value(item, objects, f"{where}[{n}]") for n, item in enumerate(body)))
            continue
        pairs = []
        for n, pair in enumerate(body):
            if not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], str):
                raise ValueError(f"{where}[{n}] must be a [KEY, VALUE] pair with a string key")
            pairs.append((pair[0], decode_value(pair[1], objects, f"{where}[{n}]")))
        if len({key for key, _ in pairs}) != len(pairs):
            raise ValueError(f"{where}: an object's keys must be unique")
        objects.append(JSObject(tuple(pairs)))
    return objects
