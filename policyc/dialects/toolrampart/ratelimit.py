"""Rate-limit expressions, read as ``policies.py`` ``parse_rate_limit`` reads them.

``"COUNT/WINDOW/PER"``: the expression is split on ``/`` into exactly three
parts, each stripped and lower-cased. ``COUNT`` is read with ``int()`` and
must be at least 1. ``WINDOW`` loses one trailing ``s`` and is then
``second``, ``minute``, ``hour`` or ``day`` (1, 60, 3600, 86400 seconds),
or two whitespace-separated words ``N UNIT`` (``UNIT`` loses one trailing
``s``; ``N`` read with ``int()``, so ``0 minutes`` and ``-1 hour`` are
accepted: such a window never limits). ``PER`` is ``user``, ``actor``,
``global`` or ``tool``. Anything else makes ``@rate_limit`` raise
``ValueError`` (``AttributeError`` for a non-string) when the module is
imported, since the decorator parses its expression when it is evaluated.

Python's own ``int()`` and ``str`` methods are used, so the reading is the
runtime's exactly (``"1_0/hour/user"`` is 10 calls, as in ToolRampart).
"""

from __future__ import annotations

from typing import Any

__all__ = ["WINDOWS", "PER", "parse", "bucket"]

WINDOWS = {"second": 1, "minute": 60, "hour": 60 * 60, "day": 24 * 60 * 60}
PER = ("user", "actor", "global", "tool")


def parse(expression: Any) -> tuple[int, int, str] | str:
    """``(limit, window_seconds, per)``, or the error the runtime raises
    (``"ValueError: ..."``) as a string."""
    if not isinstance(expression, str):
        return f"AttributeError: {type(expression).__name__!r} object has no attribute 'split'"
    parts = [part.strip().lower() for part in expression.split("/")]
    if len(parts) != 3:
        return ("ValueError: rate limits must use the format '<count>/<window>/<scope>', "
                "for example '10/hour/user'")
    limit_text, window_text, per = parts
    try:
        limit = int(limit_text)
    except ValueError:
        return "ValueError: rate limit count must be an integer"
    if limit < 1:
        return "ValueError: rate limit count must be at least 1"
    window = _window(window_text)
    if isinstance(window, str):
        return window
    if per not in PER:
        return "ValueError: rate limit scope must be one of: user, actor, global, tool"
    return limit, window, per


def _window(text: str) -> int | str:
    text = text.removesuffix("s")
    if text in WINDOWS:
        return WINDOWS[text]
    pieces = text.split()
    if len(pieces) == 2:
        count_text, unit = pieces
        unit = unit.removesuffix("s")
        if unit in WINDOWS:
            try:
                return int(count_text) * WINDOWS[unit]
            except ValueError:
                return f"ValueError: invalid literal for int() with base 10: {count_text!r}"
    return "ValueError: rate limit window must be second, minute, hour, or day"


def bucket(per: str, tool_name: str, actor: str) -> str:
    """The counter a call is counted in (``RateLimitRule.bucket_for``)."""
    if per in ("user", "actor"):
        return f"user:{actor or 'anonymous'}"
    if per == "global":
        return "global"
    if per == "tool":
        return f"tool:{tool_name}"
    return f"{per}:{actor or 'anonymous'}"
