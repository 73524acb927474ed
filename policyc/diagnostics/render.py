"""Render diagnostics: rustc/ruff-like text with a source snippet and caret
(rich), and the JSON document of ``policyc check --format json``.

JSON shape: ``{"diagnostics": [Diagnostic.to_json(), ...], "summary":
{"files": N, "errors": N, "warnings": N, "infos": N}}``.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import lru_cache
from typing import Any

from rich.console import Console
from rich.text import Text

from policyc.diagnostics.model import Diagnostic, Severity

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold blue"}


@lru_cache(maxsize=64)
def _source_lines(path: str) -> tuple[str, ...]:
    try:
        with open(path, "rb") as fh:
            data = fh.read(2 << 20)
    except OSError:
        return ()
    return tuple(data.decode("utf-8", "replace").splitlines())


def render_text(diag: Diagnostic) -> Text:
    """One diagnostic as styled text (no trailing newline)."""
    out = Text()
    out.append(f"{diag.severity.value}[{diag.code}]", style=_STYLE[diag.severity])
    out.append(f" {diag.message}", style="bold")
    span = diag.span
    if span is None:
        out.append(f"\n  = docs: {diag.docs}", style="dim")
        return out
    gutter = " " * len(str(span.line))
    out.append(f"\n{gutter}--> ", style="bold blue")
    out.append(f"{span.path}:{span.line}:{span.column}")
    lines = _source_lines(span.path)
    if 0 < span.line <= len(lines):
        line = lines[span.line - 1].replace("\t", " ")
        width = 1
        if span.end_line == span.line and span.end_column and span.end_column > span.column:
            width = span.end_column - span.column
        width = max(1, min(width, len(line) - span.column + 1))
        out.append(f"\n{gutter} |", style="bold blue")
        out.append(f"\n{span.line} | ", style="bold blue")
        out.append(line[:240])
        out.append(f"\n{gutter} | ", style="bold blue")
        out.append(" " * (span.column - 1) + "^" * width, style=_STYLE[diag.severity])
        if diag.label:
            out.append(f" {diag.label}", style=_STYLE[diag.severity])
        out.append(f"\n{gutter} |", style="bold blue")
    for key in ("witness",):
        if key in diag.extra:
            out.append(f"\n{gutter} = {key}: {json.dumps(diag.extra[key], sort_keys=True)}")
    if diag.help:
        out.append(f"\n{gutter} = help: ", style="bold")
        out.append(diag.help)
    out.append(f"\n{gutter} = docs: {diag.docs}", style="dim")
    return out


def summary(diagnostics: list[Diagnostic], files: int) -> dict[str, int]:
    counts = Counter(d.severity for d in diagnostics)
    return {"files": files, "errors": counts[Severity.ERROR], "warnings": counts[Severity.WARNING],
            "infos": counts[Severity.INFO]}


def print_text(console: Console, diagnostics: list[Diagnostic], files: int, *, verbose: bool = False) -> None:
    """Print every diagnostic, then a one-line summary (only when there is
    something to say, or ``verbose``)."""
    for diag in diagnostics:
        console.print(render_text(diag), highlight=False)
        console.print()
    s = summary(diagnostics, files)
    if diagnostics or verbose:
        noun = "file" if files == 1 else "files"
        console.print(Text(f"checked {files} {noun}: {s['errors']} error(s), {s['warnings']} warning(s), "
                           f"{s['infos']} info(s)", style="bold"), highlight=False)


def json_document(diagnostics: list[Diagnostic], files: int) -> dict[str, Any]:
    return {"diagnostics": [d.to_json() for d in diagnostics], "summary": summary(diagnostics, files)}
