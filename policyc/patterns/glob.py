"""Glob patterns of the Rampart dialect: parsing, limits and matching.

Spec §4 (pattern semantics) and §1 (limits).  The matchers here interpret the
typed tokens produced by :func:`parse_glob` directly; nothing is translated to
Python ``re``.  Engine behaviours reproduced here that the spec does not spell
out are listed in the docstrings of the functions concerned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal as _TypingLiteral
from typing import TYPE_CHECKING, Optional, Sequence, Union

from policyc.callfields import MAX_GLOB_INPUT_BYTES  # a longer glob input never matches (spec §1)
from policyc.callfields import normalize_domain

from .grammars import PatternError, offset_past_bytes, parser, utf8_len

if TYPE_CHECKING:  # lark is imported with the first grammar (most globs need none)
    from lark import Token, Tree
    from lark.exceptions import UnexpectedInput

#: Longest glob pattern accepted (the engine's policyutil.MaxGlobPatternLen; spec §1 says 1024).
MAX_GLOB_PATTERN_BYTES = 8192
#: Longest pattern containing ``**`` (spec §1).
MAX_DOUBLESTAR_PATTERN_BYTES = 256
#: Most ``**`` occurrences (counted left to right without overlap) in a pattern.
MAX_DOUBLESTARS = 2

GlobFlavor = _TypingLiteral["command", "path", "domain", "nfa", "segment"]


# --------------------------------------------------------------------------
# Typed tokens


@dataclass(frozen=True)
class Literal:
    """A run of characters matched exactly."""

    text: str
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Star:
    """``*``: any run of characters other than ``/``."""

    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class DoubleStar:
    """``**``: any run of characters, ``/`` included."""

    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Question:
    """``?``: one character other than ``/``."""

    offset: int = field(default=0, compare=False)


@dataclass(frozen=True)
class CharClass:
    """``[...]`` / ``[^...]``: one character in (or, negated, not in) the
    inclusive ``ranges`` (pairs of single characters)."""

    negated: bool
    ranges: tuple[tuple[str, str], ...]
    offset: int = field(default=0, compare=False)

    def contains(self, char: str) -> bool:
        """Whether ``char`` is a member, negation applied (no ``/`` rule)."""
        inside = any(lo <= char <= hi for lo, hi in self.ranges)
        return inside != self.negated


GlobToken = Union[Literal, Star, DoubleStar, Question, CharClass]


@dataclass(frozen=True)
class Glob:
    """A parsed glob: ``source`` as given, ``tokens`` in order, and the
    ``flavor`` (grammar start) that parsed it: ``nfa``, ``segment`` or
    ``domain``."""

    source: str
    tokens: tuple[GlobToken, ...]
    flavor: str = "nfa"


# --------------------------------------------------------------------------
# Parsing


def _unclosed_class_offset(text: str) -> int:
    """Offset of the ``[`` whose class is still open at the end of ``text``."""
    opened = -1
    index = 0
    while index < len(text):
        char = text[index]
        if opened < 0:
            if char == "[":
                opened = index
                index += 1
                if index < len(text) and text[index] == "^":
                    index += 1
                if index < len(text) and text[index] == "]":
                    index += 1  # an empty class is reported elsewhere
                continue
        elif char == "]":
            opened = -1
        index += 1
    return opened if opened >= 0 else len(text)


def _raise_from_lark(error: UnexpectedInput, text: str) -> None:
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    if isinstance(error, UnexpectedCharacters):
        offset = error.pos_in_stream
        char = text[offset] if offset < len(text) else ""
        if char == "-":
            message = "'-' must be part of a range such as a-z in this class"
        elif char == "]":
            message = "empty character class"
        else:
            message = f"unexpected {char!r} in character class"
        raise PatternError(message, offset) from None
    if isinstance(error, UnexpectedToken):
        token = error.token
        if token.type == "$END":
            raise PatternError("unclosed character class '['", _unclosed_class_offset(text)) from None
        offset = token.start_pos if token.start_pos is not None else len(text)
        char = text[offset] if offset < len(text) else ""
        if token.type == "RBRACKET":
            raise PatternError("empty character class", offset) from None
        if char == "-":
            raise PatternError("'-' must be part of a range such as a-z in this class", offset) from None
        raise PatternError(f"unexpected {char!r} in character class", offset) from None
    raise PatternError("malformed glob pattern", len(text)) from None


def _member(tree: Tree) -> tuple[str, str, int]:
    """(lo, hi, offset) of one class member; ``\\x`` (domain flavour) is ``x``."""
    token: Token = tree.children[0]
    raw = str(token)
    offset = token.start_pos or 0

    def one(index: int) -> tuple[str, int]:
        if raw[index] == "\\" and index + 1 < len(raw):
            return raw[index + 1], index + 2
        return raw[index], index + 1

    lo, after = one(0)
    if tree.data == "member_range":
        hi, _ = one(after + 1)  # skip the '-'
        return lo, hi, offset
    return lo, lo, offset


def _tokens_from_tree(tree: Tree, flavor: str) -> tuple[GlobToken, ...]:
    out: list[GlobToken] = []
    collapse_stars = flavor in ("segment", "domain")
    for child in tree.children:
        kind = child.data
        token: Token = child.children[0] if child.children else None  # type: ignore[assignment]
        offset = getattr(child.meta, "start_pos", 0) if not child.meta.empty else 0
        if kind in ("literal", "dliteral", "escaped"):
            text = str(token)
            if kind == "escaped":
                text = text[1:]
            if out and isinstance(out[-1], Literal):
                previous = out.pop()
                out.append(Literal(previous.text + text, previous.offset))
            else:
                out.append(Literal(text, offset))
        elif kind in ("star", "double_star"):
            if collapse_stars:
                # Go's filepath.Match reads a run of stars as one star.
                if not (out and isinstance(out[-1], Star)):
                    out.append(Star(offset))
            elif kind == "star":
                out.append(Star(offset))
            else:
                out.append(DoubleStar(offset))
        elif kind == "question":
            out.append(Question(offset))
        else:  # a class
            negated = child.children[1] is not None
            ranges = []
            for member in child.children[2:-1]:
                lo, hi, member_offset = _member(member)
                if lo > hi and flavor == "nfa":
                    raise PatternError(
                        f"reversed range {lo}-{hi} in character class (the engine refuses the pattern)",
                        member_offset,
                    )
                ranges.append((lo, hi))
            out.append(CharClass(negated, tuple(ranges), offset))
    return tuple(out)


#: The outer tokens of the grammar (grammar/glob.lark), for patterns with no
#: class and no escape: ``**`` before ``*``, as the grammar's lexer prefers.
_OUTER = re.compile(r"\*\*|\*|\?|[^*?]+")


def _outer_tokens(text: str, start: str) -> tuple[GlobToken, ...]:
    """The tokens the grammar gives a pattern without ``[`` (nor ``\\`` in
    the domain flavour), read with one regular expression instead of the LALR
    parser (about 40x faster; tests/test_patterns.py holds both to the same
    tokens). Runs of stars collapse in the segment and domain flavours."""
    out: list[GlobToken] = []
    collapse_stars = start in ("segment", "domain")
    for match in _OUTER.finditer(text):
        piece, offset = match.group(), match.start()
        if piece == "?":
            out.append(Question(offset))
        elif piece[0] != "*":
            out.append(Literal(piece, offset))
        elif collapse_stars:
            if not (out and isinstance(out[-1], Star)):
                out.append(Star(offset))
        else:
            out.append(DoubleStar(offset) if piece == "**" else Star(offset))
    return tuple(out)


def _class_tokens(text: str, start: str) -> Optional[tuple[GlobToken, ...]]:
    """The tokens the grammar gives a well-formed ``nfa`` or ``segment``
    pattern with ``[`` classes, read by hand as the grammar's contextual
    lexer reads them (outside a class: the longest run of anything but
    ``*``, ``?`` and ``[``, ``**`` before ``*``; inside: ``^`` right after
    ``[`` negates, then at each position a range ``x-y`` before a single
    member, ``]`` closing a class of at least one member; in ``segment``
    neither end of a range nor a single member may be ``-``). None for
    anything else (an unclosed or empty class, a bare ``-`` in a segment
    class, a reversed ``nfa`` range): the LALR parser then decides and says
    what is wrong, so error messages and offsets do not change. Spares
    building the grammar for the usual ``[*]``, ``[0-9]`` classes;
    tests/test_patterns.py holds both to the same tokens."""
    out: list[GlobToken] = []
    collapse_stars = start == "segment"
    banned = "]-" if start == "segment" else "]"
    size = len(text)
    index = 0
    while index < size:
        char = text[index]
        if char == "[":
            opened = index
            index += 1
            negated = index < size and text[index] == "^"
            if negated:
                index += 1
            ranges: list[tuple[str, str]] = []
            while True:
                if index >= size:
                    return None
                char = text[index]
                if char == "]":
                    if not ranges:
                        return None
                    index += 1
                    break
                if char in banned:
                    return None
                if index + 2 < size and text[index + 1] == "-" and text[index + 2] not in banned:
                    lo, hi = char, text[index + 2]
                    if lo > hi and start == "nfa":
                        return None
                    ranges.append((lo, hi))
                    index += 3
                else:
                    ranges.append((char, char))
                    index += 1
            out.append(CharClass(negated, tuple(ranges), opened))
        elif char == "?":
            out.append(Question(index))
            index += 1
        elif char == "*":
            double = text.startswith("**", index)
            if collapse_stars:
                if not (out and isinstance(out[-1], Star)):
                    out.append(Star(index))
            else:
                out.append(DoubleStar(index) if double else Star(index))
            index += 2 if double else 1
        else:
            end = index + 1
            while end < size and text[end] not in "*?[":
                end += 1
            out.append(Literal(text[index:end], index))
            index = end
    return tuple(out)


@lru_cache(maxsize=4096)
def _parse(text: str, start: str) -> Glob:
    if "[" not in text and (start != "domain" or "\\" not in text):
        return Glob(text, _outer_tokens(text, start), start)
    if start != "domain":
        tokens = _class_tokens(text, start)
        if tokens is not None:
            return Glob(text, tokens, start)
    from lark.exceptions import UnexpectedInput

    try:
        tree = parser("glob", start).parse(text)
    except UnexpectedInput as error:
        _raise_from_lark(error, text)
        raise  # pragma: no cover - _raise_from_lark always raises
    return Glob(text, _tokens_from_tree(tree, start), start)


def parse_glob(text: str, flavor: GlobFlavor = "command") -> Glob:
    """Parse a glob pattern into typed tokens (spec §4).

    ``flavor`` selects the class syntax the engine would apply:

    * ``"command"`` (default; every glob field except paths and domains):
      the path-automaton syntax when the pattern contains ``**``, else the
      classic single-segment (Go ``filepath.Match``) syntax;
    * ``"path"`` (path_matches / path_not_matches): always the path-automaton
      syntax;
    * ``"domain"``: single-segment syntax with ``\\`` as an escape character
      (the engine does not rewrite ``\\`` to ``/`` for domains);
    * ``"nfa"`` / ``"segment"``: a grammar start chosen explicitly.

    Except for ``domain``, ``\\`` is read as ``/`` first; offsets are
    unchanged by that.  Returns a frozen :class:`Glob`; raises
    :class:`PatternError` (with the offset inside ``text``) for an unclosed or
    empty ``[`` class, a bare ``-`` in a single-segment class, or a reversed
    range in a path-automaton class.  An empty pattern parses (to no tokens);
    the engine matches nothing with it.
    """
    if flavor == "domain":
        return _parse(text, "domain")
    normalized = text.replace("\\", "/")
    if flavor == "path" or flavor == "nfa":
        start = "nfa"
    elif flavor == "segment":
        start = "segment"
    elif flavor == "command":
        start = "nfa" if "**" in normalized else "segment"
    else:
        raise ValueError(f"unknown glob flavor {flavor!r}")
    glob = _parse(normalized, start)
    if normalized != text:
        glob = Glob(text, glob.tokens, glob.flavor)
    return glob


def check_glob_limits(text: str) -> None:
    """Apply the load-time glob limits (spec §1) to one pattern.

    Raises :class:`PatternError` when the pattern is longer than
    ``MAX_GLOB_PATTERN_BYTES`` UTF-8 bytes, when it contains ``**`` and is
    longer than ``MAX_DOUBLESTAR_PATTERN_BYTES`` bytes, or when it contains
    more than ``MAX_DOUBLESTARS`` occurrences of ``**`` (counted left to
    right without overlap, so ``***`` is one).  Checked in that order, on the
    pattern as written.  The offset is the first character beyond the byte
    limit, or the start of the first surplus ``**``.
    """
    size = utf8_len(text)
    if size > MAX_GLOB_PATTERN_BYTES:
        raise PatternError(
            f"glob pattern is {size} bytes (max {MAX_GLOB_PATTERN_BYTES})",
            offset_past_bytes(text, MAX_GLOB_PATTERN_BYTES),
        )
    count = text.count("**")
    if count and size > MAX_DOUBLESTAR_PATTERN_BYTES:
        raise PatternError(
            f"pattern with ** is {size} bytes (max {MAX_DOUBLESTAR_PATTERN_BYTES})",
            offset_past_bytes(text, MAX_DOUBLESTAR_PATTERN_BYTES),
        )
    if count > MAX_DOUBLESTARS:
        position = -2
        for _ in range(MAX_DOUBLESTARS + 1):
            position = text.find("**", position + 2)
        raise PatternError(f"pattern has {count} ** occurrences (max {MAX_DOUBLESTARS})", position)


# --------------------------------------------------------------------------
# Interpreters over tokens

# A "unit" consumes exactly one character (literal, ?, class) or is a star.
_LIT, _ANY, _CLASS, _STAR, _DSTAR = range(5)


@lru_cache(maxsize=4096)
def _units(glob: Glob) -> tuple[tuple, ...]:
    units: list[tuple] = []
    for token in glob.tokens:
        if isinstance(token, Literal):
            units.extend((_LIT, char) for char in token.text)
        elif isinstance(token, Question):
            units.append((_ANY,))
        elif isinstance(token, CharClass):
            units.append((_CLASS, token))
        elif isinstance(token, Star):
            units.append((_STAR,))
        else:
            units.append((_DSTAR,))
    return tuple(units)


class _Masks:
    """The path automaton of one glob as bitmasks over its units (bit ``i``:
    before unit ``i``; bit ``len(units)``: the end): the star and ``**``
    units, and per character (filled on first use) the units consuming it
    that advance and those that stay."""

    __slots__ = ("stars", "double", "size", "units", "steps")

    def __init__(self, units: tuple[tuple, ...]) -> None:
        self.units = units
        self.size = len(units)
        self.stars = sum(1 << i for i, unit in enumerate(units) if unit[0] in (_STAR, _DSTAR))
        self.double = sum(1 << i for i, unit in enumerate(units) if unit[0] == _DSTAR)
        self.steps: dict[str, tuple[int, int]] = {}

    def step(self, char: str) -> tuple[int, int]:
        """(units that consume ``char`` and advance, units that consume it and stay)."""
        known = self.steps.get(char)
        if known is not None:
            return known
        advance = 0
        for index, unit in enumerate(self.units):
            kind = unit[0]
            if (kind == _LIT and char == unit[1]) or (kind == _ANY and char != "/") \
                    or (kind == _CLASS and char != "/" and unit[1].contains(char)):
                advance |= 1 << index
        stay = self.double if char == "/" else self.stars
        self.steps[char] = advance, stay
        return advance, stay

    def close(self, states: int) -> int:
        """``states`` and every state a star lets it skip to."""
        while True:
            more = states | ((states & self.stars) << 1)
            if more == states:
                return states
            states = more


@lru_cache(maxsize=4096)
def _masks(glob: Glob) -> _Masks:
    return _Masks(_units(glob))


def _run_automaton(glob: Glob, name: str) -> bool:
    """Path automaton: ``*``, ``?`` and classes never consume ``/``; ``**``
    consumes anything.  A set-of-states simulation (the states a bitmask):
    O(len(pattern) * len(name))."""
    masks = _masks(glob)
    current = masks.close(1)
    for char in name:
        advance, stay = masks.step(char)
        current = ((current & advance) << 1) | (current & stay)
        if not current:
            return False
        current = masks.close(current)
    return bool(current >> masks.size & 1)


def _fixed_at(chunk: Sequence[tuple], name: str, start: int) -> int:
    """Match a star-free chunk at ``start``; return its end or -1.  Here a
    class may match ``/`` (Go's filepath.Match does not exclude it)."""
    if start + len(chunk) > len(name):
        return -1
    for step, unit in enumerate(chunk):
        char = name[start + step]
        kind = unit[0]
        if kind == _LIT:
            if char != unit[1]:
                return -1
        elif kind == _ANY:
            if char == "/":
                return -1
        elif not unit[1].contains(char):
            return -1
    return start + len(chunk)


@lru_cache(maxsize=4096)
def _chunks(glob: Glob) -> tuple[tuple[bool, tuple[tuple, ...]], ...]:
    chunks: list[tuple[bool, tuple[tuple, ...]]] = []
    units = _units(glob)
    index = 0
    while index < len(units):
        starred = False
        while index < len(units) and units[index][0] in (_STAR, _DSTAR):
            starred = True
            index += 1
        body: list[tuple] = []
        while index < len(units) and units[index][0] not in (_STAR, _DSTAR):
            body.append(units[index])
            index += 1
        chunks.append((starred, tuple(body)))
    return tuple(chunks)


def _run_segment(glob: Glob, name: str) -> bool:
    """Classic single-segment glob with the engine's (Go filepath.Match)
    strategy: the pattern is cut into star-separated chunks; each chunk after
    a star is placed at the leftmost position reachable without crossing
    ``/`` and never revisited; the last chunk must end the input.  This
    equals full backtracking unless a class can match ``/``."""
    position = 0
    chunks = _chunks(glob)
    for number, (starred, body) in enumerate(chunks):
        last = number == len(chunks) - 1
        if starred and not body:
            return "/" not in name[position:]
        end = _fixed_at(body, name, position)
        if end >= 0 and (end == len(name) or not last):
            position = end
            continue
        if not starred:
            return False
        placed = False
        skip = position
        while skip < len(name) and name[skip] != "/":
            end = _fixed_at(body, name, skip + 1)
            if end >= 0 and not (last and end != len(name)):
                position = end
                placed = True
                break
            skip += 1
        if not placed:
            return False
    return position == len(name)


# --------------------------------------------------------------------------
# Public matchers


def _bounded(pattern: str, value: str) -> Optional[tuple[str, str]]:
    """The engine's matcher bounds, then ``\\`` read as ``/`` on both sides."""
    if pattern == "" or utf8_len(pattern) > MAX_GLOB_PATTERN_BYTES:
        return None
    if utf8_len(value) > MAX_GLOB_INPUT_BYTES:
        return None
    if "**" in pattern and utf8_len(pattern) > MAX_DOUBLESTAR_PATTERN_BYTES:
        return None
    return pattern.replace("\\", "/"), value.replace("\\", "/")


def _path_automaton(pattern: str, name: str) -> bool:
    try:
        glob = _parse(pattern, "nfa")
    except PatternError:
        return False
    if _run_automaton(glob, name):
        return True
    if pattern.startswith("**/"):
        try:
            rest = _parse(pattern[3:], "nfa")
        except PatternError:
            return False
        return _run_automaton(rest, name)
    return False


def _substring_chain(pattern: str, name: str) -> bool:
    position = 0
    for piece in pattern.split("*"):
        if not piece:
            continue
        found = name.find(piece, position)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def match_command_glob(pattern: str, value: str) -> bool:
    """The command glob (spec §4, "all other glob fields"), as the engine's
    MatchGlob applies it, in this order:

    1. an empty pattern, a pattern over the byte limits, or a value over
       ``MAX_GLOB_INPUT_BYTES`` never matches (not even ``*``);
    2. ``\\`` becomes ``/`` in pattern and value;
    3. exactly ``*`` matches everything;
    4. a pattern containing ``**``: more than two ``**`` never match; else
       the path automaton (see :func:`match_path_glob`, zero-depth ``**/``
       included); a malformed class matches nothing;
    5. a pattern ending in ``*``: matches when the value starts with the
       pattern minus that ``*``, taken literally (``?``/``[`` included);
       otherwise fall through;
    6. a pattern starting with ``*``: the ``*``-separated pieces, taken
       literally, must occur in order anywhere in the value (both ends
       unanchored, so ``*cat /etc/shadow`` also matches
       ``sudo cat /etc/shadow.bak``);
    7. otherwise the classic single-segment glob (Go filepath.Match
       semantics, see ``_run_segment``); a malformed pattern matches nothing.

    Case-sensitive.  Never raises.
    """
    bounded = _bounded(pattern, value)
    if bounded is None:
        return False
    pattern, value = bounded
    if pattern == "*":
        return True
    if "**" in pattern:
        if pattern.count("**") > MAX_DOUBLESTARS:
            return False
        return _path_automaton(pattern, value)
    if pattern.endswith("*") and value.startswith(pattern[:-1]):
        return True
    if pattern.startswith("*"):
        return _substring_chain(pattern, value)
    try:
        glob = _parse(pattern, "segment")
    except PatternError:
        return False
    return _run_segment(glob, value)


def match_path_glob(pattern: str, value: str) -> bool:
    """The path glob (spec §4, path fields), as the engine's path matcher
    applies it: the bounds of :func:`match_command_glob` step 1, ``\\`` read
    as ``/``, more than two ``**`` never match, then the path automaton:
    ``*``, ``?`` and classes never match ``/`` (a negated class does not
    either), ``**`` matches anything, the whole value must be consumed.  A
    pattern starting with ``**/`` is also tried without that prefix (so
    ``**/.env`` matches ``.env``).  There is no ``*``-matches-all shortcut
    and no trailing-star rule: ``*`` does not match ``/etc/passwd``.

    Case-sensitive (the engine folds case only on macOS/Windows hosts).
    The value should already be cleaned (see :func:`path_spellings`).
    Never raises.
    """
    bounded = _bounded(pattern, value)
    if bounded is None:
        return False
    pattern, value = bounded
    if pattern.count("**") > MAX_DOUBLESTARS:
        return False
    return _path_automaton(pattern, value)


def match_domain_glob(pattern: str, domain: str) -> bool:
    """``domain_matches`` (spec §4): pattern and domain are trimmed of
    surrounding white space, lower-cased and stripped of ONE trailing ``.``
    (:func:`policyc.callfields.normalize_domain`, Go's TrimSpace and ToLower);
    an empty pattern or domain never matches; then the classic glob (Go
    filepath.Match) where ``*`` spans dots but not ``/``, ``\\`` escapes the
    next character, and a malformed pattern matches nothing.  No
    leading/trailing-star rules and no length bounds apply here.  Never raises.
    """
    domain, pattern = normalize_domain(domain), normalize_domain(pattern)
    if not domain or not pattern:
        return False
    try:
        glob = _parse(pattern, "domain")
    except PatternError:
        return False
    return _run_segment(glob, domain)


def input_too_long(value: str) -> bool:
    """Whether a glob input exceeds ``MAX_GLOB_INPUT_BYTES`` (the engine then
    denies the whole call: "exceeds the 8192-byte policy matching limit")."""
    return utf8_len(value) > MAX_GLOB_INPUT_BYTES
