"""policyc bench: scoring a policy set against a corpus of expected decisions."""

from __future__ import annotations

import json

from click.testing import CliRunner

from policyc.cli import main
from policyc.coverage.bench import satisfies

from .conftest import FIXTURES

CORPUS = str(FIXTURES / "bench" / "corpus.yaml")
POLICY = str(FIXTURES / "coverage" / "credentials.yaml")


def run(*args):
    return CliRunner().invoke(main, ["bench", POLICY, "--corpus", CORPUS, *args])


def test_ask_satisfies_deny_unless_strict():
    assert satisfies("ask", "deny", strict=False) and not satisfies("ask", "deny", strict=True)
    assert not satisfies("deny", "ask", strict=False)
    assert not satisfies("watch", "allow", strict=False)


def test_scores_overall_and_per_category():
    result = run("--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    # CRED-2 (cat ~/.aws/credentials) is allowed by the policy; PRIV-1 asks where deny is expected
    assert (doc["passed"], doc["total"], doc["score"]) == (4, 5, 0.8)
    assert doc["categories"]["credential-theft"] == {"passed": 1, "total": 2, "score": 0.5}
    assert doc["categories"]["privilege"]["passed"] == 2
    assert doc["severities"]["critical"]["total"] == 2
    case = next(c for c in doc["cases"] if c["id"] == "PRIV-2")
    assert case["expected"] == "ask"  # require_approval is ask
    assert case["rule"]["policy"] == "sudo" and case["location"].endswith("corpus.yaml:26:5")


def test_strict_mode_and_min_score_exit_status():
    strict = json.loads(run("--strict", "--format", "json").output)
    assert strict["score"] == 0.6
    assert run("--min-score", "0.8").exit_code == 0
    below = run("--strict", "--min-score", "0.8")
    assert below.exit_code == 1
    assert "FAIL" in below.output and "credential-theft" in below.output and "score 60.0%" in below.output


def test_malformed_corpus_is_a_located_usage_error(tmp_path):
    bad = tmp_path / "corpus.yaml"
    bad.write_text("cases:\n  - id: X\n    tool: exec\n    expected: block\n")
    result = CliRunner().invoke(main, ["bench", POLICY, "--corpus", str(bad)])
    assert result.exit_code == 2
    assert "corpus.yaml:4:15" in result.output and "Traceback" not in result.output
