"""Lowering of glob patterns to RE2 expressions (spec §4).

Every pattern becomes ONE RE2 expression denoting exactly the set of strings
the direct (reference) matcher in :mod:`policyc.patterns.glob` accepts, so a
runtime can put all the patterns of a field into one ``re2.Set``.

Anchoring
    The expressions contain no ``^``/``$``: compile them with ``ANCHOR_BOTH``
    (``re2.Set.FullMatchSet()``), or match one with ``re2.fullmatch``.  Every
    expression starts with ``(?s)`` (``.`` also matches a newline, as ``*``,
    ``**`` and the prefix/substring rules do in the direct matchers).  For an
    unanchored API, :func:`anchored` wraps an expression as ``^(?:...)$``.

Input contract (what the runtime matches the expression against)
    * ``command`` and ``path`` flavours: the raw input.  The direct matchers
      read ``\\`` as ``/`` in the input; the expressions do the same (every
      place that accepts or refuses ``/`` treats ``\\`` identically), so the
      runtime needs no rewriting.
    * ``domain``: :func:`normalize_domain` of the input (surrounding white
      space trimmed and lower-cased as Go's TrimSpace and ToLower do, then
      ONE trailing ``.`` dropped).  A domain that normalizes to ``""`` is
      matched by no expression, as in :func:`match_domain_glob`.
    * :func:`lower_folded`: ``go_lower(value)``.
    * :func:`lower_substring`: the raw command (case folding is built in).

    Inputs longer than ``MAX_GLOB_INPUT_BYTES`` (8192 UTF-8 bytes) never match
    a direct glob matcher; the expressions ignore that bound because the
    runtime denies such a call before any matching (spec §1).  Strings with
    lone surrogates cannot be encoded for RE2 and are out of scope.

Exactness
    Each flavour's rules (exactly ``*``, ``**`` automaton with the zero-depth
    leading ``**/``, trailing-star literal prefix, leading-star substring
    chain, classes that do or do not match ``/``) are regular and translated
    directly.  The classic single-segment glob (Go ``filepath.Match``) places
    each star-preceded chunk at the LEFTMOST position and never backtracks;
    this differs from a backtracking regex only when a chunk holds a class
    that can match ``/`` and something else (``[^a]``, ``[!-0]``).  The
    non-backtracking language is still regular: the procedure is the
    unambiguous concatenation of prefix-free "first occurrence of chunk C
    after a ``/``-free run" languages, each built as a subset DFA, minimized
    (Moore), and turned into a regular expression by state elimination (see
    :func:`_first_occurrence`).  This is done for every starred chunk up to
    the last one holding such a class (earlier plain chunks matter too: their
    leftmost placement decides where the class chunk may start); later
    chunks are lowered as ``[^/]*C`` (greedy placement is then harmless).

Fallback
    :func:`needs_fallback` is True only for (1) a classic-glob pattern
    (command flavour without ``**`` and not starting with ``*``, or domain
    flavour) with a class matching ``/`` and some other character in a
    starred, non-final chunk, whose first-occurrence DFA still has more than
    ``MAX_DFA_STATES`` states after minimization or whose expression would
    exceed ``MAX_EXPRESSION_CHARS`` characters (e.g. ``x*?[^a]?[^a]...*c``
    with eight ``?[^a]``; about 0.06% of random 12-token patterns dense in
    such classes).  :func:`lower_glob` / :func:`lower_folded` raise
    :class:`FallbackRequired` for those; the
    runtime then keeps the direct matcher for that one pattern.  No pattern
    of the shared corpora needs it (they contain no classes at all).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable, Optional, Union

from .glob import (
    MAX_DOUBLESTAR_PATTERN_BYTES,
    MAX_DOUBLESTARS,
    MAX_GLOB_PATTERN_BYTES,
    CharClass,
    DoubleStar,
    Glob,
    Literal,
    Question,
    Star,
    parse_glob,
)
from policyc.callfields import go_lower, normalize_domain

from .grammars import PatternError, utf8_len

__all__ = [
    "FallbackRequired",
    "MAX_DFA_STATES",
    "MAX_EXPRESSION_CHARS",
    "anchored",
    "lower_folded",
    "lower_glob",
    "lower_substring",
    "needs_fallback",
    "normalize_domain",
]

#: Largest first-occurrence DFA lowered exactly (states after minimization,
#: excluding the accepting sink).
MAX_DFA_STATES = 64
#: Longest expression handed out; beyond it the runtime keeps the direct matcher.
MAX_EXPRESSION_CHARS = 16384

_MAX_CP = 0x10FFFF
_SLASH = ord("/")
_BACKSLASH = ord("\\")


class FallbackRequired(ValueError):
    """The pattern has an exact lowering in principle but not one we hand out
    (too large, or context-dependent case folding); match it directly."""


# --------------------------------------------------------------------------
# Character sets: sorted, disjoint, non-adjacent inclusive code point intervals


class CharSet:
    __slots__ = ("iv",)

    def __init__(self, intervals: Iterable[tuple[int, int]] = ()) -> None:
        merged: list[list[int]] = []
        for lo, hi in sorted(intervals):
            if lo > hi:
                continue
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        self.iv: tuple[tuple[int, int], ...] = tuple((lo, hi) for lo, hi in merged)

    @classmethod
    def of(cls, *chars: Union[str, int]) -> "CharSet":
        points = [c if isinstance(c, int) else ord(c) for c in chars]
        return cls((p, p) for p in points)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharSet) and self.iv == other.iv

    def __hash__(self) -> int:
        return hash(self.iv)

    def __repr__(self) -> str:
        return f"CharSet({self.iv!r})"

    def __bool__(self) -> bool:
        return bool(self.iv)

    def __contains__(self, point: int) -> bool:
        return any(lo <= point <= hi for lo, hi in self.iv)

    def union(self, other: "CharSet") -> "CharSet":
        return CharSet(self.iv + other.iv)

    def complement(self) -> "CharSet":
        out = []
        start = 0
        for lo, hi in self.iv:
            if lo > start:
                out.append((start, lo - 1))
            start = hi + 1
        if start <= _MAX_CP:
            out.append((start, _MAX_CP))
        return CharSet(out)

    def minus(self, other: "CharSet") -> "CharSet":
        return self.intersect(other.complement())

    def intersect(self, other: "CharSet") -> "CharSet":
        out = []
        i = j = 0
        a, b = self.iv, other.iv
        while i < len(a) and j < len(b):
            lo = max(a[i][0], b[j][0])
            hi = min(a[i][1], b[j][1])
            if lo <= hi:
                out.append((lo, hi))
            if a[i][1] < b[j][1]:
                i += 1
            else:
                j += 1
        return CharSet(out)

    def size(self) -> int:
        return sum(hi - lo + 1 for lo, hi in self.iv)


_ALL = CharSet([(0, _MAX_CP)])
_SLASH_SET = CharSet.of(_SLASH)
_NOT_SLASH = _ALL.minus(_SLASH_SET)


def _rawify(chars: CharSet, backslash_is_slash: bool) -> CharSet:
    """Map a set over normalized characters (``\\`` already read as ``/``)
    to the set of raw input characters it accepts: raw ``\\`` is accepted
    exactly when ``/`` is."""
    if not backslash_is_slash:
        return chars
    out = chars.minus(CharSet.of(_BACKSLASH))
    if _SLASH in chars:
        out = out.union(CharSet.of(_BACKSLASH))
    return out


# --------------------------------------------------------------------------
# A tiny regular-expression AST.  ``None`` is the empty language.

Node = Optional[tuple]
EPS: tuple = ("eps",)


def sym(chars: CharSet) -> Node:
    return ("set", chars) if chars else None


def cat(*parts: Node) -> Node:
    flat: list[tuple] = []
    for part in parts:
        if part is None:
            return None
        if part[0] == "cat":
            flat.extend(part[1])
        elif part[0] != "eps":
            flat.append(part)
    if not flat:
        return EPS
    return flat[0] if len(flat) == 1 else ("cat", tuple(flat))


def alt(*parts: Node) -> Node:
    merged: Optional[CharSet] = None
    others: list[tuple] = []
    for part in parts:
        if part is None:
            continue
        items = part[1] if part[0] == "alt" else (part,)
        for item in items:
            if item[0] == "set":
                merged = item[1] if merged is None else merged.union(item[1])
            elif item not in others:
                others.append(item)
    out = ([("set", merged)] if merged is not None else []) + others
    if not out:
        return None
    return out[0] if len(out) == 1 else ("alt", tuple(out))


def star(part: Node) -> tuple:
    if part is None or part[0] == "eps":
        return EPS
    if part[0] == "star":
        return part
    if part[0] == "alt" and EPS in part[1]:
        return star(alt(*(p for p in part[1] if p != EPS)))
    return ("star", part)


def literal(text: str) -> Node:
    return cat(*(sym(CharSet.of(c)) for c in text))


# --------------------------------------------------------------------------
# Rendering to RE2 syntax


def _escape_char(point: int) -> str:
    """One literal character outside a class: ASCII letters and digits as
    they are, other ASCII with a backslash, non-ASCII passed through."""
    char = chr(point)
    if point < 0x80:
        return char if char.isalnum() else "\\" + char
    return char


def _class_item(point: int) -> str:
    """One class member: ASCII letters and digits as they are, printable
    ASCII punctuation with a backslash, everything else as ``\\x{HEX}``."""
    char = chr(point)
    if point < 0x80 and char.isalnum():
        return char
    if 0x20 < point < 0x7F:
        return "\\" + char
    return "\\x{%X}" % point


def _render_class(chars: CharSet) -> str:
    def body(cs: CharSet) -> str:
        parts = []
        for lo, hi in cs.iv:
            if lo == hi:
                parts.append(_class_item(lo))
            elif hi == lo + 1:
                parts.append(_class_item(lo) + _class_item(hi))
            else:
                parts.append(_class_item(lo) + "-" + _class_item(hi))
        return "".join(parts)

    if chars == _ALL:
        return "."
    if len(chars.iv) == 1 and chars.iv[0][0] == chars.iv[0][1]:
        return _escape_char(chars.iv[0][0])
    inverse = chars.complement()
    if len(inverse.iv) < len(chars.iv):
        return "[^" + body(inverse) + "]"
    return "[" + body(chars) + "]"


def _raw_tree(node: Node, raw: bool) -> Node:
    """Rewrite every character set to the raw input characters it accepts."""
    if node is None or not raw:
        return node
    kind = node[0]
    if kind == "set":
        return sym(_rawify(node[1], raw))
    if kind == "cat":
        return cat(*(_raw_tree(p, raw) for p in node[1]))
    if kind == "alt":
        return alt(*(_raw_tree(p, raw) for p in node[1]))
    if kind == "star":
        return star(_raw_tree(node[1], raw))
    return node


_NOTHING = "(?s)[^\\x00-\\x{10FFFF}]"


def _render(node: tuple) -> tuple[str, int]:
    """(text, precedence): 0 alternation, 1 concatenation, 2 atom."""
    kind = node[0]
    if kind == "set":
        return _render_class(node[1]), 2
    if kind == "eps":
        return "(?:)", 2
    if kind == "cat":
        out = []
        for part in node[1]:
            text, prec = _render(part)
            out.append(text if prec >= 1 else f"(?:{text})")
        return "".join(out), 1
    if kind == "alt":
        optional = EPS in node[1]
        texts = [_render(p)[0] for p in node[1] if p != EPS]
        if optional:
            if len(texts) == 1:
                inner, prec = _render(next(p for p in node[1] if p != EPS))
                return (inner if prec == 2 else f"(?:{inner})") + "?", 1
            return "(?:" + "|".join(texts) + ")?", 1
        return "|".join(texts), 0
    if kind == "star":
        text, prec = _render(node[1])
        return (text if prec == 2 else f"(?:{text})") + "*", 1
    raise AssertionError(kind)


def _emit(node: Node, raw: bool) -> Optional[str]:
    node = _raw_tree(node, raw)
    if node is None:
        return None
    text = "(?s)" + _render(node)[0]
    if len(text) > MAX_EXPRESSION_CHARS:
        raise FallbackRequired(f"expression of {len(text)} characters")
    return text


def anchored(expression: str) -> str:
    """``expression`` wrapped for an unanchored search API: ``^(?:...)$``
    (without ``(?m)``, RE2's ``$`` matches only at the end of the text)."""
    return f"^(?:{expression})$"


# --------------------------------------------------------------------------
# First occurrence of a fixed-length chunk (Go filepath.Match star placement)


def _atoms(units: tuple[CharSet, ...]) -> list[tuple[CharSet, tuple[bool, ...], bool]]:
    """Coarsest partition of all characters by membership in each unit and
    by being ``/``: (characters, membership per unit, is slash)."""
    cuts = {0, _MAX_CP + 1, _SLASH, _SLASH + 1}
    for unit in units:
        for lo, hi in unit.iv:
            cuts.add(lo)
            cuts.add(hi + 1)
    points = sorted(cuts)
    groups: dict[tuple, list[tuple[int, int]]] = {}
    for lo, nxt in zip(points, points[1:]):
        signature = (tuple(lo in unit for unit in units), lo == _SLASH)
        groups.setdefault(signature, []).append((lo, nxt - 1))
    return [(CharSet(iv), sig[0], sig[1]) for sig, iv in groups.items()]


@lru_cache(maxsize=1024)
def _first_occurrence(units: tuple[CharSet, ...]) -> Node:
    """The strings ``w c`` where ``w`` has no ``/``, ``c`` matches the chunk
    ``units`` (one character set per position), and the chunk matches at no
    position inside ``w``: what a star followed by this chunk consumes in
    Go's filepath.Match, which takes the leftmost placement and never
    revisits it.  Prefix-free, so concatenations of these stay unambiguous.

    DFA state: (positions k such that the last k characters match the first
    k units from an allowed start, whether a ``/`` was read).  After a ``/``
    no new start is allowed (it would be inside ``w``).  The accept state
    has no way out: the first completion ends the language's strings.
    """
    size = len(units)
    atoms = _atoms(units)
    start = (frozenset(), False)
    states = {start: 0}
    order = [start]
    delta: list[list[object]] = []  # per state, per atom: state, "F" or None (dead)
    index = 0
    while index < len(order):
        alive, slashed = order[index]
        index += 1
        row: list[object] = []
        for chars, member, is_slash in atoms:
            bases = set(alive) if slashed else set(alive) | {0}
            following = frozenset(k + 1 for k in bases if member[k])
            if size in following:
                row.append("F")
                continue
            state = (following, slashed or is_slash)
            if not following and state[1]:
                row.append(None)
                continue
            if state not in states:
                if len(states) >= 4 * MAX_DFA_STATES:
                    raise FallbackRequired(f"first-occurrence DFA above {MAX_DFA_STATES} states")
                states[state] = len(states)
                order.append(state)
            row.append(states[state])
        delta.append(row)
    block = _minimize(delta)
    count = max(block) + 1
    if count > MAX_DFA_STATES:
        raise FallbackRequired(f"first-occurrence DFA above {MAX_DFA_STATES} states")
    edges: dict[tuple[int, object], Node] = {}
    done = set()
    for source, row in enumerate(delta):
        if block[source] in done:
            continue
        done.add(block[source])
        for (chars, _, _), target in zip(atoms, row):
            if target is None:
                continue
            key = (block[source], target if target == "F" else block[target])
            edges[key] = alt(edges.get(key), sym(chars))
    return _eliminate(edges, block[0], "F", count)


def _minimize(delta: list[list[object]]) -> list[int]:
    """Moore partition refinement of a DFA whose only accepting state is the
    sink ``"F"`` (targets: state index, ``"F"`` or None for dead).  Returns
    the block number of each state, numbered by first appearance."""
    block = [0] * len(delta)
    count = 1
    while True:
        signatures: dict[tuple, int] = {}
        refined = []
        for source, row in enumerate(delta):
            key = (block[source],) + tuple(t if t is None or t == "F" else block[t] for t in row)
            refined.append(signatures.setdefault(key, len(signatures)))
        if len(signatures) == count:
            return refined
        block, count = refined, len(signatures)


def _eliminate(edges: dict, start: object, final: object, count: int) -> Node:
    """State elimination (Brzozowski-McCluskey) on a GNFA whose edges carry
    AST nodes; returns the expression for the paths ``start`` -> ``final``.
    The next state eliminated is the one whose removal writes the least."""
    begin = "S"
    graph: dict = dict(edges)
    graph[(begin, start)] = EPS
    remaining = set(range(count))
    sizes: dict = {}

    def weight(q: int) -> int:
        ins = [_tree_size(e, sizes) for (a, b), e in graph.items() if b == q and a != q]
        outs = [_tree_size(e, sizes) for (a, b), e in graph.items() if a == q and b != q]
        loop = _tree_size(graph.get((q, q)), sizes)
        return (sum(ins) * len(outs) + sum(outs) * len(ins) + loop * len(ins) * len(outs)
                - sum(ins) - sum(outs) - loop)

    while remaining:
        q = min(sorted(remaining), key=weight)
        remaining.discard(q)
        loop = star(graph.pop((q, q), None))
        ins = [(a, e) for (a, b), e in graph.items() if b == q]
        outs = [(b, e) for (a, b), e in graph.items() if a == q]
        for a, _ in ins:
            del graph[(a, q)]
        for b, _ in outs:
            del graph[(q, b)]
        for a, e_in in ins:
            for b, e_out in outs:
                edge = alt(graph.get((a, b)), cat(e_in, loop, e_out))
                if _tree_size(edge, sizes) > MAX_EXPRESSION_CHARS:
                    raise FallbackRequired("first-occurrence expression too large")
                graph[(a, b)] = edge
    return graph.get((begin, final))


def _tree_size(node: Node, memo: dict) -> int:
    """About the length of ``node`` rendered (shared parts counted each time)."""
    if node is None:
        return 0
    key = id(node)
    if key in memo:
        return memo[key][0]
    if node[0] in ("cat", "alt"):
        size = len(node[1]) - 1 + 4 + sum(_tree_size(p, memo) for p in node[1])
    elif node[0] == "star":
        size = 5 + _tree_size(node[1], memo)
    elif node[0] == "set":
        size = len(_render_class(node[1]))
    else:
        size = 4
    memo[key] = (size, node)  # keeps ``node`` alive so its id stays unique
    return size


# --------------------------------------------------------------------------
# Units of a parsed glob


def _class_set(token: CharClass) -> CharSet:
    inside = CharSet((ord(lo), ord(hi)) for lo, hi in token.ranges)
    return inside.complement() if token.negated else inside


def _unit_sets(glob: Glob, automaton: bool) -> list[Optional[CharSet]]:
    """One entry per unit: the characters it consumes, or None for a star
    (``"*"``) / ``"**"`` marker strings.  In the path automaton a class never
    matches ``/``; in the classic glob (``automaton=False``) it may."""
    out: list = []
    for token in glob.tokens:
        if isinstance(token, Literal):
            out.extend(CharSet.of(c) for c in token.text)
        elif isinstance(token, Question):
            out.append(_NOT_SLASH)
        elif isinstance(token, CharClass):
            chars = _class_set(token)
            out.append(chars.intersect(_NOT_SLASH) if automaton else chars)
        elif isinstance(token, Star):
            out.append("*")
        elif isinstance(token, DoubleStar):
            out.append("**")
    return out


def _automaton(glob: Glob) -> Node:
    """The path automaton: a plain concatenation."""
    parts = []
    for unit in _unit_sets(glob, automaton=True):
        if unit == "**":
            parts.append(star(sym(_ALL)))
        elif unit == "*":
            parts.append(star(sym(_NOT_SLASH)))
        else:
            parts.append(sym(unit))
    return cat(*parts)


def _segment(glob: Glob) -> Node:
    """The classic single-segment glob with Go's leftmost, non-backtracking
    chunk placement (see ``glob._run_segment``)."""
    units_all = _unit_sets(glob, automaton=False)
    chunks: list[tuple[bool, list[CharSet]]] = []
    index = 0
    while index < len(units_all):  # as glob._chunks
        is_starred = False
        while index < len(units_all) and isinstance(units_all[index], str):
            is_starred = True
            index += 1
        body: list[CharSet] = []
        while index < len(units_all) and not isinstance(units_all[index], str):
            body.append(units_all[index])
            index += 1
        chunks.append((is_starred, body))
    if not chunks:
        return EPS

    def ambiguous(units: list[CharSet]) -> bool:
        # a unit that can match '/' and something else breaks greedy placement
        return any(_SLASH in u and u != _SLASH_SET for u in units)

    last_bad = -1
    for number, (is_starred, units) in enumerate(chunks[:-1]):
        if is_starred and ambiguous(units):
            last_bad = number
    free_run = star(sym(_NOT_SLASH))
    parts: list[Node] = []
    for number, (is_starred, units) in enumerate(chunks):
        fixed = cat(*(sym(u) for u in units))
        if not is_starred:
            parts.append(fixed)
        elif number <= last_bad:
            if any(not u for u in units):
                return None
            parts.append(_first_occurrence(tuple(units)))
        else:
            parts.append(cat(free_run, fixed))
    return cat(*parts)


# --------------------------------------------------------------------------
# Flavours


def _parse(text: str, start: str) -> Optional[Glob]:
    try:
        return parse_glob(text, start)  # type: ignore[arg-type]
    except PatternError:
        return None


def _path_language(pattern: str) -> Node:
    """``_path_automaton``: the automaton, or for a leading ``**/`` also the
    automaton of the rest; a malformed pattern matches nothing."""
    glob = _parse(pattern, "nfa")
    if glob is None:
        return None
    node = _automaton(glob)
    if pattern.startswith("**/"):
        rest = _parse(pattern[3:], "nfa")
        node = alt(node, _automaton(rest) if rest is not None else None)
    return node


def _over_limits(pattern: str) -> bool:
    size = utf8_len(pattern)
    return (pattern == "" or size > MAX_GLOB_PATTERN_BYTES
            or ("**" in pattern and size > MAX_DOUBLESTAR_PATTERN_BYTES))


def _command_language(source: str) -> Node:
    if _over_limits(source):
        return None
    pattern = source.replace("\\", "/")
    if pattern == "*":
        return star(sym(_ALL))
    if "**" in pattern:
        if pattern.count("**") > MAX_DOUBLESTARS:
            return None
        return _path_language(pattern)
    anything = star(sym(_ALL))
    prefix = cat(literal(pattern[:-1]), anything) if pattern.endswith("*") else None
    if prefix is not None and not any(c in pattern[:-1] for c in "*?["):
        return prefix  # the classic glob `literal*` only accepts a subset
    if pattern.startswith("*"):
        pieces = [literal(p) for p in pattern.split("*") if p]
        chain = cat(anything, *(cat(p, anything) for p in pieces))
        return alt(prefix, chain)
    glob = _parse(pattern, "segment")
    return alt(prefix, _segment(glob) if glob is not None else None)


def _path_glob_language(source: str) -> Node:
    if _over_limits(source):
        return None
    pattern = source.replace("\\", "/")
    if pattern.count("**") > MAX_DOUBLESTARS:
        return None
    return _path_language(pattern)


def _domain_language(source: str) -> Node:
    pattern = normalize_domain(source)
    if not pattern:
        return None
    glob = _parse(pattern, "domain")
    if glob is None:
        return None
    if all(isinstance(t, Star) for t in glob.tokens):
        # a lone star: anything without '/', but never the empty domain
        return cat(sym(_NOT_SLASH), star(sym(_NOT_SLASH)))
    return _segment(glob)


_FLAVORS = {
    "command": (_command_language, True),
    "path": (_path_glob_language, True),
    "domain": (_domain_language, False),
}


@lru_cache(maxsize=8192)
def lower_glob(source: str, flavor: str) -> Optional[str]:
    """RE2 expression (for ``ANCHOR_BOTH`` / ``re2.fullmatch``) accepting
    exactly the inputs the direct matcher accepts:

    * ``"command"``: :func:`match_command_glob` (command, url, session, agent,
      tool and tool-param fields), on the raw input;
    * ``"path"``: :func:`match_path_glob`, on the raw (already cleaned) path;
    * ``"domain"``: :func:`match_domain_glob`, on ``normalize_domain(input)``.

    None when the pattern matches nothing at all: empty (after domain
    normalization), over the byte limits (command/path; domain patterns have
    no bounds), more than two ``**``, malformed (unclosed or empty class,
    bare ``-`` in a classic class, reversed range in an automaton class), or
    built only of empty classes.  Raises :class:`FallbackRequired` (see
    :func:`needs_fallback`) and ValueError for an unknown flavour.
    """
    try:
        language, raw = _FLAVORS[flavor]
    except KeyError:
        raise ValueError(f"unknown glob flavor {flavor!r}") from None
    return _emit(language(source), raw)


def lower_folded(source: str, flavor: str) -> Optional[str]:
    """The case-folded variant: an expression to be matched against
    ``go_lower(value)`` that accepts it exactly when the direct matcher
    accepts ``(go_lower(source), go_lower(value))``.  It is
    ``lower_glob(go_lower(source), flavor)``; for ``domain`` (already
    folded) it equals ``lower_glob(source, "domain")``."""
    return lower_glob(go_lower(source), flavor)


# --------------------------------------------------------------------------
# command_contains


#: Go's one-to-one ``strings.ToLower`` (``canonicalize._lower``).
_go_lower = go_lower


@lru_cache(maxsize=1)
def _upper_sources() -> dict[str, CharSet]:
    """For each character ``c``: every character ``x != c`` with
    ``_go_lower(x) == c``."""
    table: dict[str, list[int]] = {}
    for point in range(_MAX_CP + 1):
        if 0xD800 <= point <= 0xDFFF:
            continue
        char = chr(point)
        low = _go_lower(char)
        if low != char and len(low) == 1:
            table.setdefault(low, []).append(point)
    return {low: CharSet.of(*points) for low, points in table.items()}


def _fold_set(char: str) -> CharSet:
    """Every single character whose lowering is ``char``."""
    chars = CharSet.of(char) if _go_lower(char) == char else CharSet()
    return chars.union(_upper_sources().get(char, CharSet()))


def lower_substring(needle: str, fold: bool = True) -> str:
    """``command_contains``: an expression accepting a raw command exactly
    when ``_lower(needle) in _lower(command)`` (``canonicalize._lower``: Go's
    simple lower-casing) — ``(?s).*NEEDLE.*`` where each needle character is
    the class of every character that lower-cases to it (so ``k`` is
    ``[Kk\\x{212A}]``; unlike ``(?i)``, ``ſ`` does not match ``s``).  An
    empty needle matches everything.  ``fold=False`` gives the case-sensitive
    substring used on the granting side (there an empty needle matches
    nothing: returns an expression matching nothing)."""
    anything = star(sym(_ALL))
    if not fold:
        if not needle:
            return _NOTHING
        return _emit(cat(anything, literal(needle), anything), False) or ""
    low = _go_lower(needle)
    parts = []
    for char in low:
        chars = _fold_set(char)
        if not chars:  # nothing lower-cases to this character: never found
            return _NOTHING
        parts.append(sym(chars))
    return _emit(cat(anything, *parts, anything), False) or ""


# --------------------------------------------------------------------------


def needs_fallback(source: str, flavor: str, *, folded: bool = False) -> bool:
    """Whether the runtime must keep the direct matcher for this pattern
    (:func:`lower_glob` / :func:`lower_folded` / :func:`lower_substring`
    would raise :class:`FallbackRequired`).  ``flavor`` is ``command``,
    ``path``, ``domain`` or ``substring``.  True only for a classic-glob
    chunk whose first-occurrence DFA exceeds ``MAX_DFA_STATES`` or an
    expression longer than ``MAX_EXPRESSION_CHARS``."""
    try:
        if flavor == "substring":
            lower_substring(source)
        elif folded:
            lower_folded(source, flavor)
        else:
            lower_glob(source, flavor)
    except FallbackRequired:
        return True
    return False
