"""The JavaScript layer of the OpenClaw dialect against Node itself.

Tables of values, conditions, patterns and YAML scalars are evaluated by
one ``node`` process -- with the toolkit's own ``PolicyEngine`` methods
(``evaluateCondition``, ``matchesPattern``) and the oracle's js-yaml -- and
by :mod:`policyc.dialects.openclaw`; every answer must be identical. These
reach corners the directory-level differential test meets only by chance
(``"abc".__proto__ == 0``, a ``toWellFormed`` field, ``0o17``, ``1e400``).
Skipped, with the reason, when node or the oracle's setup is unavailable.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from policyc.dialects.openclaw import conditions, evaluate, jsprops, jsvalue
from policyc.dialects.openclaw.jsvalue import (
    UNDEFINED, JSDate, JSObject, JSThrow, from_json,
)
from policyc.dialects.openclaw.yamlread import read_text

from .conftest import CORPORA
from .test_openclaw_oracle import needs_oracle  # noqa: F401  (fixture)

ENGINE = CORPORA / "openclaw-toolkit" / "src" / "policy-engine.js"

NODE_SCRIPT = r"""
const readline = require('readline');
const PolicyEngine = require(process.argv[1]);
const yaml = require('js-yaml');
const E = PolicyEngine.prototype;
function tag(v) {
  if (v === undefined) return {$u: 1};
  if (v instanceof Date) return {$date: isNaN(v) ? null : v.toISOString()};
  if (typeof v === 'number') return {$num: Object.is(v, -0) ? '-0' : String(v)};
  if (Array.isArray(v)) return v.map(tag);
  if (v && typeof v === 'object') { const o = {}; for (const k of Object.keys(v)) Object.defineProperty(o, k, {value: tag(v[k]), enumerable: true}); return {$obj: Object.keys(v), v: o}; }
  return v;
}
function attempt(f) { try { return {ok: f()}; } catch (e) { return {error: String(e && e.message || e)}; } }
const out = [];
const rl = readline.createInterface({input: process.stdin});
rl.on('line', (line) => {
  const t = JSON.parse(line);
  let r;
  if (t.op === 'names') r = {ok: Object.fromEntries([['Object', Object], ['Array', Array], ['String', String], ['Number', Number], ['Boolean', Boolean]].map(([n, c]) => [n, Object.getOwnPropertyNames(c.prototype).sort()]))};
  else if (t.op === 'cond') r = attempt(() => E.evaluateCondition.call(null, t.condition, t.context));
  else if (t.op === 'match') r = attempt(() => E.matchesPattern.call(null, t.action, t.pattern));
  else if (t.op === 'value') r = {ok: [attempt(() => String(t.value)), attempt(() => parseFloat(t.value)), attempt(() => JSON.stringify(t.value)), attempt(() => t.value == t.n)].map(x => x.error !== undefined ? {error: x.error} : tag(x.ok))};
  else if (t.op === 'number') r = {ok: [String(t.n), JSON.stringify(t.n), parseFloat(t.s), Number(t.s)].map(tag)};
  else if (t.op === 'yaml') r = attempt(() => tag(yaml.load(t.text)));
  out.push(JSON.stringify(r));
});
rl.on('close', () => process.stdout.write(out.join('\n') + '\n'));
"""


@pytest.fixture(scope="module")
def node(needs_oracle: list[str]) -> Any:  # noqa: F811
    """Run a list of tasks through one node process; returns their answers."""
    decide_js = Path(needs_oracle[-1])
    env = {**os.environ, "NODE_PATH": str(decide_js.parent / "node_modules")}

    def run(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        stdin = "".join(json.dumps(t) + "\n" for t in tasks)
        done = subprocess.run(["node", "-e", NODE_SCRIPT, str(ENGINE)], input=stdin,
                              capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        assert len(answers) == len(tasks)
        return answers

    return run


def tag(value: Any) -> Any:
    """Our JavaScript value in the node script's tagged JSON."""
    if value is UNDEFINED:
        return {"$u": 1}
    if isinstance(value, JSDate):
        return {"$date": value.iso()}
    if isinstance(value, float):
        return {"$num": "-0" if value == 0 and math.copysign(1, value) < 0 else jsvalue.number_to_string(value)}
    if isinstance(value, tuple):
        return [tag(v) for v in value]
    if isinstance(value, JSObject):
        return {"$obj": value.keys(), "v": {k: tag(value.own(k)) for k in value.keys()}}
    return value


def attempt(run: Any) -> dict[str, Any]:
    try:
        return {"ok": run()}
    except JSThrow as exc:
        return {"error": str(exc)}


# ---------------------------------------------------------------- tables

FIELDS = ["amount", "tier", "length", "0", "1", "01", "constructor", "toString", "valueOf",
          "__proto__", "hasOwnProperty", "toWellFormed", "at", "map", "toFixed", "missing",
          "__defineGetter__", "isWellFormed", "findLast", "with"]
VALUES: list[Any] = [
    0, 1, -1, 500, 500.5, 1e21, 1e-7, -0.0, 123456789012345678901234567890, 2 ** 53 + 1,
    "", " ", "5", " 5 ", "1,000", "0x10", "-0x10", "0b101", "0o17", "1e3", "1e", ".5", "5.",
    "Infinity", "-Infinity", "infinity", "1_000", "$500", "\u00a07\u3000", "\u180e7", "abc", "5 USD",
    True, False, None, [], [5], [1, 2], ["7"], [[3]], [None], [{}], [" 5 "],
    {}, {"a": 1}, {"toString": 1}, {"valueOf": 2}, {"valueOf": 1, "toString": 2},
]
CONTEXTS: list[Any] = [
    {}, {"amount": 600}, {"amount": "600"}, {"amount": "1,000"}, {"amount": None},
    {"amount": [601]}, {"amount": {"toString": 1}}, {"constructor": 5}, {"__proto__": 7},
    {"length": "9"}, {"0": 600}, [], [600], [600, 2], ["700"], "abc", "600", "😀x", 5, 7.5, True,
    False, 0, "", None,
]
CONDITIONS = [f"{f} {op} {v}" for f, op, v in itertools.product(
    FIELDS, [">", "<", ">=", "<=", "==", "!=", "=", "=>", "<>"], ["500", "0", "abc", "$1,000", "2"])]
CONDITIONS += ["amount", "", "x>1", "if amount > 5", "context.amount>=5", "amount > 5 and tier < 2",
               "amount\n> 5", "amount >\n5", "amount >  ", "amount > 5\u2028x", "\u00a0amount\u00a0>\u00a05",
               "amountx > 5", "_ > 1", "é > 1", "amount >= $1,000,000", "amount > 1,5", "amount > .5e1"]
PATTERNS: list[Any] = ["*", "read:*", "*:x", "*read*", "a*b", "", "**", "read:x", "*😀", "😀*", "\ud83d*",
                       5, True, None, [], {}, ["read:x"], "*\ude00"]
ACTIONS: list[Any] = ["read:x", "read:", "x", "", "*", "a*b", "😀", "😀read", "read😀", 5, True, None,
                      [], {}, ["read:x"], UNDEFINED]
NUMBERS = [0.0, 1.0, -1.0, 0.1, 0.1 + 0.2, 1e21, 1e20, 123e-20, 1e-7, 1e-6, 5e-324, 1.7976931348623157e308,
           2.0 ** 53 + 2, 100.0, 1.5e300, -0.0, 0.000001, 123456.789, 1 / 3]
NUMBER_TEXTS = ["", " 12 ", "12px", "-.5", ".e5", "1.e5", "+Infinity", "Infinityx", "0x1F", "0X1f",
                "-0x10", "0b102", "0o8", "1e400", "-1e400", "\u20285", "\ufeff5", "5\u3000", "1_0", "."]
YAML_SCALARS = ["1_000", "0x1F", "0X1F", "+0x10", "-0x10", "0b101", "-0b11", "0o17", "0O17", "012",
                "08", "-0", "+0", "-00", "0", ".5", "1.", "1e3", "1E3", "1e+3", "+1.5e-3", "+.inf",
                "-.Inf", ".NaN", ".nan", "+.nan", "2024-01-01", "2024-1-1", "2024-02-30",
                "2024-01-01 10:00:00", "2024-01-01t10:00:00.5Z", "2001-12-14 21:59:43.10 -5",
                "0099-01-01", "2024-13-01", "2024-01-01T25:61:61+09:30", "1:20", "~", "Null", "nULL",
                "yes", "on", "TRUE", "tRUE", "0x", "0b", "99999999999999999999", "0x_1", "1__0", ".",
                "+", "1.5.5", "0.0", "-0.0", "1e400", "0b2", "0xFFFFFFFFFFFFFFFFFFFF",
                "9007199254740993", "00", "0o8", "0o", "-.5", "+.5", "1_0.5", ".e3", ".5e3", "5e",
                "'5'", '"0x10"', "! 5", "!!str 1e3", "!!int 012", "!!float 1", "!!null ~", "! ~",
                "&a 5", "<<", "=", "'\\u00e9'", '"\\u00e9"', "é"]
#: Documents js-yaml reads and policyc refuses (PC001), as policyc's docs say.
KNOWN_REFUSED = ['v: "\\ud83d\\ude00"',  # PyYAML refuses \u escapes of surrogates, even pairs
                 "v: !!binary aGk=", "a: &x 1\nb: &x 2", "base: &b {x: 1}\nv:\n  <<: *b",
                 "[1, 2]: x"]
YAML_DOCS = ["{b: 1, 2: x, 1: y, 0x10: z, 1.5: w, true: t, ~: n, 2024-01-01: d, 1e3: k, .inf: i}",
             "a: &x [1, {b: 2}]\nc: *x", "- - 1\n  - 2\n- {}\n- []", "__proto__: 1\ntoString: 2"]


def test_prototype_property_names_are_node_20s(node: Any) -> None:
    [answer] = node([{"op": "names"}])
    ours = {"Object": jsprops.OBJECT_PROTO, "Array": jsprops.ARRAY_PROTO,
            "String": jsprops.STRING_PROTO, "Number": jsprops.NUMBER_PROTO,
            "Boolean": jsprops.BOOLEAN_PROTO}
    assert {k: sorted(v) for k, v in ours.items()} == answer["ok"]


def test_conditions_evaluate_as_the_engine(node: Any) -> None:
    tasks = [{"op": "cond", "condition": c, "context": ctx}
             for c, ctx in itertools.product(CONDITIONS, CONTEXTS)]
    answers = node(tasks)
    for task, answer in zip(tasks, answers):
        ours = attempt(lambda: conditions.holds(task["condition"], from_json(task["context"])))
        assert ours == answer, task


def test_patterns_match_as_the_engine(node: Any) -> None:
    tasks = []
    for action, pattern in itertools.product(ACTIONS, PATTERNS):
        task: dict[str, Any] = {"op": "match", "pattern": pattern}
        if action is not UNDEFINED:
            task["action"] = action
        tasks.append(task)
    for task, answer in zip(tasks, node(tasks)):
        action = from_json(task["action"]) if "action" in task else UNDEFINED
        ours = attempt(lambda: evaluate.matches_pattern(action, from_json(task["pattern"])))
        assert ours == answer, task


def test_values_convert_as_in_javascript(node: Any) -> None:
    tasks = [{"op": "value", "value": v, "n": n} for v in VALUES for n in (0, 5, 600, 7)]
    for task, answer in zip(tasks, node(tasks)):
        value, n = from_json(task["value"]), float(task["n"])
        ours = [attempt(lambda: jsvalue.to_string(value)), attempt(lambda: jsvalue.parse_float(value)),
                attempt(lambda: jsvalue.stringify(value)),
                attempt(lambda: jsvalue.loose_equals_number(value, n))]
        ours = [{"error": o["error"]} if "error" in o else tag(o["ok"]) for o in ours]
        assert ours == answer["ok"], task


def test_numbers_print_and_parse_as_in_javascript(node: Any) -> None:
    tasks = [{"op": "number", "n": n, "s": s} for n, s in zip(NUMBERS * 2, NUMBER_TEXTS * 2)]
    tasks += [{"op": "number", "n": n, "s": jsvalue.number_to_string(n)} for n in NUMBERS]
    for task, answer in zip(tasks, node(tasks)):
        n, s = task["n"], task["s"]
        ours = [jsvalue.number_to_string(n), jsvalue.stringify(n), jsvalue.parse_float(s),
                jsvalue.string_to_number(s)]
        assert [tag(float(o)) if isinstance(o, float) else o for o in ours] == answer["ok"], task


def test_yaml_scalars_resolve_as_js_yaml(node: Any) -> None:
    texts = [f"v: {s}" for s in YAML_SCALARS] + YAML_DOCS
    answers = node([{"op": "yaml", "text": t} for t in texts])
    for text, answer in zip(texts, answers):
        doc = read_text(text, "t.yaml")
        if "error" in answer:
            assert not doc.ok, (text, answer)
            continue
        assert doc.ok, (text, [d.message for d in doc.diagnostics])
        assert tag(doc.value) == answer["ok"], text


def test_documented_divergences_are_refused_not_misread(node: Any) -> None:
    """js-yaml loads these; policyc refuses them with a diagnostic (see
    policyc/dialects/openclaw/yamlread.py), never reads them differently."""
    answers = node([{"op": "yaml", "text": t} for t in KNOWN_REFUSED])
    for text, answer in zip(KNOWN_REFUSED, answers):
        assert "ok" in answer, (text, answer)
        doc = read_text(text, "t.yaml")
        assert [d.code for d in doc.diagnostics] == ["PC001"], (text, doc.diagnostics)
