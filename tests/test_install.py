"""Installs are reproducible: the locks pin what pyproject.toml asks for, and
`make install` (the locked, non-editable install behind `make run`) gives a
working `policyc` in a fresh virtual environment."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .conftest import REPO

LOCKS = {"run": REPO / "requirements" / "run.lock", "test": REPO / "requirements" / "test.lock"}
_PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", re.M)


def _pins(lock: Path) -> dict[str, str]:
    return {canonicalize_name(name): version for name, version in _PIN.findall(lock.read_text("utf-8"))}


def _wanted(extra: bool) -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    reqs = list(project["project"]["dependencies"]) + list(project["build-system"]["requires"])
    if extra:
        reqs += project["project"]["optional-dependencies"]["test"]
    return [Requirement(r) for r in reqs]


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_lock_pins_every_requirement_within_its_range(name: str):
    pins = _pins(LOCKS[name])
    text = LOCKS[name].read_text("utf-8")
    for req in _wanted(extra=name == "test"):
        version = pins.get(canonicalize_name(req.name))
        assert version is not None, f"{req.name} is not in {name}.lock: run `make lock`"
        assert req.specifier.contains(version, prereleases=True), (
            f"{name}.lock pins {req.name}=={version}, outside {req.specifier}: run `make lock`")
    # Every pin carries hashes (pip --require-hashes refuses the lock otherwise).
    hashed = re.findall(r"^[A-Za-z0-9._-]+==[^\n]*\\\n\s+--hash=sha256:[0-9a-f]{64}", text, re.M)
    assert len(hashed) == len(pins) == len(_PIN.findall(text))


def test_run_lock_agrees_with_test_lock():
    run, test = _pins(LOCKS["run"]), _pins(LOCKS["test"])
    assert {k: test.get(k) for k in run} == run


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_locked_non_editable_install_checks_the_embedded_default(tmp_path: Path):
    venv = tmp_path / "venv"
    install = subprocess.run(
        ["make", "-s", "-C", str(REPO), "install", f"VENV={venv}", f"PYTHON={sys.executable}"],
        capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr
    # Run outside the repository, so only the installed wheel can be imported.
    result = subprocess.run([str(venv / "bin" / "policyc"), "check", "--verbose"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checked 1 file: 0 error(s), 0 warning(s)" in result.stdout
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import policyc; print(policyc.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert where.stdout.strip().startswith(str(venv))
