"""Pattern tables and memoized field facts for the bundle runtime.

* :class:`Table`: one bundle pattern table compiled into one ``re2.Set``;
  ``scan(text) -> frozenset`` of the pattern ids that match (anchored at
  both ends, or anywhere for the response table).
* :class:`Memo`: everything the runtime derives from one input string
  (a table scan, a command's spec §5 analysis, a path's spellings) is a pure
  function of that string, so it is computed once and kept in bounded
  caches shared by every evaluation of the bundle. A cache that reaches
  ``MAX_ENTRIES`` is emptied and refilled (bounded memory, no eviction
  bookkeeping on the hot path).

Only ``re2``, the standard library, :mod:`policyc.canonicalize` and
:mod:`policyc.callfields` are imported.
"""

from __future__ import annotations

from typing import Any

import re2

from policyc.canonicalize import CommandAnalysis, fold_head
from policyc.callfields import (
    joined_spelling, normalize_domain, over_glob_limit, path_spellings, workdir_rest,
)

from .model import BundleError

MAX_ENTRIES = 1 << 14  # per cache
#: RE2 memory budget per compiled table (bytes). A set's DFA is built
#: lazily, state by state, as inputs need it; under RE2's default (8 MiB) a
#: table of a few hundred globs keeps overflowing its state cache and
#: rebuilding states for every new string (~60 us per scan instead of ~2).
#: Memory grows only with the states inputs reach.
TABLE_MEMORY = 64 << 20

EMPTY: frozenset[int] = frozenset()


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: U+FFFD stands in for each
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text).encode("utf-8")


class Table:
    """One compiled pattern table. ``exprs[i]`` is pattern id ``i``'s RE2
    expression (``None``: the id never matches); equal expressions are
    scanned once. Raises :class:`BundleError` naming an expression that does
    not compile."""

    def __init__(self, name: str, exprs: list[str | None], anchored: bool):
        distinct: dict[str, list[int]] = {}
        for pid, expr in enumerate(exprs):
            if expr is not None:
                distinct.setdefault(expr, []).append(pid)
        self.name = name
        self.anchored = anchored
        self.size = len(exprs)
        self.ids = [frozenset(v) for v in distinct.values()]
        self.set: Any = None
        self.regexes: list[Any] = []
        if not distinct:
            return
        options = re2.Options()
        options.log_errors = False
        options.max_mem = TABLE_MEMORY
        for expr in distinct:  # name the pattern that does not compile
            try:
                re2.compile(expr, options)
            except re2.error as exc:
                raise BundleError(f"pattern table {name!r}: expression {expr!r} does not compile: {exc}") \
                    from None
        try:
            rset = re2.Set(re2._Anchor.ANCHOR_BOTH if anchored else re2._Anchor.UNANCHORED, options)
            for expr in distinct:
                rset.Add(expr)
            rset.Compile()
            self.set = rset
        except re2.error:  # too large for one Set: one regex each
            self.regexes = [re2.compile(e, options) for e in distinct]

    def scan(self, text: str) -> frozenset[int]:
        """Ids of the patterns matching ``text``."""
        if self.set is not None:
            hits = self.set.Match(_encode(text))
            if not hits:
                return EMPTY
            if len(hits) == 1:
                return self.ids[hits[0]]
            return frozenset().union(*(self.ids[h] for h in hits))
        data = _encode(text)
        out: set[int] = set()
        for index, regex in enumerate(self.regexes):
            if regex.fullmatch(data) if self.anchored else regex.search(data):
                out |= self.ids[index]
        return frozenset(out)


#: Longest string (characters) a call keyed for the decision memo may hold;
#: a call with a longer one (a response body, a huge command) is decided
#: without it, so the memo's memory stays bounded.
MAX_KEYED_TEXT = 8192
_MAX_KEYED_DEPTH = 16


class _Unkeyable(Exception):
    pass


def call_key(call: Any) -> tuple | None:
    """A hashable image of a JSON-shaped call (a ``dict``) that keeps every
    distinction a decision can see: value types (``1``, ``True`` and
    ``"1"`` differ), key order, nesting. None when the call holds anything
    else: floats (``-0.0 == 0.0``), non-string keys, strings over
    ``MAX_KEYED_TEXT``, nesting over 16 levels, other types."""
    if type(call) is not dict:
        return None
    try:
        return _frozen(call, 0)
    except _Unkeyable:
        return None


def _frozen(value: Any, depth: int) -> Any:
    kind = type(value)
    if kind is str:
        if len(value) > MAX_KEYED_TEXT:
            raise _Unkeyable
        return value
    if depth > _MAX_KEYED_DEPTH:
        raise _Unkeyable
    if kind is dict:
        items = []
        for k, v in value.items():
            if type(k) is not str:
                raise _Unkeyable
            if type(v) is str and len(v) <= MAX_KEYED_TEXT:  # the common case, without a call
                items.append((k, v))
            else:
                items.append((k, _frozen(v, depth + 1)))
        return ("d", tuple(items))
    if kind is list:
        return ("l", tuple(_frozen(v, depth + 1) for v in value))
    if kind is bool or kind is int or value is None:
        return (kind.__name__, value)
    raise _Unkeyable


class CommandFacts:
    """A command's spec §5 analysis plus ``union``, the ids of every command
    pattern matching any restrictive spelling, and ``needles``, the ids of
    the ``command_contains`` substrings a rule could find in it on either
    side (lower-cased in the raw command, or verbatim in a granting
    component; a superset). Every string a command predicate asks a glob
    about (granting components, raw and normalized command, alias spellings)
    is such a spelling, so a predicate whose globs miss ``union`` and whose
    needles miss ``needles`` cannot hold."""

    __slots__ = ("analysis", "union", "needles")

    def __init__(self, analysis: CommandAnalysis, union: frozenset[int], needles: frozenset[int]):
        self.analysis = analysis
        self.union = union
        self.needles = needles


class Memo:
    """Bounded caches of per-string facts for one set of tables."""

    def __init__(self, tables: dict[str, Table], unscanned_needles: frozenset[int],
                 absolute_paths: frozenset[int] = frozenset()):
        """``tables`` by name, including ``command_substring`` (anchored
        expressions over the raw command, spec §5 folding), ``command_needle``
        (each needle verbatim, unanchored) and ``path_joined`` (each
        joinable relative path pattern, see ``callfields.joinable_pattern``);
        ``absolute_paths``: ids of the absolute path patterns;
        ``unscanned_needles``: needle ids no expression stands for, assumed
        present in every command."""
        self.tables = tables
        self.unscanned_needles = unscanned_needles
        self.absolute_paths = absolute_paths
        self._hits: dict[str, dict[str, frozenset[int]]] = {name: {} for name in tables}
        self._commands: dict[str, CommandFacts] = {}
        self._paths: dict[tuple[str, str | None], tuple[tuple[frozenset[int], ...], frozenset[int]]] = {}
        self._domains: dict[str, frozenset[int]] = {}
        self._responses: dict[str, frozenset[int]] = {}

    def glob(self, table: str, value: str) -> frozenset[int]:
        """Hits of a glob table: none over the 8192-byte bound, and ``\\`` is
        read as ``/`` (spec §4)."""
        cache = self._hits[table]
        hit = cache.get(value)
        if hit is None:
            if over_glob_limit(value):
                hit = EMPTY
            else:
                hit = self.tables[table].scan(value.replace("\\", "/"))
            if len(cache) >= MAX_ENTRIES:
                cache.clear()
            cache[value] = hit
        return hit

    def path(self, path: str, workdir: str | None) -> tuple[tuple[frozenset[int], ...], frozenset[int]]:
        """(per spelling of a path field, the ids of the path patterns matching
        it; their union), as ``policyc.evaluate._path_hit`` decides: exact,
        absolute patterns on a relative spelling joined to the workdir, and
        joinable relative patterns on the part of a spelling below it."""
        key = (path, workdir)
        facts = self._paths.get(key)
        if facts is None:
            hits = []
            for spelling in path_spellings(path, workdir):
                hit = self.glob("path", spelling)
                joined = joined_spelling(spelling, workdir)
                if joined is not None:
                    hit = hit | (self.glob("path", joined) & self.absolute_paths)
                rest = workdir_rest(spelling, workdir)
                if rest is not None:
                    hit = hit | self.glob("path_joined", rest)
                hits.append(hit)
            if len(self._paths) >= MAX_ENTRIES:
                self._paths.clear()
            facts = self._paths[key] = (tuple(hits), frozenset().union(*hits))
        return facts

    def command(self, command: str) -> CommandFacts:
        facts = self._commands.get(command)
        if facts is None:
            analysis = CommandAnalysis(command)
            union = frozenset().union(*(self.glob("command", s) for s in analysis.spellings),
                                      *(self.glob("command", s) for s in analysis.granting_texts),
                                      *(self.glob("command_folded", s) for s in analysis.folded_spellings),
                                      *(self.glob("command_head_folded", fold_head(c))
                                        for c in (analysis.granting_texts if analysis.head_fold else ())))
            if analysis.overflow:  # every restrictive command pattern holds
                union = frozenset(range(self.tables["command"].size))
            if len(self._commands) >= MAX_ENTRIES:
                self._commands.clear()
            needles = self.unscanned_needles.union(
                *(self.tables["command_substring"].scan(t) for t in analysis.contains_texts),
                *(self.tables["command_needle"].scan(c) for c in analysis.components))
            facts = self._commands[command] = CommandFacts(analysis, union, needles)
        return facts

    def domain(self, value: str) -> frozenset[int]:
        hit = self._domains.get(value)
        if hit is None:
            norm = normalize_domain(value)
            hit = self.tables["domain"].scan(norm) if norm else EMPTY
            if len(self._domains) >= MAX_ENTRIES:
                self._domains.clear()
            self._domains[value] = hit
        return hit

    def response(self, response: str) -> frozenset[int]:
        """Response-table ids found anywhere in ``response`` (at most 1 MiB: a longer one with
        response rules in scope is denied before any scan)."""
        hit = self._responses.get(response)
        if hit is None:
            hit = self.tables["response"].scan(response)
            if len(self._responses) >= 256:  # responses are large: keep few
                self._responses.clear()
            self._responses[response] = hit
        return hit
