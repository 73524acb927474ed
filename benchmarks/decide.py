"""Decisions per second: bundle runtime versus reference evaluator.

Usage: .venv/bin/python benchmarks/decide.py [POLICY] [--seconds S]

Calls: every inline/suite case of ../shared/corpora/rampart (the corpora's
calls). Prints, measured in one run on one core: decisions/s and p50/p99
latency for each engine, their ratio, bundle load time and size, and the
bundle's per-decision cost with the policy replicated x4 and x16.

The runtime memoizes per-string facts (a command's spellings and scans, a
path's spellings, scope plans), so the corpora's calls, repeated, are
decided warm, as an agent's repeated `git status` would be. "bundle cold"
forgets every memo before each call (the reset is not timed): the cost of a
call never seen before.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from policyc.codegen.bundle import compile_policy_set  # noqa: E402
from policyc.evaluate import ToolCall, decide  # noqa: E402
from policyc.loader import load_policy_set  # noqa: E402
from policyc.runtime import load_bundle  # noqa: E402
from policyc.testing import run_file  # noqa: E402

CORPORA = REPO.parent / "shared" / "corpora" / "rampart"


def corpus_calls() -> list[dict]:
    calls = []
    for path in sorted(CORPORA.rglob("*.yaml")):
        calls.extend(c.case.call for c in run_file(str(path)).cases)
    return calls


def replicate(policy_set, times: int):
    copies = [dataclasses.replace(p, name=f"{p.name}#{i}") for i in range(times) for p in policy_set.policies]
    return dataclasses.replace(policy_set, policies=tuple(copies))


def measure(fn, calls, seconds: float, before=None) -> tuple[float, float, float]:
    latencies = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for call in calls:
            if before is not None:
                before()
            start = time.perf_counter()
            fn(call)
            latencies.append(time.perf_counter() - start)
    latencies.sort()
    rate = len(latencies) / sum(latencies)
    return rate, latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("policy", nargs="?", default=str(CORPORA / "policies" / "standard.yaml"))
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    calls = corpus_calls()
    loaded = load_policy_set([args.policy])
    source = {args.policy: Path(args.policy).read_bytes()}
    data = compile_policy_set(loaded.policy_set, source)
    start = time.perf_counter()
    bundle = load_bundle(data)
    load_ms = (time.perf_counter() - start) * 1000
    parsed = [ToolCall.from_mapping(c) for c in calls]
    ref = measure(lambda c: decide(loaded.policy_set, c), parsed, args.seconds)
    bun = measure(bundle.decide, calls, args.seconds)
    cold = measure(bundle.decide, calls, args.seconds, before=bundle.reset_caches)
    print(f"policy {args.policy}: {len(loaded.policy_set.policies)} policies, {len(calls)} corpus calls")
    print(f"bundle: {len(data)} bytes, load {load_ms:.1f} ms")
    for name, (rate, p50, p99) in (("reference", ref), ("bundle", bun), ("bundle cold", cold)):
        print(f"{name:11s}: {rate:10.0f} decisions/s  p50 {p50 * 1e6:8.1f} us  p99 {p99 * 1e6:8.1f} us")
    print(f"ratio bundle/reference: {bun[0] / ref[0]:.1f}x (cold: {cold[0] / ref[0]:.1f}x)")
    base = bun[0]
    for times in (4, 16):
        big = load_bundle(compile_policy_set(replicate(loaded.policy_set, times), source))
        rate = measure(big.decide, calls, args.seconds)[0]
        cold_rate = measure(big.decide, calls, args.seconds, before=big.reset_caches)[0]
        print(f"x{times:<2d} replicated: {rate:10.0f} decisions/s  cost per decision {base / rate:.2f}x "
              f"(cold: {cold_rate:.0f}/s, {cold[0] / cold_rate:.2f}x)")


if __name__ == "__main__":
    main()
