"""Diagnostics: what every check and load error reports.

A :class:`Diagnostic` names its check (``code`` such as ``PC002`` and the
kebab-case ``name``), a :class:`Severity`, a message, and where it happened
(:class:`policyc.ir.Span`). Renderers live beside this module (text, json).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from policyc.ir import Span


class Severity(enum.Enum):
    """Ordered: ``error`` > ``warning`` > ``info``."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


@dataclass(frozen=True)
class Diagnostic:
    """One finding. ``span`` may be ``None`` only for whole-run problems."""

    code: str
    name: str
    severity: Severity
    message: str
    span: Span | None
    help: str | None = None
    label: str | None = None  # short text shown under the caret
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def docs(self) -> str:
        return f"docs/checks/{self.code}.md"

    def sort_key(self) -> tuple:
        s = self.span
        return (s.path if s else "", s.line if s else 0, s.column if s else 0, self.code)

    def to_json(self) -> dict[str, Any]:
        s = self.span
        out: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "path": s.path if s else None,
            "line": s.line if s else None,
            "column": s.column if s else None,
            "end_line": s.end_line if s else None,
            "end_column": s.end_column if s else None,
            "help": self.help,
            "docs": self.docs,
        }
        out.update(self.extra)
        return out


class DiagnosticError(Exception):
    """Raised by a loader when it must stop; carries the diagnostic."""

    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic
