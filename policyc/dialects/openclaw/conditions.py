"""The toolkit's escalation conditions (``PolicyEngine.evaluateCondition``).

A condition string is searched (unanchored) with the JavaScript regex
``(\\w+)\\s*([><=!]+)\\s*(.+)``: the first match gives the field, the
operator and the threshold text. ``$`` and ``,`` are removed from the
threshold text, which is then read with ``parseFloat``. The context value
``context[field]`` is read as is (own property, else inherited: every
object has ``constructor``, ``toString``...). ``undefined`` makes the
condition false; then ``>`` ``<`` ``>=`` ``<=`` compare
``parseFloat(value)`` with the threshold, ``==`` and ``!=`` use JavaScript's
loose equality with the value itself, and any other operator the regex
accepts (``=``, ``=>``, ``<>``, ``!``, ...) is false.

The regex is translated for Python's ``re`` with JavaScript's classes:
``\\w`` is ``[A-Za-z0-9_]``, ``\\s`` JavaScript's whitespace and line
terminators, ``.`` anything but ``\\n``, ``\\r``, U+2028, U+2029.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from policyc.dialects.openclaw.jsprops import get_property
from policyc.dialects.openclaw.jsvalue import (
    JS_WHITESPACE, UNDEFINED, loose_equals_number, parse_float,
)

__all__ = ["OPERATORS", "Parsed", "parse", "holds"]

OPERATORS = (">", "<", ">=", "<=", "==", "!=")
"""The operators the engine compares with; any other is always false."""

_S = "[" + re.escape(JS_WHITESPACE) + "]*"
_CONDITION = re.compile(r"([A-Za-z0-9_]+)" + _S + r"([><=!]+)" + _S + r"([^\n\r\u2028\u2029]+)")


@dataclass(frozen=True)
class Parsed:
    """The engine's reading of a condition: ``field``, ``operator``,
    ``value_text`` (what ``(.+)`` captured), ``threshold``
    (``parseFloat`` of it without ``$`` and ``,``; ``NaN`` when it is not a
    number), and ``start``/``end``: the part of the condition the regex
    matched (the rest is ignored)."""

    field: str
    operator: str
    value_text: str
    threshold: float
    start: int
    end: int

    @property
    def honoured(self) -> bool:
        """Whether the operator is one the engine compares with."""
        return self.operator in OPERATORS

    @property
    def numeric(self) -> bool:
        return not math.isnan(self.threshold)


def parse(condition: str) -> Parsed | None:
    """How the engine reads ``condition``, or ``None`` when its regex finds
    nothing (the condition is then always false)."""
    m = _CONDITION.search(condition)
    if m is None:
        return None
    field, operator, value_text = m.groups()
    threshold = parse_float(value_text.replace("$", "").replace(",", ""))
    return Parsed(field, operator, value_text, threshold, m.start(), m.end())


def holds(condition: str, context: Any) -> bool:
    """``evaluateCondition(condition, context)``: ``condition`` a string,
    ``context`` a truthy JavaScript value (:mod:`jsvalue` shapes). Raises
    :class:`~policyc.dialects.openclaw.jsvalue.JSThrow` where the engine
    throws (a context value that is a mapping with a ``toString`` key)."""
    parsed = parse(condition)
    if parsed is None:
        return False
    value = get_property(context, parsed.field)
    if value is UNDEFINED:
        return False
    op, threshold = parsed.operator, parsed.threshold
    if op == ">":
        return parse_float(value) > threshold
    if op == "<":
        return parse_float(value) < threshold
    if op == ">=":
        return parse_float(value) >= threshold
    if op == "<=":
        return parse_float(value) <= threshold
    if op == "==":
        return loose_equals_number(value, threshold)
    if op == "!=":
        return not loose_equals_number(value, threshold)
    return False
