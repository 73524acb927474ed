"""GitHub Actions workflow-command annotations (``policyc check --format
github``): one line per diagnostic,

    ::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=PC015 invalid-glob::message

with ``error``, ``warning`` or ``notice`` (for info). ``col`` and
``endColumn`` are given only when the finding starts and ends on one line
(GitHub ignores columns otherwise); ``file`` is relative to the working
directory with ``/`` separators. The message is followed by ``help:`` on a
new line when there is help. Escaping follows the runner's rules: in the
message ``%``, CR and LF become ``%25``, ``%0D``, ``%0A``; property values
also escape ``:`` and ``,`` (``%3A``, ``%2C``).
"""

from __future__ import annotations

import os

from policyc.diagnostics.model import Diagnostic, Severity
from policyc.diagnostics.paths import relative_path

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a workflow-command message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(diag: Diagnostic, *, cwd: str | os.PathLike | None = None) -> str:
    """The workflow command that annotates ``diag``."""
    props: list[tuple[str, object]] = []
    span = diag.span
    if span is not None:
        props += [("file", relative_path(span.path, cwd) or os.path.abspath(span.path)), ("line", span.line)]
        one_line = span.end_line in (None, span.line)
        if one_line:
            props.append(("col", span.column))
        if span.end_line is not None:
            props.append(("endLine", span.end_line))
        if one_line and span.end_column is not None:
            props.append(("endColumn", span.end_column))
    props.append(("title", f"{diag.code} {diag.name}"))
    message = diag.message if not diag.help else f"{diag.message}\nhelp: {diag.help}"
    rendered = ",".join(f"{key}={escape_property(str(value))}" for key, value in props)
    return f"::{COMMAND[diag.severity]} {rendered}::{escape_data(message)}"


def annotations(diagnostics: list[Diagnostic], *, cwd: str | os.PathLike | None = None) -> str:
    """Every annotation, one per line (empty string for no diagnostics)."""
    return "".join(annotation(d, cwd=cwd) + "\n" for d in diagnostics)
