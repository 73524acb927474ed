"""Mutation fuzzing of ``policyc check --format json`` (issue 11).

A seeded mutator takes small real policy files (each policy of the shipped
stdlib and, when ``../shared`` is present, of the Rampart corpora, cut out
as a one-policy file) and damages them the ways hostile or careless input
does: lines deleted, duplicated, swapped, re-indented or truncated; keys
that are not strings; wrong value types; anchors, aliases and tags; deep
nesting; NUL, control characters and invalid UTF-8; huge scalars and
pathological globs. Every mutant goes through ``check --format json`` in
process and must: exit 0, 1 or 2; never report an internal error; print one
valid JSON document (exit 0/1) whose every diagnostic has a line; and finish
within the per-file budget.

``POLICYC_FUZZ_FILES`` sets the number of mutants (default 10,000) and
``POLICYC_FUZZ_SEED`` the seed (default 11); a failure names the seed and
the mutant's index, and writes the mutant under pytest's tmp_path.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from policyc.cli import main

from .conftest import REPO

CORPUS = REPO.parent / "shared" / "corpora" / "rampart"
FILES = int(os.environ.get("POLICYC_FUZZ_FILES", "10000"))
SEED = int(os.environ.get("POLICYC_FUZZ_SEED", "11"))
#: Wall time one mutant's ``check`` may take (seconds): a hang guard, not a
#: speed goal (benchmarks/ measure speed). A mutant's check takes well under
#: 0.5 s; CI machines have run ten times slower than that under load, and an
#: unbounded analysis ran for minutes, so 30 s separates the two.
BUDGET_S = 30.0

JUNK = [
    "1: x", "true: x", "null: x", "1.5: y", "~: z", "? [a, b]\n: c", "? {a: 1}\n: d", "0x10: e",
    "&a x", "*a", "*undefined", "!!binary aGk=", "!!python/object:os.system x", "!custom x",
    "<<: {a: 1}", "[", "{", "]", "}", "- ", ":", "'", '"', "|", ">", "%YAML 1.1", "---", "...",
    "\x00", "\x07", "\ufeff", "\u2028", "\t", "é", "\U0001f600", "a" * 5000,
    "[" * 200 + "]" * 200, "{a: " * 100 + "1" + "}" * 100, "- " * 60 + "x",
]
VALUES = [
    "1", "-1", "1e400", "nan", ".inf", "true", "null", "~", "[]", "{}", "[1, 2]", "{a: b}", "''", '""',
    '"*"', '"**"', '"[!a-"', '"\\\\"', '"' + "*a?" * 250 + '"', '"' + "**/" * 300 + 'x"', "2026-13-45",
    "0o17", "0x1F", "1_000", "+.5", "yes", "off", "'\x00'", '"\\x00"', '"\\ud800"',
]
KEYS = ["version", "default_action", "policies", "name", "match", "tool", "agent", "session", "rules",
        "action", "when", "message", "priority", "enabled", "command_matches", "command_contains",
        "command_not_matches", "path_matches", "path_not_matches", "domain_matches", "url_matches",
        "tool_param_matches", "command_env_assignments", "default", "tests", "expect", "params",
        "webhook", "url", "timeout", "notify", "response_matches", "call_count", "agent_depth"]


def _seed_files() -> list[str]:
    """One-policy files cut out of the stdlib and the corpora, plus whole
    small files; every text a valid start."""
    sources = sorted((REPO / "stdlib_policies").glob("*.yaml"))
    if CORPUS.is_dir():
        sources += sorted(p for p in CORPUS.rglob("*.y*ml") if p.stat().st_size < 200_000)
    seeds: list[str] = []
    for path in sources:
        text = path.read_text(encoding="utf-8", errors="replace")
        if len(text) < 4000:
            seeds.append(text)
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        if not isinstance(doc, dict) or not isinstance(doc.get("policies"), list):
            continue
        for policy in doc["policies"]:
            mini = {"version": doc.get("version", "1"), "policies": [policy]}
            if "default_action" in doc:
                mini["default_action"] = doc["default_action"]
            seeds.append(yaml.safe_dump(mini, sort_keys=False, allow_unicode=True))
    return seeds


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" "))]


def mutate(rng: random.Random, text: str) -> bytes:
    """One to four random damages applied to a policy text."""
    lines = text.split("\n")
    for _ in range(rng.choice([1, 1, 2, 3, 4])):
        i = rng.randrange(len(lines)) if lines else 0
        op = rng.randrange(13)
        if not lines:
            lines = [rng.choice(JUNK)]
        elif op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[i])
        elif op == 2:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3:
            lines[i] = " " * rng.choice([1, 2, 3, 5]) + lines[i] if rng.random() < 0.5 else lines[i].lstrip()
        elif op == 4:
            lines = lines[:i]
        elif op == 5:
            lines.insert(i, _indent(lines[i]) + rng.choice(JUNK))
        elif op == 6 and ":" in lines[i]:
            key = lines[i].split(":", 1)[0]
            lines[i] = key + ": " + rng.choice(VALUES)
        elif op == 7 and ":" in lines[i]:
            rest = lines[i].split(":", 1)[1]
            lead = _indent(lines[i]) + ("- " if lines[i].lstrip().startswith("- ") else "")
            lines[i] = lead + rng.choice(["1", "true", "null", "1.5", "~", "0x10", "[a]", "{b: 1}", "é",
                                          rng.choice(KEYS) + "x", rng.choice(KEYS).upper()]) + ":" + rest
        elif op == 8:
            lines.insert(i, _indent(lines[i]) + rng.choice(KEYS) + ": " + rng.choice(VALUES))
        elif op == 9:
            k = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:k] + rng.choice(JUNK) + lines[i][k:]
        elif op == 10:
            lines[i] = lines[i].replace(" ", "\t", 1)
        elif op == 11:
            lines = lines + lines[: rng.randrange(len(lines) + 1)]
        else:
            k = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:k]
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    r = rng.random()
    if r < 0.03:
        k = rng.randrange(len(data) + 1)
        data = data[:k] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", b"\x00"]) + data[k:]
    elif r < 0.05:
        data = data[: rng.randrange(len(data) + 1)]
    elif r < 0.06:
        data = rng.choice([b"", b"\n", b"   ", b"\xef\xbb\xbf", b"---\n", b"null", b"[]", b"42"])
    return data


def _lines_ok(document: dict) -> bool:
    return all(isinstance(d.get("line"), int) and d["line"] >= 1 for d in document.get("diagnostics", []))


@pytest.fixture(scope="module")
def seeds() -> list[str]:
    found = _seed_files()
    assert len(found) >= 6, "the stdlib policies are shipped in the repository"
    return found


def test_mutated_policy_files_never_crash_check(seeds, tmp_path):
    rng = random.Random(SEED)
    runner = CliRunner()
    path = tmp_path / "policy.yaml"
    failures: list[str] = []
    checked = 0
    slowest = 0.0
    for index in range(FILES):
        data = mutate(rng, rng.choice(seeds))
        path.write_bytes(data)
        start = time.perf_counter()
        result = runner.invoke(main, ["check", "--format", "json", "--no-config", str(path)])
        seconds = time.perf_counter() - start
        slowest = max(slowest, seconds)
        checked += 1
        problem = None
        if result.exit_code not in (0, 1, 2):
            problem = f"exit {result.exit_code}"
        elif "internal error" in result.stderr or result.exception and not isinstance(result.exception, SystemExit):
            problem = f"internal error: {result.stderr.strip()[:300] or result.exception!r}"
        elif seconds > BUDGET_S:
            problem = f"took {seconds:.1f}s"
        elif result.exit_code in (0, 1):
            try:
                document = json.loads(result.stdout)
            except ValueError:
                problem = "output is not one JSON document"
            else:
                if not _lines_ok(document):
                    problem = "a diagnostic without a line"
        if problem:
            keep = tmp_path / f"mutant-{index}.yaml"
            keep.write_bytes(data)
            failures.append(f"seed {SEED} mutant {index} ({keep}): {problem}")
            if len(failures) >= 20:
                break
    assert checked >= min(FILES, 10000) or failures
    assert not failures, "\n".join(failures)
