"""The toolkit's action patterns (``PolicyEngine.matchesPattern``) as languages.

A pattern is tried against an action in this order, and the first test
that applies decides:

1. the action is the pattern (``===``);
2. the pattern is ``*``: every action;
3. the pattern ends with ``*``: actions that start with the pattern minus
   that last ``*`` (so ``*foo*`` is the prefix ``*foo``, with a literal star);
4. the pattern starts with ``*``: actions that end with the rest;
5. otherwise no match (a ``*`` anywhere else is a literal character).

For string patterns and string actions this module answers matching,
classification and inclusion (:func:`covers`). Inclusion assumes an
alphabet larger than any policy (every character of Unicode): then a prefix
or suffix language is covered by a finite union of pattern languages only
when one pattern covers it alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from policyc.dialects.openclaw.jsvalue import ends_with, starts_with

__all__ = ["Shape", "shape", "matches", "covers", "sample", "literal_stars"]


@dataclass(frozen=True)
class Shape:
    """How the engine reads a string pattern: ``kind`` is ``any`` (``*``),
    ``prefix``, ``suffix`` or ``exact``; ``text`` the prefix, suffix or
    exact text (empty for ``any``)."""

    kind: str
    text: str


def shape(pattern: str) -> Shape:
    """The :class:`Shape` of a string pattern, in the engine's test order."""
    if pattern == "*":
        return Shape("any", "")
    if pattern.endswith("*"):
        return Shape("prefix", pattern[:-1])
    if pattern.startswith("*"):
        return Shape("suffix", pattern[1:])
    return Shape("exact", pattern)


def matches(action: str, pattern: str) -> bool:
    """``matchesPattern(action, pattern)`` for two strings."""
    if action == pattern:
        return True
    s = shape(pattern)
    if s.kind == "any":
        return True
    if s.kind == "prefix":
        return starts_with(action, s.text)
    if s.kind == "suffix":
        return ends_with(action, s.text)
    return False


def covers(outer: str, inner: str) -> bool:
    """Whether every string action ``inner`` matches is matched by ``outer``."""
    o, i = shape(outer), shape(inner)
    if o.kind == "any":
        return True
    if i.kind == "exact":
        return matches(i.text, outer)
    if i.kind == "any":
        return False
    if i.kind == "prefix":
        return o.kind == "prefix" and starts_with(i.text, o.text)
    return o.kind == "suffix" and ends_with(i.text, o.text)


def sample(pattern: str) -> str:
    """An action ``pattern`` matches: the exact text, the prefix, the
    suffix, or ``read:anything`` for ``*``."""
    s = shape(pattern)
    return "read:anything" if s.kind == "any" else s.text


def literal_stars(pattern: str) -> str | None:
    """Why ``pattern`` holds a ``*`` the engine reads as a plain character,
    or ``None`` when every star is a wildcard."""
    s = shape(pattern)
    if "*" not in s.text:
        return None
    if s.kind == "prefix":
        return (f"the engine reads it as the prefix `{s.text}`: it matches only actions that "
                f"start with that text, star included")
    if s.kind == "suffix":
        return (f"the engine reads it as the suffix `{s.text}`: it matches only actions that "
                f"end with that text, star included")
    return "the engine matches it only against an action equal to it, star included"
