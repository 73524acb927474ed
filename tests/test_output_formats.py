"""`policyc check --format sarif|github`: golden files, the SARIF shape GitHub
code scanning accepts, workflow-command escaping, determinism, and the
progress helper. Regenerate the golden files with
``POLICYC_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_output_formats.py``."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from policyc import __version__
from policyc.checks import REGISTRY, check
from policyc.cli import main
from policyc.diagnostics.github import annotation, escape_data, escape_property
from policyc.diagnostics.model import Diagnostic, Severity
from policyc.diagnostics.progress import progress
from policyc.diagnostics.sarif import artifact_uri, sarif_document
from policyc.ir import Span

from .conftest import REPO

GOLDEN = Path(__file__).resolve().parent / "golden"
INPUTS = [
    "tests/fixtures/checks/PC007/fail_path_match_typo.yaml",  # error on one line
    "tests/fixtures/checks/PC101/fail_catch_all_first.yaml",  # warning over three lines, with a witness
    "tests/fixtures/checks/PC024/fail_other_rule.yaml",  # unused suppression and the finding it missed
    "tests/fixtures/checks/PC511/fail_middle_star.yaml",  # a file of another dialect (OpenClaw)
]


def _check(monkeypatch, fmt: str) -> tuple[int, str]:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, ["check", "--no-config", "--format", fmt, *INPUTS])
    return result.exit_code, result.output


def _golden(name: str, actual: str) -> str:
    path = GOLDEN / name
    if os.environ.get("POLICYC_UPDATE_GOLDEN"):
        path.write_text(actual)
    return path.read_text()


def _sarif(monkeypatch) -> dict:
    code, out = _check(monkeypatch, "sarif")
    assert code == 1
    doc = json.loads(out)
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["version"] == driver["semanticVersion"] == __version__
    driver["version"] = driver["semanticVersion"] = "VERSION"
    return doc


def test_sarif_matches_golden(monkeypatch):
    doc = _sarif(monkeypatch)
    actual = json.dumps(doc, indent=2) + "\n"
    assert actual == _golden("check.sarif", actual)


def test_sarif_validates_against_the_subset_schema(monkeypatch):
    schema = json.loads((GOLDEN / "sarif-2.1.0-subset.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(_sarif(monkeypatch), schema, cls=jsonschema.Draft202012Validator)


def test_sarif_rules_and_results_agree(monkeypatch):
    run = _sarif(monkeypatch)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["PC007", "PC024", "PC101", "PC511"]
    for rule in rules:
        registered = REGISTRY[rule["id"]]
        assert rule["name"] == registered.name
        assert rule["shortDescription"]["text"] == registered.summary
        assert f"docs/checks/{rule['id']}.md" in rule["help"]["text"]
    assert [r["defaultConfiguration"]["level"] for r in rules] == ["error", "warning", "warning", "warning"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri in INPUTS  # relative to the working directory, forward slashes
    assert [(r["ruleId"], r["level"]) for r in run["results"]] == [
        ("PC007", "error"), ("PC024", "warning"), ("PC007", "error"), ("PC101", "warning"), ("PC511", "warning")]


def test_sarif_region_and_extras():
    span = Span("p.yaml", 3, 5, 3, 9)
    diag = check("PC015").at(span, "bad glob", help="close the bracket", witness={"tool": "exec"})
    (result,) = sarif_document([diag])["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 9}
    assert result["message"]["text"] == "bad glob\nhelp: close the bracket"
    assert result["properties"] == {"witness": {"tool": "exec"}}
    info = Diagnostic("PC015", "invalid-glob", Severity.INFO, "x", Span("p.yaml", 1, 1))
    assert sarif_document([info])["runs"][0]["results"][0]["level"] == "note"


def test_artifact_uri(tmp_path):
    assert artifact_uri(str(tmp_path / "dir" / "my policy.yaml"), tmp_path) == "dir/my%20policy.yaml"
    outside = artifact_uri(str(tmp_path / "x.yaml"), tmp_path / "sub")
    assert outside == (tmp_path / "x.yaml").as_uri()


def test_github_matches_golden(monkeypatch):
    code, out = _check(monkeypatch, "github")
    assert code == 1
    assert out == _golden("check.github.txt", out)
    assert all(line.startswith(("::error ", "::warning ")) for line in out.splitlines())


def test_github_annotation_shape_and_escaping(tmp_path):
    diag = check("PC015").at(Span(str(tmp_path / "a:b,c.yaml"), 4, 7, 4, 12), "50% of\r\nglobs",
                             help="use `a,b`")
    line = annotation(diag, cwd=tmp_path)
    assert line == ("::error file=a%3Ab%2Cc.yaml,line=4,col=7,endLine=4,endColumn=12,title=PC015 invalid-glob"
                    "::50%25 of%0D%0Aglobs%0Ahelp: use `a,b`")
    multi = check("PC105").at(Span("x.yaml", 1, 1, 2, 16), "never")
    assert annotation(multi, cwd=".") == "::warning file=x.yaml,line=1,endLine=2,title=PC105 empty-condition::never"
    spanless = check("PC105").at(None, "whole run")
    assert annotation(spanless) == "::warning title=PC105 empty-condition::whole run"
    info = Diagnostic("PC023", "unsupported-dialect", Severity.INFO, "fyi", None)
    assert annotation(info).startswith("::notice ")


def test_escape_functions():
    assert escape_data("100%\n\r:,") == "100%25%0A%0D:,"
    assert escape_property("100%\n\r:,") == "100%25%0A%0D%3A%2C"


@given(st.text(alphabet=st.sampled_from("ab%:,\r\n0A2")))
def test_escaped_property_is_one_field_and_round_trips(text):
    escaped = escape_property(text)
    assert not set(escaped) & set(":,\r\n")
    assert unquote(escaped) == text
    assert unquote(escape_data(text)) == text


@pytest.mark.parametrize("fmt", ["sarif", "github", "json"])
def test_output_is_deterministic_and_sorted(monkeypatch, fmt):
    first = _check(monkeypatch, fmt)
    assert _check(monkeypatch, fmt) == first
    if fmt == "json":
        keys = [(d["path"], d["line"], d["column"], d["code"]) for d in json.loads(first[1])["diagnostics"]]
        assert keys == sorted(keys)


def test_progress_only_on_a_text_terminal():
    shown = io.StringIO()
    terminal = Console(file=shown, force_terminal=True, width=80)
    assert list(progress(range(3), "analysing", console=terminal)) == [0, 1, 2]
    assert "analysing" in shown.getvalue()
    for fmt, console in (("json", Console(file=io.StringIO(), force_terminal=True)),
                         ("text", Console(file=io.StringIO(), force_terminal=False))):
        assert list(progress(iter([1, 2]), "analysing", fmt=fmt, console=console)) == [1, 2]
        assert console.file.getvalue() == ""
