"""ToolRampart bundles (docs/bundle-format.md §9): the writer
(policyc/dialects/toolrampart/codegen.py) and the runtime
(policyc/dialects/toolrampart/runtime.py, reached through load_bundle).

The central promise: a compiled bundle decides every call exactly as the
reference evaluator does with the tool modules and configs it was compiled
from, call by call (a fresh session: ``decide``) and as a stream (one
session, counting rate limits). Checked on the shipped examples, the
check fixtures, ``BUNDLE_CASES`` calls to the oracle differential's
generated modules (``tests/test_toolrampart_oracle.py``, no oracle needed)
and ``EXOTIC_CASES`` calls to generated modules with what that generator
leaves out: the parts policyc cannot decide (custom policies, unknown
decorators, non-literal arguments), exotic literals (bytes, complex, sets,
tuples, nested containers, infinities), hidden parameters, service configs
and tools of one name in two modules.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from policyc.codegen.bundle import CompileError
from policyc.dialects.toolrampart.codegen import compile_payload, compile_toolrampart
from policyc.dialects.toolrampart import NAME, decide, load_paths
from policyc.dialects.toolrampart.diff import candidate_calls
from policyc.dialects.toolrampart.evaluate import COMBINING, STATUSES, Session
from policyc.runtime import MAX_BUNDLE_DEPTH, BundleError, fail_closed, load_bundle
from policyc.runtime.jsonparse import nesting_depth
from policyc.dialects.toolrampart.runtime import ToolRampartBundle, ToolRampartDecision

from .conftest import CORPORA, FIXTURES, REPO, bundle_payload, needs_corpora, resealed
from .test_runtime_fuzz import mutate_bundle
from .test_toolrampart_hostile import JSON
from .test_toolrampart_oracle import CALLER_SCOPES, SEED, generate, random_value

BUNDLE_CASES = 10_000
"""Calls to the oracle generator's modules decided by bundle and reference evaluator per run."""
EXOTIC_CASES = 6_000
"""Calls to exotic generated modules decided by both per run."""
MUTATED_BUNDLES = 1_000

EXAMPLES = CORPORA / "toolrampart" / "examples"

HEAD = """from toolrampart import max_retries, policy, rate_limit, require_approval, scope, timeout, tool


"""
REFUND = HEAD + """@tool
@scope("billing.refund")
@require_approval(over_amount=500)
@rate_limit("2/hour/user")
def refund_user(user_id: str, amount: float, note: str | None = None) -> dict:
    \"\"\"Refund a user.\"\"\"
    return {}


@tool(name="lookup")
@timeout(0)
def find(query: str, limit: int = 10):
    return []
"""


def _reference(result: Any, call: Any) -> dict[str, Any]:
    """What ``policyc eval --engine reference`` prints for one call in a fresh session."""
    return ToolRampartDecision.of(decide(result, call)).to_json()


def _write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def _bundle(*paths: Path) -> tuple[Any, bytes]:
    result = load_paths([str(p) for p in paths])
    return result, compile_toolrampart(result, {})


def agree(result: Any, data: bytes, calls: list[Any], tally: Counter) -> None:
    """The bundle ``data`` decides ``calls`` as the reference evaluator with
    ``result``: each in a fresh session (``reset``), then all in one
    session (the stream ``policyc eval`` decides); counts the statuses."""
    bundle = load_bundle(data)
    assert isinstance(bundle, ToolRampartBundle) and bundle.tools == len(result.tools)
    for call in calls:
        bundle.reset()
        got = bundle.decide(call).to_json()
        assert got == _reference(result, call), call
        tally[got["status"]] += 1
    bundle.reset()
    session = Session(result)
    for call in calls:
        assert bundle.decide(call).to_json() == ToolRampartDecision.of(session.decide(call)).to_json(), call


# -------------------------------------------------------------- the shipped examples


@needs_corpora
def test_shipped_examples_compile_deterministically_and_decide_as_the_reference(tmp_path):
    result, data = _bundle(EXAMPLES)
    assert compile_toolrampart(load_paths([str(EXAMPLES)]), {}) == data
    copy = tmp_path / "examples"
    shutil.copytree(EXAMPLES, copy)
    assert _bundle(copy)[1] == data  # no path in the payload
    sources = {p.name: p.read_bytes() for p in sorted(EXAMPLES.iterdir())}
    assert compile_toolrampart(result, sources) == compile_toolrampart(load_paths([str(copy)]), dict(
        reversed(sources.items())))
    payload = bundle_payload(data)
    assert [t["name"] for t in payload["tools"]] == [t.name for t in result.tools]
    assert len(payload["configs"]) == 1  # the examples' toolrampart.toml, read by every tool
    rng = random.Random(9)
    calls = candidate_calls(result, result)
    calls += [_random_call(rng, _params(result)) for _ in range(2000)]
    tally: Counter = Counter()
    agree(result, data, calls, tally)
    assert {"success", "denied", "requires_approval", "validation_error", "not_found", "unknown", "error",
            "rate_limited"} <= set(tally), tally


def test_same_sources_give_byte_identical_bundles(tmp_path):
    one = _write(tmp_path / "one", {"a.py": REFUND, "toolrampart.toml": "[execution]\ntimeout_seconds = 5\n"})
    two = _write(tmp_path / "elsewhere" / "two", {"toolrampart.toml": "[execution]\ntimeout_seconds = 5\n",
                                                  "a.py": REFUND})
    sources = {"a.py": REFUND.encode(), "toolrampart.toml": b"[execution]\ntimeout_seconds = 5\n"}
    first = compile_toolrampart(load_paths([str(one)]), sources)
    assert compile_toolrampart(load_paths([str(one)]), sources) == first
    assert compile_toolrampart(load_paths([str(two)]), sources) == first
    document = json.loads(first)
    assert document["format_version"] == 4
    assert [s["path"] for s in document["manifest"]["sources"]] == ["a.py", "toolrampart.toml"]
    payload = document["payload"]
    assert (payload["dialect"], payload["call_model"], payload["combining"]) == (NAME, "toolrampart-call",
                                                                                 COMBINING)
    assert payload["configs"] == [{"timeout_seconds": {"float": "5.0"}, "max_retries": 0}]
    refund, lookup = payload["tools"]
    assert refund["rate_limit"] == {"expression": "2/hour/user", "limit": 2, "window_seconds": 3600, "per": "user"}
    assert refund["approval"] == {"always": False, "conditions": [
        {"keyword": "over_amount", "op": "over", "field": "amount", "threshold": 500}]}
    assert [i["name"] for i in refund["inputs"]] == ["user_id", "amount", "note"]
    assert (lookup["name"], lookup["function"], lookup["timeout"]) == ("lookup", "find", 0)
    assert nesting_depth(first) <= 9 < MAX_BUNDLE_DEPTH


def test_sets_are_written_alike_under_any_hash_seed(tmp_path):
    """A set of strings iterates in an order that depends on PYTHONHASHSEED;
    the writer sorts it, so two processes write the same bytes."""
    module = HEAD + ("@tool\n@scope({'billing', 'admin', 'ops', 'refund'})\n"
                     "def f(x={('b', 'a'), ('a',), 'z', 'y', b'q'}, y={'k': {'m', 'n', 'o'}}):\n    pass\n")
    directory = _write(tmp_path / "m", {"m.py": module})
    code = ("import sys\nfrom policyc.dialects.toolrampart import load_paths\n"
            "from policyc.dialects.toolrampart.codegen import compile_toolrampart\n"
            "sys.stdout.buffer.write(compile_toolrampart(load_paths(sys.argv[1:]), {}))\n")
    outputs = {subprocess.run([sys.executable, "-c", code, str(directory)], cwd=REPO, capture_output=True,
                              check=True, env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": seed_}
                              ).stdout for seed_ in ("0", "1", "2", "12345")}
    assert len(outputs) == 1
    result = load_paths([str(directory)])
    call = {"tool": "f", "scopes": ["x.*"]}
    assert load_bundle(outputs.pop()).decide(call).to_json() == _reference(result, call)


# -------------------------------------------------------------- values


LITERALS = ["None", "True", "False", "0", "1", "-1", "5", "500", "500.0", "499.5", "-0.0", "1e400", "-1e400",
            "2.5", "''", "'a'", "'a.b'", "'500'", "'x.*'", "b'5'", "b''", "1j", "(1+2j)", "-1e400j", "...",
            "(1, 'a')", "()", "[1, 2]", "[]", "{'k': [1, {2}]}", "{}", "{3, 1, 2}", "set()", "((1,), (2,))",
            "[[[[[[1]]]]]]", "{(1, 'a'): b'x', 2: None, 'n': -0.0}", "0x10", "'é\\u2028'", str(2 ** 70)]
"""Literals as ``ast.literal_eval`` gives them. (No set of strings: Python orders one by the process's
hash seed, and the bundle writes its elements sorted, so where a message shows one its order may differ.)"""
NON_LITERALS = ["NAME", "2 ** 3", "float('nan')", "len('x')", "frozenset()"]


@pytest.mark.parametrize("literal", LITERALS)
def test_every_literal_round_trips(tmp_path, literal):
    """Each literal as a default and as the value of an ``F=value``
    approval condition (``F matched repr(value)``), as a scope
    (``missing required scope: str(value)``) and as a timeout: the bundle
    decides as the reference, so it holds the same value."""
    module = HEAD + (f"@tool\n@require_approval(x={literal})\ndef a(x={literal}):\n    pass\n\n\n"
                     f"@tool\n@scope({literal})\n@timeout({literal})\ndef s(y: int = 0):\n    pass\n")
    result, data = _bundle(_write(tmp_path / "m", {"m.py": module}))
    calls = [{"tool": "a"}, {"tool": "a", "arguments": {"x": 1}}, {"tool": "s"}, {"tool": "s", "scopes": ["x.*"]},
             {"tool": "s", "scopes": ["*"]}]
    tally: Counter = Counter()
    agree(result, data, calls, tally)
    first = load_bundle(data).decide(calls[0])
    assert (first.status, first.message) == ("requires_approval", f"x matched {eval(literal)!r}")


def test_values_that_cannot_be_written_are_compile_errors(tmp_path):
    surrogate = _write(tmp_path / "s", {"m.py": HEAD + "@tool\n@scope('\\ud800')\ndef f():\n    pass\n"})
    with pytest.raises(CompileError, match="lone surrogate"):
        _bundle(surrogate)
    huge = _write(tmp_path / "h", {"m.py": HEAD + "@tool\ndef f(x=0x" + "f" * 4000 + "):\n    pass\n"})
    with pytest.raises(CompileError, match="more than 4,300 digits"):
        _bundle(huge)


def test_deep_literals_keep_the_bundle_shallow(tmp_path):
    deep = "[" * 150 + "1" + "]" * 150
    module = HEAD + f"@tool\n@require_approval(x={deep})\ndef f(x={deep}):\n    pass\n"
    result, data = _bundle(_write(tmp_path / "d", {"m.py": module}))
    assert nesting_depth(data) <= 9
    assert load_bundle(data).decide({"tool": "f"}).to_json() == _reference(result, {"tool": "f"})


# -------------------------------------------------------------- generated modules


def _random_call(rng: random.Random, tools: dict[Any, list[str]]) -> Any:
    """A call to one of ``tools`` (name -> parameter names), to none, or
    malformed, with the edge values of the differential as arguments."""
    roll = rng.random()
    if roll < 0.03:
        return rng.choice([None, [], "call", 5, {"arguments": {}}])
    name = rng.choice(list(tools) + ["missing", 5] if not tools or rng.random() < 0.1 else list(tools))
    params = tools.get(name, []) + ["_secret", "extra"]
    call: dict[str, Any] = {"tool": name, "arguments": {k: random_value(rng) for k in params
                                                        if rng.random() < (0.8 if k in tools.get(name, ()) else 0.05)}}
    if rng.random() < 0.7:
        call["actor"] = rng.choice(["agent", "other", ""])
    if rng.random() < 0.8:
        call["scopes"] = rng.sample(CALLER_SCOPES + ["dynamic", "x.*", "a.b.*"], rng.randrange(4))
    if rng.random() < 0.6:
        call["approved"] = rng.choice([True, False, 1, 0, "", "yes", None])
    if rng.random() < 0.4:
        call["history"] = rng.choice([1, 2, 3, 10 ** 12])
    if roll > 0.97:
        key, bad = rng.choice([("actor", 5), ("scopes", 3), ("scopes", [1]), ("metadata", []), ("history", -1),
                               ("history", "x"), ("arguments", [1]), ("scopes", "ab")])
        call[key] = bad
    return call


def test_generated_modules_decide_as_the_reference_evaluator(tmp_path):
    """The oracle differential's modules and calls (its fixed seed), each
    module compiled, some with a service config beside it."""
    started = time.monotonic()
    cases = generate(BUNDLE_CASES, SEED)
    configs = [None, "[execution]\ntimeout_seconds = 0\n", "[execution]\ntimeout_seconds = 2.5\nmax_retries = 2\n",
               "[execution]\nmax_retries = 1\ntimeout = 5\n"]
    tally: Counter = Counter()
    refused = 0
    for i, case in enumerate(cases):
        directory = _write(tmp_path / f"m{i}", {f"gen_{i}.py": case.text})
        config = configs[i % len(configs)]
        if config is not None:
            (directory / "toolrampart.toml").write_text(config, "utf-8")
        result = load_paths([str(directory)])
        if not result.ok:
            with pytest.raises(CompileError, match="ToolRampart does not load these files"):
                compile_payload(result)
            refused += 1
            continue
        data = compile_toolrampart(result, {})
        assert compile_toolrampart(load_paths([str(directory)]), {}) == data
        agree(result, data, case.calls, tally)
    cases_compared = sum(tally.values())
    print(f"\ntoolrampart bundle vs reference: {cases_compared} cases, {len(cases)} modules ({refused} not "
          f"loadable), 0 disagreements, {time.monotonic() - started:.1f} s; statuses {dict(tally)}")
    assert cases_compared >= BUNDLE_CASES * 9 // 10
    for status in ("success", "validation_error", "denied", "requires_approval", "error", "rate_limited",
                   "timeout"):
        assert tally[status] >= 20, tally


_PARAMS = ["amount", "region", "flag", "items", "note", "_secret", "_opt"]
_ANNOTATIONS = [None, "int", "float", "str", "bool", "Any", "int | None", "Optional[int]", "list[list[int]]",
                "dict[str, list[float]]", "Literal['a', 'b']", "tuple[int, ...]", "'int'", "List[str]", "None",
                "typing.Any", "dict", "list"]
_CONFIGS = [None, None, "[execution]\ntimeout_seconds = 0\n", "[execution]\ntimeout_seconds = -1.5\n",
            "[execution]\ntimeout_seconds = nan\n", "[execution]\ntimeout_seconds = inf\nmax_retries = 3\n",
            "[execution]\ntimeout_seconds = 2\nmax_retries = 1\n", "[execution]\ntimeout = 5\n",
            "[execution]\ntimeout_seconds = 'abc'\n"]
_EXOTIC_HEAD = """import functools
import typing
from typing import Any, Dict, List, Literal, Optional
from toolrampart import (isolated_process, max_retries, policy, rate_limit, redact, require_approval, scope,
                         side_effects, timeout, tool)

NAME = "dynamic"
OPTS = {"name": "x"}
RATE = "1/hour/user"


def allow_all(ctx, arguments):
    return True


"""


@st.composite
def exotic_tool(draw, name: str) -> tuple[str, list[str], str]:
    """``(the name it registers, its parameters, its source)``."""
    literal = st.sampled_from(LITERALS + NON_LITERALS)
    names = draw(st.lists(st.sampled_from(_PARAMS), max_size=3, unique=True))
    texts, defaulted = [], False
    for pname in names:
        annotation = draw(st.sampled_from(_ANNOTATIONS))
        text = pname + (f": {annotation}" if annotation else "")
        defaulted = defaulted or draw(st.booleans())
        if defaulted:
            text += f" = {draw(literal)}"
        texts.append(text)
    if texts and draw(st.integers(0, 6)) == 0 and all("=" in t for t in texts):
        texts.insert(0, "*")
    decorators = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["scope", "approval", "approval", "approval", "rate", "rate", "timeout", "retries",
                                     "isolated",
                                     "policy", "unknown", "side", "redact"]))
        if kind == "scope":
            decorators.append(f"@scope({draw(st.sampled_from(['a.b', 'a', 'x', 'NAME'] + LITERALS))})")
        elif kind == "approval":
            form = draw(st.integers(0, 4))
            if form == 0:
                decorators.append("@require_approval")
            elif form == 1:
                decorators.append("@require_approval(**OPTS)")
            else:
                pairs = {draw(st.sampled_from(["over_", "at_or_over_", ""])) + draw(st.sampled_from(_PARAMS + ["zz"])):
                         draw(literal) for _ in range(draw(st.integers(1, 3)))}
                decorators.append("@require_approval(" + ", ".join(f"{k}={v}" for k, v in pairs.items()) + ")")
        elif kind == "rate":
            decorators.append(draw(st.sampled_from(["@rate_limit('1/hour/user')", "@rate_limit('2/minute/global')",
                                                    "@rate_limit('3/0 minutes/tool')", "@rate_limit(RATE)"])))
        elif kind == "timeout":
            decorators.append(f"@timeout({draw(literal)})")
        elif kind == "retries":
            decorators.append(f"@max_retries({draw(st.sampled_from(['0', '1', '2', '1.5', 'True', 'NAME', '-1']))})")
        elif kind == "isolated":
            decorators.append("@isolated_process")
        elif kind == "policy":
            decorators.append(draw(st.sampled_from(["@policy(allow_all)", "@policy(lambda c, a: True, name='p')"])))
        elif kind == "unknown":
            decorators.append("@functools.cache")
        elif kind == "side":
            decorators.append("@side_effects(destructive=True, idempotent=NAME)")
        else:
            decorators.append("@redact(['note'])")
    tool_line = draw(st.sampled_from(["@tool", "@tool", "@tool", "@tool()", f"@tool(name={name + '_n'!r})",
                                      "@tool(**OPTS)", "@tool(name=NAME)", f"@tool(execution_mode={draw(literal)})",
                                      f"@tool(timeout_seconds={draw(literal)}, max_retries=1)"]))
    registered = name + "_n" if "name=" in tool_line and "NAME" not in tool_line else name
    source = "\n".join([tool_line] + decorators) + f"\ndef {name}({', '.join(texts)}):\n    pass\n"
    return registered, [n for n in names if not n.startswith("_")], source


@st.composite
def exotic_service(draw) -> tuple[dict[str, str], dict[str, list[str]], int]:
    """Two modules (the second may register a name of the first again),
    maybe a config; the names registered (-> parameters); a seed for calls."""
    files: dict[str, str] = {}
    names: dict[str, list[str]] = {}
    for module in ("a", "b"):
        postponed = draw(st.booleans())
        count = draw(st.integers(1, 4))
        own = [f"{module}{i}" for i in range(count)]
        if module == "b" and draw(st.integers(0, 5)) == 3:
            own[0] = next(iter(names))
        tools = [draw(exotic_tool(n)) for n in own]
        for registered, params, _ in tools:
            names[registered] = names.get(registered, []) + params
        files[f"{module}.py"] = (("from __future__ import annotations\n" if postponed else "") + _EXOTIC_HEAD
                                 + "\n\n".join(t for _, _, t in tools))
    config = draw(st.sampled_from(_CONFIGS))
    if config is not None:
        files["toolrampart.toml"] = config
    return files, names, draw(st.integers(0, 2 ** 64 - 1))


def test_exotic_modules_decide_as_the_reference_evaluator():
    tally: Counter = Counter()
    counts = {"services": 0, "refused": 0}

    @seed(SEED)
    @settings(max_examples=EXOTIC_CASES // 30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(exotic_service())
    def run(service: tuple[dict[str, str], dict[str, list[str]], int]) -> None:
        files, names, calls_seed = service
        rng = random.Random(calls_seed)  # hypothesis draws the modules, a seeded generator the many calls
        with tempfile.TemporaryDirectory() as tmp:
            result = load_paths([str(_write(Path(tmp), files))])
        counts["services"] += 1
        if not result.ok:
            with pytest.raises(CompileError, match="ToolRampart does not load these files"):
                compile_payload(result)
            counts["refused"] += 1
            return
        data = compile_toolrampart(result, {})
        assert compile_toolrampart(result, {}) == data
        agree(result, data, [_random_call(rng, names) for _ in range(40)], tally)

    started = time.monotonic()
    run()
    print(f"\nexotic toolrampart bundles vs reference: {sum(tally.values())} cases, {counts['services']} services "
          f"({counts['refused']} not loadable), 0 disagreements, {time.monotonic() - started:.1f} s; "
          f"statuses {dict(tally)}")
    assert sum(tally.values()) >= EXOTIC_CASES * 2 // 3
    for status in ("success", "unknown", "error", "denied", "requires_approval", "validation_error", "not_found",
                   "timeout", "rate_limited"):
        assert tally[status] >= 20, tally


def _params(result: Any) -> dict[Any, list[str]]:
    """Each tool name -> its input fields."""
    return {t.name: [name for name, _, _ in t.inputs] for t in result.tools}


def _fixture_services(tmp_path: Path) -> list[Path]:
    """Each check fixture module, alone in a directory with one of the
    fixture configs (in turn, or none) as its toolrampart.toml."""
    checks = FIXTURES / "checks"
    configs = [None] + sorted(checks.glob("PC6*/*.toml"))
    out = []
    for i, module in enumerate(sorted(checks.glob("PC6*/*.py"))):
        directory = tmp_path / f"s{i}"
        directory.mkdir()
        shutil.copy(module, directory / module.name)
        config = configs[i % len(configs)]
        if config is not None:
            shutil.copy(config, directory / "toolrampart.toml")
        out.append(directory)
    return out


def test_check_fixtures_decide_as_the_reference_evaluator(tmp_path):
    tally: Counter = Counter()
    refused = compiled = 0
    rng = random.Random(3)
    for directory in _fixture_services(tmp_path):
        result = load_paths([str(directory)])
        if not result.ok:
            refusal = f"ToolRampart does not load these files: {re.escape(str(directory))}"
            with pytest.raises(CompileError, match=refusal):
                compile_payload(result)
            refused += 1
            continue
        compiled += 1
        calls = candidate_calls(result, result) + [_random_call(rng, _params(result)) for _ in range(100)]
        agree(result, _bundle(directory)[1], calls, tally)
    assert compiled >= 25 and refused >= 5, (compiled, refused)
    assert {"success", "denied", "requires_approval", "unknown", "error", "timeout"} <= set(tally), tally


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(call=st.one_of(JSON, st.fixed_dictionaries({"tool": st.sampled_from(["refund_user", "lookup", 1]),
                                                   "arguments": JSON, "actor": JSON, "scopes": JSON,
                                                   "approved": JSON, "metadata": JSON, "history": JSON})))
def test_any_json_call_decides_as_the_reference(call):
    result, data, bundle = _refund_bundle()
    call = json.loads(json.dumps(call))
    bundle.reset()
    assert bundle.decide(call).to_json() == _reference(result, call)


_CACHE: dict[str, Any] = {}


def _refund_bundle() -> tuple[Any, bytes, Any]:
    if "refund" not in _CACHE:
        with tempfile.TemporaryDirectory() as tmp:
            result, data = _bundle(_write(Path(tmp), {"refund.py": REFUND}))
        _CACHE["refund"] = (result, data, load_bundle(data))
    return _CACHE["refund"]


# -------------------------------------------------------------- state


def test_a_bundle_counts_rate_limits_as_one_process():
    _, data, _ = _refund_bundle()
    bundle = load_bundle(data)
    call = {"tool": "refund_user", "arguments": {"user_id": "u", "amount": 5}, "actor": "a",
            "scopes": ["billing.*"]}
    assert [bundle.decide(call).status for _ in range(3)] == ["success", "success", "rate_limited"]
    assert bundle.decide(dict(call, actor="b")).status == "success"
    bundle.reset()
    assert bundle.decide(call).status == "success"
    assert bundle.decide(dict(call, history=10 ** 15)).to_json() == {
        "action": "deny", "status": "rate_limited", "message": "rate limit exceeded: 2/hour/user", "dialect": NAME}
    started = time.monotonic()
    huge = bundle.decide({"tool": "lookup", "arguments": {"query": "q"}, "history": 10 ** 18})
    assert huge.status == "timeout" and time.monotonic() - started < 1
    results: list[str] = []
    bundle.reset()
    threads = [threading.Thread(target=lambda: results.append(bundle.decide(dict(call, actor="c")).status))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["rate_limited"] * 6 + ["success"] * 2


# -------------------------------------------------------------- refusals


def test_files_toolrampart_would_not_load_are_not_compiled(tmp_path):
    checks = FIXTURES / "checks"
    for fixture, code in (("PC601/fail_syntax.py", "PC601"), ("PC602/fail_kwargs.py", "PC602")):
        result = load_paths([str(checks / fixture)])
        assert not result.ok and result.load_error.startswith(str(checks / fixture) + ":")
        with pytest.raises(CompileError, match="ToolRampart does not load these files"):
            compile_payload(result)
        assert code in {d.code for d in result.diagnostics}
    for config, ok in (("PC603/fail_toml_syntax.toml", False), ("PC604/fail_types.toml", False),
                       ("PC605/fail_typo.toml", True)):
        directory = _write(tmp_path / config.split("/")[0], {"refund.py": REFUND})
        shutil.copy(checks / config, directory / "toolrampart.toml")
        result = load_paths([str(directory)])
        assert result.ok is ok, result.load_error
        if ok:  # an unknown key is ignored by pydantic: the service starts
            assert bundle_payload(compile_toolrampart(result, {}))["configs"] == [
                {"timeout_seconds": {"float": "20.0"}, "max_retries": 0}]
        else:
            with pytest.raises(CompileError, match="toolrampart.toml"):
                compile_payload(result)


@pytest.fixture
def small() -> bytes:
    return _refund_bundle()[1]


def _set(key: str, value: Any) -> Any:
    return lambda p: p.update({key: value})


def _tool(key: str, value: Any, index: int = 0) -> Any:
    return lambda p: p["tools"][index].update({key: value})


def _input(key: str, value: Any) -> Any:
    return lambda p: p["tools"][0]["inputs"][0].update({key: value})


def _value(index: int, value: Any) -> Any:
    def edit(p: dict[str, Any]) -> None:
        p["values"][index] = value
    return edit


def _rate(key: str, value: Any) -> Any:
    return lambda p: p["tools"][0]["rate_limit"].update({key: value})


def _condition(key: str, value: Any) -> Any:
    return lambda p: p["tools"][0]["approval"]["conditions"][0].update({key: value})


def _chain(values: list[Any], length: int) -> None:
    """Append ``length`` tuples, each holding the one before."""
    start = len(values)
    values.extend({"tuple": [{"ref": i - 1}] if i > start else []} for i in range(start, start + length))


@pytest.mark.parametrize("edit, message", [
    (_set("dialect", "other"), "bundle dialect 'other' is not one this runtime decides"),
    (_set("dialect", "openclaw-toolkit"), "bundle call_model 'toolrampart-call' is not one this runtime decides"),
    (_set("call_model", "openclaw-action"), "bundle call_model .* is not one this runtime decides"),
    (lambda p: p["combining"]["gates"].reverse(), "bundle combining .* is not one"),
    (_set("extra", 1), "must have exactly the members"),
    (lambda p: p.pop("configs"), "must have exactly the members"),
    (_set("tools", {}), "tools must be a list"),
    (_set("values", {}), "values must be a list"),
    (_set("configs", [{"timeout_seconds": True, "max_retries": 0}]), "timeout_seconds must be a number"),
    (_set("configs", [{"timeout_seconds": 1, "max_retries": {"float": "1.0"}}]), "max_retries must be an integer"),
    (_set("configs", [{"timeout_seconds": {"unknown": True}, "max_retries": 0}]), "unknown tag 'unknown'"),
    (_set("configs", [{"timeout_seconds": 1}]), r"configs\[0\] must be an object with the members"),
    (_tool("config", 0), "config must be null or the index of an entry of configs"),
    (_tool("config", True), "config must be null or the index"),
    (lambda p: p["tools"][0].pop("scope"), r"tools\[0\] must be an object with the members"),
    (_tool("source", "a.py"), r"tools\[0\] must be an object with the members"),
    (lambda p: p["tools"].__setitem__(0, ["refund_user"]), r"tools\[0\] must be an object"),
    (_tool("name", 5), "name must be a string or unknown"),
    (_tool("name", {"ref": 0}), "name must be a string or unknown"),
    (_tool("function", None), "function must be a string"),
    (_tool("broken", "x"), "broken must be a list"),
    (_tool("broken", [1]), r"broken\[0\] must be a string"),
    (_tool("opaque", [{"what": "custom policy", "text": "", "effect": ""}]), "what must be one of unknown decorator"),
    (_tool("opaque", [{"what": "unknown decorator", "text": ""}]), r"opaque\[0\] must be an object"),
    (_tool("policies", [{"float": "x"}]), "is not the repr of a float"),
    (_tool("scope", [1]), "must be a string, an integer, null, a boolean or an object of one tag"),
    (_tool("scope", {"float": "1.50"}), "'1.50' is not the repr of a float"),
    (_tool("scope", {"float": "-nan"}), "is not the repr of a float"),
    (_tool("scope", {"bytes": "AB"}), "'AB' is not lower-case hex"),
    (_tool("scope", {"complex": ["1.0"]}), "malformed 'complex' value"),
    (_tool("scope", {"ellipsis": 1}), "malformed 'ellipsis' value"),
    (_tool("scope", {"unknown": 1}), "malformed 'unknown' value"),
    (_tool("scope", {"ref": 99}), "ref 99 names no earlier entry"),
    (_tool("scope", {"ref": True}), "ref True names no earlier entry"),
    (_tool("scope", {"ref": 0, "x": 1}), "an object of one tag"),
    (_tool("scope", {"frozenset": []}), "unknown tag 'frozenset'"),
    (_input("spec", {"ref": 99}), "names no earlier entry"),
    (_input("spec", "str"), r"inputs\[0\] spec is not an annotation spec"),
    (_input("spec", {"unknown": True}), "unknown tag 'unknown'"),
    (_input("default", {"unknown": 1}), "malformed 'unknown' value"),
    (_input("name", 1), r"inputs\[0\] name must be a string"),
    (_input("extra", 1), r"inputs\[0\] must be an object with the members name, spec \(and optionally default\)"),
    (lambda p: p["tools"][0]["inputs"].append(dict(p["tools"][0]["inputs"][0])), "a parameter name appears twice"),
    (_tool("hidden", [{"name": "user_id", "kind": "KEYWORD_ONLY", "required": True}]), "appears twice"),
    (_tool("hidden", [{"name": "_x", "kind": "VAR_KEYWORD", "required": True}]), "kind must be one of"),
    (_tool("hidden", [{"name": "_x", "kind": "KEYWORD_ONLY", "required": 1}]), "required a boolean"),
    (_tool("approval", {"always": 1, "conditions": []}), "always must be a boolean"),
    (_tool("approval", {"always": True}), r"approval must be an object with the members"),
    (_condition("op", "under"), "op must be one of over, at_or_over, equals"),
    (_condition("field", None), "field must be a string"),
    (_condition("threshold", [500]), "threshold must be a string, an integer"),
    (_tool("rate_limit", {"unknown": 1}), "rate_limit must be an object with the members"),
    (_tool("rate_limit", "2/hour/user"), "rate_limit must be an object with the members"),
    (_rate("limit", 3), "must be what parse_rate_limit reads in '2/hour/user'"),
    (_rate("limit", "2"), "limit must be an integer"),
    (_rate("per", "team"), "must be what parse_rate_limit reads"),
    (_rate("expression", "2/fortnight/user"), "must be what parse_rate_limit reads"),
    (_rate("window_seconds", True), "window_seconds must be an integer"),
    (_value(0, {"array": []}), r"values\[0\] must be an object of one member"),
    (_value(0, {"tuple": "int"}), r"values\[0\]: tuple must hold a list"),
    (_value(0, {"tuple": [{"ref": 0}]}), "ref 0 names no earlier entry"),
    (lambda p: p["values"].append({"set": [{"ref": 0}, {"ref": 0}]}), "must be sorted by repr, each once"),
    (lambda p: p["values"].append({"set": ["b", "a"]}), "must be sorted by repr, each once"),
    (lambda p: p["values"].append({"set": [1, {"float": "1.0"}]}), "set elements must be distinct"),
    (lambda p: p["values"].extend([{"list": []}, {"set": [{"ref": len(p["values"])}]}]), "not hashable"),
    (lambda p: p["values"].append({"dict": [["a", 1, 2]]}), r"must be a \[KEY, VALUE\] pair"),
    (lambda p: p["values"].append({"dict": [[1, "x"], [True, "y"]]}), "dict keys must be distinct"),
    (lambda p: p["values"].extend([{"list": []}, {"dict": [[{"ref": len(p["values"])}, 1]]}]), "key is not hashable"),
    (lambda p: _chain(p["values"], 300), "nests more than 256 containers deep"),
])
def test_malformed_payloads_are_refused(small, edit, message):
    tampered = resealed(small, edit)
    with pytest.raises(BundleError, match=message):
        load_bundle(tampered)
    assert fail_closed(tampered)({"tool": "lookup", "arguments": {"query": "q"}}).action == "deny"


def test_a_bundle_of_an_unknown_dialect_is_refused(small):
    for dialect in ("toolrampart2", None, 5, ["toolrampart"]):
        with pytest.raises(BundleError, match="is not one this runtime decides"):
            load_bundle(resealed(small, _set("dialect", dialect)))


def test_mutated_bundles_raise_only_bundle_error_and_fail_closed(tmp_path):
    """The runtime fuzz test's bundle mutations (byte flips, truncation,
    value mutations with the digest recomputed, headers, depth, numbers)
    on a rich ToolRampart bundle: loading raises BundleError, or gives a
    bundle whose decisions never raise, fail closed, and, when its payload
    is the original's, are the original's."""
    rich = _EXOTIC_HEAD + HEAD + REFUND.removeprefix(HEAD) + (
        "\n\n@tool\n@scope({2, 1})\n@require_approval(at_or_over_n=1e400, tag=(1, b'x'), z={'k': [1j, ...]})\n"
        "@policy(allow_all)\ndef other(n: float = -0.0, tag=(1, b'x'), _private=None, *, z: dict = {}):\n    pass\n"
        "\n\n@tool(execution_mode='subprocess')\n@functools.cache\n@timeout(NAME)\ndef opaque(x=NAME):\n    pass\n")
    directory = _write(tmp_path / "rich", {"m.py": rich, "toolrampart.toml": "[execution]\ntimeout_seconds = 2.5\n"})
    result, data = _bundle(directory)
    probes = [{"tool": "refund_user", "arguments": {"user_id": "u", "amount": 700}, "scopes": ["billing.*"]},
              {"tool": "refund_user", "arguments": {"user_id": "u", "amount": 7}, "scopes": ["*"], "history": 3},
              {"tool": "lookup", "arguments": {"query": "q"}}, {"tool": "other", "scopes": ["a.*"]},
              {"tool": "opaque"}, {"tool": 5}, None, [1]]
    expected = [d.to_json() for d in map(load_bundle(data).decide, probes)]
    assert expected == [ToolRampartDecision.of(d).to_json() for d in map(Session(result).decide, probes)]
    rng = random.Random(7)
    kinds: Counter = Counter()
    loaded = same = 0
    for _ in range(MUTATED_BUNDLES):
        kind, mutated = mutate_bundle(rng, data)
        kinds[kind] += 1
        try:
            bundle = load_bundle(mutated)
        except BundleError:
            assert fail_closed(mutated)(probes[0]).action == "deny"
            continue
        loaded += 1
        decisions = [bundle.decide(call) for call in probes]
        for decision in decisions:
            assert decision.action in ("allow", "ask", "deny") and decision.status in STATUSES
            assert decision.action == {"success": "allow", "requires_approval": "ask"}.get(decision.status, "deny")
        if mutated[mutated.index(b',"payload":'):] == data[data.index(b',"payload":'):]:
            same += 1
            assert [d.to_json() for d in decisions] == expected
    refused = MUTATED_BUNDLES - loaded
    print(f"\nmutated toolrampart bundles: {refused} refused with BundleError, {loaded} loaded ({same} with the "
          f"original payload, deciding alike); kinds {dict(kinds)}")
    assert 10 <= loaded <= MUTATED_BUNDLES - 200 and len(kinds) >= 8, (loaded, kinds)


# -------------------------------------------------------------- decisions and imports


def test_decisions_json_and_failures(small):
    bundle = load_bundle(small)
    assert bundle.dialect == NAME and bundle.digest == json.loads(small)["manifest"]["digest"]
    assert bundle.manifest["host"] == "linux" and bundle.tools == 2
    denied = bundle.decide({"tool": "refund_user", "arguments": {"user_id": "u", "amount": 1}})
    assert denied.to_json() == {"action": "deny", "status": "denied", "message": "missing required scope: "
                                "billing.refund", "dialect": NAME} and denied.decision == "deny"
    ask = bundle.decide({"tool": "refund_user", "arguments": {"user_id": "u", "amount": 501}, "scopes": ["*"]})
    assert (ask.action, ask.message) == ("ask", "amount exceeds 500")
    unread = bundle.decide({"arguments": {}})
    assert unread.to_json() == {"action": "deny", "status": "error", "message": None, "dialect": NAME,
                                "error": "no ToolContext can be built for the call: the call has no `tool` "
                                         "(decide.py raises KeyError)"} and unread.decision == "error"

    class Hostile(dict):
        def get(self, *args):
            raise RuntimeError("boom")

    failed = bundle.decide(Hostile(tool="lookup"))
    assert failed.to_json() == {"action": "deny", "status": "unknown", "message": None, "dialect": NAME,
                                "error": "internal error deciding the call (RuntimeError); failing closed"}
    assert fail_closed(small)({"tool": "lookup", "arguments": {"query": "q"}}).to_json()["status"] == "timeout"
    from policyc.dialects.toolrampart.evaluate import Outcome
    unknown = ToolRampartDecision.of(Outcome("unknown", None, "policy", "custom policy p decides"))
    assert unknown.to_json()["error"] == ("policyc cannot decide this statically (policy: custom policy p "
                                          "decides); failing closed")
    assert ToolRampartDecision.of(Outcome("success", None, "execution", "")).action == "allow"


def test_loading_a_toolrampart_bundle_imports_only_the_evaluator(small, tmp_path):
    path = tmp_path / "b.json"
    path.write_bytes(small)
    code = ("import sys, policyc.runtime\n"
            f"b = policyc.runtime.load_bundle({str(path)!r})\n"
            "assert b.decide({'tool': 'lookup', 'arguments': {'query': 'q'}}).status == 'timeout'\n"
            "print([m for m in sys.modules if m.split('.')[0] in ('lark', 'yaml', 'jsonschema', 'click', 'rich',"
            " 'tomllib', 'pydantic', 'toolrampart')"
            " or m in ('policyc.evaluate', 'policyc.patterns', 'policyc.frontends', 'policyc.codegen',"
            " 'policyc.checks', 'policyc.dialects.toolrampart.loader', 'policyc.dialects.toolrampart.source',"
            " 'policyc.dialects.toolrampart.registration', 'policyc.dialects.toolrampart.config')])\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
