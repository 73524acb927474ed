"""Differential report: policyc (bundle + reference evaluator) against
Rampart v1.8.0's own engine, per policy set.

    PYTHONPATH=. .venv/bin/python -m tests.conformance.report [--calls N] [--seed S] [--set NAME]...

For each set: calls decided, agreement (action, message and matched
policies), disagreements by direction (``dangerous``: policyc less
restrictive than the engine, e.g. engine deny/ask but policyc allow;
``stricter``; ``reference-only``: the bundle agrees with the engine but the
reference evaluator does not; ``message``: same action, another message or
``matched_policies``) and by
generator class, with example rows as JSON lines. An example row carries
the call under "call", which ``rampart-oracle decide`` reads as is:

    ... | grep '^{' | rampart-oracle decide -json POLICY.yaml
    ... | grep '^{' | jq -c .call | .venv/bin/policyc eval POLICY.yaml

``--jsonl FILE`` writes every disagreement (with its set's name and policy
paths) to FILE; ``--cases`` also checks every corpus test case.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
import time
from collections import Counter

from .harness import SetResult, example_line, policy_sets, run_sets
from .oracle import OracleUnavailable, oracle_binary


def _select(names: list[str] | None):
    specs = policy_sets()
    if not names:
        return specs
    out = []
    for n in names:
        exact = [s for s in specs if s.name == n]
        picked = exact or [s for s in specs if fnmatch.fnmatch(s.name, n) or n in s.name]
        out.extend(s for s in picked if s not in out)
    return out


def _oracle_cmd(binary: str, res: SetResult) -> str:
    proj = f" -project {res.spec.project}" if res.spec.project else ""
    return f"{binary} decide -json{proj} " + " ".join(res.spec.paths)


def print_set(res: SetResult, binary: str, examples: int, out=sys.stdout) -> None:
    w = out.write
    head = f"== {res.spec.name}"
    if res.status != "compared":
        w(f"{head}: {res.status.upper()}  {res.detail.strip()[:600]}\n")
        return
    dis = res.disagreements
    w(f"{head}: {res.decided} calls, {res.agreement:.2f}% agree, {len(dis)} disagree "
      f"(reference evaluator on {res.reference_decided}; {res.seconds:.1f}s)\n")
    if not dis:
        return
    dirs = Counter(r.direction for r in dis)
    host = sum(1 for r in dis if r.host_symlink)
    w("   direction: " + ", ".join(f"{k} {v}" for k, v in dirs.most_common())
      + (f"; {host} involve a path this host's symlinks change (\"host\": \"symlink\")" if host else "") + "\n")
    pairs = Counter(f"{r.engine}->{r.bundle}" for r in dis)
    w("   engine->policyc: " + ", ".join(f"{k} {v}" for k, v in pairs.most_common()) + "\n")
    w(f"   reproduce: {_oracle_cmd(binary, res)} < calls.jsonl\n")
    groups: dict[str, list] = {}
    for r in dis:
        groups.setdefault(r.cls, []).append(r)
    for cls, rows in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        total = res.by_class.get(cls, 0)
        d = Counter(r.direction for r in rows)
        w(f"   [{cls}] {len(rows)}/{total}  " + ", ".join(f"{k} {v}" for k, v in d.most_common()) + "\n")
        # prefer the shortest, most readable examples, dangerous ones first
        picks = sorted(rows, key=lambda r: (r.direction != "dangerous", len(json.dumps(r.call))))[:examples]
        for r in picks:
            w(example_line(r) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.conformance.report", description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=600, help="generated calls per set (besides the corpus cases)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", dest="sets", action="append", metavar="NAME",
                    help="a set name, substring or glob (repeatable); --list shows them")
    ap.add_argument("--examples", type=int, default=2, help="example rows per class")
    ap.add_argument("--ref-sample", type=int, default=30,
                    help="agreeing calls per set also decided by the reference evaluator (-1: all)")
    ap.add_argument("--ref-cap", type=int, default=60, help="disagreeing calls per set checked by the reference")
    ap.add_argument("--jobs", type=int, default=0, help="processes (default: CPU count)")
    ap.add_argument("--jsonl", metavar="FILE", help="write every disagreement row to FILE")
    ap.add_argument("--cases", action="store_true", help="also check every corpus test case")
    ap.add_argument("--list", action="store_true", help="list the policy sets and exit")
    args = ap.parse_args(argv)

    specs = _select(args.sets)
    if args.list:
        for s in specs:
            print(f"{s.name:45} {' '.join(s.paths)}" + (f" -project {s.project}" if s.project else ""))
        return 0
    if not specs:
        print("no policy set selected (is ../shared present? see --list)", file=sys.stderr)
        return 2
    try:
        binary = oracle_binary()
    except OracleUnavailable as exc:
        print(f"rampart oracle unavailable: {exc}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    results = run_sets(specs, args.calls, args.seed, ref_sample=args.ref_sample, ref_cap=args.ref_cap,
                       jobs=args.jobs or None)
    wall = time.perf_counter() - t0
    for res in results:
        print_set(res, binary, args.examples)

    # summary
    compared = [r for r in results if r.status == "compared"]
    total = sum(r.decided for r in compared)
    bad = sum(len(r.disagreements) for r in compared)
    print("\n== summary")
    print(f"{'set':45} {'calls':>6} {'agree%':>7} {'dis':>5} {'dangerous':>9}  status")
    for r in results:
        dang = sum(1 for x in r.disagreements if x.direction == "dangerous")
        if r.status == "compared":
            print(f"{r.spec.name:45} {r.decided:6} {r.agreement:7.2f} {len(r.disagreements):5} {dang:9}  {r.status}")
        else:
            print(f"{r.spec.name:45} {'-':>6} {'-':>7} {'-':>5} {'-':>9}  {r.status}")
    classes = Counter(x.cls for r in compared for x in r.disagreements)
    dirs = Counter(x.direction for r in compared for x in r.disagreements)
    print(f"\n{len(results)} sets, {total} calls, {bad} disagreements "
          f"({100.0 * (total - bad) / max(total, 1):.2f}% agree) in {wall:.1f}s")
    if dirs:
        print("by direction: " + ", ".join(f"{k} {v}" for k, v in dirs.most_common()))
    if classes:
        print("by class: " + ", ".join(f"{k} {v}" for k, v in classes.most_common()))
    refusals = [r for r in results if r.status not in ("compared", "both-refuse")]
    for r in refusals:
        print(f"LOAD DISAGREEMENT {r.spec.name}: {r.status}: {r.detail.strip()[:300]}")

    if args.jsonl:
        with open(args.jsonl, "w", encoding="utf-8") as fh:
            for r in compared:
                for x in r.disagreements:
                    row = {"set": r.spec.name, "paths": list(r.spec.paths), "project": r.spec.project, **x.to_json()}
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"wrote {args.jsonl}")

    case_bad = 0
    if args.cases:
        from .cases import check_cases

        report = check_cases()
        print("\n== corpus test cases")
        print(report.text())
        case_bad = len(report.policyc_vs_engine)
    return 1 if bad or refusals or case_bad else 0


if __name__ == "__main__":
    sys.exit(main())
