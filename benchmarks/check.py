"""Time `policyc check` on a policy file: cold process total and per pass.

Usage: .venv/bin/python benchmarks/check.py [POLICY.yaml] [--runs N]

Prints the wall-clock time of N cold `python -m policyc.cli check` processes
(median and best) and, in-process, the load time and each analysis pass's
time (from `policyc.passes.run_passes`). A script that prints numbers, never
a timed test. Default file: ../shared/corpora/rampart/policies/standard.yaml.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO.parent / "shared" / "corpora" / "rampart" / "policies" / "standard.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("policy", nargs="?", default=str(DEFAULT))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cold = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "policyc.cli", "check", "--fail-on", "error", args.policy],
                       cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        cold.append(time.perf_counter() - start)
    print(f"cold `policyc check` ({args.runs} runs): median {statistics.median(cold):.3f} s, "
          f"best {min(cold):.3f} s")

    sys.path.insert(0, str(REPO))
    from policyc.loader import load_policy_set
    from policyc.passes import run_passes

    start = time.perf_counter()
    loaded = load_policy_set([args.policy])
    print(f"load {time.perf_counter() - start:8.3f} s  ({len(loaded.policy_set.policies)} policies)")
    timings: list = []
    run_passes(loaded, timings=timings)
    for t in timings:
        print(f"pass {t.name:<18} {t.seconds:8.3f} s  {t.findings} finding(s)")
    print(f"passes total {sum(t.seconds for t in timings):.3f} s")


if __name__ == "__main__":
    main()
