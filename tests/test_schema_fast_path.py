"""The compiled schema (fastjsonschema) and jsonschema agree on which
documents are valid: the front end skips jsonschema's full error walk when
the compiled validator accepts a document, so a document the compiled one
accepts and jsonschema rejects would lose its diagnostics.

The documents are 6,000 mutants of the fuzzer's seeds (tests/test_fuzz_check.py)
that still parse as YAML, plus hand-written type edge cases.
"""

from __future__ import annotations

import random

import pytest

from policyc.diagnostics.model import DiagnosticError
from policyc.dialects.rampart import frontend as rampart
from policyc.frontends import yaml_source

from .test_fuzz_check import _seed_files, mutate

EDGES = [
    {"version": "1", "policies": []},
    {"version": 1, "policies": []},
    {"version": "1", "default_action": True},
    {"version": "1", "policies": [{"name": "a", "rules": [{"action": "deny", "priority": 1.0}]}]},
    {"version": "1", "policies": [{"name": "a", "rules": [{"action": "deny", "priority": True}]}]},
    {"version": "1", "policies": [{"name": "a", "rules": [{"action": "deny", "priority": 1.5}]}]},
    {"version": "1", "policies": [{"name": "a", "match": {"tool": "exec"}, "rules": []}]},
    {"version": "1", "policies": [{"name": "a", "match": {"tool": 3}, "rules": []}]},
    {"version": "1", "policies": [{"name": "a", "rules": [{"action": "deny", "when": {}}]}]},
    {"version": "1", "policies": [{"name": "a", "rules": [{"action": "deny", "when": None}]}]},
    {"version": "1", "policies": [{"rules": [{"action": "deny", "when": {"command_matches": [1, None]}}]}]},
    {"version": "1", "policies": [{"name": "a", "rules": [{"action": "deny", "unknown": 1}]}]},
    {"version": "1", "policies": None},
    [], "text", 7, None,
]


def _agree(document) -> bool:
    try:
        rampart._fast_validator()(document)
        fast = True
    except rampart.fast_schema_error():
        fast = False
    return fast == rampart._validator().is_valid(document)


@pytest.mark.parametrize("document", EDGES, ids=range(len(EDGES)))
def test_edge_cases_agree(document):
    assert _agree(document)


def test_mutants_agree():
    rng = random.Random(5)
    seeds = _seed_files()
    compared = invalid = 0
    for _ in range(6000):
        data = mutate(rng, rng.choice(seeds))
        try:
            root = yaml_source.load_bytes(data, "mutant.yaml")
        except DiagnosticError:
            continue
        document = yaml_source.to_plain(root, engine_keys=True)
        compared += 1
        invalid += not rampart._validator().is_valid(document)
        assert _agree(document), data.decode("utf-8", "replace")
    assert compared > 1500 and invalid > 300  # both verdicts are exercised
