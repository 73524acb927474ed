"""Inline suppressions: ``# policyc: ignore[PC101,PC102] reason``.

A suppression is a YAML comment whose text starts with ``policyc:``. It
covers its *anchor line*: the line it stands on, or, for a comment on a line
of its own, the next line that is not itself a comment-only line (so several
suppressions can be stacked above one line; a blank line breaks the link).
A finding is silenced when its check is named and either

* the finding starts on an anchor line, or
* the finding lies inside a rule (an entry of a policy's ``rules:``) whose
  first line (the ``- action:`` line) is an anchor line.

The reason after ``]`` is optional (as in ruff): policyc keeps it in the
suppression but does not require it. Comments are found in the source text
with the YAML scanner's scalar positions, so ``#`` inside a quoted or block
scalar is never read as a comment; after a scanner error, a ``#`` at the
start of a line or after white space counts.

Every suppression that silences nothing, names an unknown check, or is
malformed is reported as PC024 unused-suppression.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import yaml

from policyc import sources
from policyc.checks import REGISTRY, Check, check
from policyc.config import Config
from policyc.diagnostics.model import Diagnostic, Severity
from policyc.dialects.rampart.frontend import LoadedFile
from policyc.ir import Span

#: The checks this module reports (assembled by :mod:`policyc.checks`).
CHECKS = [
    Check("PC024", "unused-suppression", Severity.WARNING,
          "A `# policyc: ignore[...]` comment silences nothing or is malformed."),
]

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader

PC024 = "PC024"
_DIRECTIVE = re.compile(r"#\s*policyc\s*:")
_IGNORE = re.compile(r"\s*ignore\[([^\]]*)\](.*)$")
_CODE = re.compile(r"\s*([^,\s]+)\s*")
_COMMENT_ONLY = re.compile(r"^\s*#")


@dataclass
class Suppression:
    """One ``# policyc:`` comment. ``codes`` pairs each named code with its
    span; ``anchor`` is the line it covers; ``problem`` is set when the
    comment is malformed; ``used`` holds the codes that silenced a finding."""

    span: Span
    anchor: int
    codes: tuple[tuple[str, Span], ...] = ()
    reason: str | None = None
    problem: str | None = None
    used: set[str] = field(default_factory=set)


def read_suppressions(path: str, text: str) -> list[Suppression]:
    """The ``# policyc:`` comments of ``text`` (the source of ``path``), in
    source order. Never raises."""
    if "policyc" not in text or not _DIRECTIVE.search(text):
        return []  # no line can hold a directive (it has no anchors): skip scanning the YAML
    lines = text.splitlines()
    scalars = _scalar_regions(text)
    out = []
    for number, line in enumerate(lines, start=1):
        if "policyc" not in line:
            continue
        start = _comment_start(line, number, scalars)
        if start is None:
            continue
        found = _DIRECTIVE.search(line, start)
        if found:
            out.append(_parse(path, number, line, found, _anchor(lines, number)))
    return out


def apply_suppressions(diagnostics: Iterable[Diagnostic], files: Sequence[LoadedFile],
                       config: Config | None = None) -> list[Diagnostic]:
    """The diagnostics that remain after ``config`` (severities, ignores) and
    the inline suppressions of ``files``, plus a PC024 diagnostic for every
    suppression that silenced nothing; sorted by path, line, column, code.

    Raises ``OSError`` when a file cannot be read again.
    """
    config = config or Config()
    by_path = {os.path.abspath(f.path): _FileSuppressions(f) for f in files}
    kept = []
    for diag in config.adjust(diagnostics):
        where = by_path.get(os.path.abspath(diag.span.path)) if diag.span else None
        if where is None or not where.silences(diag.code, diag.span):
            kept.append(diag)
    unused = [d for f in by_path.values() for d in f.unused()]
    return sorted(kept + config.adjust(unused), key=Diagnostic.sort_key)


class _FileSuppressions:
    def __init__(self, loaded: LoadedFile):
        self.suppressions = read_suppressions(loaded.path, sources.read(loaded.path).text)
        self.by_anchor: dict[int, list[Suppression]] = {}
        for s in self.suppressions:
            self.by_anchor.setdefault(s.anchor, []).append(s)
        self.rules = list(loaded.facts.rule_spans) if self.suppressions else []
        self.rule_lines = {r.line for r in self.rules}

    def silences(self, code: str, span: Span) -> bool:
        """Whether a suppression covers a ``code`` finding at ``span``
        (every covering suppression is marked used)."""
        lines = {span.line} | {r.line for r in self.rules if _contains(r, span)}
        hit = False
        for line in lines:
            for s in self.by_anchor.get(line, ()):
                if any(code == named for named, _ in s.codes):
                    s.used.add(code)
                    hit = True
        return hit

    def unused(self) -> list[Diagnostic]:
        pc024 = check(PC024)
        out = []
        for s in self.suppressions:
            if s.problem:
                out.append(pc024.at(s.span, f"malformed suppression: {s.problem}", label="not a suppression",
                                    help="write `# policyc: ignore[PC101] reason` (several codes: "
                                         "`ignore[PC101,PC102]`)"))
                continue
            for code, span in s.codes:
                if code in s.used:
                    continue
                if code not in REGISTRY:
                    out.append(pc024.at(span, f"suppression names `{code}`, which is not a policyc check",
                                        label="unknown check", help="check codes are listed in "
                                                                    "docs/checks/README.md"))
                else:
                    where = (f"in the rule starting on line {s.anchor}" if s.anchor in self.rule_lines
                             else f"on line {s.anchor}")
                    out.append(pc024.at(span, f"unused suppression: no {code} finding {where}",
                                        label="suppresses nothing", help=f"remove `{code}` from the suppression"))
        return out


def _contains(outer: Span, inner: Span) -> bool:
    end = (outer.end_line or outer.line, outer.end_column or outer.column)
    return (outer.line, outer.column) <= (inner.line, inner.column) < end


_Position = tuple[int, int]  # 1-based (line, column)
_Regions = tuple[list[_Position], list[_Position], _Position]


def _scalar_regions(text: str) -> _Regions:
    """Start and end (1-based line, column) of every scalar token, in order,
    and the position up to which the scanner got (the end of the text when
    it did not fail)."""
    starts, ends = [], []
    try:
        for token in yaml.scan(text, Loader=_Loader):
            if isinstance(token, yaml.ScalarToken):
                starts.append((token.start_mark.line + 1, token.start_mark.column + 1))
                ends.append((token.end_mark.line + 1, token.end_mark.column + 1))
        reached = (text.count("\n") + 2, 0)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reached = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    return starts, ends, reached


def _comment_start(line: str, number: int, scalars: _Regions) -> int | None:
    """The 0-based index where the comment of ``line`` starts, if any."""
    starts, ends, reached = scalars
    for index, char in enumerate(line):
        if char != "#" or (index and not line[index - 1].isspace()):
            continue
        pos = (number, index + 1)
        if pos >= reached:
            return index
        i = bisect.bisect_right(starts, pos) - 1
        if i < 0 or ends[i] <= pos:
            return index
    return None


def _anchor(lines: list[str], number: int) -> int:
    if not _COMMENT_ONLY.match(lines[number - 1]):
        return number
    following = number + 1
    while following <= len(lines) and _COMMENT_ONLY.match(lines[following - 1]):
        following += 1
    return following


def _parse(path: str, number: int, line: str, found: re.Match, anchor: int) -> Suppression:
    comment = line[found.start():].rstrip()
    span = Span(path, number, found.start() + 1, number, found.start() + 1 + len(comment))
    ignore = _IGNORE.match(line, found.end())
    if ignore is None:
        return Suppression(span, anchor, problem="expected `ignore[CODE,...]` after `policyc:`")
    codes = []
    offset = ignore.start(1)
    for part in ignore[1].split(","):
        item = _CODE.fullmatch(part)
        if item is None:
            return Suppression(span, anchor, problem="expected check codes separated by commas inside `[...]`")
        column = offset + item.start(1) + 1
        codes.append((item[1], Span(path, number, column, number, column + len(item[1]))))
        offset += len(part) + 1
    return Suppression(span, anchor, tuple(codes), ignore[2].strip() or None)
