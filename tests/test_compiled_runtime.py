"""The compiled runtime decides exactly as its pure-Python sources.

An installed policyc decides with mypyc-compiled copies of the hot modules
(hatch_build.py's ``COMPILED``) when its wheel was built with a C compiler;
the repository's ``.py`` files stay the reference, and they are what
``python -m pytest`` imports from the repository root. Here the
differential and hostile-input tests of the runtime run a second time, in a
pytest subprocess with ``POLICYC_TEST_INSTALLED=1`` (tests/conftest.py then
imports the installed package), and the wheel build's fallbacks are
checked: ``POLICYC_PURE_PYTHON=1`` and a missing C compiler both give a
pure-Python wheel, never a failed install.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from hatch_build import COMPILED

from .conftest import REPO

#: Test files rerun against the compiled modules: the bundle runtime's
#: differential, hostile-input and engine-verified tests, the
#: canonicalization's, and the conformance vectors.
DIFFERENTIAL = (
    "tests/test_compiled_runtime.py",
    "tests/test_bundle.py",
    "tests/test_runtime_fuzz.py",
    "tests/test_canonicalize.py",
    "tests/test_canon_vectors.py",
    "tests/test_shells.py",
    "tests/test_callfields_model.py",
    "tests/test_fast_paths.py",
    "tests/test_engine_case_and_space.py",
    "tests/test_engine_decisions.py",
    "tests/test_engine_combining.py",
    "tests/test_go_runtime.py::test_python_runtime_decides_every_vector_as_recorded",
)

INSTALLED_RUN = bool(os.environ.get("POLICYC_TEST_INSTALLED"))


def _module(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def _installed_origins(tmp_path: Path) -> dict[str, str]:
    """Where this interpreter's installed policyc keeps each compiled
    module: ``-P`` and a neutral working directory keep the repository off
    sys.path."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = ("import importlib.util, json, sys; "
            "print(json.dumps({m: importlib.util.find_spec(m).origin for m in sys.argv[1:]}))")
    done = subprocess.run([sys.executable, "-P", "-c", code, *(_module(p) for p in COMPILED)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        pytest.skip(f"policyc is not installed in this interpreter ({done.stderr.strip()[-200:]})")
    return json.loads(done.stdout)


def _skip_unless_compiled_and_current(tmp_path: Path) -> None:
    for path, origin in zip(COMPILED, _installed_origins(tmp_path).values()):
        if origin.endswith(".py"):
            pytest.skip(f"the installed policyc is pure Python ({origin}): its wheel was built without "
                        "a C compiler or with POLICYC_PURE_PYTHON; `make install-test` compiles it")
        source = Path(origin).parent / Path(path).name
        if not source.exists() or source.read_bytes() != (REPO / path).read_bytes():
            pytest.skip(f"the installed {path} differs from the repository's: run `make install-test`")


@pytest.mark.skipif(INSTALLED_RUN, reason="this is the run against the installed package")
def test_compiled_modules_pass_the_differential_tests(tmp_path: Path):
    _skip_unless_compiled_and_current(tmp_path)
    env = {**os.environ, "POLICYC_TEST_INSTALLED": "1"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                           *DIFFERENTIAL], cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-2000:]
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) > 400, summary
    assert "failed" not in summary and "error" not in summary, summary


@pytest.mark.skipif(not INSTALLED_RUN, reason="runs inside test_compiled_modules_pass_the_differential_tests")
def test_the_installed_run_imports_the_compiled_modules():
    import importlib

    for path in COMPILED:
        module = importlib.import_module(_module(path))
        assert module.__file__ is not None and not module.__file__.endswith(".py"), module.__file__
        assert not Path(module.__file__).is_relative_to(REPO / "policyc"), module.__file__


def _wheel(tmp_path: Path, env: dict[str, str]) -> tuple[zipfile.ZipFile, str]:
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation",
                           "-w", str(tmp_path), str(REPO)], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = tmp_path.glob("policyc-*.whl")
    return zipfile.ZipFile(wheel), done.stdout + done.stderr


@pytest.mark.skipif(INSTALLED_RUN, reason="builds wheels, not decisions")
def test_pure_python_is_asked_for_with_an_environment_variable(tmp_path: Path):
    wheel, _ = _wheel(tmp_path, {"POLICYC_PURE_PYTHON": "1"})
    assert Path(wheel.filename).name == "policyc-0.1.0-py3-none-any.whl"
    assert not [n for n in wheel.namelist() if n.endswith((".so", ".pyd"))]


@pytest.mark.skipif(INSTALLED_RUN, reason="builds wheels, not decisions")
def test_without_a_c_compiler_the_wheel_is_pure_python(tmp_path: Path):
    # setuptools compiles with $CC: `false` fails every compilation.
    wheel, output = _wheel(tmp_path, {"CC": "false", "LDSHARED": "false"})
    assert Path(wheel.filename).name == "policyc-0.1.0-py3-none-any.whl"
    assert not [n for n in wheel.namelist() if n.endswith((".so", ".pyd"))]
    assert "building a pure-Python wheel" in output
    assert {f"{p}" for p in COMPILED} <= set(wheel.namelist())
