"""JSON from untrusted bytes without unbounded recursion.

Python's ``json`` parser recurses once per nested array or object and raises
``RecursionError`` near the interpreter's recursion limit (about 1,000
levels). :func:`parse_json` measures the nesting first with a linear scan
that never recurses, so a deeply nested document is refused with a
``ValueError`` before the parser sees it.

* :func:`nesting_depth(data) <nesting_depth>` -> int;
* :data:`MAX_CALL_BYTES`, :data:`MAX_CALL_DEPTH`: limits for one tool call
  (``policyc eval``'s per-line limits);
* :func:`parse_json(data, max_depth=..., integers_only=...) <parse_json>`
  -> the decoded value; raises ``ValueError`` (bad UTF-8, too deep, not
  JSON, a non-integer number when ``integers_only``).

Standard library only (the runtime's import rule).
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

#: A JSON string literal (escapes included), or an unterminated one running
#: to the end of the text. Possessive and always matching once started, so
#: the scan stays linear on hostile input.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DELTA = [0] * 256
for _open, _close in (b"[]", b"{}"):
    _DELTA[_open], _DELTA[_close] = 1, -1


#: Limits for one tool call read as JSON text (``policyc eval`` applies them
#: to each input line): its size in bytes (without the line end) and its
#: nesting depth in arrays/objects, far below what the parser or the
#: decision procedures could not handle.
MAX_CALL_BYTES = 1 << 20
MAX_CALL_DEPTH = 64


def nesting_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in JSON text ``data``
    (``0`` for a scalar, ``1`` for ``[]`` or ``{}``). Brackets inside
    string literals do not count; an unterminated string runs to the end.
    Strings are delimited as a JSON parser reads them, so up to its first
    error a parser never nests deeper than this. Linear time and memory, no
    recursion. UTF-8 needs no decoding first:
    no byte of a multi-byte character is a bracket or a quote."""
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_DELTA.__getitem__, brackets)), default=0)


def _no_floats(text: str) -> Any:
    raise ValueError(f"non-integer number {text[:40]!r}")


def parse_json(data: bytes, *, max_depth: int, integers_only: bool = False) -> Any:
    """Decode UTF-8 JSON text, refusing it when it nests deeper than
    ``max_depth`` arrays/objects (checked before parsing). With
    ``integers_only``, fractions, exponents, ``NaN`` and ``Infinity`` are
    refused too. Raises ``ValueError`` with a message saying why (never
    ``RecursionError``)."""
    depth = nesting_depth(data)
    if depth > max_depth:
        raise ValueError(f"JSON nests {depth} levels deep, over the limit of {max_depth}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    hooks: dict[str, Any] = {"parse_float": _no_floats, "parse_constant": _no_floats} if integers_only else {}
    try:
        return json.loads(text, **hooks)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} (at offset {exc.pos})") from None
    except ValueError as exc:  # an integer over Python's digit limit, a refused number
        raise ValueError(f"invalid JSON: {exc}") from None
    except RecursionError:  # unreachable under a sane max_depth; never let it escape
        raise ValueError(f"JSON nests too deeply to parse (limit {max_depth})") from None
