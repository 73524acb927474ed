"""Toolkit bundles (docs/bundle-format.md §8): the writer
(policyc/dialects/openclaw/codegen.py), the runtime (policyc/dialects/openclaw/runtime.py,
reached through load_bundle) and the CLI's compile, eval and diff of toolkit
policies.

The central promise: a compiled bundle decides every call exactly as the
reference evaluator does with the policies it was compiled from, checked on
the toolkit's shipped policies and on ``BUNDLE_CASES`` calls to generated
policy directories (the differential test's generators; no Node needed).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyc.cli import main
from policyc.codegen.bundle import BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, CompileError, canonical_json
from policyc.dialects.openclaw.codegen import compile_openclaw, compile_payload
from policyc.dialects.openclaw import NAME, decide, load_paths
from policyc.dialects.openclaw.diff import candidate_calls
from policyc.dialects.openclaw.jsvalue import JSDate, JSObject, stringify
from policyc.dialects.openclaw.tagged import Encoder, decode_table, decode_value, number_text, parse_number_text
from policyc.runtime import MAX_BUNDLE_DEPTH, BundleError, fail_closed, load_bundle
from policyc.runtime.jsonparse import nesting_depth
from policyc.dialects.openclaw.runtime import OpenClawBundle, ToolkitDecision

from .conftest import CORPORA, REPO, bundle_payload, needs_corpora, resealed
from .test_openclaw_differential import case, make_call, to_yaml
from .test_runtime_fuzz import mutate_bundle

BUNDLE_CASES = 10_000
"""Generated calls decided by bundle and reference evaluator in one run."""
MUTATED_BUNDLES = 1_000

SHIPPED = CORPORA / "openclaw-toolkit" / "policies"

AGENT = ('agent: support\npermissions:\n  allow: ["read:*", "update:ticket"]\n  deny: ["delete:*"]\n'
         '  escalate:\n    - refund\n    - action: "pay:*"\n      condition: "amount > $1,000"\n')


def _reference_json(outcome: Any) -> dict[str, str]:
    """What ``policyc eval --engine reference`` prints (without ``line``)."""
    if outcome.decision == "error":
        return {"action": "deny", "error": f"the engine throws: {outcome.reason}", "dialect": NAME}
    return {"action": outcome.decision, "message": outcome.reason, "dialect": NAME}


def _directory(tmp: Path, files: dict[str, str]) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (tmp / name).write_text(text, encoding="utf-8")
    return tmp


def _bundle(directory: Path) -> tuple[Any, bytes]:
    result = load_paths([str(directory)])
    return result, compile_openclaw(result, {})


# -------------------------------------------------------------- agreement


@needs_corpora
def test_shipped_policies_decide_as_the_reference_evaluator():
    result, data = _bundle(SHIPPED)
    bundle = load_bundle(data)
    assert isinstance(bundle, OpenClawBundle) and bundle.agents == 2
    rng = random.Random(12)
    samples = sorted({c["action"] for c in candidate_calls(result, result) if isinstance(c.get("action"), str)})
    agents = [p.agent for p in result.policies.values()]
    calls = candidate_calls(result, result) + [make_call(rng, samples, agents) for _ in range(2000)]
    for call in calls:
        assert bundle.decide(call).to_json() == _reference_json(decide(result, call)), call
    decisions = {bundle.decide(c).decision for c in calls}
    assert decisions == {"allow", "deny", "escalate", "error"}


def test_generated_policies_decide_as_the_reference_evaluator():
    tally = {"cases": 0, "directories": 0, "refused": 0, "disagreements": 0}
    decisions: dict[str, int] = {}
    started = time.monotonic()

    @settings(max_examples=BUNDLE_CASES * 13 // 1000, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case())
    def run(example: tuple[list[tuple[str, dict[str, Any]]], list[Any]]) -> None:
        files, calls = example
        with tempfile.TemporaryDirectory() as tmp:
            for name, doc in files:
                Path(tmp, name).write_text(to_yaml(doc), encoding="utf-8")
            result = load_paths([tmp])
            tally["directories"] += 1
            if not result.ok:  # the engine would not load them: nothing to compile
                with pytest.raises(CompileError, match="the engine does not load these policies"):
                    compile_openclaw(result, {})
                tally["refused"] += 1
                tally["cases"] += 1
                return
            data = compile_openclaw(result, {})
            assert compile_openclaw(load_paths([tmp]), {}) == data  # deterministic
            bundle = load_bundle(data)
        for call in calls:
            got, expected = bundle.decide(call).to_json(), _reference_json(decide(result, call))
            assert got == expected, (call, {n: to_yaml(d) for n, d in files})
            tally["cases"] += 1
            kind = "error" if "error" in got else got["action"]
            decisions[kind] = decisions.get(kind, 0) + 1

    run()
    elapsed = time.monotonic() - started
    print(f"\nopenclaw bundle vs reference: {tally['cases']} cases, {tally['directories']} directories "
          f"({tally['refused']} not loadable), 0 disagreements, {elapsed:.1f} s; decisions {decisions}")
    assert tally["cases"] >= BUNDLE_CASES
    for kind in ("allow", "deny", "escalate", "error"):
        assert decisions.get(kind, 0) >= BUNDLE_CASES // 50, decisions


# -------------------------------------------------------------- the writer


def test_same_sources_give_byte_identical_bundles(tmp_path):
    one = _directory(tmp_path / "one", {"a.yaml": AGENT, "b.yaml": AGENT.replace("support", "billing")})
    two = _directory(tmp_path / "two", {"b.yaml": AGENT.replace("support", "billing"), "a.yaml": AGENT})
    sources = {"a.yaml": AGENT.encode(), "b.yaml": AGENT.replace("support", "billing").encode()}
    first = compile_openclaw(load_paths([str(one)]), sources)
    assert compile_openclaw(load_paths([str(one)]), sources) == first
    assert compile_openclaw(load_paths([str(two)]), sources) == first
    document = json.loads(first)
    assert document["format_version"] == 4
    assert [s["path"] for s in document["manifest"]["sources"]] == ["a.yaml", "b.yaml"]
    payload = document["payload"]
    assert (payload["dialect"], payload["call_model"]) == ("openclaw-toolkit", "openclaw-action")
    assert payload["combining"]["order"] == ["allow", "deny", "escalate"]
    assert [a["agent"] for a in payload["agents"]] == ["support", "billing"]  # the engine's Map order


def test_a_set_the_engine_would_not_load_is_not_compiled(tmp_path):
    broken = _directory(tmp_path, {"a.yaml": AGENT, "b.yaml": "permissions: {}\n"})
    with pytest.raises(CompileError, match="missing required 'agent' field"):
        compile_payload(load_paths([str(broken)]))


def test_every_value_shape_round_trips(tmp_path):
    text = ("agent: 5\npermissions:\n  allow: [1.5, -0.0, .inf, .nan, 1e21, 1e-7, 2024-01-01, true, ~, "
            "'s', {b: 1, a: [2, {c: ~}]}, 0x10]\n  deny: read:*\n  escalate: &e {x: 1}\n"
            "metadata: {again: *e}\n")
    result = load_paths([str(_directory(tmp_path, {"a.yaml": text}))])
    assert result.ok, result.load_error
    payload = compile_payload(result)
    objects = decode_table(payload["values"])
    (entry,) = payload["agents"]
    (policy,) = result.policies.values()
    for name, original in zip(("escalate", "deny", "allow"), policy.rule_values):
        decoded = decode_value(entry[name], objects, name)
        assert stringify(decoded) == stringify(original)
    allow = decode_value(entry["allow"], objects, "allow")
    assert math.copysign(1, allow[1]) < 0 and math.isnan(allow[3]) and isinstance(allow[6], JSDate)
    assert isinstance(allow[10], JSObject) and allow[10].keys() == ["b", "a"]
    assert decode_value(entry["agent"], objects, "agent") == 5.0
    assert entry["deny"] == "read:*"


def test_an_alias_is_one_entry_and_one_object():
    shared = JSObject((("k", "v"),))
    encoder = Encoder()
    refs = [encoder.encode(shared), encoder.encode((shared, shared))]
    assert len(encoder.entries) == 2 and refs[0] == {"ref": 0}
    objects = decode_table(encoder.entries)
    assert objects[1][0] is objects[1][1] is objects[0]


def test_nesting_does_not_grow_with_the_policy(tmp_path):
    deep = "agent: a\npermissions:\n  escalate:\n    - " + "[" * 50 + "{n: 1}" + "]" * 50 + "\n"
    result = load_paths([str(_directory(tmp_path, {"a.yaml": deep}))])
    assert result.ok, result.load_error
    data = compile_openclaw(result, {})
    assert nesting_depth(data) == 7 < MAX_BUNDLE_DEPTH  # a number in a mapping: the deepest a value goes
    call = {"agent": "a", "action": "x"}
    assert load_bundle(data).decide(call).to_json() == _reference_json(decide(result, call))


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_number_text_is_exact(x):
    text = number_text(x)
    back = parse_number_text(text)
    assert (math.isnan(x) and math.isnan(back)) or (back == x and math.copysign(1, back) == math.copysign(1, x))


@pytest.mark.parametrize("text", ["1.50", "01", "1e21", "1E+21", "nan", "inf", "+1", " 1", "1_0", "0.0", "-0.0",
                                  "", 1, None])
def test_other_number_texts_are_refused(text):
    with pytest.raises(ValueError):
        parse_number_text(text)


# -------------------------------------------------------------- refusals


@pytest.fixture
def small(tmp_path) -> bytes:
    return _bundle(_directory(tmp_path / "p", {"a.yaml": AGENT}))[1]


def _set(key: str, value: Any) -> Any:
    return lambda p: p.update({key: value})


def _agent(key: str, value: Any) -> Any:
    return lambda p: p["agents"][0].update({key: value})


def _value(index: int, value: Any) -> Any:
    def edit(p: dict[str, Any]) -> None:
        p["values"][index] = value
    return edit


@pytest.mark.parametrize("edit, message", [
    (_set("dialect", "other"), "bundle dialect 'other' is not one this runtime decides"),
    (_set("dialect", "rampart"), "bundle call_model 'openclaw-action' is not one this runtime decides"),
    (_set("call_model", "rampart-tool-call"), "bundle call_model .* is not one this runtime decides"),
    (lambda p: p["combining"].update(policy_combining="deny-overrides"), "bundle combining .* is not one"),
    (_set("extra", 1), "must have exactly the members"),
    (lambda p: p.pop("values"), "must have exactly the members"),
    (_set("agents", {}), "agents must be a list"),
    (_set("values", {}), "values must be a list"),
    (lambda p: p["agents"].append(p["agents"][0]), "agent 'support' appears twice"),
    (lambda p: p["agents"][0].pop("deny"), r"agents\[0\] must be an object with exactly the members"),
    (_agent("source", "a.yaml"), r"agents\[0\] must be an object with exactly the members"),
    (lambda p: p["agents"].__setitem__(0, ["support"]), r"agents\[0\] must be an object"),
    (_agent("agent", ""), "is falsy"),
    (_agent("agent", {"number": "0"}), "is falsy"),
    (_agent("agent", 5), r"agents\[0\] agent must be a string, null, a boolean or an object of one tag"),
    (_agent("allow", {"number": "1.0"}), "is not the text of a number"),
    (_agent("allow", {"ref": 99}), "ref 99 names no earlier entry"),
    (_agent("allow", {"ref": True}), "ref True names no earlier entry"),
    (_agent("allow", {"ref": 0, "extra": 1}), "an object of one tag"),
    (_agent("allow", {"function": "x"}), "unknown tag 'function'"),
    (_agent("allow", {"undefined": False}), "unknown tag 'undefined'"),
    (_agent("allow", {"date": "1.5"}), "is not a Date's time value"),
    (_agent("allow", {"date": "9000000000000000"}), "is not a Date's time value"),
    (_value(0, {"array": [{"ref": 0}]}), "ref 0 names no earlier entry"),
    (_value(0, {"list": []}), r"values\[0\] must be"),
    (_value(0, {"object": [["a", 1, 2]]}), r"values\[0\]\[0\] must be a \[KEY, VALUE\] pair"),
    (_value(0, {"object": [[1, "x"]]}), "with a string key"),
    (_value(0, {"object": [["a", "x"], ["a", "y"]]}), "keys must be unique"),
])
def test_malformed_payloads_are_refused(small, edit, message):
    tampered = resealed(small, edit)
    with pytest.raises(BundleError, match=message):
        load_bundle(tampered)
    assert fail_closed(tampered)({"agent": "support", "action": "read:x"}).action == "deny"


def test_mutated_bundles_raise_only_bundle_error_and_fail_closed(tmp_path):
    """The runtime fuzz test's bundle mutations (byte flips, truncation,
    value mutations with the digest recomputed, headers, depth, numbers)
    on a toolkit bundle: loading raises BundleError or gives a bundle whose
    decisions never raise."""
    rich = AGENT + "  deny: [5, 2024-01-01, {a: [1, ~]}, 'delete:*']\n"
    data = _bundle(_directory(tmp_path, {"a.yaml": rich.replace('  deny: ["delete:*"]\n', "")}))[1]
    rng = random.Random(7)
    probes = [{"agent": "support", "action": "delete:x"}, {"agent": "support", "action": 5}, None, [1]]
    kinds: dict[str, int] = {}
    loaded = 0
    for _ in range(MUTATED_BUNDLES):
        kind, mutated = mutate_bundle(rng, data)
        kinds[kind] = kinds.get(kind, 0) + 1
        try:
            bundle = load_bundle(mutated)
        except BundleError:
            assert fail_closed(mutated)(probes[0]).action == "deny"
            continue
        loaded += 1
        for call in probes:
            assert bundle.decide(call).action in ("allow", "deny", "escalate")
    print(f"\nmutated toolkit bundles: {loaded} loaded, {kinds}")
    assert 10 <= loaded <= MUTATED_BUNDLES - 200 and len(kinds) >= 8, (loaded, kinds)


def test_a_tampered_payload_fails_the_digest(small):
    tampered = small.replace(b'"delete:*"', b'"delete:x"')
    assert tampered != small
    with pytest.raises(BundleError, match="bundle digest mismatch"):
        load_bundle(tampered)


def test_floats_and_non_canonical_payloads_are_refused(small):
    head, _, payload = small.partition(b',"payload":')
    floated = payload.replace(b'"agents":[', b'"agents":[1.5,', 1)
    with pytest.raises(BundleError, match="non-integer number"):
        load_bundle(head + b',"payload":' + floated)
    spaced = json.dumps(bundle_payload(small), indent=1).encode()
    manifest = dict(json.loads(small)["manifest"], digest="sha256:" + hashlib.sha256(spaced).hexdigest())
    head = canonical_json({"format": BUNDLE_FORMAT, "format_version": BUNDLE_FORMAT_VERSION, "manifest": manifest})
    with pytest.raises(BundleError, match="not in canonical form"):
        load_bundle(head[:-1] + b',"payload":' + spaced + b"}")


def test_fail_closed_decides_and_never_raises(small):
    decide_call = fail_closed(small)
    assert decide_call({"agent": "support", "action": "read:x"}).to_json() == {
        "action": "allow", "message": "Action allowed by policy rule: read:*", "dialect": NAME}
    assert decide_call({"agent": "support", "action": "pay:x", "context": {"amount": 1001}}).action == "escalate"

    class Hostile(dict):
        def items(self):
            raise RuntimeError("boom")

    refused = decide_call(Hostile(agent="support"))
    assert refused.to_json() == {"action": "deny", "dialect": NAME,
                                 "error": "internal error deciding the call (RuntimeError); failing closed"}
    assert decide_call(object()).error.startswith("the engine throws: not a JSON call")
    assert fail_closed(b"{}")({"agent": "support"}).action == "deny"


def test_loading_a_toolkit_bundle_imports_only_the_evaluator(small, tmp_path):
    path = tmp_path / "b.json"
    path.write_bytes(small)
    code = ("import sys, policyc.runtime\n"
            f"b = policyc.runtime.load_bundle({str(path)!r})\n"
            "assert b.decide({'agent': 'support', 'action': 'read:x'}).action == 'allow'\n"
            "print([m for m in sys.modules if m.split('.')[0] in ('lark', 'yaml', 'jsonschema', 'click', 'rich')"
            " or m in ('policyc.ir', 'policyc.evaluate', 'policyc.patterns', 'policyc.frontends',"
            " 'policyc.dialects.openclaw.loader', 'policyc.dialects.openclaw.yamlread')])\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_decisions_json():
    assert ToolkitDecision("escalate", "why").to_json() == {"action": "escalate", "message": "why", "dialect": NAME}
    assert ToolkitDecision("deny", error="e").decision == "error"


# -------------------------------------------------------------- the CLI


def _run(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(main, list(args), input=input)


def _lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


CALLS = "\n".join(json.dumps(c) for c in [
    {"agent": "support", "action": "read:x"}, {"agent": "support", "action": "delete:x"},
    {"agent": "support", "action": "pay:y", "context": {"amount": 2000}}, {"agent": "nobody", "action": "x"},
    {"agent": "support"}, None]) + "\n[\n"


def test_compile_then_eval_the_bundle(tmp_path):
    policies = _directory(tmp_path / "p", {"a.yaml": AGENT})
    out = tmp_path / "b.json"
    compiled = _run("compile", str(policies), "-o", str(out))
    assert compiled.exit_code == 0 and "1 agent policies" in compiled.stderr
    assert json.loads(out.read_bytes())["manifest"]["sources"][0]["path"] == str(policies / "a.yaml")
    from_bundle = _run("eval", str(out), input=CALLS)
    in_memory = _run("eval", str(policies), input=CALLS)
    reference = _run("eval", "--engine", "reference", str(policies), input=CALLS)
    assert from_bundle.exit_code == in_memory.exit_code == reference.exit_code == 0
    assert from_bundle.stdout == in_memory.stdout == reference.stdout
    lines = _lines(from_bundle.stdout)
    assert [line.get("action") for line in lines] == ["allow", "deny", "escalate", "deny", "deny", "deny", "deny"]
    assert lines[4]["error"].startswith("the engine throws: ") and lines[6]["error"].startswith("line 7: invalid JSON")
    assert _run("compile", str(policies), "-o", "-").stdout_bytes == out.read_bytes()


def test_compile_and_eval_refusals(tmp_path):
    broken = _directory(tmp_path / "broken", {"a.yaml": AGENT, "b.yaml": "permissions: {}\n"})
    result = _run("compile", str(broken), "-o", str(tmp_path / "b.json"))
    assert result.exit_code == 1 and "PC501" in result.output and not (tmp_path / "b.json").exists()
    assert _run("eval", str(broken), input=CALLS).exit_code == 1
    policies = _directory(tmp_path / "p", {"a.yaml": AGENT})
    rampart = _directory(tmp_path / "r", {"r.yaml": 'version: "1"\npolicies: []\n'})
    mixed = _run("eval", str(policies), str(rampart), input=CALLS)
    assert mixed.exit_code == 2 and "one dialect at a time" in mixed.output
    project = _run("compile", str(policies), "--project", str(rampart / "r.yaml"), "-o", "-")
    assert project.exit_code == 2 and "--project is a Rampart tier" in project.output
    bad = tmp_path / "bad.json"
    bad.write_bytes(resealed(_bundle(policies)[1], _agent("allow", {"ref": 99})))
    refused = _run("eval", str(bad), input=CALLS)
    assert refused.exit_code == 2 and "names no earlier entry" in refused.output


def _changed(tmp_path: Path) -> tuple[Path, Path]:
    old = _directory(tmp_path / "old", {"a.yaml": AGENT})
    new = _directory(tmp_path / "new", {"a.yaml": AGENT.replace('["delete:*"]', '["delete:db"]')
                                        .replace("amount > $1,000", "amount >= 2000")
                                        .replace('"update:ticket"', '"delete:*"')})
    return old, new


def test_diff_reports_changes_with_witnesses(tmp_path):
    old, new = _changed(tmp_path)
    text = _run("diff", str(old), "--", str(new))
    assert text.exit_code == 0
    assert "weaker   deny -> allow" in text.stdout
    assert 'witness: {"action": "delete:", "agent": "support"}' in text.stdout
    result = _run("diff", "--format", "json", "--fail-on-weaker", str(old), "--", str(new))
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    changes = document["changes"]
    assert document["summary"]["weaker"] == sum(c["weaker"] for c in changes) >= 1
    assert changes[0]["weaker"] and changes[0]["new"]["action"] == "allow"
    thresholds = [c for c in changes if c["old"]["action"] == "escalate" and c["new"]["action"] != "escalate"]
    assert thresholds and thresholds[0]["witness"]["context"] == {"amount": 1001}
    for change in changes:  # every witness replays with eval
        for side, where in (("old", old), ("new", new)):
            replay = _lines(_run("eval", str(where), input=json.dumps(change["witness"]) + "\n").stdout)[0]
            replay.pop("line")
            assert replay == change[side]
    same = _run("diff", "--fail-on-weaker", str(old), str(old))
    assert same.exit_code == 0 and "0 change(s), 0 weaker" in same.stdout


def test_diff_refusals(tmp_path):
    old, _ = _changed(tmp_path)
    broken = _directory(tmp_path / "broken", {"a.yaml": "agent: [\n"})
    assert _run("diff", str(old), "--", str(broken)).exit_code == 2
    rampart = _directory(tmp_path / "r", {"r.yaml": 'version: "1"\npolicies: []\n'})
    mixed = _run("diff", str(old), "--", str(rampart))
    assert mixed.exit_code == 2 and "openclaw-toolkit, rampart" in mixed.output


def test_candidates_cover_patterns_and_thresholds(tmp_path):
    old, new = _changed(tmp_path)
    calls = candidate_calls(load_paths([str(old)]), load_paths([str(new)]))
    actions = {c.get("action") for c in calls}
    assert {"read:", "read:x", "delete:", "delete:x", "delete:*", "delete:db", "refund", "pay:", "pay:x", "pay:*",
            "", "policyc:unmatched-action", None} <= actions
    contexts = [c["context"] for c in calls if "context" in c and c.get("action") == "pay:x"]
    assert contexts == [{"amount": 999}, {"amount": 1000}, {"amount": 1001},
                        {"amount": 1999}, {"amount": 2000}, {"amount": 2001}]
    assert all(c["agent"] == "support" for c in calls)
    assert len(calls) == len({json.dumps(c, sort_keys=True) for c in calls})


@needs_corpora
def test_cli_round_trips_on_the_shipped_policies(tmp_path):
    out = tmp_path / "shipped.json"
    assert _run("compile", str(SHIPPED), "-o", str(out)).exit_code == 0
    result = load_paths([str(SHIPPED)])
    calls = "\n".join(json.dumps(c) for c in candidate_calls(result, result)) + "\n"
    from_bundle = _run("eval", str(out), input=calls)
    reference = _run("eval", "--engine", "reference", str(SHIPPED), input=calls)
    assert from_bundle.exit_code == reference.exit_code == 0 and from_bundle.stdout == reference.stdout
    copy = tmp_path / "policies"
    shutil.copytree(SHIPPED, copy)
    for path in copy.iterdir():
        path.chmod(0o644)
    edited = copy / "code-review-agent.yaml"
    edited.write_text(edited.read_text().replace("    - read:source_code\n", "    - read:*\n"))
    diff = _run("diff", "--format", "json", "--fail-on-weaker", str(SHIPPED), "--", str(copy))
    assert diff.exit_code == 1
    weaker, error = json.loads(diff.stdout)["changes"]
    assert weaker["witness"] == {"agent": "code-review-agent", "action": "read:"} and weaker["weaker"]
    assert weaker["new"]["message"] == "Action allowed by policy rule: read:*"
    assert error["witness"] == {"agent": "code-review-agent"}  # no action: the new prefix pattern throws
    assert "error" in error["new"] and not error["weaker"]
