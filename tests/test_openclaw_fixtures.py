"""The OpenClaw dialect's checks (PC501-PC514, PC512 retired): their codes,
and the witnesses of their fixtures replayed by the dialect's evaluator. Fixtures,
snapshots and docs of every check, these included, are tested in
tests/test_checks_meta.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from policyc.dialects.openclaw import check_paths, decide, load_paths
from policyc.dialects.openclaw.checks import CHECKS

from policyc.checks.docgen import companions

from .conftest import FIXTURES

CHECK_DIR = FIXTURES / "checks"
CODES = [c.code for c in CHECKS]
#: Codes no longer reported, never to be reused, with what reports it now.
RETIRED = {"PC512": "allow-never-applies: PC101 (the shared reachability pass) reports it on the lowered IR"}


@pytest.fixture(autouse=True)
def _in_fixture_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fixtures are named relative to ``tests/fixtures/checks`` (messages that
    name another file are then the same on every machine)."""
    monkeypatch.chdir(CHECK_DIR)


def _paths(path: Path) -> list[str]:
    code = path.parent.name
    return [f"{code}/{name}" for name in companions(code)] + [f"{code}/{path.name}"]


def _fixtures(prefix: str) -> list[Path]:
    return [p for code in CODES for p in sorted((CHECK_DIR / code).glob(f"{prefix}_*.yaml"))]


def test_codes_are_the_pc5xx_range() -> None:
    every = [f"PC5{n:02d}" for n in range(1, len(CODES) + len(RETIRED) + 1)]
    assert CODES == [code for code in every if code not in RETIRED]
    assert len({c.name for c in CHECKS}) == len(CHECKS)


def test_witnesses_replay() -> None:
    """Every finding's witness call (PC101 and PC302 of the shared passes on
    the lowered IR) is decided as the finding says."""
    for path in _fixtures("fail") + _fixtures("pass"):
        result = load_paths(_paths(path))
        for diag in check_paths(_paths(path)):
            if "witness" in diag.extra:
                assert decide(result, diag.extra["witness"]).to_json() == diag.extra["witness_decision"]
