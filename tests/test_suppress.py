"""Inline suppressions: which comments count, what they cover, and PC024 for
the ones that silence nothing. Findings are made with registered PC0xx
checks so the tests do not depend on analyses that may not exist yet."""

from __future__ import annotations

from pathlib import Path

from policyc.checks import check
from policyc.config import Config
from policyc.diagnostics.model import Diagnostic, Severity
from policyc.dialects.rampart.frontend import load_file, rule_spans
from policyc.ir import Span
from policyc.suppress import apply_suppressions, read_suppressions

POLICY = """\
version: "1"
policies:
  - name: shell
    match:
      tool: exec
    rules:
      # policyc: ignore[PC015] reviewed
      - action: deny
        when:
          command_matches: ["rm -rf *"]
      - action: allow  # policyc: ignore[PC015, PC016]
        when:
          command_matches: ["ls *"]
"""


def _write(tmp_path: Path, text: str, name: str = "p.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _finding(path: str, line: int, column: int = 11, code: str = "PC015"):
    return check(code).at(Span(path, line, column, line, column + 3), "synthetic finding")


def _apply(path: str, diagnostics, config: Config | None = None):
    return apply_suppressions(diagnostics, [load_file(path)], config)


def test_read_codes_reason_and_positions():
    found = read_suppressions("p.yaml", "a: 1  # policyc: ignore[PC007 , PC015] legacy, see SEC-1\n")
    assert len(found) == 1
    s = found[0]
    assert [code for code, _ in s.codes] == ["PC007", "PC015"]
    assert [(span.column, span.end_column) for _, span in s.codes] == [(25, 30), (33, 38)]
    assert s.reason == "legacy, see SEC-1"
    assert (s.span.line, s.span.column, s.anchor) == (1, 7, 1)


def test_reason_is_optional():
    (s,) = read_suppressions("p.yaml", "a: 1  # policyc: ignore[PC007]\n")
    assert s.reason is None and s.problem is None


def test_malformed_suppressions_are_kept_with_a_problem():
    for text in ("a: 1 # policyc: ignore PC007\n", "a: 1 # policyc: ignore[]\n",
                 "a: 1 # policyc: ignore[PC007,]\n", "a: 1 # policyc: skip[PC007]\n"):
        (s,) = read_suppressions("p.yaml", text)
        assert s.problem and not s.codes, text


def test_hash_inside_scalars_is_not_a_comment():
    text = ('a: "x # policyc: ignore[PC007]"\n'
            "b: 'y # policyc: ignore[PC007]'\n"
            "c: |\n  # policyc: ignore[PC007]\n"
            "d: e#policyc: ignore[PC007]\n")
    assert read_suppressions("p.yaml", text) == []


def test_comment_after_a_scanner_error_still_counts():
    text = 'a: "x # policyc: ignore[PC007]"\nb: `bad  # policyc: ignore[PC001]\n'
    (s,) = read_suppressions("p.yaml", text)
    assert (s.anchor, [code for code, _ in s.codes]) == (2, ["PC001"])


def test_anchor_of_stacked_comment_lines_and_blank_line():
    text = "# policyc: ignore[PC007]\n# policyc: ignore[PC015]\na: 1\n# policyc: ignore[PC016]\n\nb: 2\n"
    assert [s.anchor for s in read_suppressions("p.yaml", text)] == [3, 3, 5]


def test_rule_spans_cover_each_rule(tmp_path):
    spans = load_file(_write(tmp_path, POLICY)).facts.rule_spans
    assert [(s.line, s.end_line) for s in spans] == [(8, 10), (11, 13)]
    assert rule_spans(None) == []


def _column(text: str, line: int, needle: str) -> int:
    return text.splitlines()[line - 1].index(needle) + 1


def test_comment_above_rule_covers_the_whole_rule(tmp_path):
    path = _write(tmp_path, POLICY)
    out = _apply(path, [_finding(path, 10)])
    # the finding in rule 1 is silenced; both codes on line 11 silenced nothing
    assert [(d.code, d.span.line, d.span.column) for d in out] == [
        ("PC024", 11, _column(POLICY, 11, "PC015")), ("PC024", 11, _column(POLICY, 11, "PC016"))]


def test_rule_line_suppression_and_partial_use(tmp_path):
    path = _write(tmp_path, POLICY)
    out = _apply(path, [_finding(path, 10), _finding(path, 13)])
    assert [(d.code, d.span.line, d.span.column) for d in out] == [("PC024", 11, _column(POLICY, 11, "PC016"))]
    assert "no PC016 finding in the rule starting on line 11" in out[0].message
    assert out[0].severity is Severity.WARNING


def test_finding_outside_every_covered_line_stays(tmp_path):
    path = _write(tmp_path, POLICY)
    out = _apply(path, [_finding(path, 3, 5, code="PC016")])
    assert [(d.code, d.span.line) for d in out] == [("PC016", 3), ("PC024", 7), ("PC024", 11), ("PC024", 11)]


def test_same_line_suppression(tmp_path):
    path = _write(tmp_path, 'version: "1"  # policyc: ignore[PC009] reason\n')
    assert _apply(path, [_finding(path, 1, 10, code="PC009")]) == []
    assert [d.code for d in _apply(path, [])] == ["PC024"]


def test_unknown_code_is_reported_but_a_used_unregistered_code_is_not(tmp_path):
    path = _write(tmp_path, "a: 1  # policyc: ignore[PC999]\nb: 2  # policyc: ignore[PC998]\n")
    finding = Diagnostic("PC998", "future-check", Severity.ERROR, "from a newer pass", Span(path, 2, 1))
    out = _apply(path, [finding])
    assert [(d.code, d.span.line) for d in out] == [("PC024", 1)]
    assert "`PC999`, which is not a policyc check" in out[0].message


def test_other_files_and_spanless_findings_pass_through(tmp_path):
    path = _write(tmp_path, POLICY)
    elsewhere = _finding(str(tmp_path / "other.yaml"), 10)
    spanless = check("PC015").at(None, "whole run")
    out = _apply(path, [elsewhere, spanless, _finding(path, 10), _finding(path, 13)])
    assert elsewhere in out and spanless in out


def test_config_runs_first_and_applies_to_pc024(tmp_path):
    path = _write(tmp_path, 'version: "1"  # policyc: ignore[PC009]\n')
    finding = _finding(path, 1, 10, code="PC009")
    off = Config(severity={"PC009": None})
    assert [d.code for d in _apply(path, [finding], off)] == ["PC024"]
    quiet = Config(severity={"PC024": None})
    assert _apply(path, [], quiet) == []
    louder = Config(severity={"PC024": Severity.ERROR})
    assert [d.severity for d in _apply(path, [], louder)] == [Severity.ERROR]


def test_output_is_sorted(tmp_path):
    path = _write(tmp_path, POLICY)
    out = _apply(path, [_finding(path, 13), _finding(path, 2, 1, code="PC016")])
    keys = [d.sort_key() for d in out]
    assert keys == sorted(keys)
