"""Languages of patterns and field predicates (spec §4, §5).

Every glob is read in the flavour its field uses: command globs for command,
url, session, agent, tool and tool-parameter values; path globs for paths;
domain globs over normalized domains; ``command_contains`` needles as
case-insensitive substrings of the raw command. The OpenClaw toolkit's
action patterns (``PatternLanguage.ACTION``) are the engine's
``matchesPattern`` (:mod:`policyc.dialects.openclaw.patterns`): an exact
action, every action, a prefix or a suffix language; its agent ids
(``PatternLanguage.LITERAL``) are themselves.

``language_of(predicate, granting)`` gives one :class:`FieldLanguage`: the
field values a predicate accepts *on the raw value*, and whether that is the
predicate's exact meaning. It is exact for url, domain, session,
tool-parameter and action predicates. For commands and paths a rule matches *spellings*
of the value (spec §5 canonicalization; path spellings and case folding,
§4), so the raw-value language is only a guide for building witnesses; every
claim built on it is replayed with the reference evaluator. Proofs about
commands and paths go through :mod:`policyc.analysis.implication`, which
reasons on the spelling sets and says which side (restrictive or granting) it
takes.

Work budget (:mod:`policyc.analysis.budget`): a pattern longer than
``MAX_ANALYSED_CHARS`` characters is refused (:func:`admit`) before any
sampling or automaton, and every direct match charges steps in proportion
to the pattern's length times the value's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Optional

from policyc import canonicalize
from policyc.dialects.openclaw import patterns as action_patterns
from policyc.ir import Field, FieldPredicate, Pattern, PatternLanguage
from policyc.patterns import match_command_glob, match_domain_glob, match_path_glob
from policyc.patterns.glob import MAX_DOUBLESTAR_PATTERN_BYTES, MAX_DOUBLESTARS, MAX_GLOB_PATTERN_BYTES
from policyc.patterns.grammars import utf8_len

from . import budget as _budget
from .automata import (
    ANYTHING, NOTHING, Language, Unsupported, affix_language, difference, glob_language, includes,
    intersect, is_empty, regex_language, substring_language, union,
)
from .errors import BudgetExceeded

_FLAVOR = {PatternLanguage.COMMAND_GLOB: "command", PatternLanguage.PATH_GLOB: "path",
           PatternLanguage.DOMAIN_GLOB: "domain"}
_META = set("*?[\\")


def match_cost(pattern: Pattern, value: str) -> int:
    """Steps charged for one direct match of ``pattern`` on ``value``:
    measured on the corpora's patterns and samples, about 3.5 µs for a glob
    (0.7 µs for a needle) plus a term in the pattern's length times the
    value's, steepest for globs with ``**`` (the path automaton)."""
    size = len(pattern.source) * (len(value) + 1)
    if pattern.language is PatternLanguage.SUBSTRING:
        return 8 + size // 64
    return 40 + size // 2 if "**" in pattern.source else 35 + size // 16


#: Longest pattern (characters) the analysis samples or builds an automaton
#: for; the corpora's longest glob has 67 characters, the engine accepts
#: globs of 8192 bytes.
MAX_ANALYSED_CHARS = 512


def admissible(pattern: Pattern) -> bool:
    """Whether ``pattern`` is short enough to analyse (``MAX_ANALYSED_CHARS``)."""
    return len(pattern.source) <= MAX_ANALYSED_CHARS


def admit(pattern: Pattern) -> None:
    """Refuse (:class:`~policyc.analysis.errors.BudgetExceeded`, scope
    ``item``) a pattern that is not :func:`admissible`."""
    if not admissible(pattern):
        _budget.refuse(f"a pattern of {len(pattern.source)} characters is too long to analyse "
                       f"(at most {MAX_ANALYSED_CHARS})")


def pattern_language(pattern: Pattern, *, folded: bool = False) -> Language:
    """The values ``pattern`` matches, in its own language (spec §4).

    ``folded`` reads the pattern lower-cased, as path predicates and
    tool-parameter values also try (the result is then a language over
    lower-cased values). Raises :class:`Unsupported` for response regexes
    (they are searched, not matched, and never analysed here) and for globs
    the automata cannot hold, :class:`BudgetExceeded` for patterns
    :func:`admit` refuses and automata past the budget.
    """
    admit(pattern)
    if pattern.language is PatternLanguage.SUBSTRING:
        return substring_language(pattern.source)
    if pattern.language is PatternLanguage.LITERAL:
        return affix_language(pattern.source)
    if pattern.language is PatternLanguage.ACTION:
        shape = action_patterns.shape(pattern.source)
        return affix_language(shape.text, before=shape.kind in ("any", "suffix"),
                              after=shape.kind in ("any", "prefix"))
    flavor = _FLAVOR.get(pattern.language)
    if flavor is None:
        raise Unsupported("response regexes are not analysed")
    source = pattern.source.lower() if folded else pattern.source
    if flavor != "domain":
        source = source.replace("\\", "/")  # the same language (both sides read \ as /): one automaton
    return glob_language(source, flavor)


def patterns_language(patterns: Iterable[Pattern], *, folded: bool = False) -> Language:
    """The union of :func:`pattern_language` over ``patterns``."""
    return union(*(pattern_language(p, folded=folded) for p in patterns))


# ----------------------------------------------------------- field syntax

#: Paths as the evaluator compares them: cleaned (spec §4; no empty, ``.``
#: or ``..``-after-a-name segments, no trailing ``/``), ``/`` separators.
_SEGMENT = r"(?:[^/\\.][^/\\]*|\.[^/\\.][^/\\]*|\.\.[^/\\]+)"
CLEAN_PATH_REGEX = rf"/|/{_SEGMENT}(?:/{_SEGMENT})*|\.|(?:\.\./)*\.\.|(?:\.\./)*{_SEGMENT}(?:/{_SEGMENT})*"
#: Host names as ``domain_matches`` compares them (lower-case, no ``/``).
HOST_REGEX = r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?"
#: Normalized ``domain`` values (spec §4): lower-cased, never empty, and
#: taken to be host names, so without ``/`` (a ``domain`` parameter is
#: expected to hold a host name, as the url's host does).
DOMAIN_REGEX = r"[^/A-Z]+"
#: An absolute URL: a scheme, then ``:``.
URL_REGEX = r"[A-Za-z][A-Za-z0-9+.\-]*:[^]*"
#: A one-component command with no shell syntax: its only spelling that
#: matters is itself (spec §5), so witnesses prefer it.
SIMPLE_COMMAND_REGEX = r"[a-z0-9_./=:@%+,-](?:[a-zA-Z0-9_./=:@%+,* -]*[a-zA-Z0-9_./=:@%+,*-])?"
#: Printable ASCII.
PRINTABLE_REGEX = r"[\x20-\x7e]*"


@lru_cache(maxsize=None)
def syntax(name: str) -> Language:
    """A named field-syntax language: ``clean-path``, ``host``, ``domain``, ``url``,
    ``simple-command`` or ``printable``."""
    return regex_language({"clean-path": CLEAN_PATH_REGEX, "host": HOST_REGEX, "url": URL_REGEX, "domain": DOMAIN_REGEX,
                           "simple-command": SIMPLE_COMMAND_REGEX, "printable": PRINTABLE_REGEX}[name])


# ------------------------------------------------------- field predicates


@dataclass(frozen=True)
class FieldLanguage:
    """The raw field values a predicate accepts (``language``), and whether
    that is its exact meaning (``exact``) or a guide for witnesses only.
    ``None`` as language: the predicate constrains nothing (it has no
    positive pattern and is skipped by the evaluator)."""

    field: Field
    language: Optional[Language]
    exact: bool


def _positive(pred: FieldPredicate) -> bool:
    return bool(pred.patterns)


def language_of(pred: FieldPredicate, granting: bool) -> FieldLanguage:
    """The raw-value language of a field predicate on one side (``granting``:
    an allow rule; else restrictive), see the module docstring. Raises
    :class:`Unsupported` for response predicates and unanalysable globs."""
    if pred.field is Field.SESSION and not pred.patterns:
        return FieldLanguage(pred.field, difference(ANYTHING, patterns_language(pred.exclusions)), True)
    if not _positive(pred):
        return FieldLanguage(pred.field, None, True)
    if pred.field is Field.PARAM:
        return FieldLanguage(pred.field, patterns_language(pred.patterns, folded=True), True)
    positive = patterns_language(pred.patterns)
    exact = pred.field in (Field.URL, Field.DOMAIN, Field.SESSION, Field.ACTION)
    if pred.exclusions:
        positive = difference(positive, patterns_language(pred.exclusions))
    return FieldLanguage(pred.field, positive, exact)


# ------------------------------------------------------------ inclusion


def matches(pattern: Pattern, value: str, *, folded: bool = False) -> bool:
    """The direct (reference) matcher of ``pattern``'s language on ``value``
    (``folded``: both lower-cased, as path and tool-parameter fields also
    try). Response regexes never match here. Charges :func:`match_cost`."""
    _budget.charge(match_cost(pattern, value))
    source = pattern.source.lower() if folded else pattern.source
    value = value.lower() if folded else value
    if pattern.language is PatternLanguage.ACTION:
        return action_patterns.matches(value, source)
    if pattern.language is PatternLanguage.LITERAL:
        return value == source
    if pattern.language is PatternLanguage.SUBSTRING:
        return canonicalize._lower(pattern.source) in canonicalize._lower(value)
    if pattern.language is PatternLanguage.PATH_GLOB:
        return match_path_glob(source, value)
    if pattern.language is PatternLanguage.DOMAIN_GLOB:
        return match_domain_glob(source, value)
    if pattern.language is PatternLanguage.COMMAND_GLOB:
        return match_command_glob(source, value)
    return False


@lru_cache(maxsize=8192)
def _samples(pattern: Pattern, folded: bool) -> tuple[str, ...]:
    """A few values ``pattern`` surely matches (checked with the direct
    matcher), made by filling its wildcards; used to refute inclusion
    without building automata."""
    if pattern.language in (PatternLanguage.SUBSTRING, PatternLanguage.LITERAL):
        return (pattern.source,)
    if pattern.language is PatternLanguage.ACTION:
        shape = action_patterns.shape(pattern.source)
        filled = {"any": "a", "prefix": shape.text + "a", "suffix": "a" + shape.text}.get(shape.kind)
        values = dict.fromkeys(v for v in (action_patterns.sample(pattern.source), filled) if v is not None)
        return tuple(v for v in values if matches(pattern, v))
    text = pattern.source.lower() if folded else pattern.source
    if pattern.language is not PatternLanguage.DOMAIN_GLOB:
        text = text.replace("\\", "/")  # the glob matchers read \ as /
    out = []
    for fill in ("", "a", "a/a"):
        out_chars, index = [], 0
        while index < len(text):
            char = text[index]
            if char == "*":
                while index < len(text) and text[index] == "*":
                    index += 1
                out_chars.append(fill)
                continue
            if char == "?":
                out_chars.append("a")
            elif char == "[":
                close = text.find("]", index + 2)
                inner = text[index + 1:close] if close > 0 else ""
                out_chars.append(inner[0] if inner and inner[0] != "^" else "~")  # `!` is no negation
                index = close if close > 0 else index
            else:
                out_chars.append(char)
            index += 1
        value = "".join(out_chars)
        if pattern.language is PatternLanguage.DOMAIN_GLOB:
            value = value.strip().lower().rstrip(".")
        if value not in out and matches(pattern, value, folded=folded):
            out.append(value)
    return tuple(out)


#: The last :func:`_samples` lookup: ``[pattern, folded, result]``.
_LAST_SAMPLES: list = [None, None, ()]


def _samples_of(pattern: Pattern, folded: bool) -> tuple[str, ...]:
    """:func:`_samples`, through which every lookup goes: a lookup that
    repeats the one just before it (the same pattern object) is answered
    without the LRU cache. That changes nothing the cache does (a repeated
    hit leaves its order as it is), so which lookups miss, and charge the
    budget for their matching, is the same as with every lookup made; only
    the pattern's hashing is saved (a list's pattern is compared with each
    other pattern of the list in turn)."""
    last = _LAST_SAMPLES
    if last[0] is pattern and last[1] == folded:
        return last[2]
    found = _samples(pattern, folded)
    last[0], last[1], last[2] = pattern, folded, found
    return found


def samples(pattern: Pattern) -> tuple[str, ...]:
    """Values ``pattern`` surely matches (its wildcards filled)."""
    return _samples_of(pattern, False)


def raw_accepts(pred: FieldPredicate, value: str) -> bool:
    """The predicate's patterns and exclusions read on the raw ``value``
    with the direct matchers (also folded for paths and tool parameters);
    exact for url, domain, session and tool parameters."""
    folds = (False, True) if pred.field in (Field.PATH, Field.PARAM) else (False,)

    def any_of(patterns) -> bool:
        return any(matches(p, value, folded=f) for p in patterns for f in folds)

    return (any_of(pred.patterns) or not pred.patterns) and not any_of(pred.exclusions)


@lru_cache(maxsize=8192)
def _path_ends(source: str) -> tuple[str, str]:
    """The literal start and end of a path glob, ``\\`` read as ``/``: the
    text before its first ``*``, ``?`` or ``[`` and after its last ``*``,
    ``?``, ``[`` or ``]``. Every value the glob matches starts and ends with
    them (the path automaton is anchored at both ends). A leading ``**/`` is
    also tried without it, so the end is the rest's."""
    text = source.replace("\\", "/")
    if text.startswith("**/"):
        return "", _path_ends(text[3:])[1]
    cut = [text.find(c) for c in "*?[" if c in text]
    start = text[:min(cut)] if cut else text
    last = max(text.rfind(c) for c in "*?[]")
    return start, text[last + 1:]


def _may_match(pattern: Pattern, value: str, folded: bool) -> bool:
    """False only when ``pattern`` surely does not match ``value`` (path
    globs whose literal start or end the value lacks): skips the matcher."""
    if pattern.language is not PatternLanguage.PATH_GLOB:
        return True
    start, end = _path_ends(pattern.source.lower() if folded else pattern.source)
    value = (value.lower() if folded else value).replace("\\", "/")
    return value.startswith(start) and value.endswith(end)


def refuted(pattern: Pattern, others: list[Pattern], *, folded: bool = False) -> bool:
    """A sample of ``pattern`` that none of ``others`` matches exists: so
    ``pattern`` is surely not subsumed by them (cheap, exact when True)."""
    return any(not any(_may_match(o, value, folded) and matches(o, value, folded=folded) for o in others)
               for value in _samples_of(pattern, folded))


def share_sample(a: list[Pattern], b: list[Pattern], *, folded: bool = False) -> bool:
    """A sample value of a pattern of ``a`` matched by ``b`` or the other
    way round: the two lists surely overlap (cheap; False proves nothing)."""
    return any(matches(q, value, folded=folded) for p in a for value in _samples_of(p, folded) for q in b) or \
        any(matches(q, value, folded=folded) for p in b for value in _samples_of(p, folded) for q in a)


def prefixes_meet(a: list[Pattern], b: list[Pattern]) -> bool:
    """Some pattern of ``a`` and some of ``b`` have literal prefixes one of
    which starts the other (case-insensitively): they may overlap. False
    proves they are disjoint. Charges one step per pair."""
    _budget.charge(len(a) * len(b))
    return any(_compatible(_prefix(p.source), _prefix(q.source)) for p in a for q in b)


def sample_in(pattern: Pattern, language: Language, *, folded: bool = False) -> bool:
    """Some sample value of ``pattern`` is in ``language`` (cheap)."""
    return any(language.accepts(v) for v in _samples_of(pattern, folded))


def _literal(source: str) -> bool:
    return not (_META & set(source))


@lru_cache(maxsize=8192)
def _prefix(source: str) -> str:
    out = []
    for char in source.lower():
        if char in _META:
            break
        out.append(char)
    return "".join(out)


def _compatible(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def _literal_matches(source: str, others: list[Pattern], folded: bool) -> bool:
    """``source`` taken as a value (patterns without glob syntax denote just
    themselves) against the direct matchers (charged as :func:`matches`)."""
    for other in others:
        _budget.charge(match_cost(other, source))
        if other.language is PatternLanguage.PATH_GLOB:
            if match_path_glob(other.source.lower() if folded else other.source,
                               source.lower() if folded else source):
                return True
        elif other.language is PatternLanguage.COMMAND_GLOB and match_command_glob(other.source, source):
            return True
    return False


def _automaton_text(pattern: Pattern, folded: bool) -> Optional[str]:
    """``pattern`` as the path automaton reads it (``\\`` as ``/``,
    lower-cased when ``folded``) when every value it matches goes through
    that automaton (a path glob, or a command glob with ``**``), within the
    matcher's bounds and without a ``[`` class; else None."""
    if pattern.language is not PatternLanguage.PATH_GLOB and not (
            pattern.language is PatternLanguage.COMMAND_GLOB and "**" in pattern.source):
        return None
    text = (pattern.source.lower() if folded else pattern.source).replace("\\", "/")
    if not text or "[" in text or text.count("**") > MAX_DOUBLESTARS \
            or utf8_len(text) > (MAX_DOUBLESTAR_PATTERN_BYTES if "**" in text else MAX_GLOB_PATTERN_BYTES):
        return None
    return text


def _covered_by_pieces(narrower: str, wider: str) -> bool:
    """Every value the path automaton matches with ``narrower`` it also
    matches with ``wider`` (both from :func:`_automaton_text`), shown
    without automata: the same text, or ``wider`` is literal pieces joined
    by ``**`` (so it matches exactly the values that start with its first
    piece, end with its last and hold the others in order between) and its
    pieces lie, in order, in the literal runs every value of ``narrower``
    shows (its text between ``*`` and ``?``; under a leading ``**/``, which
    is also tried without it, the second run minus its ``/``). False proves
    nothing."""
    if narrower == wider:
        return True
    pieces = wider.split("**")
    if len(pieces) < 2 or any("*" in p or "?" in p for p in pieces):
        return False
    runs = re.split(r"[*?]+", narrower)
    if len(runs) < 2:
        return False  # a literal narrower: the direct matcher decides it
    if narrower.startswith("**/"):
        runs[1] = runs[1][1:]
    first, *middle, last = pieces
    if not runs[0].startswith(first) or not runs[-1].endswith(last):
        return False
    runs[-1] = runs[-1][:len(runs[-1]) - len(last)]
    index, position = 0, len(first)
    for piece in middle:
        while (found := runs[index].find(piece, position)) < 0:
            index += 1
            if index == len(runs):
                return False
            position = 0
        position = found + len(piece)
    return True


def pattern_subsumed(pattern: Pattern, others: list[Pattern], *, folded: bool = False) -> bool:
    """Whether every value ``pattern`` matches is matched by one of ``others``
    (same pattern language). Exact; fast paths: an identical pattern, a
    literal pattern tried with the direct matcher, literal prefixes that
    cannot overlap, and, once the pattern's own automaton is built (so its
    budget is charged as before), a path-automaton glob covered by another's
    literal pieces (:func:`_covered_by_pieces`). Raises :class:`Unsupported` like :func:`pattern_language`
    (so also for a ``pattern`` :func:`admit` refuses, after the identity test).
    An action pattern is subsumed when one action pattern of ``others``
    covers it (:func:`policyc.dialects.openclaw.patterns.covers`: exact,
    as a prefix or suffix language is covered by no finite union of such
    languages unless by one of them); a literal when one of ``others``
    matches it."""
    source, language = pattern.source, pattern.language
    for o in others:
        if o.source == source and o.language is language:
            return True
    admit(pattern)
    if language is PatternLanguage.LITERAL:
        return any(matches(o, source) for o in others)
    if language is PatternLanguage.ACTION:
        _budget.charge(len(others))
        return any(o.language is PatternLanguage.ACTION and action_patterns.covers(o.source, source)
                   for o in others)
    values = _samples_of(pattern, folded)
    if language is not PatternLanguage.SUBSTRING and values:
        mine = _prefix(source)
        for o in others:
            if o.language is PatternLanguage.SUBSTRING or _compatible(mine, _prefix(o.source)):
                break
        else:
            return False  # what `refuted` finds, without matching: no other can match a sample's prefix
    for value in values:  # `refuted`, written out (the hot path of every pattern list)
        for o in others:
            if _may_match(o, value, folded) and matches(o, value, folded=folded):
                break
        else:
            return False
    flavor_ok = pattern.language in (PatternLanguage.COMMAND_GLOB, PatternLanguage.PATH_GLOB)
    if flavor_ok and _literal(pattern.source) and all(o.language is pattern.language for o in others):
        return _literal_matches(pattern.source, others, folded)
    if pattern.language is not PatternLanguage.SUBSTRING:
        mine = _prefix(pattern.source)
        others = [o for o in others
                  if o.language is PatternLanguage.SUBSTRING or _compatible(mine, _prefix(o.source))]
    language = pattern_language(pattern, folded=folded)
    narrower = _automaton_text(pattern, folded)
    if narrower is not None:
        _budget.charge(len(others) * len(narrower))
        if any((wider := _automaton_text(o, folded)) is not None and _covered_by_pieces(narrower, wider)
               for o in others):
            return True
    if not others:
        return is_empty(language)
    for other in others:  # one covering pattern suffices, and pairwise products stay small
        try:
            if includes(pattern_language(other, folded=folded), language):
                return True
        except BudgetExceeded:
            raise
        except Unsupported:
            continue
    return includes(patterns_language(others, folded=folded), language)


def patterns_subsumed(patterns: Iterable[Pattern], others: list[Pattern], *, folded: bool = False) -> bool:
    """Every pattern of ``patterns`` is subsumed by ``others``."""
    return all(pattern_subsumed(p, others, folded=folded) for p in patterns)


def path_subsumed(patterns: Iterable[Pattern], others: list[Pattern]) -> bool:
    """Path spellings match case-sensitively or both lower-cased (spec §4):
    inclusion must hold in both readings."""
    patterns = list(patterns)
    return patterns_subsumed(patterns, others) and patterns_subsumed(patterns, others, folded=True)


def composite_globs(pred: FieldPredicate) -> list[Pattern]:
    """The command globs that are themselves composite commands (a granting
    rule matches the whole compound command with them, spec §5)."""
    return [p for p in pred.patterns
            if p.language is PatternLanguage.COMMAND_GLOB and canonicalize.is_composite(p.source)]


__all__ = [
    "CLEAN_PATH_REGEX", "FieldLanguage", "NOTHING", "composite_globs", "intersect", "language_of",
    "path_subsumed", "pattern_language", "pattern_subsumed", "patterns_language", "patterns_subsumed",
    "syntax",
]
