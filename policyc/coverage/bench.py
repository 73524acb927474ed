"""Score a policy set against a corpus of expected decisions (``policyc bench``).

The corpus has the shape of Rampart's bench corpus::

    version: "2"
    name: ...            # optional
    cases:
      - {id, name, category, severity, tool, input: {...}, expected, os?, description?}

``input`` is the tool input (the call's ``params``). ``expected`` is an action
(``allow``, ``watch``/``log``, ``ask``/``require_approval``, ``webhook``,
``deny``). Each case is decided by the compiled bundle runtime. Strict scoring
wants the expected action exactly; the default lets ``ask`` satisfy an
expected ``deny`` (a human still stands in the way). The score is passed /
total cases, a float in [0, 1], overall and per category and severity.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from policyc.callfields import ToolCall
from policyc.runtime import Bundle

from .catalog import read_validated, where
from .probes import rule_location

_ALIASES = {"require_approval": "ask", "log": "watch"}
_EXPECTED = ["allow", "watch", "log", "ask", "require_approval", "webhook", "deny"]

CORPUS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["cases"],
    "properties": {
        "version": {"type": ["string", "integer"]},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "cases": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "tool", "expected"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "name": {"type": "string"},
                "category": {"type": "string"},
                "severity": {"type": "string"},
                "os": {"type": "string"},
                "tool": {"type": "string", "minLength": 1},
                "input": {"type": "object"},
                "expected": {"enum": _EXPECTED},
                "description": {"type": "string"},
            },
        }},
    },
}


@dataclass(frozen=True)
class Case:
    """One corpus case; ``expected`` is normalised (``require_approval`` is ``ask``)."""

    id: str
    name: str
    category: str
    severity: str
    tool: str
    input: dict[str, Any]
    expected: str
    location: str

    @property
    def call(self) -> dict[str, Any]:
        return {"tool": self.tool, "params": self.input}


@dataclass(frozen=True)
class CaseResult:
    case: Case
    decision: str
    message: str
    rule: dict[str, Any] | None
    passed: bool

    def to_json(self) -> dict[str, Any]:
        c = self.case
        return {"id": c.id, "name": c.name, "category": c.category, "severity": c.severity,
                "call": c.call, "expected": c.expected, "decision": self.decision, "message": self.message,
                "rule": self.rule, "passed": self.passed, "location": c.location}


def load_corpus(path: str) -> list[Case]:
    """The cases of a corpus file. Raises ``DataError`` (``path:line:col:``) or ``OSError``."""
    root, data = read_validated(path, CORPUS_SCHEMA)
    return [Case(raw["id"], raw.get("name", raw["id"]), raw.get("category", "uncategorized"),
                 raw.get("severity", "unspecified"), raw["tool"], raw.get("input", {}),
                 _ALIASES.get(raw["expected"], raw["expected"]), where(root, ["cases", i]))
            for i, raw in enumerate(data["cases"])]


def satisfies(decision: str, expected: str, *, strict: bool) -> bool:
    """Whether ``decision`` meets ``expected``: equal, or (not strict) ask for deny."""
    return decision == expected or (not strict and expected == "deny" and decision == "ask")


def run_bench(bundle: Bundle, cases: list[Case], *, strict: bool = False) -> list[CaseResult]:
    """Decide every case with the bundle runtime. A malformed case input is
    a failed case whose message carries the error (the runtime itself would
    deny it: a deny expectation must not pass on a malformed call)."""
    out = []
    for case in cases:
        try:
            ToolCall.from_mapping(case.call)
            decision = bundle.decide(case.call)
        except (ValueError, TypeError) as exc:
            out.append(CaseResult(case, "error", f"malformed call: {exc}", None, False))
            continue
        out.append(CaseResult(case, decision.action, decision.message, rule_location(decision),
                              satisfies(decision.action, case.expected, strict=strict)))
    return out


def _score(results: list[CaseResult]) -> dict[str, Any]:
    passed = sum(r.passed for r in results)
    return {"passed": passed, "total": len(results), "score": round(passed / len(results), 4) if results else 1.0}


def summarize(results: list[CaseResult], *, strict: bool) -> dict[str, Any]:
    """The JSON document: overall score, per category and per severity, and every case."""
    groups: dict[str, dict[str, list[CaseResult]]] = {"category": defaultdict(list), "severity": defaultdict(list)}
    for r in results:
        groups["category"][r.case.category].append(r)
        groups["severity"][r.case.severity].append(r)
    return {
        "strict": strict,
        **_score(results),
        "categories": {k: _score(v) for k, v in sorted(groups["category"].items())},
        "severities": {k: _score(v) for k, v in sorted(groups["severity"].items())},
        "cases": [r.to_json() for r in results],
    }


def print_bench_text(console: Any, summary: dict[str, Any], *, verbose: bool = False) -> None:
    """Failing cases (all cases with ``verbose``), a table per category and
    the overall score, on a rich ``Console``."""
    from rich.table import Table
    from rich.text import Text

    for case in summary["cases"]:
        if case["passed"] and not verbose:
            continue
        line = Text("PASS " if case["passed"] else "FAIL ", style="bold green" if case["passed"] else "bold red")
        rule = case["rule"]
        by = f" by `{rule['policy']}` rule {rule['rule']}" if rule else ""
        line.append(f"{case['location']} {case['id']} {case['name']}: expected {case['expected']}, "
                    f"got {case['decision']}{by}")
        console.print(line, highlight=False)
    table = Table(title="score per category", title_justify="left")
    for column in ("category", "passed", "total", "score"):
        table.add_column(column, justify="left" if column == "category" else "right")
    for name, s in summary["categories"].items():
        table.add_row(name, str(s["passed"]), str(s["total"]), f"{s['score']:.0%}")
    console.print(table)
    mode = "strict" if summary["strict"] else "ask satisfies deny"
    console.print(Text(f"score {summary['score']:.1%} ({summary['passed']}/{summary['total']} cases, {mode})",
                       style="bold"), highlight=False)
