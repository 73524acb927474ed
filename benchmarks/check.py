"""Time `policyc check` on a policy file: cold processes, with and without the cache, and per stage.

Usage: .venv/bin/python benchmarks/check.py [POLICY.yaml] [--runs N] [--no-bytecode] [--installed]

Prints, for N cold `python -m policyc.cli check` processes each:

* **no cache**: ``POLICYC_NO_CACHE=1`` and an empty cache directory;
* **empty cache**: the cache on, its directory empty (the run fills it);
* **warm cache**: the cache directory filled by an earlier run;

the median and best wall-clock time and the median CPU time (user +
system, steadier on a busy machine), and then, for cold processes of each
kind, the median time of each stage: importing the command line, telling
dialects apart, loading (reading, schema, lowering), each analysis pass
(``policyc.passes.run_passes``) and suppressing and rendering the findings.
A script that prints numbers, never a timed test. Default file: Rampart's
own standard policy (``../shared/corpora/rampart/policies/standard.yaml``),
else the embedded default policy, ``stdlib_policies/standard.yaml``.

Each cache directory is a fresh temporary one (``XDG_CACHE_HOME``), never
yours. Python's bytecode goes to a private ``PYTHONPYCACHEPREFIX``, written
by an untimed first run, as an installed package's is (``--no-bytecode``:
compile the sources in every process instead, as with
``PYTHONDONTWRITEBYTECODE``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RAMPART_STANDARD = REPO.parent / "shared" / "corpora" / "rampart" / "policies" / "standard.yaml"
DEFAULT = RAMPART_STANDARD if RAMPART_STANDARD.exists() else REPO / "stdlib_policies" / "standard.yaml"
MODES = ("no cache", "empty cache", "warm cache")


#: Time the repository's sources (PYTHONPATH); ``--installed``: the
#: installed policyc instead (mypyc-compiled runtime modules when its wheel
#: has them), as the ``policyc`` command runs.
_SOURCES = {"PYTHONPATH": str(REPO)}


def _env(mode: str, cache: str, pycache: str | None) -> dict[str, str]:
    env = dict(os.environ, XDG_CACHE_HOME=cache)
    env.pop("PYTHONPATH", None)
    env.update(_SOURCES)
    env.pop("POLICYC_NO_CACHE", None)
    if mode == "no cache":
        env["POLICYC_NO_CACHE"] = "1"
    if pycache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def _fresh_cache(mode: str, policy: str, pycache: str | None, root: str) -> str:
    cache = tempfile.mkdtemp(prefix="cache-", dir=root)
    if mode == "warm cache":
        _process(["-m", "policyc.cli", "check", "--fail-on", "error", policy], _env(mode, cache, pycache))
    return cache


def _process(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, stdout) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-P", *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, check=False, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def _stage_run(policy: str) -> None:
    """One cold process's stages (what ``policyc check`` does), as JSON on stdout."""
    stages: dict[str, float] = {}
    start = time.perf_counter()
    import policyc.cli  # noqa: F401 - what `python -m policyc.cli` imports first
    from policyc.config import resolve_config
    from policyc.dialects.registry import partition
    from policyc.diagnostics.model import Diagnostic
    from policyc.diagnostics.render import print_text
    from policyc.loader import load_policy_set
    from policyc.passes import run_passes
    from policyc.suppress import apply_suppressions

    stages["import"] = time.perf_counter() - start
    mark = time.perf_counter()
    config = resolve_config(None)
    rampart, others = partition([policy])
    stages["config + dialects"] = time.perf_counter() - mark
    mark = time.perf_counter()
    loaded = load_policy_set(rampart)
    stages["load"] = time.perf_counter() - mark
    timings: list = []
    diagnostics = loaded.diagnostics + run_passes(loaded, timings=timings, fmt="text", limits=config.budget)
    for timing in timings:
        stages[f"pass {timing.name}"] = timing.seconds
    mark = time.perf_counter()
    diagnostics.sort(key=Diagnostic.sort_key)
    diagnostics = apply_suppressions(diagnostics, loaded.files, config)
    if diagnostics:
        from policyc.cli import _Console

        with open(os.devnull, "w", encoding="utf-8") as sink:
            print_text(_Console(file=sink, soft_wrap=True), diagnostics, len(loaded.files))
    stages["suppress + render"] = time.perf_counter() - mark
    stages["total"] = time.perf_counter() - start
    print(json.dumps(stages))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("policy", nargs="?", default=str(DEFAULT))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-bytecode", action="store_true",
                        help="compile the sources in every process (no bytecode cache)")
    parser.add_argument("--installed", action="store_true",
                        help="time the installed policyc, not the repository's sources")
    parser.add_argument("--stage-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.installed:
        _SOURCES.clear()
    policy = str(Path(args.policy).resolve())
    if args.stage_run:
        _stage_run(policy)
        return
    with tempfile.TemporaryDirectory(prefix="policyc-bench-") as root:
        pycache = None if args.no_bytecode else os.path.join(root, "pycache")
        # untimed: writes the bytecode (and checks the command runs)
        _process(["-m", "policyc.cli", "check", "--fail-on", "error", policy],
                 _env("no cache", tempfile.mkdtemp(dir=root), pycache))
        print(f"{policy}: {args.runs} cold processes of each kind "
              f"({'no bytecode cache' if args.no_bytecode else 'bytecode cached'})")
        for mode in MODES:
            walls, cpus = [], []
            for _ in range(args.runs):
                env = _env(mode, _fresh_cache(mode, policy, pycache, root), pycache)
                wall, cpu, _ = _process(["-m", "policyc.cli", "check", "--fail-on", "error", policy], env)
                walls.append(wall)
                cpus.append(cpu)
            print(f"  `policyc check`, {mode:<11}: median {statistics.median(walls):.3f} s, "
                  f"best {min(walls):.3f} s, median CPU {statistics.median(cpus):.3f} s")
        per_mode: dict[str, dict[str, list[float]]] = {}
        for mode in MODES:
            found: dict[str, list[float]] = {}
            for _ in range(args.runs):
                env = _env(mode, _fresh_cache(mode, policy, pycache, root), pycache)
                _, _, out = _process([str(Path(__file__).resolve()), "--stage-run", policy], env)
                for name, seconds in json.loads(out).items():
                    found.setdefault(name, []).append(seconds)
            per_mode[mode] = found
        names = list(per_mode[MODES[0]])
        print(f"  median per stage (s) {'':<9}" + "".join(f"{m:>13}" for m in MODES))
        for name in names:
            print(f"    {name:<29}" + "".join(
                f"{statistics.median(per_mode[m].get(name, [0.0])):>13.3f}" for m in MODES))


if __name__ == "__main__":
    main()
