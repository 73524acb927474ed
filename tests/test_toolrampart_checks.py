"""Every ToolRampart check (PC601-PC626) has failing and passing fixtures,
whole-diagnostic snapshots and a docs page.

Fixtures live in ``tests/fixtures/toolrampart/<code>/``: ``fail_*`` and
``pass_*`` files (``.py`` tool modules, ``.toml`` configs) or directories
(a service: modules beside their ``toolrampart.toml``). Each directory's
``expected.json`` pins every diagnostic of each fixture (code, severity,
start and end line:column, message, help), checked from inside the
directory so that paths in messages are relative. Set
``POLICYC_UPDATE_SNAPSHOTS=1`` to rewrite the snapshots (then review the diff).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from policyc.dialects.toolrampart import check_paths
from policyc.dialects.toolrampart.checks import CHECKS

from .conftest import FIXTURES, REPO

TOOLRAMPART_FIXTURES = FIXTURES / "toolrampart"
UPDATE = os.environ.get("POLICYC_UPDATE_SNAPSHOTS") == "1"


def _fixtures() -> list[tuple[str, Path]]:
    out = []
    for check in CHECKS:
        directory = TOOLRAMPART_FIXTURES / check.code
        for path in sorted(directory.glob("*_*")):
            if path.name.startswith(("fail_", "pass_")):
                out.append((check.code, path))
    return out


def diagnostics_of(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """The fixture's diagnostics as snapshot rows (paths relative to its directory)."""
    monkeypatch.chdir(path.parent)
    rows = []
    for d in check_paths([path.name]):
        s = d.span
        rows.append({"code": d.code, "name": d.name, "severity": d.severity.value,
                     "at": f"{s.path}:{s.line}:{s.column}-{s.end_line}:{s.end_column}",
                     "message": d.message, "help": d.help})
    return rows


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.code)
def test_every_check_has_fixtures_and_docs(check) -> None:
    directory = TOOLRAMPART_FIXTURES / check.code
    assert list(directory.glob("fail_*")), f"{check.code} has no failing fixture"
    assert list(directory.glob("pass_*")), f"{check.code} has no passing fixture"
    page = REPO / "docs" / "checks" / f"{check.code}.md"
    assert page.is_file(), f"{check.code} has no docs page"
    text = page.read_text("utf-8")
    assert text.splitlines()[0] == f"# {check.code} {check.name}"
    for heading in ("## What it does", "## Why it matters", "## Example", "## Use instead"):
        assert heading in text, f"{page} lacks {heading}"


def test_codes_are_unique_and_ordered() -> None:
    codes = [c.code for c in CHECKS]
    assert codes == sorted(codes) == [f"PC6{n:02d}" for n in range(1, len(CHECKS) + 1)]
    assert len({c.name for c in CHECKS}) == len(CHECKS)


@pytest.mark.parametrize(("code", "path"), _fixtures(), ids=lambda v: getattr(v, "name", v))
def test_fixture_snapshot(code: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixture's whole diagnostics equal its snapshot; a failing fixture
    reports its own check, a passing one reports nothing at all."""
    rows = diagnostics_of(path, monkeypatch)
    if path.name.startswith("fail_"):
        assert code in {r["code"] for r in rows}, rows
    else:
        assert rows == [], rows
    snapshot = path.parent / "expected.json"
    expected = json.loads(snapshot.read_text("utf-8")) if snapshot.is_file() else {}
    if UPDATE:
        expected[path.name] = rows
        snapshot.write_text(json.dumps(dict(sorted(expected.items())), indent=2, ensure_ascii=False) + "\n", "utf-8")
    assert path.name in expected, f"no snapshot for {path.name}: run with POLICYC_UPDATE_SNAPSHOTS=1"
    assert rows == expected[path.name]
