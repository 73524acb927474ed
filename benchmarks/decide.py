"""Decisions per second, in one run: Rampart's engine, the Python bundle
runtime (warm and each call new), the Go runtime and the reference evaluator.

Usage: .venv/bin/python benchmarks/decide.py [POLICY] [--seconds S] [--calls N]
       [--no-check] [--json] [--pure]

Default POLICY: Rampart's own standard policy (../shared/corpora/rampart/
policies/standard.yaml), else stdlib_policies/standard.yaml.

Workloads (benchmarks/calls.py): ``corpus``, every inline/suite case of the
Rampart corpora, decided round-robin; ``distinct``, N (default 10,000)
generated realistic calls, every command, path and URL distinct.

The Python runtime is the installed policyc (``make install``: its wheel
holds mypyc-compiled copies of the hot modules when a C compiler was found,
see hatch_build.py), or the repository's pure-Python modules with
``--pure`` or when policyc is not installed; the first line says which.

Engines, each measured on one core, every decision timed on its own (wall
clock, as Rampart's ``bench`` does):

* ``rampart``: Rampart v1.8.0's ``engine.Evaluate`` through the oracle
  (``../shared/oracles/rampart/build.sh``; skipped with a note when not built).
* ``python warm``: ``Bundle.decide`` with its memos warm (after one untimed
  pass over the calls).
* ``python new``: ``Bundle.decide`` after ``reset_caches()`` before each call
  (untimed): no per-string fact, scope plan or canonicalization memo
  survives, so every call is one the runtime has never seen. RE2's lazily
  built DFA states do survive (they are the compiled tables', not a call's);
  they are warmed first on a different generated set (another seed).
* ``go``: ``runtimes/go/cmd/policyc-bench`` (no memo) when a Go toolchain is
  found (PATH, .venv/bin, the oracle's); skipped with a note otherwise.
* ``reference``: ``policyc.evaluate.decide`` on the IR.

The reference evaluator decides the first 1,000 calls of a workload. Then
growth: the policy replicated x4 and x16 (policy names suffixed) on the
first 2,000 distinct calls, cost per decision relative to x1 on the same
calls, for every engine that ran. Last, the cold
``policyc check`` figures of benchmarks/check.py. Numbers, never a timed
test: quote them in notes, compare ratios within one run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# The installed policyc (compiled modules when its wheel has them) unless
# --pure asks for the repository's pure-Python sources; read before argparse
# because it decides which policyc the imports below load.
if "--pure" in sys.argv[1:]:
    sys.path.insert(0, str(REPO))
elif str(REPO) not in sys.path:
    sys.path.append(str(REPO))

from benchmarks.calls import CORPORA, corpus_calls, realistic_calls  # noqa: E402
from policyc.codegen.bundle import compile_policy_set  # noqa: E402
from policyc.evaluate import ToolCall, decide  # noqa: E402
from policyc.loader import load_policy_set  # noqa: E402
from policyc.runtime import load_bundle  # noqa: E402

ORACLE = Path.home() / ".cache" / "policyc-oracles" / "rampart" / "bin" / "rampart-oracle"
#: The reference evaluator decides at most this many of a workload's calls.
REFERENCE_CALLS = 1_000
#: The replicated policies decide this many of the distinct calls (Rampart
#: slows down about linearly with the policy count).
GROWTH_CALLS = 2_000
GO_CANDIDATES = (shutil.which("go"), str(REPO / ".venv" / "bin" / "go"),
                 str(Path.home() / ".cache" / "policyc-oracles" / "rampart" / "gov" / "bin" / "go"))


@dataclasses.dataclass
class Figure:
    """One engine on one workload: decisions/s (n / summed latency) and
    latency percentiles in microseconds."""

    rate: float
    p50_us: float
    p99_us: float
    n: int


def _figure(latencies: list[float]) -> Figure:
    latencies.sort()
    n = len(latencies)
    return Figure(n / sum(latencies), latencies[int((n - 1) * 0.5)] * 1e6, latencies[int((n - 1) * 0.99)] * 1e6, n)


def measure(fn: Callable[[object], object], calls: list, seconds: float,
            before: Callable[[], None] | None = None) -> Figure:
    """Time ``fn(call)`` round-robin over ``calls`` for at least one pass and
    ``seconds``; ``before`` runs untimed before each call."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    clock = time.perf_counter
    while not latencies or clock() < deadline:
        for call in calls:
            if before is not None:
                before()
            start = clock()
            fn(call)
            latencies.append(clock() - start)
            if len(latencies) % 256 == 0 and clock() >= deadline and len(latencies) >= len(calls):
                return _figure(latencies)
    return _figure(latencies)


def _jsonl(calls: list[dict], directory: str, name: str) -> str:
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(c, ensure_ascii=False) + "\n" for c in calls)
    return path


def _external(argv: list[str], calls_path: str) -> Figure | None:
    """A bench binary's JSON (rampart-oracle's keys); None if it failed."""
    with open(calls_path, "rb") as stdin:
        done = subprocess.run(argv, stdin=stdin, capture_output=True, check=False)
    if done.returncode != 0:
        print(f"  ! {Path(argv[0]).name} failed: {done.stderr.decode(errors='replace').strip()[:200]}")
        return None
    out = json.loads(done.stdout)
    return Figure(out["decisions_per_s"], out["p50_us"], out["p99_us"], out["n"])


def _go_bench(tmp: str) -> str | None:
    """Build runtimes/go/cmd/policyc-bench; its path, or None (with a note)."""
    go = next((g for g in GO_CANDIDATES if g and os.access(g, os.X_OK)), None)
    module = REPO / "runtimes" / "go"
    if go is None or not (module / "cmd" / "policyc-bench").is_dir():
        print("  (go runtime skipped: " + ("no Go toolchain found" if go is None else "runtimes/go absent") + ")")
        return None
    binary = os.path.join(tmp, "policyc-bench")
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}
    done = subprocess.run([go, "build", "-o", binary, "./cmd/policyc-bench"], cwd=module, env=env,
                          capture_output=True, check=False)
    if done.returncode != 0:
        print(f"  (go runtime skipped: build failed: {done.stderr.decode(errors='replace').strip()[:300]})")
        return None
    return binary


def replicate_yaml(policy: Path, times: int, directory: str) -> str:
    """POLICY with its policies repeated ``times`` times (names suffixed)."""
    doc = yaml.safe_load(policy.read_text(encoding="utf-8"))
    copies = [{**json.loads(json.dumps(p)), "name": f"{p['name']}#{i}"}  # no shared nodes: no YAML aliases
              for i in range(times) for p in doc["policies"]]
    doc["policies"] = copies
    path = os.path.join(directory, f"x{times}.yaml")
    Path(path).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


class Run:
    """Every engine on one policy file and one temp directory."""

    def __init__(self, policy: str, tmp: str, go_bench: str | None, seconds: float):
        self.policy, self.tmp, self.go_bench, self.seconds = policy, tmp, go_bench, seconds
        self.loaded = load_policy_set([policy])
        self.data = compile_policy_set(self.loaded.policy_set, {policy: Path(policy).read_bytes()})
        self.bundle_path = os.path.join(tmp, Path(policy).stem + ".bundle.json")
        Path(self.bundle_path).write_bytes(self.data)
        start = time.perf_counter()
        self.bundle = load_bundle(self.data)
        self.load_ms = (time.perf_counter() - start) * 1000

    def engines(self, calls: list[dict], warmup: list[dict], reference: bool) -> dict[str, Figure]:
        figures: dict[str, Figure] = {}
        path = _jsonl(calls, self.tmp, "calls.jsonl")
        if ORACLE.exists():
            fig = _external([str(ORACLE), "bench", "-seconds", str(self.seconds), self.policy], path)
            if fig is not None:
                figures["rampart"] = fig
        bundle = self.bundle
        for call in warmup:  # RE2 DFA states, from calls not measured
            bundle.decide(call)
        for call in calls:  # the memos, for the warm figure
            bundle.decide(call)
        figures["python warm"] = measure(bundle.decide, calls, self.seconds)
        figures["python new"] = measure(bundle.decide, calls, self.seconds, before=bundle.reset_caches)
        if self.go_bench is not None:
            fig = _external([self.go_bench, "-seconds", str(self.seconds), self.bundle_path], path)
            if fig is not None:
                figures["go"] = fig
        if reference:  # slow: at most REFERENCE_CALLS of them
            parsed = [ToolCall.from_mapping(c) for c in calls[:REFERENCE_CALLS]]
            figures["reference"] = measure(lambda c: decide(self.loaded.policy_set, c), parsed,
                                           self.seconds)
        return figures


def _print_table(title: str, figures: dict[str, Figure]) -> None:
    base = figures.get("rampart")
    print(f"\n{title}")
    print(f"  {'engine':<12} {'decisions/s':>12} {'p50 us':>9} {'p99 us':>9} {'n':>8}  vs rampart")
    for name, fig in figures.items():
        ratio = f"{fig.rate / base.rate:8.1f}x" if base is not None else "       -"
        print(f"  {name:<12} {fig.rate:12.0f} {fig.p50_us:9.1f} {fig.p99_us:9.1f} {fig.n:8d}  {ratio}")


def runtime_build() -> str:
    """Which Python runtime this process decides with: ``compiled (mypyc)``
    when the bundle runtime module is an extension, else ``pure Python``,
    with the module's location."""
    import policyc.runtime.bundle as module

    kind = "pure Python" if module.__file__.endswith(".py") else "compiled (mypyc)"
    return f"{kind}, {Path(module.__file__).parent.parent}"


def main() -> None:
    default = CORPORA / "policies" / "standard.yaml"
    if not default.exists():
        default = REPO / "stdlib_policies" / "standard.yaml"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("policy", nargs="?", default=str(default))
    parser.add_argument("--seconds", type=float, default=3.0, help="per engine and workload (default 3)")
    parser.add_argument("--calls", type=int, default=10_000, help="distinct generated calls (default 10,000)")
    parser.add_argument("--no-check", action="store_true", help="skip the cold `policyc check` figures")
    parser.add_argument("--json", action="store_true", help="also print every figure as one JSON object")
    parser.add_argument("--pure", action="store_true",
                        help="measure the repository's pure-Python runtime, not the installed (compiled) one")
    args = parser.parse_args()
    results: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="policyc-bench-") as tmp:
        go_bench = _go_bench(tmp)
        run = Run(args.policy, tmp, go_bench, args.seconds)
        print(f"python runtime: {runtime_build()}")
        print(f"policy {args.policy}: {len(run.loaded.policy_set.policies)} policies; "
              f"bundle {len(run.data)} bytes, Python load {run.load_ms:.1f} ms")
        if not ORACLE.exists():
            print(f"  (rampart skipped: {ORACLE} not built; run ../shared/oracles/rampart/build.sh)")
        distinct = realistic_calls(args.calls)
        warmup = realistic_calls(min(args.calls, 5_000), seed=1)
        workloads = {"distinct": distinct}
        corpus = corpus_calls() if CORPORA.exists() else []
        if corpus:
            workloads = {"corpus": corpus, **workloads}
        for name, calls in workloads.items():
            figures = run.engines(calls, warmup, reference=True)
            results[name] = {k: dataclasses.asdict(v) for k, v in figures.items()}
            _print_table(f"{name}: {len(calls)} calls", figures)
        base = {name: dataclasses.asdict(fig) for name, fig in
                run.engines(distinct[:GROWTH_CALLS], warmup, reference=False).items()}
        for times in (4, 16):
            big = Run(replicate_yaml(Path(args.policy), times, tmp), tmp, go_bench, args.seconds)
            figures = big.engines(distinct[:GROWTH_CALLS], warmup, reference=False)
            results[f"distinct x{times}"] = {k: dataclasses.asdict(v) for k, v in figures.items()}
            print(f"\nx{times} replicated ({len(big.loaded.policy_set.policies)} policies), distinct calls: "
                  "cost per decision vs x1")
            for name, fig in figures.items():
                print(f"  {name:<12} {fig.rate:12.0f}/s  {base[name]['rate'] / fig.rate:6.2f}x")
    if args.json:
        print(json.dumps(results, sort_keys=True))
    if not args.no_check:
        print()
        sys.stdout.flush()
        import policyc

        installed = [] if Path(policyc.__file__).is_relative_to(REPO / "policyc") else ["--installed"]
        subprocess.run([sys.executable, str(REPO / "benchmarks" / "check.py"), args.policy, *installed], check=False)


if __name__ == "__main__":
    main()
