"""The registry is the contract: every check has a docs page and fixtures
that fail and pass, and every fixture behaves as its name says."""

from __future__ import annotations

from pathlib import Path

import pytest

from policyc.checks import REGISTRY
from policyc.frontends.rampart import load_file
from policyc.ir import Tier
from policyc.loader import load_policy_set
from policyc.analysis import replay
from policyc.passes import run_passes
from policyc.suppress import apply_suppressions
from policyc.testing import run_file

from .conftest import FIXTURES, REPO

CHECK_FIXTURES = FIXTURES / "checks"


def _codes(path: Path) -> set[str]:
    # PC2xx fixtures are project-tier files (as if at .rampart/policy.yaml).
    tier = Tier.PROJECT if path.parent.name.startswith("PC2") else Tier.GLOBAL
    loaded = load_file(str(path), tier=tier)
    diagnostics = loaded.diagnostics + run_file(str(path)).diagnostics
    diagnostics += run_passes(_policy_set(path, tier))
    return {d.code for d in apply_suppressions(diagnostics, [loaded])}


def _policy_set(path: Path, tier: Tier):
    return load_policy_set([], project=str(path)) if tier is Tier.PROJECT else load_policy_set([str(path)])


def _fixtures(prefix: str) -> list[tuple[str, Path]]:
    out = []
    for code in sorted(REGISTRY):
        for path in sorted((CHECK_FIXTURES / code).glob(f"{prefix}_*.yaml")):
            out.append((code, path))
    return out


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_every_check_has_docs_and_fixtures(code: str) -> None:
    check = REGISTRY[code]
    page = REPO / "docs" / "checks" / f"{code}.md"
    assert page.is_file(), f"{code} has no docs page"
    text = page.read_text()
    assert check.name in text.splitlines()[0], f"{page} should start with the check's name"
    for heading in ("## What it does", "## Why it matters", "## Example", "## Use instead"):
        assert heading in text, f"{page} lacks {heading}"
    generated = code in GENERATED or code in RUN_LEVEL
    assert generated or list((CHECK_FIXTURES / code).glob("fail_*.yaml")), f"{code} has no failing fixture"
    assert list((CHECK_FIXTURES / code).glob("pass_*.yaml")), f"{code} has no passing fixture"


@pytest.mark.parametrize(("code", "path"), _fixtures("fail"), ids=lambda v: getattr(v, "name", v))
def test_failing_fixture_reports_its_check(code: str, path: Path) -> None:
    assert code in _codes(path)


@pytest.mark.parametrize(("code", "path"), _fixtures("pass"), ids=lambda v: getattr(v, "name", v))
def test_passing_fixture_is_clean(code: str, path: Path) -> None:
    assert _codes(path) == set()


def _too_large(tmp: Path) -> Path:
    path = tmp / "huge.yaml"
    path.write_text('version: "1"\n' + "# padding\n" * 110_000)
    return path


GENERATED = {"PC004": _too_large}
#: Checks of a whole run, not of one file: their failing cases are in the test named.
RUN_LEVEL = {"PC111": "tests/test_budgets.py::test_many_files_of_many_policies_are_refused_at_once"}


@pytest.mark.parametrize("code", sorted(GENERATED))
def test_generated_failing_fixture(code: str, tmp_path: Path) -> None:
    assert code in _codes(GENERATED[code](tmp_path))


def _all_fixtures() -> list[Path]:
    return sorted(CHECK_FIXTURES.glob("*/*.yaml"))


@pytest.mark.parametrize("path", _all_fixtures(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_witness_replays(path: Path) -> None:
    """Each finding's witness call, decided again by the reference
    evaluator, gets exactly the decision the finding reports."""
    tier = Tier.PROJECT if path.parent.name.startswith("PC2") else Tier.GLOBAL
    loaded = _policy_set(path, tier)
    for diag in run_passes(loaded):
        if "witness" in diag.extra:
            assert replay(loaded.policy_set, diag.extra["witness"]).to_json() == diag.extra["witness_decision"]


def test_docs_index_lists_every_check_as_registered() -> None:
    """docs/checks/README.md has one row per check, with the registry's name,
    severity and summary, ordered by code."""
    text = (REPO / "docs" / "checks" / "README.md").read_text("utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| [PC")]
    expected = [f"| [{c.code}]({c.code}.md) | `{c.name}` | {c.severity.value} | {c.summary} |"
                for _, c in sorted(REGISTRY.items())]
    assert rows == expected
