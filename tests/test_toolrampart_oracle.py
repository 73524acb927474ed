"""Differential test: policyc's ToolRampart evaluator against ToolRampart's own runtime.

``../shared/oracles/toolrampart/setup.sh`` makes a venv with
``toolrampart==0.2.0`` from PyPI (once per session, in a module-scoped
fixture) and prints the command that runs ``decide.py TOOLS.py... <
calls.jsonl``. Hypothesis generates decorated tool modules (written to a
temporary directory) and calls; all the calls of a batch of modules go to
one oracle process (two processes run side by side), so that
:data:`DIFF_CASES` cases take seconds. Every decision must agree exactly:
the status, and the message wherever policyc reproduces it (scope denials,
approval reasons, rate limits, timeouts; pydantic's validation text is not
reproduced, so validation errors compare by status).

Two facts about the oracle shape the generator (both measured):

* ``decide.py`` opens ``audit-{id(call)}.db`` per call; CPython reuses the
  ids of freed dicts, so a later call can reopen an earlier call's SQLite
  file and find its rate-limit events (300 identical calls to a
  ``1/hour/global`` tool: 28 were ``rate_limited``). So within one oracle
  process a rate-limited tool is called with a fresh actor each time, and a
  tool limited per ``global``/``tool`` is called once.
* It imports the modules under the names ``tools_0``..., which the
  ``@isolated_process`` child cannot import: such a tool's call that
  reaches execution ends ``error`` (``PicklingError``) there, where a
  served module would run. The comparison expects that.

The generator keeps to what the evaluator models (no ``@policy``, no
unknown decorators, annotations from :data:`ANNOTATIONS`), so no case may
come out ``unknown``. The generators' seed is fixed (:data:`SEED`, so a CI
run is reproducible); set ``POLICYC_TOOLRAMPART_SEED`` to explore others.

Besides: :data:`CLAIMS` runs each check's failing fixture on the runtime to
show the trap it reports, and ``test_configs_agree_with_load_config``
compares 300 generated configs with ``config.py``'s ``load_config``.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from policyc.codegen.bundle import CompileError
from policyc.dialects.toolrampart.codegen import compile_toolrampart
from policyc.dialects.toolrampart import decide, load_paths
from policyc.runtime import load_bundle
from policyc.dialects.toolrampart.runtime import ToolRampartDecision

from .conftest import SHARED

ORACLE_DIR = SHARED / "oracles" / "toolrampart"
#: The seed of the generated modules, calls and configs (replay or explore with POLICYC_TOOLRAMPART_SEED).
SEED = int(os.environ.get("POLICYC_TOOLRAMPART_SEED") or 20261202)

#: Generated cases (calls) per run: the differential test's size.
DIFF_CASES = 10_000
CALLS_PER_MODULE = (40, 70)
PROCESSES = min(4, max(2, os.cpu_count() or 2))  # oracle processes side by side (CPU-bound: one per core)

_SETUP: dict[str, Any] = {}


def oracle_command() -> list[str] | str:
    """The oracle's command as a list, or a string saying why there is none
    (cached for the session)."""
    if "result" not in _SETUP:
        _SETUP["result"] = _setup()
    return _SETUP["result"]


def _setup() -> list[str] | str:
    if not (ORACLE_DIR / "setup.sh").is_file():
        return f"{ORACLE_DIR}/setup.sh is absent (../shared is not beside the project)"
    try:
        done = subprocess.run(["bash", str(ORACLE_DIR / "setup.sh")], capture_output=True, text=True,
                              timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the ToolRampart oracle's setup.sh did not run: {exc}"
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines or "decide.py" not in lines[-1]:
        return (f"the ToolRampart oracle's setup.sh failed ({done.returncode}; it needs network access "
                f"to PyPI for toolrampart==0.2.0): {done.stderr.strip()[-300:]}")
    return lines[-1].split()


@pytest.fixture(scope="module")
def oracle() -> list[str]:
    """The oracle command; skips this module's tests when it is unavailable."""
    command = oracle_command()
    if isinstance(command, str):
        pytest.skip(command)
    return command


def _scratch() -> str:
    """A directory for the oracle's SQLite files: tmpfs when there is one
    (the oracle commits every audit event; on disk that is 5x slower)."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return tempfile.mkdtemp(prefix="policyc-toolrampart-", dir=base)


def run_oracle(command: list[str], modules: list[Path], calls: list[dict]) -> tuple[list[dict], str]:
    """Decide ``calls`` with the real runtime over ``modules``: the output
    lines (fewer than the calls when it crashed) and its stderr."""
    scratch = _scratch()
    try:
        env = {**os.environ, "TMPDIR": scratch, "PYTHONDONTWRITEBYTECODE": "1"}
        stdin = "".join(json.dumps(c) + "\n" for c in calls)
        done = subprocess.run([*command, *map(str, modules)], input=stdin, capture_output=True, text=True,
                              timeout=600, env=env, cwd=scratch)
    finally:
        subprocess.run(["rm", "-rf", scratch], check=False)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return lines, done.stderr


# --- the generator ------------------------------------------------------------

PARAM_NAMES = ["amount", "n", "region", "flag", "items", "note", "_secret"]
ANNOTATIONS = [None, "int", "float", "str", "bool", "Any", "int | None", "float | None", "str | None",
               "list[int]", "list", "dict", "dict[str, int]", "list[str]", "None"]
EAGER_ONLY = ["Optional[int]", "Optional[str]", "List[int]", "Dict[str, float]", "typing.Optional[float]"]
SCOPES = ["a.b", "a", "a.b.c", "billing.refund", "x"]
CALLER_SCOPES = ["a.b", "a.*", "a", "*", "b.*", "a.b.c", "", "a.b.*", "billing.*", "billing", "x", ".*"]

NUMBERS = [0, 1, 2, -1, 5, 10, 100, 499, 500, 501, 10**18, -10**18, 0.5, 1.0, 499.9, 500.0, 500.1,
           -0.0, 1e20, 2.0**63, float("inf"), float("-inf"), float("nan")]
STRINGS = ["", " ", "abc", "500", " 501 ", "1_000", "1.0", "1.5", "1e3", "inf", "nan", "-inf", "Infinity",
           "true", "False", "yes", "no", "on", "off", "t", "f", "y", "n", "0", "1", "00", "+1", "-0.0",
           "0x10", "\u00a07", "7\u2003", "\x1c1", "١", "１", ".5", "5.", "1__0", "1_0.0", "eu", "us", "EU",
           "None", "[1]"]
THRESHOLDS = st.one_of(st.sampled_from([0, 1, 5, 100, 500, 500.0, 499.5, -1, "500", "abc", True, False, None,
                                        "eu", "", 1e308, "inf"]),
                       st.integers(-1000, 1000))
WINDOWS = ["second", "minute", "hour", "day", "hours", "5 minutes", "2 days", "0 minutes", "Minute", "1 hour"]
PERS = ["user", "actor", "global", "tool", "User"]


@dataclass
class ToolSpec:
    name: str
    source: str
    params: list[str]
    annotations: dict[str, str | None] = field(default_factory=dict)
    rate_per: str | None = None   # "user" or "shared": the honoured rate limit's bucket kind
    isolated: bool = False
    limited: bool = False         # some @rate_limit is written (honoured or not)


@dataclass
class ModuleCase:
    text: str
    tools: list[ToolSpec]
    calls: list[dict] = field(default_factory=list)


def _literal(value: Any) -> str:
    if isinstance(value, float):
        if value != value:
            return 'float("nan")'
        if value in (float("inf"), float("-inf")):
            return f'float("{value}")'
    return repr(value)


@st.composite
def tool_spec(draw, name: str, postponed: bool) -> ToolSpec:
    count = draw(st.integers(0, 3))
    names = draw(st.lists(st.sampled_from(PARAM_NAMES), min_size=count, max_size=count, unique=True))
    annotations = ANNOTATIONS + ([] if postponed else EAGER_ONLY)
    params, texts, seen_default = [], [], False
    annotation_of: dict[str, str | None] = {}
    for pname in names:
        annotation = draw(st.sampled_from(annotations))
        has_default = seen_default or draw(st.booleans())
        seen_default = seen_default or has_default
        text = pname + (f": {annotation}" if annotation else "")
        if has_default:
            default = draw(st.one_of(st.none(), st.sampled_from([0, 1, 600, 250.5, "eu", "abc", "700", True,
                                                                 [], {}])))
            text += f" = {_literal(default)}"
        params.append(pname)
        annotation_of[pname] = annotation
        texts.append(text)
    if draw(st.integers(0, 9)) == 0 and texts:
        texts = ["*"] + texts if all("=" in t for t in texts) else texts  # keyword-only parameters
    decorators: list[str] = []
    rate_per = None
    isolated = False
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["scope", "approval", "approval", "rate", "side", "timeout", "retries",
                                     "redact", "isolated"]))
        if kind == "scope":
            decorators.append(f"@scope({draw(st.sampled_from(SCOPES + ['']))!r})")
        elif kind == "approval":
            form = draw(st.integers(0, 3))
            if form == 0:
                decorators.append("@require_approval")
            elif form == 1:
                decorators.append("@require_approval()")
            else:
                conditions = []
                for _ in range(draw(st.integers(1, 3))):
                    op = draw(st.sampled_from(["over_", "at_or_over_", ""]))
                    fname = draw(st.sampled_from(PARAM_NAMES + ["missing"]))
                    conditions.append((op + fname, draw(THRESHOLDS)))
                unique = dict(conditions)
                if draw(st.integers(0, 4)) == 0:
                    decorators.append("@require_approval(**{" + ", ".join(f"{k!r}: {_literal(v)}"
                                                                         for k, v in unique.items()) + "})")
                else:
                    decorators.append("@require_approval(" + ", ".join(f"{k}={_literal(v)}"
                                                                       for k, v in unique.items()) + ")")
        elif kind == "rate":
            per = draw(st.sampled_from(PERS))
            expression = f"{draw(st.integers(1, 3))}/{draw(st.sampled_from(WINDOWS))}/{per}"
            decorators.append(f"@rate_limit({expression!r})")
            rate_per = "shared" if per.lower() in ("global", "tool") or rate_per == "shared" else "user"
        elif kind == "side":
            flags = draw(st.lists(st.sampled_from(["read_only", "idempotent", "destructive", "external_network",
                                                   "money_movement", "writes_data"]), unique=True, max_size=3))
            decorators.append("@side_effects(" + ", ".join(f"{f}=True" for f in flags) + ")")
        elif kind == "timeout":
            decorators.append(f"@timeout({draw(st.sampled_from([10, 30, 0.5, 0, -1, None]))!r})")
        elif kind == "retries":
            decorators.append(f"@max_retries({draw(st.integers(0, 2))})")
        elif kind == "redact":
            decorators.append("@redact(['note', 'region'])")
        elif kind == "isolated":
            decorators.append(draw(st.sampled_from(["@isolated_process", "@isolated_process()"])))
            isolated = True
    form = draw(st.sampled_from(["@tool", "@tool", "@tool()", "named", "@default_rampart.tool", "named_kw",
                                 "tool_timeout", "tool_subprocess"]))
    registered = name
    if form == "named":
        registered = name + "_n"
        tool_line = f"@tool(name={registered!r})"
    elif form == "named_kw":
        tool_line = f"@tool(max_retries={draw(st.integers(0, 1))}, description='d')"
    elif form == "tool_timeout":
        tool_line = f"@tool(timeout_seconds={draw(st.sampled_from([None, 5, 0, -2.5]))!r})"
    elif form == "tool_subprocess":
        tool_line = "@tool(execution_mode='subprocess')"
    else:
        tool_line = form
    position = draw(st.integers(0, len(decorators))) if draw(st.integers(0, 3)) == 0 else 0
    lines = decorators[:position] + [tool_line] + decorators[position:]
    # the runtime only honours what is below @tool; the oracle leak only concerns those
    honoured = decorators[position:]
    effective_rate = None
    for text in honoured:
        if text.startswith("@rate_limit("):
            per = text.split("/")[-1].strip("')\"").lower()
            effective_rate = "shared" if per in ("global", "tool") or effective_rate == "shared" else "user"
    isolated = any(t.startswith("@isolated_process") for t in honoured) or form == "tool_subprocess"
    source = "\n".join(lines) + f"\ndef {name}({', '.join(texts)}):\n    return None\n"
    return ToolSpec(registered, source, params, annotation_of, effective_rate, isolated,
                    limited=rate_per is not None)


def random_value(rng: random.Random, depth: int = 0) -> Any:
    """An argument value: the edge cases of pydantic's lax coercion and of
    the approval comparisons, and random JSON."""
    pick = rng.randrange(10 if depth == 0 else 7)
    if pick <= 1:
        return rng.choice(NUMBERS)
    if pick <= 3:
        return rng.choice(STRINGS)
    if pick == 4:
        return rng.choice([True, False, None])
    if pick == 5:
        return rng.choice([rng.randint(-10**6, 10**6), rng.uniform(-1e3, 1e3), rng.randint(-3, 3) * 0.5])
    if pick == 6:
        text = "".join(rng.choice("019 .e_+-aZ\u00a0") for _ in range(rng.randrange(5)))
        core = text.strip(" \u00a0")
        if core.startswith("0") and core.lstrip("0_").startswith(("-", "+")):
            return core.lstrip("0_")  # a sign after leading zeros is not modelled (policyc answers unknown)
        return text
    if pick == 7:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    if pick == 8:
        return {rng.choice(["k", "a", "1"]): random_value(rng, depth + 1) for _ in range(rng.randrange(3))}
    return rng.choice([0, 1, 500, "500", "eu"])


#: Values that fit each annotation (edge cases of lax coercion included),
#: so that most calls pass validation and reach the later gates.
FITTING = {
    "int": [0, 1, 499, 500, 501, 10**6, -3, True, "42", " 7 ", "1_000", "500.0", 3.0],
    "float": [0.5, 499.9, 500, 500.0, 500.1, 1e6, -1.0, "700", " 2.5 ", "1e3", "inf", "nan", False],
    "str": ["", "eu", "us", "500", "501", "abc", "1e3", "inf", " 700 "],
    "bool": [True, False, 0, 1, "yes", "off", "T", 1.0],
    "list[int]": [[], [1, 2], ["3", 4.0]], "list[str]": [[], ["a"], ["b", "c"]], "list": [[], [1, "a", None]],
    "dict": [{}, {"k": 1}], "dict[str, int]": [{}, {"a": 1, "b": "2"}],
}


def fitting_value(rng: random.Random, annotation: str | None) -> Any:
    if annotation is None or annotation == "Any":
        return random_value(rng)
    base = annotation.replace("typing.", "").replace("Optional[", "").replace("List[", "list[").replace(
        "Dict[", "dict[").rstrip("]") if annotation.startswith(("Optional[", "typing.Optional[")) else annotation
    base = base.replace(" | None", "").replace("List[", "list[").replace("Dict[", "dict[").replace(
        "dict[str, float]", "dict[str, int]")
    if base == "None" or (annotation != base and rng.random() < 0.15):
        return None
    return rng.choice(FITTING.get(base, [None]))


def random_call(rng: random.Random, spec: ToolSpec, counter: list[int]) -> dict:
    keys = [k for k in spec.params + ["extra"] if rng.random() < (0.85 if k != "extra" else 0.04)]
    keys = [k for k in keys if k != "_secret" or rng.random() < 0.2]
    call: dict[str, Any] = {"tool": spec.name, "arguments": {
        k: fitting_value(rng, spec.annotations.get(k)) if rng.random() < 0.75 else random_value(rng)
        for k in keys}}
    if spec.rate_per is not None:
        counter[0] += 1
        call["actor"] = f"actor-{counter[0]}"
    else:
        actor = rng.choice([None, "agent", "", "other"])
        if actor is not None:
            call["actor"] = actor
    if rng.random() < 0.8:
        call["scopes"] = rng.sample(CALLER_SCOPES, rng.randrange(4))
    approved = rng.choice([None, False, True, False])
    if approved is not None:
        call["approved"] = approved
    history = rng.choice([0, 1, 2, 3]) if spec.limited else 0  # history only matters for rate limits
    if history:
        call["history"] = history
    return call


@st.composite
def module_case(draw, index: int, counter: list[int]) -> ModuleCase:
    postponed = draw(st.booleans())
    tools = [draw(tool_spec(f"t{index}_{i}", postponed)) for i in range(draw(st.integers(1, 6)))]
    head = ("from __future__ import annotations\n" if postponed else "") + (
        "import typing\nfrom typing import Any, Optional, List, Dict\n"
        "from toolrampart import (default_rampart, isolated_process, max_retries, rate_limit, redact,\n"
        "                         require_approval, scope, side_effects, timeout, tool)\n\n\n")
    text = head + "\n\n".join(t.source for t in tools)
    case = ModuleCase(text, tools)
    # hypothesis draws the module; a seeded generator it draws draws the many calls (fast)
    rng = random.Random(draw(st.integers(0, 2**64 - 1)))
    once_called: set[str] = set()
    for _ in range(rng.randint(*CALLS_PER_MODULE)):
        spec = rng.choice(tools)
        if spec.rate_per == "shared":
            if spec.name in once_called:
                continue
            once_called.add(spec.name)
        case.calls.append(random_call(rng, spec, counter))
    return case


def generate(count: int, seed_value: int) -> list[ModuleCase]:
    """Modules with at least ``count`` calls in all, drawn by hypothesis."""
    cases: list[ModuleCase] = []
    counter = [0]
    round_ = 0
    while sum(len(c.calls) for c in cases) < count:
        missing = count - sum(len(c.calls) for c in cases)

        @seed(seed_value + round_)
        @settings(max_examples=missing // CALLS_PER_MODULE[0] + 1, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(st.data())
        def collect(data: st.DataObject) -> None:
            cases.append(data.draw(module_case(len(cases), counter)))

        collect()
        round_ += 1
    extra = sum(len(c.calls) for c in cases) - count
    while extra > 0:  # exactly `count` cases
        cut = min(extra, len(cases[-1].calls) - 1)
        if cut <= 0:
            cases.pop()
            extra = sum(len(c.calls) for c in cases) - count
            continue
        del cases[-1].calls[-cut:]
        extra -= cut
    return cases


# --- comparison ---------------------------------------------------------------

def expected_line(outcome, spec: ToolSpec) -> tuple[str, str | None, bool]:
    """What the oracle must print for policyc's ``outcome``:
    ``(status, message, compare the message)``."""
    if outcome.executes and spec.isolated:
        return "error", "PicklingError", True
    compare = outcome.message_known and outcome.status != "validation_error"
    return outcome.status, outcome.message, compare


def _agrees(got: dict, want: tuple[str, str | None, bool]) -> bool:
    status, message, compare = want
    if got.get("status") != status:
        return False
    if not compare:
        return True
    if status == "error" and message == "PicklingError":
        return str(got.get("message", "")).startswith("PicklingError")
    return got.get("message") == message


def test_generated_modules_agree_with_the_oracle(oracle: list[str], tmp_path: Path) -> None:
    """DIFF_CASES generated calls over generated modules: policyc decides
    every one exactly as toolrampart 0.2.0 does, and so does each module's
    compiled bundle (reset before each call: a fresh runtime, as the
    oracle's per-call state and ``decide`` are)."""
    seed_value = SEED
    started = time.monotonic()
    cases = generate(DIFF_CASES, seed_value)
    total = sum(len(c.calls) for c in cases)
    assert total == DIFF_CASES
    groups: list[list[tuple[Path, ModuleCase]]] = [[] for _ in range(PROCESSES)]
    for i, case in enumerate(cases):
        path = tmp_path / f"gen_{i}.py"
        path.write_text(case.text, encoding="utf-8")
        groups[i % PROCESSES].append((path, case))

    def run(group):
        calls = [c for _, case in group for c in case.calls]
        return run_oracle(oracle, [p for p, _ in group], calls)

    with ThreadPoolExecutor(PROCESSES) as pool:
        results = list(pool.map(run, groups))
    disagreements: list[str] = []
    statuses: Counter = Counter()
    unknown = 0
    compared = 0
    by_bundle = 0
    for group, (lines, stderr) in zip(groups, results):
        calls = [(path, case, c) for path, case in group for c in case.calls]
        if len(lines) < len(calls):
            path, case, call = calls[len(lines)]
            pytest.fail(f"the oracle stopped at call {len(lines)} ({json.dumps(call)}) of {path.name} "
                        f"(seed {seed_value}):\n{stderr[-1500:]}\n--- module ---\n{case.text}")
        loaded: dict[Path, Any] = {}
        bundles: dict[Path, Any] = {}
        for (path, case, call), got in zip(calls, lines):
            if path not in loaded:
                loaded[path] = load_paths([str(path)])
                try:
                    bundles[path] = load_bundle(compile_toolrampart(loaded[path], {}))
                except CompileError:  # a module the runtime does not import: its outcomes are import errors
                    assert not loaded[path].ok
            outcome = decide(loaded[path], call)
            if path in bundles:
                bundles[path].reset()
                from_bundle = bundles[path].decide(call)
                by_bundle += 1
                if from_bundle != ToolRampartDecision.of(outcome):
                    disagreements.append(f"{path.name}: {json.dumps(call)}\n  bundle: {from_bundle}\n"
                                         f"  reference: {ToolRampartDecision.of(outcome)}")
            if outcome.status == "unknown":
                unknown += 1
            spec = next(t for t in case.tools if t.name == call["tool"])
            want = expected_line(outcome, spec)
            compared += 1
            statuses[got.get("status")] += 1
            if not _agrees(got, want):
                disagreements.append(f"{path.name}: {json.dumps(call)}\n  oracle: {json.dumps(got)[:300]}\n"
                                     f"  policyc: {want} ({outcome.stage}: {outcome.reason})\n"
                                     f"--- tool ---\n{spec.source}")
    elapsed = time.monotonic() - started
    print(f"toolrampart differential: {compared} cases ({by_bundle} by the bundle too), {len(disagreements)} "
          f"disagreements, {unknown} unknown, {elapsed:.1f} s (seed {seed_value}); oracle statuses: {dict(statuses)}")
    assert not disagreements, (f"{len(disagreements)} of {compared} cases disagree (seed {seed_value}); first:\n"
                               + "\n\n".join(disagreements[:5]))
    assert unknown == 0, f"{unknown} generated cases were undecidable (seed {seed_value})"


def test_oracle_decides_the_refund_example(oracle: list[str]) -> None:
    """Sanity: the oracle runs a shipped example and agrees with policyc."""
    module = SHARED / "corpora" / "toolrampart" / "examples" / "refund_tool.py"
    calls = [
        {"tool": "refund_user", "arguments": {"user_id": "u", "amount": 100, "reason": "r"}, "actor": "a"},
        {"tool": "refund_user", "arguments": {"user_id": "u", "amount": 700, "reason": "r"}, "actor": "b",
         "scopes": ["billing.refund"]},
        {"tool": "refund_user", "arguments": {"user_id": "u", "amount": 700, "reason": "r"}, "actor": "c",
         "scopes": ["billing.*"], "approved": True},
        {"tool": "refund_user", "arguments": {"user_id": "u", "amount": "x", "reason": "r"}, "actor": "d"},
        {"tool": "refund_user", "arguments": {"user_id": "u", "amount": 5, "reason": "r"}, "actor": "e",
         "scopes": ["*"], "history": 10},
    ]
    lines, stderr = run_oracle(oracle, [module], calls)
    assert len(lines) == len(calls), stderr
    result = load_paths([str(module)])
    bundle = load_bundle(compile_toolrampart(result, {}))
    assert [(line["status"]) for line in lines] == [decide(result, c).status for c in calls] == [
        "denied", "requires_approval", "success", "validation_error", "rate_limited"]
    for call in calls:
        bundle.reset()
        assert bundle.decide(call) == ToolRampartDecision.of(decide(result, call))
    assert lines[1]["message"] == decide(result, calls[1]).message == "amount exceeds 500"


FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures" / "checks"

#: What each check's failing fixture claims the runtime does, run on the
#: runtime itself: (fixture, call, the oracle's status or "crash: <text in
#: its stderr>", policyc's status for the same call).
CLAIMS = [
    ("PC606/fail_scope_above_tool.py", {"tool": "refund_user", "arguments": {"user_id": "u", "amount": 1}},
     "success", "success"),
    ("PC607/fail_two_scopes.py", {"tool": "refund_user", "arguments": {"user_id": "u", "amount": 1},
                                  "scopes": ["billing.refund"]}, "denied", "denied"),
    ("PC608/fail_field_not_a_parameter.py", {"tool": "refund_user", "arguments": {"user_id": "u",
                                             "amount_cents": 10**9}, "scopes": ["billing.refund"]},
     "success", "success"),
    ("PC608/fail_threshold_not_a_number.py", {"tool": "refund_user", "arguments": {"user_id": "u", "amount": 1e9},
                                              "scopes": ["billing.refund"]}, "success", "success"),
    ("PC609/fail_optional_amount.py", {"tool": "refund_user", "arguments": {"user_id": "u"},
                                       "scopes": ["billing.refund"]}, "success", "success"),
    ("PC609/fail_unannotated.py", {"tool": "refund_user", "arguments": {"user_id": "u", "amount": "n/a"},
                                   "scopes": ["billing.refund"]}, "success", "success"),
    ("PC616/fail_break_glass.py", {"tool": "delete_account", "arguments": {"account_id": "a"},
                                   "scopes": ["admin.account.delete"], "approved": True,
                                   "metadata": {"break_glass": True}}, "success", "unknown"),
    ("PC622/fail_postponed_optional.py", {"tool": "find_contact", "arguments": {"email": "a"},
                                          "scopes": ["crm.contact.read"]}, "crash: not fully defined", "error"),
    ("PC623/fail_private_parameter.py", {"tool": "find_contact", "arguments": {"email": "a"},
                                         "scopes": ["crm.contact.read"]}, "error", "error"),
    ("PC626/fail_timeout_zero.py", {"tool": "run_report", "arguments": {"report_id": "r"},
                                    "scopes": ["reports.run"]}, "timeout", "timeout"),
    ("PC602/fail_rate_limit_window.py", {"tool": "refund_user", "arguments": {"user_id": "u", "amount": 1}},
     "crash: rate limit window must be", "error"),
    ("PC602/fail_kwargs.py", {"tool": "add_note", "arguments": {"customer_id": "c"}},
     "crash: cannot use *args or **kwargs", "error"),
    ("PC602/fail_bare_scope.py", {"tool": "decorator", "arguments": {"func": 1}}, "validation_error", "not_found"),
]


@pytest.mark.parametrize(("fixture", "call", "runtime", "ours"), CLAIMS, ids=[c[0] for c in CLAIMS])
def test_check_claims_hold_in_the_runtime(oracle: list[str], fixture: str, call: dict, runtime: str,
                                          ours: str) -> None:
    """Each failing fixture's trap, shown on toolrampart 0.2.0 itself (PC602
    bare ``@scope``: the runtime registers a tool named ``decorator`` whose
    one argument ``func`` must be callable; policyc does not model that
    closure as a tool: ``not_found``, with PC602 saying why)."""
    path = FIXTURES_DIR / fixture
    lines, stderr = run_oracle(oracle, [path], [call])
    if runtime.startswith("crash: "):
        assert not lines and runtime[7:] in stderr, (lines, stderr[-500:])
    else:
        assert lines and lines[0]["status"] == runtime, (lines, stderr[-500:])
    assert decide(load_paths([str(path)]), call).status == ours


# --- configs: policyc's schema and settings against config.py's load_config ----

_LOAD_CONFIGS = (
    "import json, sys\n"
    "from toolrampart.config import load_config\n"
    "for path in sys.argv[1:]:\n"
    "    try:\n"
    "        print(json.dumps({'ok': load_config(path).model_dump()}, default=str))\n"
    "    except Exception as exc:\n"
    "        print(json.dumps({'error': type(exc).__name__}))\n")

CONFIG_VALUES = [True, False, 0, 1, 2, -1, 0.0, 1.0, 1.5, 30, 2.0**63, float("inf"), float("nan"), "", "true",
                 "False", "yes", "off", "1", "0", " 7 ", "1_000", "2.5", "1e3", "inf", "abc", "30", [], ["a"],
                 [1], {"x": 1}, "DATETIME"]
CONFIG_KEYS = {
    "auth": ["required", "trust_headers", "jwt_secret", "jwt_issuer", "jwt_audience", "jwt_jwks_url",
             "jwt_algorithms", "requried"],
    "execution": ["timeout_seconds", "max_retries", "timeout"],
    "storage": ["audit_path", "retention_days", "retention"],
    "telemetry": ["enabled", "service_name"],
}


def _toml(value: Any) -> str:
    if value == "DATETIME":
        return "1979-05-27T07:32:00Z"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if value != value else ("inf" if value == float("inf") else repr(value))
    if isinstance(value, (int, str)):
        return json.dumps(value) if isinstance(value, str) else str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"


def random_config(rng: random.Random) -> str:
    lines = []
    for section, keys in CONFIG_KEYS.items():
        if rng.random() < 0.25:
            continue
        lines.append(f"[{section}]")
        for key in rng.sample(keys, rng.randint(0, len(keys))):
            lines.append(f"{key} = {_toml(rng.choice(CONFIG_VALUES))}")
        if section == "auth" and rng.random() < 0.5:
            entry = {"actor": rng.choice(["agent", 1, "x"]), "scopes": rng.choice([["a.*"], "a", [1]])}
            if rng.random() < 0.5:
                entry["hash"] = "pbkdf2_sha256$1$s$d"
                entry["active"] = rng.choice(CONFIG_VALUES)
            if rng.random() < 0.3:
                del entry["actor"]
            table = "hashed_api_keys" if "hash" in entry else "api_keys"
            lines.append(f"[auth.{table}]")
            lines.append(f'"k{rng.randrange(99)}" = {_toml(entry)}')
    return "\n".join(lines) + "\n"


def test_configs_agree_with_load_config(oracle: list[str], tmp_path: Path) -> None:
    """300 generated configs: ``load_config`` (config.py, pydantic) accepts
    exactly those policyc finds valid (no PC603/PC604), and reads the same
    settings."""
    rng = random.Random(SEED)
    paths = []
    for i in range(300):
        path = tmp_path / f"c{i}.toml"
        path.write_text(random_config(rng), "utf-8")
        paths.append(path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOOLRAMPART_")}
    done = subprocess.run([oracle[0], "-c", _LOAD_CONFIGS, *map(str, paths)], capture_output=True, text=True,
                          timeout=300, env=env, cwd=tmp_path)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == len(paths), done.stderr[-1000:]
    from policyc.dialects.toolrampart.config import read_config
    wrong = []
    for path, got in zip(paths, lines):
        config, diagnostics = read_config(str(path))
        valid = config is not None and config.valid and not any(d.code in ("PC603", "PC604") for d in diagnostics)
        if valid != ("ok" in got):
            wrong.append(f"{path.name}: load_config {got}, policyc valid={valid} "
                         f"{[d.message for d in diagnostics]}\n{path.read_text()}")
            continue
        if valid:
            theirs = got["ok"]
            for section in ("auth", "execution", "storage", "telemetry"):
                for key, value in config.settings[section].items():
                    other = theirs[section][key]
                    if value != other and not (value != value and other != other):
                        wrong.append(f"{path.name}: {section}.{key}: load_config {other!r}, policyc {value!r}\n"
                                     f"{path.read_text()}")
    assert not wrong, f"{len(wrong)} configs disagree; first:\n" + "\n".join(wrong[:3])
