"""Differential test: policyc's OpenClaw evaluator against the toolkit's own engine.

Hypothesis generates policy directories (1-3 files: agents, some repeated,
missing or not strings; escalate/deny/allow lists with tricky patterns --
``*``, ``x*``, ``*x``, ``*x*``, ``a*b``, the empty string, mappings, numbers
and nulls inside lists, strings and mappings where a list belongs;
conditions with every operator the engine's regex accepts, ``$1,000``
thresholds, text it ignores, non-numeric thresholds, inherited field names)
and calls (agents present and absent, string and non-string actions,
contexts with numbers, numeric strings such as ``"1,000"``, ``" 5 "``,
``"0x10"``, ``""``, booleans, null, arrays, nested mappings, inherited
property names, and contexts that are not mappings). Every call of one
directory goes to one ``node`` process. The load verdict and, for every
call, the decision and reason (or, where the engine throws, the error and
its message) must agree exactly. ``DIFFERENTIAL_CASES`` calls are decided
per run.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyc.dialects.openclaw import decide, load_paths

from .test_openclaw_oracle import needs_oracle, run_oracle  # noqa: F401  (fixture)

DIFFERENTIAL_CASES = 10_000
"""Calls decided by both engines in one run of :func:`test_engine_agrees`."""

CALLS_PER_DIRECTORY = 100
DIRECTORIES = DIFFERENTIAL_CASES * 13 // (10 * CALLS_PER_DIRECTORY)
"""Directories generated: 30% more calls than needed, as a directory that
fails to load counts as one case only (about 5% do)."""


@dataclass(frozen=True)
class Raw:
    """A plain YAML scalar, written as is (``5``, ``~``, ``0x10``, ``2024-01-01``)."""

    text: str


# ---------------------------------------------------------------- YAML writer


def _scalar(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    return json.dumps(value, ensure_ascii=False)


def _emit(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return [pad + "{}"]
        lines = []
        for key, item in value.items():
            head = f"{pad}{_scalar(key)}:"
            if isinstance(item, (dict, list)) and item:
                lines.append(head)
                lines.extend(_emit(item, indent + 2))
            else:
                lines.append(f"{head} {_inline(item)}")
        return lines
    if isinstance(value, list):
        if not value:
            return [pad + "[]"]
        lines = []
        for item in value:
            if isinstance(item, dict) and item:
                sub = _emit(item, indent + 2)
                lines.append(f"{pad}- {sub[0].lstrip()}")
                lines.extend(sub[1:])
            else:
                lines.append(f"{pad}- {_inline(item)}")
        return lines
    return [pad + _inline(value)]


def _inline(value: Any) -> str:
    if isinstance(value, (dict, list)):
        if isinstance(value, dict):
            return "{" + ", ".join(f"{_scalar(k)}: {_inline(v)}" for k, v in value.items()) + "}"
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return _scalar(value)


def to_yaml(doc: Any) -> str:
    return "\n".join(_emit(doc, 0)) + "\n"


# ---------------------------------------------------------------- policies

TOKENS = ["read", "write", "delete", ":", "x", "a", "b", "*", "customer", "_data", "é", "😀"]
FIXED_PATTERNS = ["read:customer_data", "read:*", "*:customer_data", "delete:*", "*read*",
                  "*:*", "a*b", "", "**", "read:", "x*y*", "update:ticket_status", "refund",
                  "refund_requests", "*:", "é*", "*😀", "read:customer_data "]
ODD_SCALARS = [Raw("5"), Raw("true"), Raw("false"), Raw("~"), Raw("0x10"), Raw("2024-01-01"),
               Raw("[]"), Raw("{}"),
               Raw("yes"), Raw("1.5"), Raw(".nan"), Raw("0"), Raw("1_000"), Raw("012"), Raw("1e3")]

built_pattern = st.builds(lambda parts, kind: {"prefix": "".join(parts) + "*", "suffix": "*" + "".join(parts),
                                              "both": "*" + "".join(parts) + "*",
                                              "exact": "".join(parts)}[kind],
                          st.lists(st.sampled_from(TOKENS), min_size=1, max_size=3),
                          st.sampled_from(["prefix", "suffix", "both", "exact"]))


def weighted(*branches: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    """One of the strategies, each as often as its weight (``one_of`` would
    merge repeated strategies, and hypothesis favours the first and last
    indices: write the common branch first and last, the rare ones between)."""
    table = [strategy for weight, strategy in branches for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda i: table[i])


PLAIN_PATTERNS = [Raw("read:*"), Raw("read:customer_data"), Raw("update:ticket_status"),
                  Raw("delete:*"), Raw("x*y")]  # written unquoted, as the shipped policies do
narrow_pattern = st.one_of(st.sampled_from(FIXED_PATTERNS), built_pattern, st.sampled_from(PLAIN_PATTERNS))
pattern = weighted((6, narrow_pattern), (1, st.just("*")), (6, narrow_pattern))


def rarely(n: int) -> st.SearchStrategy:
    """True about once in ``n`` draws (a middle value: hypothesis favours the ends)."""
    return st.integers(0, n - 1).map(lambda i: i == n // 2)


FIELDS = ["amount", "tier", "constructor", "toString", "__proto__", "length", "0", "1", "missing",
          "valueOf", "hasOwnProperty", "map"]
OPERATORS = [">", "<", ">=", "<=", "==", "!=", "=", "=>", "<>", "!", "===", ">>", "=<"]
THRESHOLDS = ["500", "$1,000", "1,000.50", "0", "-1", "abc", "5 USD", "1e3", "0x10", "Infinity",
              "", " 7", "$", "1,5", "2", ".5", "-Infinity", "NaN", "600 and tier == 2"]
COMMON_FIELDS = ["amount"] * 8 + ["tier"] * 4 + FIELDS
COMMON_OPERATORS = [">", "<", ">=", "<=", "==", "!="] * 4 + OPERATORS
COMMON_THRESHOLDS = ["500", "2", "0", "600", "1000", "$1,000", "7"] * 3 + THRESHOLDS
condition = weighted(
    (9, st.builds(lambda pre, f, w1, op, w2, v: f"{pre}{f}{w1}{op}{w2}{v}",
                st.sampled_from(["", "", "", "", "", "", "if ", "context.", " "]),
                st.sampled_from(COMMON_FIELDS), st.sampled_from(["", " ", " ", "  "]),
                st.sampled_from(COMMON_OPERATORS), st.sampled_from(["", " ", " ", "\t"]),
                st.sampled_from(COMMON_THRESHOLDS))),
    (1, st.sampled_from(["amount", "> 5", "amount is big", "", "amount > 500\ntier < 2", "a.b > 1"])),
)

conditional = st.builds(
    lambda action, cond, extra: {k: v for k, v in (("action", action), ("condition", cond), extra)
                                 if v is not None},
    st.one_of(st.none(), pattern, st.sampled_from([Raw("5"), Raw("~"), "", ["read:*"]])),
    weighted((4, condition), (1, st.none()),
             (1, st.sampled_from([Raw("5"), Raw("~"), "", ["x"], Raw("true")])), (4, condition)),
    st.sampled_from([(None, None), ("note", "x"), (Raw("1"), "one"), (Raw("0x10"), "sixteen")]),
)

allow_deny_entry = weighted((12, pattern), (1, st.sampled_from(ODD_SCALARS)),
                            (1, st.sampled_from([{"action": "read:*"}, ["read:x"]])), (12, pattern))
escalate_entry = weighted((3, narrow_pattern), (3, conditional), (1, st.sampled_from(ODD_SCALARS)),
                          (1, st.just(["x"])), (3, conditional), (3, narrow_pattern))


def rule_list(entry: st.SearchStrategy) -> st.SearchStrategy:
    odd = st.one_of(pattern, st.sampled_from([Raw("~"), Raw("5"), Raw("true"), {}, {"a": "b"},
                                              Raw("0"), "", Raw("false"), []]))
    lists = st.lists(entry, min_size=1, max_size=6)
    return weighted((8, lists), (1, odd), (8, lists))


@st.composite
def permissions(draw: Any) -> Any:
    if draw(rarely(30)):
        return draw(st.sampled_from([Raw("~"), "read:*", ["read:*"]]))
    out = {}
    for name, entry in (("escalate", escalate_entry), ("deny", allow_deny_entry),
                        ("allow", allow_deny_entry)):
        if not draw(rarely(6)):
            out[name] = draw(rule_list(entry))
    if draw(rarely(30)):
        out["allowed"] = ["read:*"]  # an unknown key: ignored
    return out


AGENTS = ["a", "b", "c"]
agent_value = st.one_of(st.sampled_from(AGENTS), st.sampled_from(AGENTS),
                        st.sampled_from([Raw("5"), Raw("true"), Raw("2024-01-01"), "0"]))


@st.composite
def policy_file(draw: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if not draw(rarely(80)):  # now and then no agent: the load fails
        doc["agent"] = draw(agent_value)
    if not draw(rarely(20)):
        doc["permissions"] = draw(permissions())
    if draw(st.booleans()):
        doc["audit"] = {"level": "full", "retention": Raw("2555")}
    return doc


NAMES = ["a.yaml", "b.yml", "B.yaml", "_x.yaml", ".yaml", "m.yaml", "n.yaml", "c.YAML", "z.txt"]
directory = st.lists(st.tuples(st.sampled_from(NAMES), policy_file()), min_size=1, max_size=3,
                     unique_by=lambda t: t[0])

# ---------------------------------------------------------------- calls

MISSING = object()
CONTEXT_VALUES = [
    500, 500.5, 501, -1, 0, 1000, 1e3, 2, 7, 0.5, 1e21, -0.0, 600,
    "1,000", " 5 ", "0x10", "", "1e3", "$500", "Infinity", "abc", "5 USD", "600", "\u00a0600",
    "0b11", "-0x10", "1_000", "+5", ".5", "2",
    True, False, None,
    [], [5], [1, 2], ["7"], [[3]], [None], [600, 2],
    {}, {"a": 1}, {"toString": 1}, {"valueOf": 2}, {"valueOf": 1, "toString": 2},
]
CONTEXT_FIELDS = ["amount"] * 6 + ["tier"] * 3 + FIELDS
ODD_CONTEXTS = [[], [600, 2], "abc", "600", 5, True, False, 0, None, "", MISSING, [None], ["700"]]
ODD_AGENTS = ["d", 5, True, None, MISSING, ["a"], {"toString": 1}, "0", 5.0]
PLAIN_ACTIONS = ["read:customer_data", "refund", "delete:x", "", "*", "x", "read:", "refund_requests"]
ODD_ACTIONS = [5, None, True, MISSING, ["read:x"], {}, [], 5.0, 2024, {"toString": 1}]


def make_call(rng: Any, samples: list[str], agents: list[Any]) -> Any:
    """One call, drawn with hypothesis' ``rng`` (cheap: 100 per directory)."""
    if rng.random() < 0.005:
        return rng.choice([None, 5, "call", [1]])  # not a mapping at all
    agent = rng.choice(agents) if agents and rng.random() < 0.85 else rng.choice(AGENTS + ODD_AGENTS)
    r = rng.random()
    if r < 0.4:
        action = rng.choice(samples)
    elif r < 0.6:
        action = rng.choice(samples) + rng.choice(TOKENS)
    elif r < 0.75:
        action = rng.choice(TOKENS) + rng.choice(samples)
    elif r < 0.92:
        action = rng.choice(PLAIN_ACTIONS)
    else:
        action = rng.choice(ODD_ACTIONS)
    if rng.random() < 0.88:
        ctx: Any = {rng.choice(CONTEXT_FIELDS): rng.choice(CONTEXT_VALUES)
                    for _ in range(rng.randint(0, 4))}
    else:
        ctx = rng.choice(ODD_CONTEXTS)
    call: dict[str, Any] = {}
    for key, value in (("agent", agent), ("action", action), ("context", ctx)):
        if value is not MISSING:
            call[key] = value
    return call


def _agents_of(files: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    out = []
    for _, doc in files:
        agent = doc.get("agent")
        out.append({"5": 5, "true": True}.get(agent.text, "a") if isinstance(agent, Raw) else agent)
    return [a for a in out if a is not None]


def _patterns_of(files: list[tuple[str, dict[str, Any]]]) -> list[str]:
    out: list[str] = []
    for _, doc in files:
        perms = doc.get("permissions")
        if not isinstance(perms, dict):
            continue
        for rules in perms.values():
            for entry in rules if isinstance(rules, list) else [rules]:
                if isinstance(entry, Raw) and entry in PLAIN_PATTERNS:
                    out.append(entry.text)
                elif isinstance(entry, str):
                    out.append(entry)
                elif isinstance(entry, dict) and isinstance(entry.get("action"), str):
                    out.append(entry["action"])
    return out


@st.composite
def case(draw: Any) -> tuple[list[tuple[str, dict[str, Any]]], list[Any]]:
    files = draw(directory)
    seen, agents = _patterns_of(files), _agents_of(files)
    samples = sorted({p.strip("*") for p in seen} | set(seen)) or ["read:x"]
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    calls = [make_call(rng, samples, agents) for _ in range(CALLS_PER_DIRECTORY)]
    return files, calls


# ---------------------------------------------------------------- the test


class Tally:
    def __init__(self) -> None:
        self.cases = 0
        self.directories = 0
        self.load_failures = 0
        self.decisions: Counter[str] = Counter()


def _compare(command: list[str], files: list[tuple[str, dict[str, Any]]], calls: list[Any],
             tally: Tally) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, doc in files:
            Path(tmp, name).write_text(to_yaml(doc), encoding="utf-8")
        theirs = run_oracle(command, tmp, calls)
        ours = load_paths([tmp])
        sources = {name: to_yaml(doc) for name, doc in files}
        tally.directories += 1
        if "load_error" in theirs:
            assert not ours.ok, (theirs, sources)
            tally.load_failures += 1
            tally.cases += 1
            return
        assert ours.ok, (ours.load_error, [d.message for d in ours.diagnostics], sources)
        for call, expected in zip(calls, theirs["outcomes"]):
            got = decide(ours, call).to_json()
            assert got == expected, (call, sources)
            tally.cases += 1
            tally.decisions[got.get("decision", "error")] += 1


def test_engine_agrees(needs_oracle: list[str]) -> None:  # noqa: F811
    tally = Tally()
    started = time.monotonic()

    @settings(max_examples=DIRECTORIES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case())
    def run(example: tuple[list[tuple[str, dict[str, Any]]], list[Any]]) -> None:
        _compare(needs_oracle, example[0], example[1], tally)

    run()
    elapsed = time.monotonic() - started
    print(f"\nopenclaw differential: {tally.cases} cases, {tally.directories} directories "
          f"({tally.load_failures} failing to load), 0 disagreements, {elapsed:.1f} s; "
          f"decisions {dict(tally.decisions)}")
    assert tally.cases >= DIFFERENTIAL_CASES
    for decision in ("allow", "deny", "escalate", "error"):
        assert tally.decisions[decision] >= DIFFERENTIAL_CASES // 50, tally.decisions
