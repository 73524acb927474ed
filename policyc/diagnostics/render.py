"""Render diagnostics: rustc/ruff-like text with a source snippet and caret
(rich), and the JSON document of ``policyc check --format json``.

JSON shape: ``{"diagnostics": [Diagnostic.to_json(), ...], "summary":
{"files": N, "errors": N, "warnings": N, "infos": N}}``.

Text is safe to print from hostile files: control characters (an ANSI
escape in a key, a carriage return) are shown as visible symbols
(:func:`printable`); a source line longer than ``SNIPPET_WIDTH`` characters
is shown as a window around the column, cut with ``...``, the caret still
under the column (like rustc), and a message longer than four times that is
cut in the middle (:func:`clipped`); and a caller can withhold the source lines
of files it did not mean to show (``show_source``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from policyc import sources
from policyc.diagnostics.model import Diagnostic, Severity

if TYPE_CHECKING:  # rich is imported when there is text to print
    from rich.console import Console
    from rich.text import Text

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold blue"}

#: Longest source line shown whole; a longer one is cut to a window this wide.
SNIPPET_WIDTH = 120
_BEFORE = 40  # characters of a cut line kept before the column
_ELLIPSIS = "..."
#: C0 controls (but newline) as their Unicode control pictures, DEL as ␡,
#: C1 controls as U+FFFD: one character each, so columns stay aligned.
_VISIBLE = {**{c: 0x2400 + c for c in range(0x20) if c != 0x0A}, 0x7F: 0x2421,
            **{c: 0xFFFD for c in range(0x80, 0xA0)}}


def printable(text: str) -> str:
    """``text`` with every control character but newline replaced by a
    visible symbol of the same width (``\\x1b`` -> ``␛``, tab -> ``␉``)."""
    return text.translate(_VISIBLE)


def clipped(text: str, limit: int = 4 * SNIPPET_WIDTH) -> str:
    """``text`` (a message quoting a huge pattern, say) cut to about
    ``limit`` characters in the middle, with ``...`` where it was cut; the
    JSON output keeps every message whole."""
    if len(text) <= limit:
        return text
    keep = (limit - len(_ELLIPSIS)) // 3
    return text[:2 * keep] + _ELLIPSIS + text[len(text) - keep:]


def snippet(line: str, column: int, width: int = 1) -> tuple[str, int, int]:
    """The part of source ``line`` to show for a span starting at 1-based
    ``column`` and ``width`` characters wide: ``(text, caret offset, caret
    width)``. Tabs become one space; a line over ``SNIPPET_WIDTH`` is cut to
    a window around the column marked with ``...`` at a cut end."""
    line = printable(line.replace("\t", " "))
    at = max(0, min(column - 1, len(line)))
    width = max(1, min(width, len(line) - at))
    if len(line) <= SNIPPET_WIDTH:
        return line, at, width
    start = max(0, min(at - _BEFORE, len(line) - SNIPPET_WIDTH))
    end = min(len(line), start + SNIPPET_WIDTH)
    head = _ELLIPSIS if start else ""
    tail = _ELLIPSIS if end < len(line) else ""
    return head + line[start:end] + tail, len(head) + at - start, max(1, min(width, end - at))


def _source_lines(path: str) -> tuple[str, ...]:
    try:
        return sources.read(path).lines
    except OSError:
        return ()


def render_text(diag: Diagnostic, *, show_source: bool = True) -> Text:
    """One diagnostic as styled text (no trailing newline). With
    ``show_source`` false the location is named but no line of the file is
    printed."""
    from rich.text import Text

    out = Text()
    out.append(f"{diag.severity.value}[{diag.code}]", style=_STYLE[diag.severity])
    out.append(f" {printable(clipped(diag.message))}", style="bold")
    span = diag.span
    if span is None:
        out.append(f"\n  = docs: {diag.docs}", style="dim")
        return out
    gutter = " " * len(str(span.line))
    out.append(f"\n{gutter}--> ", style="bold blue")
    out.append(printable(f"{span.path}:{span.line}:{span.column}"))
    lines = _source_lines(span.path) if show_source else ()
    if 0 < span.line <= len(lines):
        width = 1
        if span.end_line == span.line and span.end_column and span.end_column > span.column:
            width = span.end_column - span.column
        text, caret, width = snippet(lines[span.line - 1], span.column, width)
        out.append(f"\n{gutter} |", style="bold blue")
        out.append(f"\n{span.line} | ", style="bold blue")
        out.append(text)
        out.append(f"\n{gutter} | ", style="bold blue")
        out.append(" " * caret + "^" * width, style=_STYLE[diag.severity])
        if diag.label:
            out.append(f" {printable(diag.label)}", style=_STYLE[diag.severity])
        out.append(f"\n{gutter} |", style="bold blue")
    for key in ("witness",):
        if key in diag.extra:
            out.append(f"\n{gutter} = {key}: {json.dumps(diag.extra[key], sort_keys=True)}")
    if diag.help:
        out.append(f"\n{gutter} = help: ", style="bold")
        out.append(printable(clipped(diag.help)))
    out.append(f"\n{gutter} = docs: {diag.docs}", style="dim")
    return out


def summary(diagnostics: list[Diagnostic], files: int) -> dict[str, int]:
    counts = Counter(d.severity for d in diagnostics)
    return {"files": files, "errors": counts[Severity.ERROR], "warnings": counts[Severity.WARNING],
            "infos": counts[Severity.INFO]}


def print_text(console: Console, diagnostics: list[Diagnostic], files: int, *, verbose: bool = False,
               show_source: Callable[[str], bool] | None = None) -> None:
    """Print every diagnostic, then a one-line summary (only when there is
    something to say, or ``verbose``). ``show_source(path)`` decides whether
    lines of ``path`` may be printed (default: every file)."""
    for diag in diagnostics:
        shown = show_source is None or diag.span is None or show_source(diag.span.path)
        console.print(render_text(diag, show_source=shown), highlight=False)
        console.print()
    s = summary(diagnostics, files)
    if diagnostics or verbose:
        from rich.text import Text

        noun = "file" if files == 1 else "files"
        console.print(Text(f"checked {files} {noun}: {s['errors']} error(s), {s['warnings']} warning(s), "
                           f"{s['infos']} info(s)", style="bold"), highlight=False)


def json_document(diagnostics: list[Diagnostic], files: int) -> dict[str, Any]:
    return {"diagnostics": [d.to_json() for d in diagnostics], "summary": summary(diagnostics, files)}
