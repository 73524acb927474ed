"""SARIF 2.1.0 output (``policyc check --format sarif``), in the subset
GitHub code scanning accepts.

Shape: one run whose ``tool.driver`` is policyc (name, version,
semanticVersion) with a ``rules`` entry per check that has a result (id = the
code, name = the kebab-case name, short and full description, help text
naming the docs page, ``defaultConfiguration.level``); each result has
``ruleId``, ``ruleIndex``, ``level`` (error, warning, note), ``message.text``
(the message, then ``help:`` on its own line) and one physical location:
``artifactLocation.uri`` relative to the working directory with forward
slashes (an absolute ``file://`` URI outside it) and a 1-based ``region``
(startLine, startColumn, endLine, endColumn; end exclusive). Columns count
Unicode code points (``run.columnKind``). Extra diagnostic data (a witness,
for example) goes to the result's ``properties``. Results keep the order
they are given in (the CLI sorts by path, line, column, code).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from policyc import __version__
from policyc.checks import REGISTRY
from policyc.diagnostics.model import Diagnostic, Severity
from policyc.diagnostics.paths import relative_path

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def sarif_document(diagnostics: list[Diagnostic], *, cwd: str | os.PathLike | None = None) -> dict[str, Any]:
    """The SARIF log of ``diagnostics``; artifact URIs are relative to
    ``cwd`` (default: the current directory)."""
    codes = sorted({d.code for d in diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    driver = {"name": "policyc", "version": __version__, "semanticVersion": __version__,
              "rules": [_rule(code) for code in codes]}
    results = [_result(d, index[d.code], cwd) for d in diagnostics]
    return {"$schema": SCHEMA_URI, "version": "2.1.0",
            "runs": [{"tool": {"driver": driver}, "columnKind": "unicodeCodePoints", "results": results}]}


def _rule(code: str) -> dict[str, Any]:
    check = REGISTRY.get(code)
    docs = f"docs/checks/{code}.md"
    summary = check.summary if check else f"{code} (not in this policyc's registry)"
    rule: dict[str, Any] = {
        "id": code,
        "name": check.name if check else code,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": summary},
        "help": {"text": f"{summary} Documentation: {docs} in the policyc sources.",
                 "markdown": f"{summary}\n\nDocumentation: [{docs}]({docs})"},
    }
    if check:
        rule["defaultConfiguration"] = {"level": LEVEL[check.severity]}
    return rule


def _result(diag: Diagnostic, rule_index: int, cwd) -> dict[str, Any]:
    text = diag.message if not diag.help else f"{diag.message}\nhelp: {diag.help}"
    result: dict[str, Any] = {"ruleId": diag.code, "ruleIndex": rule_index, "level": LEVEL[diag.severity],
                              "message": {"text": text}}
    span = diag.span
    if span is not None:
        region = {"startLine": span.line, "startColumn": span.column}
        if span.end_line is not None and span.end_column is not None:
            region.update(endLine=span.end_line, endColumn=span.end_column)
        location = {"artifactLocation": {"uri": artifact_uri(span.path, cwd)}, "region": region}
        result["locations"] = [{"physicalLocation": location}]
    if diag.extra:
        result["properties"] = dict(diag.extra)
    return result


def artifact_uri(path: str, cwd: str | os.PathLike | None = None) -> str:
    """A relative URI reference (percent-encoded, ``/``-separated) for a file
    under ``cwd``, else the file's absolute ``file://`` URI."""
    relative = relative_path(path, cwd)
    return quote(relative) if relative is not None else Path(os.path.abspath(path)).as_uri()
