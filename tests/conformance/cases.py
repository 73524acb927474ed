"""Every inline test / suite case of the corpora, decided by the engine (the
final word), by policyc's bundle and by the reference evaluator.

Three lists come out: cases where ``expect:`` itself disagrees with the
engine (a stale expectation, reported, not a policyc failure), cases where
policyc disagrees with the engine (failures), and cases the oracle cannot
decide as written (a ``response:``; the harness decides the request only).
The call is built as the engine's test runner builds it (agent ``test``
when the case names none; ``expect_message`` is a glob where ``*`` does not
cross ``/``, as ``filepath.Match``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .calls import CorpusCase
from .harness import CORPORA, PolicySetSpec, Policyc, all_cases
from .oracle import EngineRefused, engine_decide_full


def _message_matches(pattern: str, message: str) -> bool:
    # filepath.Match: '*' and '?' do not cross '/'
    import re

    out, i = "", 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                return False
            body = pattern[i + 1:j]
            out += "[" + ("^" + body[1:] if body.startswith("^") else body) + "]"
            i = j
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        else:
            out += re.escape(ch)
        i += 1
    return re.fullmatch(out, message, re.S) is not None


@dataclass
class CaseRow:
    case: CorpusCase
    engine: str
    engine_message: str
    bundle: str
    reference: str

    def line(self) -> str:
        rel = Path(self.case.file).relative_to(CORPORA) if self.case.file.startswith(str(CORPORA)) else self.case.file
        return (f"{rel} :: {self.case.name}: expect={self.case.expect} engine={self.engine} "
                f"bundle={self.bundle} reference={self.reference}  {json.dumps(self.case.call, sort_keys=True)}")


@dataclass
class CaseReport:
    rows: list[CaseRow] = field(default_factory=list)
    expect_vs_engine: list[CaseRow] = field(default_factory=list)
    policyc_vs_engine: list[CaseRow] = field(default_factory=list)
    response_cases: list[CaseRow] = field(default_factory=list)
    load_problems: list[str] = field(default_factory=list)

    def text(self) -> str:
        out = [f"{len(self.rows)} cases; expect: disagrees with the engine on {len(self.expect_vs_engine)}; "
               f"policyc disagrees with the engine on {len(self.policyc_vs_engine)}"]
        for title, rows in (("expect: differs from the engine (stale expectation)", self.expect_vs_engine),
                            ("policyc differs from the engine", self.policyc_vs_engine),
                            ("case has a response (request side compared only)", self.response_cases)):
            if rows:
                out.append(f"  {title}:")
                out.extend("    " + r.line() for r in rows)
        out.extend("  " + p for p in self.load_problems)
        return "\n".join(out)


def check_cases(cases: list[CorpusCase] | None = None) -> CaseReport:
    cases = all_cases() if cases is None else cases
    report = CaseReport()
    by_policy: dict[str, list[CorpusCase]] = {}
    for c in cases:
        by_policy.setdefault(c.policy, []).append(c)
    for policy, group in sorted(by_policy.items()):
        spec = PolicySetSpec(Path(policy).stem, (policy,))
        pc = Policyc(spec)
        calls = [c.call for c in group]
        try:
            engine = engine_decide_full([policy], calls)
        except EngineRefused as exc:
            report.load_problems.append(f"{policy}: the engine refuses it: {exc}"
                                        + ("" if not pc.ok else " (policyc loads it)"))
            continue
        if not pc.ok:
            report.load_problems.append(f"{policy}: policyc refuses it, the engine loads it: {pc.errors[:3]}")
            continue
        for case, e in zip(group, engine):
            row = CaseRow(case, str(e.get("action")), str(e.get("message", "")),
                          pc.bundle_action(case.call), pc.reference_action(case.call))
            report.rows.append(row)
            if case.has_response:
                report.response_cases.append(row)
            else:
                expect_ok = row.engine == ({"log": "watch"}.get(case.expect, case.expect)) and (
                    case.expect_message is None or _message_matches(case.expect_message, row.engine_message))
                if not expect_ok:
                    report.expect_vs_engine.append(row)
            if row.bundle != row.engine or row.reference != row.engine:
                report.policyc_vs_engine.append(row)
    return report

