"""The ToolRampart checks (PC601-PC626): their codes. Their fixtures
(``tests/fixtures/checks/PC6xx/``: ``.py`` tool modules, ``.toml`` configs
and service directories), whole-diagnostic snapshots and docs pages are
tested with every other check's in tests/test_checks_meta.py."""

from __future__ import annotations

from policyc.dialects.toolrampart.checks import CHECKS


def test_codes_are_unique_and_ordered() -> None:
    codes = [c.code for c in CHECKS]
    assert codes == sorted(codes) == [f"PC6{n:02d}" for n in range(1, len(CHECKS) + 1)]
    assert len({c.name for c in CHECKS}) == len(CHECKS)
