"""Render a coverage report: text (rich tables), Markdown (PR comments), JSON.
The HTML page is in :mod:`policyc.coverage.html`.

Every renderer returns or prints the same rows: for each OWASP risk and each
checklist item, its status, a one-line evidence summary and what is missing.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .model import ItemResult, Report, Status
from .probes import describe_rule

STATUS_STYLE = {
    Status.COVERED: "bold green", Status.PARTIAL: "bold yellow", Status.UNCOVERED: "bold red",
    Status.NEEDS_EVIDENCE: "cyan", Status.NOT_APPLICABLE: "dim",
}


def evidence_line(evidence: dict[str, Any]) -> str:
    """One line for one evidence record."""
    kind = evidence["kind"]
    if kind == "probe":
        mark = "ok" if evidence["ok"] else "FAIL"
        side = " (response)" if evidence["side"] == "response" else ""
        return (f"[{mark}] probe {evidence['probe']}{side}: {evidence['decision']} "
                f"(expected {'|'.join(evidence['expect'])}) by {describe_rule(evidence['rule'])}")
    if kind == "property":
        return f"[{'ok' if evidence['ok'] else 'FAIL'}] {evidence['property']}: {evidence['detail']}"
    if kind == "deployment":
        mark = {True: "ok", False: "FAIL", None: "absent"}[evidence["ok"]]
        where = f" ({evidence['artifact']}:{evidence['line']})" if "artifact" in evidence else ""
        return f"[{mark}] {evidence['check']}: {evidence['detail']}{where}"
    if kind == "source":
        mark = {True: "ok", False: "FAIL", None: "absent"}[evidence["ok"]]
        where = f" ({evidence['path']}:{evidence['line']}:{evidence['column']})" if "path" in evidence else ""
        runtime = f"; runtime: {evidence['runtime']}" if "runtime" in evidence else ""
        return f"[{mark}] {evidence['check']}: {evidence['detail']}{where}{runtime}"
    if kind == "not-applicable":
        return f"not applicable: {evidence['reason']}"
    return f"needs {evidence['needs']}"


def summary_line(result: ItemResult, *, held_only: bool = False) -> str:
    """A short evidence summary: probe counts plus the other evidence (only
    the evidence that holds with ``held_only``, when failures are listed as
    missing next to it)."""
    probes = [e for e in result.evidence if e["kind"] == "probe"]
    parts = []
    if probes:
        parts.append(f"{sum(e['ok'] for e in probes)}/{len(probes)} probes as expected")
    parts += [evidence_line(e) for e in result.evidence
              if e["kind"] != "probe" and not (held_only and e.get("ok") is not True)]
    return "; ".join(parts)


def _sections(report: Report) -> list[tuple[str, list[ItemResult]]]:
    return [("OWASP Top 10 for Agentic Applications (2026)", report.owasp)] + [
        (catalog.title, results) for catalog, results in report.checklists]


def _label(result: ItemResult) -> str:
    return f"{result.item.id} {result.item.title}".strip()


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {s}" for s, n in counts.items() if n)


#: Longest "missing" line in the text table (JSON, Markdown and HTML keep it whole).
_TEXT_MISSING = 160


def print_text(console: Console, report: Report, *, verbose: bool = False) -> None:
    """Rich tables, one per catalog. Without ``verbose`` the rows that only
    need outside evidence or do not apply are counted, not listed."""
    for title, results in _sections(report):
        table = Table(title=title, title_justify="left", expand=True)
        table.add_column("item", ratio=1, min_width=24, overflow="fold")
        table.add_column("status", no_wrap=True)
        table.add_column("evidence / missing", ratio=3, overflow="fold")
        hidden = 0
        for r in results:
            if not verbose and r.status in (Status.NEEDS_EVIDENCE, Status.NOT_APPLICABLE):
                hidden += 1
                continue
            cell = Text(summary_line(r, held_only=True))
            for m in r.missing:
                short = m if len(m) <= _TEXT_MISSING else m[:_TEXT_MISSING - 1] + "…"
                cell.append("\nmissing: " + short, style="red" if r.status is Status.UNCOVERED else "yellow")
            table.add_row(_label(r), Text(r.status.value, style=STATUS_STYLE[r.status]), cell)
        console.print(table)
        if hidden:
            console.print(Text(f"  {hidden} more item(s) need outside evidence or do not apply "
                               "(--verbose lists them)", style="dim"), highlight=False)
    summary = report.summary()
    console.print(Text(f"OWASP: {_counts_text(summary['owasp'])}"), highlight=False)
    for cid, counts in summary["checklists"].items():
        console.print(Text(f"{cid}: {_counts_text(counts)}"), highlight=False)
    console.print(Text(f"score {summary['score']:.0%} (covered / verifiable items)", style="bold"),
                  highlight=False)


def _md_cell(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|").replace("\n", "<br>")


_MD_MARK = {Status.COVERED: "✅", Status.PARTIAL: "🟡", Status.UNCOVERED: "❌",
            Status.NEEDS_EVIDENCE: "📎", Status.NOT_APPLICABLE: "➖"}


def markdown(report: Report) -> str:
    """The report as GitHub-flavoured Markdown (tables; evidence per item in
    a collapsed ``<details>``)."""
    summary = report.summary()
    ctx = report.context
    default = f"(default `{ctx['default_action']}`) " if "default_action" in ctx else ""
    lines = ["## policyc coverage", "",
             f"Policy set: {', '.join(f'`{s}`' for s in ctx.get('sources', []))} "
             f"{default}— score **{summary['score']:.0%}** (covered / verifiable items)", "",
             "| catalog | " + " | ".join(s.value for s in Status) + " |",
             "|---|" + "---:|" * len(Status)]
    rows = [("OWASP ASI 2026", summary["owasp"])] + list(summary["checklists"].items())
    lines += [f"| {name} | " + " | ".join(str(c[s.value]) for s in Status) + " |" for name, c in rows]
    for title, results in _sections(report):
        lines += ["", f"### {title}", "", "| item | status | evidence | missing |", "|---|---|---|---|"]
        for r in results:
            lines.append(f"| {_md_cell(_label(r))} | {_MD_MARK[r.status]} {r.status.value} | "
                         f"{_md_cell(summary_line(r))} | {_md_cell('; '.join(r.missing))} |")
        probes = [(r, e) for r in results for e in r.evidence if e["kind"] == "probe"]
        if probes:
            lines += ["", "<details><summary>probe decisions</summary>", "", "| item | probe | call | decision |",
                      "|---|---|---|---|"]
            lines += [f"| {r.item.id} | {_md_cell(e['probe'])} | `{_md_cell(json.dumps(e['call'], sort_keys=True))}` "
                      f"| {_md_cell(evidence_line(e))} |" for r, e in probes]
            lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def json_text(report: Report) -> str:
    """The report's JSON document (``Report.to_json``), indented."""
    return json.dumps(report.to_json(), indent=2) + "\n"
