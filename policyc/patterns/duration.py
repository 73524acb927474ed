"""Durations and numeric comparisons used inside conditions.

Durations follow Go's ``time.ParseDuration`` (the engine parses
``call_count.window`` and ``webhook.timeout`` with it; spec §1).
"""

from __future__ import annotations

import re
from fractions import Fraction

from typing import TYPE_CHECKING

from .grammars import PatternError, parser

if TYPE_CHECKING:  # lark is imported with the grammar
    from lark.exceptions import UnexpectedInput

_UNIT_NS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,
    "\u03bcs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_MAX_NS = (1 << 63) - 1
#: Durations of whole-number parts in ASCII units (``30s``, ``1h30m``): read
#: without the grammar, as its lexer cuts them (leftmost parts, ``ms``
#: before ``m``); anything else, or a value out of range, goes through the
#: grammar (tests/test_patterns.py holds both to the same values).
_SIMPLE = re.compile(r"(?:[0-9]+(?:ns|us|ms|s|m|h))+")
_PART = re.compile(r"[0-9]+(?:ns|us|ms|s|m|h)")
_OPS = (">=", "<=", "==", "!=", ">", "<")


def _split_part(part: str) -> tuple[str, str]:
    for length in (2, 1):
        unit = part[-length:]
        if unit in _UNIT_NS and (length == 2 or part[-2:] not in _UNIT_NS):
            return part[:-length], unit
    raise AssertionError(part)  # pragma: no cover - the grammar guarantees a unit


def _duration_error(error: UnexpectedInput, text: str) -> PatternError:
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    if isinstance(error, UnexpectedToken) and error.token.type != "$END":
        offset = error.token.start_pos or 0
    elif isinstance(error, UnexpectedCharacters):
        offset = error.pos_in_stream
    else:
        offset = -1
    if offset >= 0:
        char = text[offset]
        if char.isdigit() or char == ".":
            tail = offset
            while tail < len(text) and (text[tail].isdigit() or text[tail] == "."):
                tail += 1
            if tail >= len(text):
                return PatternError("missing unit in duration (ns, us, ms, s, m, h)", tail)
            return PatternError(f"unknown unit {text[tail:]!r} in duration", tail)
        return PatternError(f"unexpected {char!r} in duration", offset)
    return PatternError("missing unit in duration (ns, us, ms, s, m, h)", len(text))


def duration_ns(text: str) -> int:
    """Parse a Go duration to integer nanoseconds (may be negative).

    Fractions are truncated per part as Go does (``1.5ns`` is 1ns).  Raises
    :class:`PatternError` for an empty string, a number without unit (other
    than a bare ``0``), an unknown unit, or a value beyond ±2^63 ns.
    """
    if text == "":
        raise PatternError("empty duration", 0)
    if _SIMPLE.fullmatch(text):
        total = 0
        for part in _PART.findall(text):
            number, unit = _split_part(part)
            total += int(number) * _UNIT_NS[unit]
        if total <= _MAX_NS:
            return total
    from lark.exceptions import UnexpectedInput

    try:
        tree = parser("condition", "duration").parse(text)
    except UnexpectedInput as error:
        raise _duration_error(error, text) from None
    sign_token = tree.children[0]
    negative = sign_token is not None and str(sign_token) == "-"
    total = 0
    for token in tree.children[1:]:
        if token.type == "ZERO":
            continue
        number, unit = _split_part(str(token))
        whole, _, frac = number.partition(".")
        scale = _UNIT_NS[unit]
        value = int(whole or "0") * scale
        if frac:
            value += int(Fraction(int(frac), 10 ** len(frac)) * scale)
        total += value
        if total > _MAX_NS + (1 if negative else 0):
            raise PatternError(f"duration {text!r} is out of range", token.start_pos or 0)
    return -total if negative else total


def parse_duration(text: str) -> float:
    """Parse a Go-style duration (``1h``, ``30m``, ``1h30m``, ``5s``,
    ``500ms``, ``1.5h``, ``.5h``, ``0``) to seconds as a float.

    Accepts an optional sign (Go does; callers such as ``call_count.window``
    then require > 0).  No spaces are allowed.  Raises :class:`PatternError`
    with the offset of the problem; see :func:`duration_ns`.
    """
    return duration_ns(text) / 1e9


def parse_comparison(text: str) -> tuple[str, str, float]:
    """Parse ``FIELD OP NUMBER`` (OP one of ``> < >= <= == !=``) into
    ``(field, op, number)``.  Surrounding and inner blanks are allowed; ``$``
    and ``,`` are removed from the number (``amount > $1,000`` gives
    ``("amount", ">", 1000.0)``).  Raises :class:`PatternError` with the
    offset of the problem.
    """
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    try:
        tree = parser("condition", "comparison").parse(stripped)
    except UnexpectedCharacters as error:
        raise PatternError(f"unexpected {stripped[error.pos_in_stream]!r} in comparison",
                           lead + error.pos_in_stream) from None
    except UnexpectedToken as error:
        token = error.token
        offset = len(stripped) if token.type == "$END" else (token.start_pos or 0)
        expected = "an operator (> < >= <= == !=)" if "OP" in error.expected else "a number"
        if "FIELD" in error.expected:
            expected = "a field name"
        raise PatternError(f"expected {expected} in comparison", lead + offset) from None
    tokens = [child for child in tree.children if child is not None and child.type != "_WS"]
    field_token, op_token, number_token = tokens[0], tokens[1], tokens[2]
    cleaned = str(number_token).replace("$", "").replace(",", "")
    if cleaned in ("", "+", "-", ".", "+.", "-."):
        raise PatternError("expected a number in comparison", lead + (number_token.start_pos or 0))
    return str(field_token), str(op_token), float(cleaned)
