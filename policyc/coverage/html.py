"""The coverage report as one self-contained HTML page, for an audit file.

Inline CSS and an inline SVG stacked-bar chart (one bar per catalog); no
scripts, no external assets. Every text from the report (policy names,
probe calls, artifact lines) is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import html
import json

from .model import ItemResult, Report, Status
from .render import evidence_line, summary_line

_COLOR = {Status.COVERED: "#2e7d32", Status.PARTIAL: "#f9a825", Status.UNCOVERED: "#c62828",
          Status.NEEDS_EVIDENCE: "#0277bd", Status.NOT_APPLICABLE: "#9e9e9e"}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:72rem;color:#212121;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #e0e0e0;padding:.35rem .5rem;vertical-align:top;text-align:left}
th{background:#f5f5f5}.st{font-weight:600;white-space:nowrap}
ul{margin:.2rem 0;padding-left:1.1rem}code{font-size:.8rem;word-break:break-all}
.meta{color:#555;font-size:.85rem}.missing{color:#b71c1c}.legend span{margin-right:1rem}
details summary{cursor:pointer;color:#555}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _chart(rows: list[tuple[str, dict[str, int]]]) -> str:
    """Horizontal stacked bars: one per catalog, segments per status."""
    bar_w, label_w, h = 560, 220, 26
    height = h * len(rows) + 10
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 10}" height="{height}" '
           f'role="img" aria-label="coverage by status">']
    for i, (name, counts) in enumerate(rows):
        y = i * h + 5
        total = sum(counts.values()) or 1
        out.append(f'<text x="0" y="{y + 16}" font-size="13">{_e(name)}</text>')
        x = float(label_w)
        for status in Status:
            n = counts[status.value]
            if not n:
                continue
            w = bar_w * n / total
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{h - 6}" fill="{_COLOR[status]}">'
                       f'<title>{_e(status.value)}: {n}</title></rect>')
            if w > 18:
                out.append(f'<text x="{x + w / 2:.1f}" y="{y + 15}" font-size="11" fill="#fff" '
                           f'text-anchor="middle">{n}</text>')
            x += w
    out.append("</svg>")
    return "".join(out)


def _legend() -> str:
    return '<p class="legend">' + "".join(
        f'<span><svg width="12" height="12"><rect width="12" height="12" fill="{_COLOR[s]}"/></svg> '
        f'{_e(s.value)}</span>' for s in Status) + "</p>"


def _row(r: ItemResult) -> str:
    evidence = "".join(
        f"<li>{_e(evidence_line(e))}" + (f"<br><code>{_e(json.dumps(e['call'], sort_keys=True))}</code>"
                                         if e["kind"] == "probe" else "") + "</li>"
        for e in r.evidence)
    missing = "".join(f'<li class="missing">{_e(m)}</li>' for m in r.missing)
    detail = (f"<details><summary>{_e(summary_line(r))}</summary><ul>{evidence}</ul></details>"
              if any(e["kind"] == "probe" for e in r.evidence) else f"<ul>{evidence}</ul>")
    label = f"<b>{_e(r.item.id)}</b> {_e(r.item.title)}<br>{_e(r.item.text)}"
    return (f"<tr><td>{label}</td><td class=\"st\" style=\"color:{_COLOR[r.status]}\">{_e(r.status.value)}</td>"
            f"<td>{detail}{f'<ul>{missing}</ul>' if missing else ''}</td></tr>")


def _table(title: str, results: list[ItemResult]) -> str:
    rows = "".join(_row(r) for r in results)
    return (f"<h2>{_e(title)}</h2><table><thead><tr><th>item</th><th>status</th><th>evidence</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def html_page(report: Report) -> str:
    """The whole page as a string (UTF-8 text, ends with a newline)."""
    summary = report.summary()
    ctx = report.context
    rows = [("OWASP ASI 2026", summary["owasp"])] + list(summary["checklists"].items())
    shown = {"default_action": "default action {}", "bundle_digest": "bundle {}", "probes": "{} probes"}
    meta = "; ".join([f"policy set: {', '.join(ctx.get('sources', []))}"]
                     + [text.format(ctx[key]) for key, text in shown.items() if key in ctx]
                     + [f"policyc {ctx.get('policyc')}"])
    deployment = ctx.get("deployment") or {}
    if deployment:
        meta += "; deployment: " + ", ".join(f"{p} ({k})" for p, k in deployment.items())
    body = [f"<h1>policyc coverage report</h1><p class=\"meta\">{_e(meta)}</p>",
            f"<p>Score <b>{summary['score']:.0%}</b> (covered / verifiable items)</p>",
            _chart(rows), _legend(), _table("OWASP Top 10 for Agentic Applications (2026)", report.owasp)]
    body += [_table(c.title, results) for c, results in report.checklists]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>policyc coverage report</title>"
            f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n")
