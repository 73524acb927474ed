"""Regular languages of field values, as interegular finite-state machines.

A :class:`Language` is a set of strings (a field value as the matcher sees
it). It is built from the glob's regular-expression tree that
:mod:`policyc.patterns.lower` derives for codegen (the same tree the RE2
expression is rendered from, so the language is exactly what the direct
matcher accepts), rendered in the Python regex syntax interegular parses, and
determinised by interegular. Why interegular and not greenery or our own
automata: ``docs/analysis.md``.

Operations: :func:`union`, :func:`intersect`, :func:`difference`,
:func:`is_empty`, :func:`includes` and :func:`shortest_witness`.  A character
class that neither it nor its complement lists in at most
``MAX_EXPLICIT_CHARS`` characters cannot be handed to interegular (it
enumerates class members); building such a language raises
:class:`Unsupported`, and callers make no claim about that pattern.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

import interegular
from interegular.fsm import FSM, Alphabet, anything_else

from policyc.patterns import lower as _lower

#: Largest class (or complement of a class) rendered for interegular.
MAX_EXPLICIT_CHARS = 512

# Characters a witness prefers, best first: they read well in a terminal and
# in JSON and mean nothing special to a shell, a path or a URL.
_READABLE = "abcdefghijklmnopqrstuvwxyz0123456789-_.ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PRINTABLE = _READABLE + "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in _READABLE)


class Unsupported(ValueError):
    """The pattern's language is regular but not one we can build here."""


@dataclass(frozen=True, eq=False)
class Language:
    """A regular language over Unicode strings (immutable)."""

    fsm: FSM

    def accepts(self, text: str) -> bool:
        """Whether ``text`` is in the language."""
        return self.fsm.accepts(text)


def _nothing_fsm() -> FSM:
    return FSM(alphabet=Alphabet({anything_else: 0}), states={0}, initial=0, finals=set(), map={0: {}})


NOTHING = Language(_nothing_fsm())
ANYTHING = Language(interegular.parse_pattern("[^]*").to_fsm())


def regex_language(expression: str) -> Language:
    """The language of a full match of a Python-syntax ``expression`` that
    interegular accepts (a small helper for syntax languages such as
    "clean paths"). Raises :class:`Unsupported` for syntax it refuses."""
    try:
        return Language(interegular.parse_pattern(expression).to_fsm())
    except (interegular.Unsupported, interegular.InvalidSyntax) as exc:
        raise Unsupported(str(exc)) from None


# ------------------------------------------------------------ from trees


def _char(point: int) -> str:
    return "\\x%02x" % point if point < 0x100 else chr(point)


def _class(chars: _lower.CharSet) -> str:
    def body(cs: _lower.CharSet) -> str:
        return "".join(_char(lo) if lo == hi else f"{_char(lo)}-{_char(hi)}" for lo, hi in cs.iv)

    if chars.size() <= MAX_EXPLICIT_CHARS:
        return f"[{body(chars)}]"
    inverse = chars.complement()
    if inverse.size() <= MAX_EXPLICIT_CHARS:
        return f"[^{body(inverse)}]"
    raise Unsupported("a character class too large to enumerate")


def _render(node: tuple) -> str:
    kind = node[0]
    if kind == "set":
        return _class(node[1])
    if kind == "eps":
        return "(?:)"
    if kind == "cat":
        return "".join(_render(p) for p in node[1])
    if kind == "alt":
        return "(?:" + "|".join(_render(p) for p in node[1]) + ")"
    if kind == "star":
        return f"(?:{_render(node[1])})*"
    raise AssertionError(kind)


def tree_language(node: _lower.Node) -> Language:
    """The language of a :mod:`policyc.patterns.lower` expression tree
    (``None`` is the empty language)."""
    if node is None:
        return NOTHING
    return regex_language(_render(node))


@lru_cache(maxsize=8192)
def glob_language(source: str, flavor: str) -> Language:
    """Exactly the inputs :func:`policyc.patterns.lower.lower_glob` accepts
    for ``(source, flavor)`` (``command``, ``path`` or ``domain``): raw inputs
    for command and path (``\\`` behaves as ``/``), normalized domains for
    domain. Raises :class:`Unsupported` when the lowering falls back to the
    direct matcher or a class is too large."""
    language, raw = _lower._FLAVORS[flavor]
    try:
        return tree_language(_lower._raw_tree(language(source), raw))
    except _lower.FallbackRequired as exc:
        raise Unsupported(str(exc)) from None


@lru_cache(maxsize=1024)
def substring_language(needle: str) -> Language:
    """``command_contains`` on the raw command: the commands containing
    ``needle`` case-insensitively (Go's simple lower-casing), as
    :func:`policyc.patterns.lower.lower_substring` defines it."""
    low = _lower._go_lower(needle)
    if "\u03c3" in low or "\u03c2" in low:
        raise Unsupported("needle with a Greek sigma (context-dependent lower-casing)")
    anything = _lower.star(_lower.sym(_lower.CharSet([(0, 0x10FFFF)])))
    parts = [_lower.sym(_lower._fold_set(c)) for c in low]
    return tree_language(_lower.cat(anything, *parts, anything))


# ------------------------------------------------------------ operations


#: Work budgets. interegular's product construction costs about the square
#: of the states it builds; a union of many patterns (a policy listing dozens
#: of commands) can build thousands and take minutes. Past these bounds an
#: operation raises :class:`Unsupported` and callers make no claim.
MAX_UNION_STATES = 400  # sum of the operands' states
MAX_PRODUCT_STATES = 100_000  # product of the two operands' states


def _budget(*languages: Language, limit: int, combine) -> None:
    size = combine(len(lang.fsm.states) for lang in languages)
    if size > limit:
        raise Unsupported(f"automaton too large to analyse ({size} > {limit} states)")


def union(*languages: Language) -> Language:
    """Strings in any of ``languages`` (none: the empty language). Raises
    :class:`Unsupported` past ``MAX_UNION_STATES``."""
    if not languages:
        return NOTHING
    if len(languages) == 1:
        return languages[0]
    _budget(*languages, limit=MAX_UNION_STATES, combine=sum)
    return Language(FSM.union(*(lang.fsm for lang in languages)))


def concat(*languages: Language) -> Language:
    """Concatenations of one string of each of ``languages``, in order."""
    return Language(FSM.concatenate(*(lang.fsm for lang in languages)))


def intersect(a: Language, b: Language) -> Language:
    """Strings in both ``a`` and ``b``. Raises :class:`Unsupported` past
    ``MAX_PRODUCT_STATES``."""
    _budget(a, b, limit=MAX_PRODUCT_STATES, combine=math.prod)
    return Language(a.fsm & b.fsm)


def difference(a: Language, b: Language) -> Language:
    """Strings in ``a`` but not in ``b``. Raises :class:`Unsupported` past
    ``MAX_PRODUCT_STATES``."""
    _budget(a, b, limit=MAX_PRODUCT_STATES, combine=math.prod)
    return Language(a.fsm - b.fsm)


def is_empty(a: Language) -> bool:
    """Whether ``a`` has no string at all."""
    return a.fsm.empty()


def includes(a: Language, b: Language) -> bool:
    """Whether ``a`` includes ``b``: every string of ``b`` is in ``a``."""
    return is_empty(difference(b, a))


def _symbol_choice(symbols: list, explicit: frozenset[str]) -> Optional[str]:
    """The most readable character standing for one transition."""
    if anything_else in symbols:
        for char in _PRINTABLE:
            if char not in explicit:
                return char
        return next(chr(p) for p in range(0x100, 0x10FFFF) if chr(p) not in explicit)
    chars = [s for s in symbols if isinstance(s, str)]
    for char in _PRINTABLE:
        if char in chars:
            return char
    return min(chars) if chars else None


def shortest_witness(a: Language) -> Optional[str]:
    """A shortest string of ``a``, or ``None`` when ``a`` is empty. Among the
    shortest, characters are chosen readable first (lower-case letters,
    digits, ``-_.``, upper-case letters, other printable ASCII) and the
    search is breadth-first, so the result is deterministic."""
    fsm = a.fsm
    explicit = frozenset(s for s in fsm.alphabet if s is not anything_else)
    choice = {key: _symbol_choice(symbols, explicit) for key, symbols in fsm.alphabet.by_transition.items()}
    rank = {char: index for index, char in enumerate(_PRINTABLE)}
    seen = {fsm.initial}
    queue = deque([(fsm.initial, "")])
    while queue:
        state, text = queue.popleft()
        if state in fsm.finals:
            return text
        moves = []
        for key, target in fsm.map.get(state, {}).items():
            char = choice.get(key)
            if char is not None and target not in seen:
                moves.append((rank.get(char, len(rank) + ord(char)), char, target))
        for _, char, target in sorted(moves):
            if target not in seen:
                seen.add(target)
                queue.append((target, text + char))
    return None
