"""The differential run: policy sets, policyc's two deciders, the oracle,
and the comparison of their actions.

A policy set (``PolicySetSpec``) is one file, a directory the engine loads
together (files given together are symlinked into one directory by the
oracle and merged in sorted base-name order; policyc's loader does the
same), or either with a project-tier file. ``run_set`` generates the calls
(``calls.generate``), decides ALL of them with the oracle and with policyc's
compiled bundle, and with the reference evaluator decides every call where
the bundle and the engine disagree (up to ``ref_cap``) plus a deterministic
sample of ``ref_sample`` others: the reference evaluator is the spec as
code and runs at ~10-40 ms a call, too slow for every call within the
suite's time budget (``ref_sample=-1`` decides all).

The engine has a call counter but the oracle's ``Evaluate`` never adds to
it, so policyc decides with an empty call history (``call_count`` sees 0).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from .calls import CorpusCase, Generated, PolicyFacts, corpus_cases, generate
from .oracle import EngineRefused, OracleUnavailable, REPO, SHARED, oracle_binary, start_decide

CORPORA = SHARED / "corpora" / "rampart"
STDLIB = REPO / "stdlib_policies"
PROJECT_TEMPLATE = STDLIB / "project-template.yaml"

RESTRICTIVE = {"deny": 4, "webhook": 3, "ask": 2, "watch": 1, "allow": 0}


class EmptyHistory:
    """The engine's call counter as the oracle leaves it: no past calls."""

    def count(self, tool: str, window_seconds: float, now: Any) -> int:  # noqa: ARG002
        return 0


# ------------------------------------------------------------------ sets


@dataclass(frozen=True)
class PolicySetSpec:
    name: str
    paths: tuple[str, ...]
    project: str | None = None
    kind: str = "single"          # single | dir | project

    @property
    def all_paths(self) -> tuple[str, ...]:
        return self.paths + ((self.project,) if self.project else ())


def _is_suite(path: Path) -> bool:
    from .calls import _load_yaml

    doc = _load_yaml(path)
    return isinstance(doc, dict) and "policy" in doc and "policies" not in doc


def _rel(path: Path) -> str:
    for root, prefix in ((CORPORA, ""), (STDLIB, "stdlib/")):
        try:
            return prefix + str(path.relative_to(root).with_suffix(""))
        except ValueError:
            continue
    return path.stem


_TMP: list[str] = []


def without_tests(path: Path) -> Path:
    """A copy of ``path`` without its top-level ``tests:`` section, under the
    same base name in a temporary directory. The engine refuses a policy
    file whose cases carry keys its TestCase lacks (``response``,
    ``agent_depth``, ``workdir``: strict YAML decoding), so the stdlib files
    are also compared with their tests cut off."""
    import atexit
    import re
    import shutil
    import tempfile

    if not _TMP:
        _TMP.append(tempfile.mkdtemp(prefix="policyc-conformance-"))
        parent = os.getpid()
        atexit.register(lambda: os.getpid() == parent and shutil.rmtree(_TMP[0], ignore_errors=True))
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out, skipping = [], False
    for line in lines:
        if re.match(r"^tests\s*:", line):
            skipping = True
            continue
        if skipping and re.match(r"^[A-Za-z_\"']", line):
            skipping = False
        if not skipping:
            out.append(line)
    dest = Path(_TMP[0]) / "stripped" / path.parent.name / path.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text("".join(out), encoding="utf-8")
    return dest


def policy_sets() -> list[PolicySetSpec]:
    """Every Rampart policy file of the corpora and the stdlib singly, the
    directory sets the engine loads together, and project-tier layerings.
    Empty when ../shared is absent."""
    if not CORPORA.is_dir():
        return []
    out: list[PolicySetSpec] = []
    files = [p for p in sorted(CORPORA.rglob("*.yaml")) if not _is_suite(p)]
    stdlib = sorted(STDLIB.glob("*.yaml")) if STDLIB.is_dir() else []
    for p in files + stdlib:
        out.append(PolicySetSpec(_rel(p), (str(p),)))
    for p in stdlib:
        out.append(PolicySetSpec(_rel(p) + "[no-tests]", (str(without_tests(p)),)))
    pol = CORPORA / "policies"
    community = sorted((pol / "community").glob("*.yaml"))
    dirs = [
        # the OpenClaw profile + guard layering (guard.yaml has no default_action)
        ("dir:openclaw+guard", [pol / "openclaw.yaml", pol / "guard.yaml"]),
        ("dir:standard+guard", [pol / "standard.yaml", pol / "guard.yaml"]),
        ("dir:yolo+guard", [pol / "yolo.yaml", pol / "guard.yaml"]),
        # the legacy managed-profile collision (block-self-modification in both)
        ("dir:openclaw+standard", [pol / "openclaw.yaml", pol / "standard.yaml"]),
        ("dir:openclaw+standard+guard", [pol / "openclaw.yaml", pol / "standard.yaml", pol / "guard.yaml"]),
        ("dir:standard+ci", [pol / "standard.yaml", pol / "ci.yaml"]),
        ("dir:standard+paranoid", [pol / "standard.yaml", pol / "paranoid.yaml"]),
        ("dir:standard+block-prompt-injection", [pol / "standard.yaml", pol / "block-prompt-injection.yaml"]),
        ("dir:standard+mcp-server", [pol / "standard.yaml", pol / "mcp-server.yaml"]),
        ("dir:standard+community", [pol / "standard.yaml", *community]),
        ("dir:community", community),
        ("dir:research-agent+block-prompt-injection", [pol / "research-agent.yaml", pol / "block-prompt-injection.yaml"]),
        ("dir:demo+yolo", [pol / "demo.yaml", pol / "yolo.yaml"]),
    ]
    if (STDLIB / "standard.yaml").is_file():
        dirs.append(("dir:stdlib-standard[no-tests]+guard", [without_tests(STDLIB / "standard.yaml"), pol / "guard.yaml"]))
    for name, paths in dirs:
        if all(p.is_file() for p in paths) and len(paths) > 1:
            out.append(PolicySetSpec(name, tuple(str(p) for p in paths), kind="dir"))
    if PROJECT_TEMPLATE.is_file():
        template = str(without_tests(PROJECT_TEMPLATE))
        for base in ("standard", "openclaw", "ci", "yolo"):
            p = pol / f"{base}.yaml"
            if p.is_file():
                out.append(PolicySetSpec(f"project:{base}+template[no-tests]", (str(p),), template, "project"))
    return out


_CASES: dict[str, list[CorpusCase]] = {}


def all_cases() -> list[CorpusCase]:
    """The corpora's test cases (the conformance cases)."""
    if "corpora" not in _CASES:
        _CASES["corpora"] = corpus_cases(CORPORA) if CORPORA.is_dir() else []
    return _CASES["corpora"]


def seed_cases() -> list[CorpusCase]:
    """Cases whose calls seed the generator: the corpora's and the stdlib's."""
    if "seed" not in _CASES:
        _CASES["seed"] = all_cases() + (corpus_cases(STDLIB) if STDLIB.is_dir() else [])
    return _CASES["seed"]


# --------------------------------------------------------------- policyc


class Policyc:
    """policyc's view of a set: load, compile, decide with both engines."""

    def __init__(self, spec: PolicySetSpec):
        from policyc.loader import load_policy_set

        self.spec = spec
        self.loaded = load_policy_set(list(spec.paths), project=spec.project)
        self.ok = self.loaded.ok
        self.errors = [f"{Path(d.span.path).name if d.span else '?'}:{d.span.line if d.span else '?'} "
                       f"{d.code} {d.message}" for d in self.loaded.diagnostics
                       if getattr(d.severity, "name", str(d.severity)).upper() == "ERROR"]
        self.bundle = None
        self.history = EmptyHistory()
        if self.ok:
            from policyc.codegen.bundle import compile_policy_set
            from policyc.runtime import load_bundle

            sources = {}
            for f in self.loaded.files:
                with open(f.path, "rb") as fh:
                    sources[f.path] = fh.read()
            self.bundle = load_bundle(compile_policy_set(self.loaded.policy_set, sources))

    def bundle_action(self, call: Any) -> str:
        """The bundle's action; ``error`` where the runtime fails closed on a
        call it cannot read (``invalid tool call``: the engine's oracle then
        reports an error instead of a decision; a host denies both)."""
        return self.bundle_said(call)[0]

    def bundle_said(self, call: Any) -> tuple[str, str, tuple[str, ...]]:
        """``(action, message, matched_policies)`` of the bundle; the action
        as :meth:`bundle_action` reports it (message and names empty then)."""
        try:
            decision = self.bundle.evaluate(call, history=self.history)
        except ValueError:
            return "error", "", ()
        except Exception as exc:  # a crash is a finding, not an agreement
            return f"crash:{type(exc).__name__}", "", ()
        if decision.action == "deny" and decision.message.startswith("invalid tool call"):
            return "error", "", ()
        return str(decision.action), decision.message, tuple(decision.matched_policies)

    def reference_action(self, call: Any) -> str:
        from policyc.evaluate import ToolCall, evaluate

        try:
            tc = ToolCall.from_mapping(call)
        except ValueError:
            return "error"
        try:
            return evaluate(self.loaded.policy_set, tc, history=self.history).action.value
        except Exception as exc:
            return f"crash:{type(exc).__name__}"


# ------------------------------------------------------------ comparison

PATH_KEYS = ("file_path", "path", "file", "filepath", "target")


def host_resolves(call: Any) -> bool:
    """Whether a path of the call (or its workdir) reads differently once
    this host's symlinks are resolved, as the engine's cleanPathsAt does."""
    if not isinstance(call, dict):
        return False
    values, workdirs = [], []
    for slot in (call.get("params"), call.get("input")):
        if isinstance(slot, dict):
            values += [v for k, v in slot.items() if k in PATH_KEYS and isinstance(v, str) and v.strip()]
            workdirs += [v for k, v in slot.items() if k in ("workdir", "cwd") and isinstance(v, str) and v.strip()]
    if isinstance(call.get("workdir"), str) and call["workdir"].strip():
        workdirs.insert(0, call["workdir"])
    wd = workdirs[0].strip().replace("\\", "/") if workdirs else ""
    for v in values + workdirs:
        p = v.replace("\\", "/")
        if wd and not p.startswith("/"):
            p = os.path.join(wd, p)
        if not p.startswith("/"):
            continue
        try:
            clean = os.path.normpath(p)
            if clean.startswith("//"):
                clean = "/" + clean.lstrip("/")
            if os.path.realpath(clean) != clean:
                return True
        except (OSError, ValueError):
            continue
    return False



@dataclass
class Row:
    cls: str
    chain: tuple[str, ...]
    call: dict
    engine: str
    bundle: str
    reference: str | None = None  # None: not decided by the reference evaluator
    #: (message, matched policies) of the engine and of the bundle, compared
    #: when both decided (no "error" action)
    engine_said: tuple[str, tuple[str, ...]] = ("", ())
    bundle_said: tuple[str, tuple[str, ...]] = ("", ())

    @property
    def agree(self) -> bool:
        return self.engine == self.bundle and (self.reference is None or self.reference == self.engine) \
            and (self.engine == "error" or self.engine_said == self.bundle_said)

    @property
    def host_symlink(self) -> bool:
        """The call names a path whose spelling this host's symlinks change
        (the engine resolves paths with EvalSymlinks on the machine it runs
        on, e.g. /lib -> /usr/lib, /proc/self/root -> /)."""
        return host_resolves(self.call)

    @property
    def direction(self) -> str:
        """``dangerous`` when policyc is less restrictive than the engine
        (engine deny/ask but policyc allow, ...), ``stricter`` when more."""
        mine = self.bundle if self.bundle != self.engine else (self.reference or self.bundle)
        e, p = RESTRICTIVE.get(self.engine), RESTRICTIVE.get(mine)
        if e is None or p is None:
            return "error"
        if p == e and mine == self.engine and self.engine_said != self.bundle_said:
            return "message"
        return "dangerous" if p < e else "stricter" if p > e else "reference-only"

    def to_json(self) -> dict:
        out = {"class": self.cls, "engine": self.engine, "bundle": self.bundle}
        if self.engine_said != self.bundle_said and self.engine == self.bundle:
            out["engine_said"], out["bundle_said"] = self.engine_said, self.bundle_said
        if self.reference is not None:
            out["reference"] = self.reference
        if self.host_symlink:
            out["host"] = "symlink"
        if len(self.chain) > 1:
            out["chain"] = list(self.chain)
        out["call"] = self.call
        return out


@dataclass
class SetResult:
    spec: PolicySetSpec
    status: str                       # compared | both-refuse | engine-refuses | policyc-refuses | oracle-error
    detail: str = ""
    decided: int = 0
    reference_decided: int = 0
    disagreements: list[Row] = field(default_factory=list)
    by_class: Counter = field(default_factory=Counter)       # calls per class
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("compared", "both-refuse") and not self.disagreements

    @property
    def agreement(self) -> float:
        return 100.0 if not self.decided else 100.0 * (self.decided - len(self.disagreements)) / self.decided


def run_set(spec: PolicySetSpec, n: int, seed: int = 0, *, ref_sample: int = 30, ref_cap: int = 60,
            cases: Sequence[CorpusCase] | None = None, extra: Iterable[Generated] = ()) -> SetResult:
    t0 = time.perf_counter()
    cases = seed_cases() if cases is None else cases
    facts = PolicyFacts.of(spec.all_paths, cases)
    generated = generate(facts, n, seed) + list(extra)
    calls = [g.call for g in generated]
    try:
        run = start_decide(spec.paths, calls, spec.project, binary=oracle_binary())
    except OracleUnavailable as exc:
        return SetResult(spec, "oracle-error", str(exc))
    pc = Policyc(spec)
    said = [pc.bundle_said(c) for c in calls] if pc.ok else None
    bundle = [s[0] for s in said] if said is not None else None
    try:
        full = run.result()
        engine = [str(r.get("action", "error")) for r in full]
        engine_err = ""
    except EngineRefused as exc:
        engine, engine_err = None, str(exc)
    except OracleUnavailable as exc:
        return SetResult(spec, "oracle-error", str(exc), seconds=time.perf_counter() - t0)
    if engine is None or bundle is None:
        if engine is None and bundle is None:
            status = "both-refuse"
        else:
            status = "engine-refuses" if engine is None else "policyc-refuses"
        detail = engine_err if engine is None else "; ".join(pc.errors[:5])
        if status == "both-refuse":
            detail = f"engine: {engine_err} | policyc: {'; '.join(pc.errors[:3])}"
        return SetResult(spec, status, detail, seconds=time.perf_counter() - t0)
    rows = [Row(g.cls, g.chain, g.call, e, b, None, (str(r.get("message", "")), tuple(r.get("matched") or ())),
                (s[1], s[2]))
            for g, e, b, r, s in zip(generated, engine, bundle, full, said)]
    differ = [i for i, r in enumerate(rows) if r.engine != r.bundle]
    rng = random.Random(seed ^ 0xBEEF)
    same = [i for i, r in enumerate(rows) if r.engine == r.bundle]
    if ref_sample < 0:
        chosen = list(range(len(rows)))
    else:
        chosen = differ[:ref_cap] + rng.sample(same, min(ref_sample, len(same)))
    for i in chosen:
        rows[i].reference = pc.reference_action(rows[i].call)
    result = SetResult(spec, "compared", decided=len(rows), reference_decided=len(chosen))
    result.by_class = Counter(r.cls for r in rows)
    result.disagreements = [r for r in rows if not r.agree]
    result.seconds = time.perf_counter() - t0
    return result


def _worker(args):
    spec, n, seed, ref_sample, ref_cap = args
    try:
        return run_set(spec, n, seed, ref_sample=ref_sample, ref_cap=ref_cap)
    except Exception:
        return SetResult(spec, "harness-error", traceback.format_exc(limit=6))


def run_sets(specs: Sequence[PolicySetSpec], n: int, seed: int = 0, *, ref_sample: int = 30, ref_cap: int = 60,
             jobs: int | None = None, progress: Callable[[SetResult], None] | None = None) -> list[SetResult]:
    """``run_set`` over several sets, ``jobs`` processes at a time (forked;
    default: the CPU count, ``$POLICYC_CONFORMANCE_JOBS``)."""
    oracle_binary()  # build (or fail) once, before forking
    seed_cases()     # parse the corpora once, before forking
    jobs = jobs or int(os.environ.get("POLICYC_CONFORMANCE_JOBS", "0")) or os.cpu_count() or 1
    args = [(s, n, seed, ref_sample, ref_cap) for s in specs]
    # biggest sets first so the pool drains evenly
    order = sorted(range(len(args)), key=lambda i: -sum(os.path.getsize(p) for p in specs[i].all_paths))
    results: list[SetResult | None] = [None] * len(specs)
    if jobs <= 1 or len(specs) <= 1:
        for i in order:
            results[i] = _worker(args[i])
            if progress:
                progress(results[i])
        return results  # type: ignore[return-value]
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:
        return run_sets(specs, n, seed, ref_sample=ref_sample, ref_cap=ref_cap, jobs=1, progress=progress)
    with ctx.Pool(jobs) as pool:
        for i, res in zip(order, pool.imap(_worker, [args[i] for i in order])):
            results[i] = res
            if progress:
                progress(res)
    return results  # type: ignore[return-value]


# -------------------------------------------------------------- reporting


def _abbreviate(value, limit: int = 160):
    """Long strings shortened for display (the row is then marked
    "abbreviated"; --jsonl keeps every row exact)."""
    if isinstance(value, str) and len(value) > limit:
        return value[:60] + f"...<{len(value)} chars>..." + value[-20:], True
    if isinstance(value, dict):
        out, cut = {}, False
        for k, v in value.items():
            out[k], c = _abbreviate(v, limit)
            cut = cut or c
        return out, cut
    if isinstance(value, list):
        pairs = [_abbreviate(v, limit) for v in value]
        return [p[0] for p in pairs], any(p[1] for p in pairs)
    return value, False


def example_line(row) -> str:
    data = row.to_json()
    call, cut = _abbreviate(data["call"])
    if cut:
        data = {**data, "abbreviated": True, "call": call}
    return json.dumps(data, ensure_ascii=False)


def compact_report(result: SetResult, limit: int = 15) -> str:
    """Count and up to ``limit`` distinct examples grouped by class."""
    lines = [f"{result.spec.name}: {len(result.disagreements)} disagreement(s) in {result.decided} calls "
             f"({result.agreement:.2f}% agree); by direction: "
             + ", ".join(f"{k} {v}" for k, v in Counter(r.direction for r in result.disagreements).most_common())]
    groups: dict[str, list[Row]] = {}
    for r in result.disagreements:
        groups.setdefault(r.cls, []).append(r)
    per = max(1, limit // max(1, len(groups)))
    shown = 0
    for cls, rows in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"  [{cls}] {len(rows)}")
        for r in sorted(rows, key=lambda r: (r.direction != "dangerous", len(json.dumps(r.call))))[:per]:
            if shown >= limit:
                break
            lines.append("    " + example_line(r))
            shown += 1
    lines.append(f"  reproduce: python -m tests.conformance.report --set '{result.spec.name}'")
    return "\n".join(lines)
