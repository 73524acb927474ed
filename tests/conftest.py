"""Shared test helpers: where the repository and ../shared are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPORA = SHARED / "corpora"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def corpora_files() -> list[Path]:
    """Every YAML file of the shared corpora (empty when ../shared is absent)."""
    if not CORPORA.is_dir():
        return []
    return sorted(CORPORA.rglob("*.yaml"))


needs_corpora = pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora is absent")
