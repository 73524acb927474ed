"""The registry is the contract: every check has a docs page and fixtures
that fail and pass, and every fixture behaves as its name says. Each
failing fixture's diagnostics are pinned whole in its directory's
``snapshots.json``, and the generated parts of the docs are up to date.
Rewrite the snapshots with
``POLICYC_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_checks_meta.py``
and the docs with ``make docs``."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from policyc.checks import REGISTRY, docgen
from policyc.diagnostics.model import Diagnostic
from policyc.dialects.rampart.frontend import load_file
from policyc.ir import Tier
from policyc.loader import load_policy_set
from policyc.analysis import replay
from policyc.passes import run_passes
from policyc.suppress import apply_suppressions
from policyc.testing import run_file

from .conftest import FIXTURES, REPO

CHECK_FIXTURES = FIXTURES / "checks"
UPDATE_SNAPSHOTS = "POLICYC_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_checks_meta.py"


def _diagnostics(path: Path, tier: Tier) -> list[Diagnostic]:
    """Every diagnostic of the fixture at ``path`` loaded as ``tier``: a
    registered dialect's ``check_paths`` (after the directory's companions;
    only the fixture's own diagnostics), else Rampart's load, test-suite and
    pass diagnostics, each once (the test runner loads the file again),
    suppressions applied."""
    code = path.resolve().parent.name
    dialect = docgen.fixture_dialect(code, path)
    if dialect is not None:
        companions = [str(path.parent / name) for name in docgen.companions(code)]
        mine = path.resolve()
        return [d for d in dialect.check_paths([*companions, str(path)])
                if d.span is None or mine in (Path(d.span.path).resolve(), *Path(d.span.path).resolve().parents)]
    loaded = load_file(str(path), tier=tier)
    diagnostics = loaded.diagnostics + run_file(str(path)).diagnostics
    diagnostics += run_passes(_policy_set(path, tier))
    return apply_suppressions(list(dict.fromkeys(diagnostics)), [loaded])


def _codes(path: Path) -> set[str]:
    return {d.code for d in _diagnostics(path, docgen.fixture_tier(path.parent.name))}


def _policy_set(path: Path, tier: Tier):
    return load_policy_set([], project=str(path)) if tier is Tier.PROJECT else load_policy_set([str(path)])


def _fixtures(prefix: str) -> list[tuple[str, Path]]:
    out = []
    for code in sorted(REGISTRY):
        for path in docgen.fixtures(code, prefix):
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
    assert generated or docgen.fixtures(code, "fail"), f"{code} has no failing fixture"
    assert docgen.fixtures(code, "pass"), f"{code} has no passing fixture"
    # A check with a failing fixture shows one, with its output, generated.
    assert ("<!-- generated: example fail_" in text) != generated, f"{page}: generated example region"


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
RUN_LEVEL = {"PC023": "its fixtures, read by the Rampart front end as `policyc test` reads them (check reads "
                      "them as the dialect they are)",
             "PC111": "tests/test_budgets.py::test_many_files_of_many_policies_are_refused_at_once"}


@pytest.mark.parametrize("code", sorted(GENERATED))
def test_generated_failing_fixture(code: str, tmp_path: Path) -> None:
    assert code in _codes(GENERATED[code](tmp_path))


def _pinned(diag: Diagnostic) -> dict:
    """What a snapshot pins of ``diag``: its JSON form (extras such as the
    witness included) with its label, less the name and docs link, which
    follow from the code."""
    pinned = {key: value for key, value in diag.to_json().items() if key not in ("name", "docs")}
    return {**pinned, "label": diag.label}


def snapshot(code: str) -> str:
    """The snapshots.json text of ``code``'s failing fixtures: each one's
    pinned diagnostics, loaded from the fixture directory (paths relative)."""
    directory = CHECK_FIXTURES / code
    tier = docgen.fixture_tier(code)
    with contextlib.chdir(directory):
        pinned = {path.name: [_pinned(d) for d in _diagnostics(Path(path.name), tier)]
                  for path in docgen.fixtures(code, "fail")}
    return json.dumps(pinned, indent=2, ensure_ascii=False) + "\n"


SNAPSHOT_CODES = sorted({code for code, _ in _fixtures("fail")})


@pytest.fixture(scope="module")
def fresh_snapshots() -> dict[str, str]:
    """:func:`snapshot` of every code, each made by a fresh interpreter: the
    analysis charges its work budget only for what the process has not
    cached yet, so PC110's step counts depend on what the process ran before."""
    def run(code: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", "import sys; from tests.test_checks_meta import snapshot; "
             "sys.stdout.write(snapshot(sys.argv[1]))", code],
            cwd=REPO, env={**os.environ, "PYTHONIOENCODING": "utf-8"}, capture_output=True, encoding="utf-8")
        assert done.returncode == 0, f"the snapshot of {code} failed:\n{done.stderr}"
        return done.stdout

    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        return dict(zip(SNAPSHOT_CODES, pool.map(run, SNAPSHOT_CODES)))


@pytest.mark.parametrize("code", SNAPSHOT_CODES)
def test_failing_fixtures_match_their_snapshots(code: str, fresh_snapshots: dict[str, str]) -> None:
    """Each failing fixture reports exactly the diagnostics pinned in its
    directory's snapshots.json."""
    snapshots = CHECK_FIXTURES / code / "snapshots.json"
    if os.environ.get("POLICYC_UPDATE_SNAPSHOTS"):
        snapshots.write_text(fresh_snapshots[code], "utf-8")
    assert snapshots.is_file(), f"{snapshots} is missing: run {UPDATE_SNAPSHOTS}"
    assert json.loads(snapshots.read_text("utf-8")) == json.loads(fresh_snapshots[code]), (
        f"{code}'s diagnostics changed: if that is intended, run {UPDATE_SNAPSHOTS}")


def test_generated_docs_are_up_to_date() -> None:
    """The pages' titles, summaries and example output and the index table
    are what the generator makes of the registry and the fixtures today."""
    stale = [str(path.relative_to(REPO)) for path, text in docgen.generate().items()
             if not path.is_file() or path.read_text("utf-8") != text]
    assert not stale, f"generated docs are out of date ({', '.join(stale)}): run make docs"


def _all_fixtures() -> list[Path]:
    return sorted(CHECK_FIXTURES.glob("*/*.yaml"))


@pytest.mark.parametrize("path", _all_fixtures(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_witness_replays(path: Path) -> None:
    """Each finding's witness call, decided again by the reference
    evaluator (a registered dialect's for its fixtures), gets exactly the
    decision the finding reports."""
    dialect = docgen.fixture_dialect(path.parent.name, path)
    if dialect is not None:
        result = dialect.load_paths([str(path)])
        for diag in dialect.check_paths([str(path)]):
            if "witness" in diag.extra:
                assert dialect.decide(result, diag.extra["witness"]).to_json() == diag.extra["witness_decision"]
        return
    tier = docgen.fixture_tier(path.parent.name)
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
