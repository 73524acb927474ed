"""Hatchling build hook: compile the decision hot path with mypyc.

The modules in :data:`COMPILED` (exec canonicalization, call fields, the
bundle runtime's matching and decisions) are compiled by mypyc into C
extensions that sit in the wheel beside their ``.py`` sources; Python
imports an extension before a source of the same name, so an installed
policyc decides with the compiled modules and the pure-Python modules stay
the reference (``python -m pytest`` from the repository imports those, and
``make test`` then runs the conformance vectors against the installed
build: tests/test_compiled_runtime.py).

The compiled modules are optional, never required: with no C compiler, no
mypy or ``POLICYC_PURE_PYTHON=1`` in the environment, or when mypyc fails,
the hook prints a warning and the wheel is pure Python, so ``pip install``
works everywhere. Editable installs and sdists are never compiled.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

#: Modules mypyc compiles, relative to the project root. They must type-check
#: (mypy, pyproject.toml's [tool.mypy]) and avoid what mypyc does not support
#: (``cls.__new__``, relying on RecursionError: walkers are depth-limited).
COMPILED = (
    "policyc/canonicalize.py",
    "policyc/shells.py",
    "policyc/callfields.py",
    "policyc/runtime/matching.py",
    "policyc/runtime/bundle.py",
)

_SETUP = """\
import sys
from setuptools import setup
from mypyc.build import mypycify

config, *paths = sys.argv[1:]
sys.argv[1:] = ["build_ext", "--build-lib", "lib", "--build-temp", "temp"]
setup(name="policyc-compiled", ext_modules=mypycify(["--config-file", config, *paths], group_name="policyc"))
"""


class CompileHook(BuildHookInterface):
    """Adds the mypyc-compiled modules to a regular wheel build."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        if os.environ.get("POLICYC_PURE_PYTHON"):
            self.app.display_info("policyc: POLICYC_PURE_PYTHON is set: building a pure-Python wheel")
            return
        self._workdir = Path(tempfile.mkdtemp(prefix="policyc-mypyc-"))
        built = self._compile(self._workdir)
        if not built:
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        for path in built:
            build_data["force_include"][str(path)] = path.relative_to(self._workdir / "lib").as_posix()

    def _compile(self, workdir: Path) -> list[Path]:
        """The extension files mypyc built under ``workdir/lib``; none
        (after a warning) when it could not build them."""
        (workdir / "setup.py").write_text(_SETUP, encoding="utf-8")
        root = Path(self.root)
        command = [sys.executable, "setup.py", str(root / "pyproject.toml"), *(str(root / p) for p in COMPILED)]
        try:
            done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, errors="replace",
                                  check=False)
        except OSError as exc:
            done = subprocess.CompletedProcess(command, 1, "", str(exc))
        built = sorted((workdir / "lib").rglob("*.so")) + sorted((workdir / "lib").rglob("*.pyd"))
        if done.returncode != 0 or not built:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            self.app.display_warning(
                "policyc: mypyc could not compile the runtime modules (no C compiler or mypy?); "
                f"building a pure-Python wheel, which decides the same calls more slowly:\n{tail}")
            return []
        self.app.display_info(f"policyc: compiled {len(COMPILED)} modules with mypyc")
        return built

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        workdir = getattr(self, "_workdir", None)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
