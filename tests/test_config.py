"""Project configuration: discovery, validation with clear errors, effect on
findings, and the check command's --config/--no-config/--fail-on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyc.checks import check
from policyc.cli import main
from policyc.config import Config, ConfigError, find_config, load_config, resolve_config
from policyc.diagnostics.model import Severity
from policyc.ir import Span

from .conftest import FIXTURES

DUPLICATE = (FIXTURES / "checks" / "PC302" / "fail_duplicate_after_other.yaml").read_text()  # one PC302 warning
TYPO = (FIXTURES / "checks" / "PC007" / "fail_path_match_typo.yaml").read_text()  # one PC007 error


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_find_walks_up_and_policyc_toml_wins(tmp_path):
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) is None
    pyproject = _write(tmp_path / "pyproject.toml", '[tool.policyc]\nfail-on = "warning"\n')
    assert find_config(deep) == pyproject.resolve()
    own = _write(tmp_path / "policyc.toml", 'fail-on = "info"\n')
    assert find_config(deep) == own.resolve()
    nearer = _write(tmp_path / "a" / "pyproject.toml", '[tool.policyc]\n')
    assert find_config(deep) == nearer.resolve()


def test_pyproject_without_table_is_passed_over(tmp_path):
    _write(tmp_path / "pyproject.toml", '[tool.policyc]\nfail-on = "warning"\n')
    _write(tmp_path / "sub" / "pyproject.toml", '[project]\nname = "policyc-rules"\n')
    _write(tmp_path / "other" / "pyproject.toml", "this is [not toml\n")  # unrelated and broken
    assert find_config(tmp_path / "sub") == (tmp_path / "pyproject.toml").resolve()
    assert find_config(tmp_path / "other") == (tmp_path / "pyproject.toml").resolve()


def test_load_reads_every_key(tmp_path):
    path = _write(tmp_path / "policyc.toml", """
fail-on = "warning"
[severity]
PC023 = "off"
PC007 = "info"
[ignore]
"legacy/*.yaml" = ["PC015", "PC016"]
""")
    config = load_config(path)
    assert config.fail_on is Severity.WARNING
    assert config.severity == {"PC023": None, "PC007": Severity.INFO}
    assert config.ignore == (("legacy/*.yaml", frozenset({"PC015", "PC016"})),)
    assert config.root == tmp_path.resolve()


def test_load_pyproject_table(tmp_path):
    path = _write(tmp_path / "pyproject.toml", '[tool.policyc.severity]\nPC023 = "error"\n')
    assert load_config(path).severity == {"PC023": Severity.ERROR}


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("policyc.toml", "fail-on = \n", r"policyc.toml:1:\d+: invalid TOML: "),
    ("policyc.toml", 'fail_on = "warning"\n', r"policyc.toml: `fail_on`: unknown key; expected one of fail-on"),
    ("policyc.toml", '[severity]\nPC999 = "off"\n', r"`severity.PC999`: `PC999` is not a policyc check code"),
    ("policyc.toml", '[severity]\nPC007 = "fatal"\n', r"`severity.PC007`: 'fatal' is not a severity"),
    ("policyc.toml", 'severity = ["PC007"]\n', r"`severity`: must be a table, not list"),
    ("policyc.toml", '[ignore]\n"a/*" = "PC007"\n', r'`ignore."a/\*"`: must be a non-empty list of check codes'),
    ("policyc.toml", '[ignore]\n"a/*" = ["PC9"]\n', r'`ignore."a/\*"`: `PC9` is not a policyc check code'),
    ("policyc.toml", '[ignore]\n"/etc/*.yaml" = ["PC007"]\n', r'`ignore."/etc/\*.yaml"`: must be relative'),
    ("policyc.toml", '[ignore]\n"../x/*.yaml" = ["PC007"]\n', r"without `..`"),
    ("policyc.toml", 'fail-on = "off"\n', r"`fail-on`: 'off' is not a severity; expected error, warning or info"),
    ("pyproject.toml", '[tool.policyc]\nsevrity = {}\n', r"pyproject.toml: `tool.policyc.sevrity`: unknown key"),
])
def test_bad_configuration_names_file_and_key(tmp_path, name, text, expected):
    with pytest.raises(ConfigError, match=expected):
        load_config(_write(tmp_path / name, text))


def test_unreadable_configuration(tmp_path):
    with pytest.raises(ConfigError, match="cannot read configuration"):
        load_config(tmp_path / "missing.toml")


def test_adjust_severity_off_and_path_ignores(tmp_path):
    config = Config(severity={"PC023": None, "PC007": Severity.WARNING},
                    ignore=(("legacy/**", frozenset({"PC015"})),), root=tmp_path)
    inside = str(tmp_path / "legacy" / "old" / "a.yaml")
    outside = str(tmp_path.parent / "legacy" / "a.yaml")
    findings = [
        check("PC023").at(Span(inside, 1, 1), "dialect"),
        check("PC007").at(Span(inside, 2, 1), "typo"),
        check("PC015").at(Span(inside, 3, 1), "glob"),
        check("PC015").at(Span(outside, 3, 1), "glob outside the root"),
        check("PC015").at(None, "spanless"),
    ]
    out = config.adjust(findings)
    assert [(d.code, d.severity, d.message) for d in out] == [
        ("PC007", Severity.WARNING, "typo"),
        ("PC015", Severity.ERROR, "glob outside the root"),
        ("PC015", Severity.ERROR, "spanless"),
    ]


def test_single_star_stays_in_one_directory(tmp_path):
    config = Config(ignore=(("legacy/*.yaml", frozenset({"PC015"})),), root=tmp_path)
    deep = check("PC015").at(Span(str(tmp_path / "legacy" / "x" / "a.yaml"), 1, 1), "deep")
    shallow = check("PC015").at(Span(str(tmp_path / "legacy" / "a.yaml"), 1, 1), "shallow")
    assert config.adjust([deep, shallow]) == [deep]


def test_resolve_explicit_and_disabled(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "policyc.toml", 'fail-on = "info"\n')
    other = _write(tmp_path / "ci.toml", 'fail-on = "warning"\n')
    assert resolve_config(None).fail_on is Severity.INFO
    assert resolve_config(str(other)).fail_on is Severity.WARNING
    assert resolve_config(None, disabled=True) == Config(root=resolve_config(None, disabled=True).root)


# -- the check command -------------------------------------------------------


def _check(tmp_path, monkeypatch, *args):
    monkeypatch.chdir(tmp_path)
    return CliRunner().invoke(main, ["check", *args])


def test_cli_severity_off_and_fail_on_from_config(tmp_path, monkeypatch):
    _write(tmp_path / "agents" / "support.yaml", DUPLICATE)
    assert _check(tmp_path, monkeypatch, "agents").exit_code == 0  # a warning, fail-on error
    _write(tmp_path / "policyc.toml", 'fail-on = "warning"\n')
    result = _check(tmp_path, monkeypatch, "agents")
    assert result.exit_code == 1 and "PC302" in result.output
    assert _check(tmp_path, monkeypatch, "--fail-on", "error", "agents").exit_code == 0
    _write(tmp_path / "policyc.toml", 'fail-on = "warning"\n[severity]\nPC302 = "off"\n')
    result = _check(tmp_path, monkeypatch, "--format", "json", "agents")
    assert result.exit_code == 0
    assert json.loads(result.output)["diagnostics"] == []


def test_cli_path_ignore_and_no_config(tmp_path, monkeypatch):
    _write(tmp_path / "policies" / "legacy" / "dev.yaml", TYPO)
    _write(tmp_path / "pyproject.toml", '[tool.policyc.ignore]\n"policies/legacy/*.yaml" = ["PC007"]\n')
    assert _check(tmp_path, monkeypatch, "policies/legacy").exit_code == 0
    result = _check(tmp_path, monkeypatch, "--no-config", "policies/legacy")
    assert result.exit_code == 1 and "PC007" in result.output


def test_cli_bad_config_exits_2_without_traceback(tmp_path, monkeypatch):
    _write(tmp_path / "p.yaml", TYPO)
    _write(tmp_path / "policyc.toml", '[severity]\nPC999 = "off"\n')
    result = _check(tmp_path, monkeypatch, "p.yaml")
    assert result.exit_code == 2
    assert "policyc.toml: `severity.PC999`" in result.output
    assert "Traceback" not in result.output


def test_cli_explicit_config_and_conflicting_flags(tmp_path, monkeypatch):
    _write(tmp_path / "p.yaml", TYPO)
    _write(tmp_path / "ci.toml", '[severity]\nPC007 = "warning"\n')
    assert _check(tmp_path, monkeypatch, "--config", "ci.toml", "p.yaml").exit_code == 0
    assert _check(tmp_path, monkeypatch, "--config", "missing.toml", "p.yaml").exit_code == 2
    result = _check(tmp_path, monkeypatch, "--config", "ci.toml", "--no-config", "p.yaml")
    assert result.exit_code == 2 and "exclude each other" in result.output
