"""The OpenClaw toolkit's own material: its shipped policies, every YAML
snippet of its docs, and every decision its integration test and example
state, decided by policyc (and, for the snippets, compared with the engine's
load verdict when the oracle is available). Skipped when ../shared is absent.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from policyc.dialects.openclaw import check_paths, decide, load_paths, recognise
from policyc.frontends.yaml_source import load

from .conftest import CORPORA, needs_corpora
from .test_openclaw_oracle import needs_oracle, oracle_command, run_oracle  # noqa: F401  (fixture)

TOOLKIT = CORPORA / "openclaw-toolkit"
POLICIES = TOOLKIT / "policies"

pytestmark = needs_corpora


def _snippets() -> list[tuple[str, str]]:
    """``(file:line, text)`` of every ```yaml block of the toolkit's markdown."""
    if not TOOLKIT.is_dir():
        return []
    out = []
    for md in sorted([*TOOLKIT.glob("docs/*.md"), TOOLKIT / "README.md"]):
        text = md.read_text("utf-8")
        for m in re.finditer(r"^```ya?ml\n(.*?)^```", text, re.M | re.S):
            out.append((f"{md.relative_to(TOOLKIT)}:{text[:m.start()].count(chr(10)) + 1}", m.group(1)))
    return out


SNIPPETS = _snippets()

#: Why each snippet that is not a whole policy fails to load, for the engine
#: as for policyc: a fragment has no `agent` (PC501), `*:public_data` is a
#: YAML alias (PC001), and the "Day 1 / after 1 week" pair repeats `permissions` (PC002).
SNIPPET_FAILURES = {
    "README.md:183": "PC001", "README.md:191": "PC501", "README.md:198": "PC501",
    "README.md:205": "PC501", "docs/ARCHITECTURE.md:201": "PC001",
    "docs/ARCHITECTURE.md:226": "PC501", "docs/OPENCLAW-INTEGRATION.md:418": "PC002",
}


def test_shipped_policies_load_cleanly() -> None:
    result = load_paths([str(POLICIES)])
    assert result.ok, result.load_error
    assert list(result.policies) == ["code-review-agent", "customer-service-agent"]
    assert [Path(f).name for f in result.files] == ["code-review-agent.yaml", "customer-service-agent.yaml"]
    # The only findings: the audit, rate_limits and trust settings no toolkit code reads.
    assert {d.code for d in check_paths([str(POLICIES)])} == {"PC514"}
    for path in POLICIES.glob("*.yaml"):
        assert recognise(load(str(path)))


def test_shipped_policies_are_read_in_full() -> None:
    policy = load_paths([str(POLICIES)]).policies["customer-service-agent"]
    assert [e.value for e in policy.deny.entries] == [
        "delete:*", "update:customer_payment_info", "read:employee_data", "call:payment_api",
        "access:admin_panel"]
    assert policy.escalate.entries[0].value == "refund_requests"
    assert policy.allow.shape == "list" and len(policy.allow.entries) == 7
    assert policy.section("audit").get("retention").value == 2555.0
    assert policy.agent_span.line == 6


@pytest.mark.parametrize(("where", "text"), SNIPPETS, ids=[w for w, _ in SNIPPETS])
def test_every_docs_snippet_loads_as_the_engine_would(where: str, text: str, tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(text, encoding="utf-8")
    result = load_paths([str(tmp_path)])
    found = check_paths([str(tmp_path)])
    if where in SNIPPET_FAILURES:
        assert not result.ok
        assert SNIPPET_FAILURES[where] in {d.code for d in found}
    else:
        assert result.ok, result.load_error
        assert {d.code for d in found} <= {"PC514"}, [d.message for d in found]


def test_snippet_table_names_real_snippets() -> None:
    assert set(SNIPPET_FAILURES) <= {w for w, _ in SNIPPETS}
    assert len(SNIPPETS) >= 10


@pytest.mark.parametrize(("where", "text"), SNIPPETS, ids=[w for w, _ in SNIPPETS])
def test_docs_snippets_agree_with_the_engine(where: str, text: str, tmp_path: Path,
                                              needs_oracle: list[str]) -> None:  # noqa: F811
    (tmp_path / "policy.yaml").write_text(text, encoding="utf-8")
    calls = [{"agent": a, "action": act, "context": {"amount": 600}}
             for a in ("my-first-agent", "my-openclaw-agent", "customer-service-agent")
             for act in ("read:x", "write:logs", "delete:x", "write:production", "exec:rm",
                         "refund_requests", "update:payment_info", "send:email")]
    theirs = run_oracle(needs_oracle, tmp_path, calls)
    ours = load_paths([str(tmp_path)])
    assert ("load_error" in theirs) == (not ours.ok), (theirs, ours.load_error)
    if ours.ok:
        assert [decide(ours, c).to_json() for c in calls] == theirs["outcomes"]


# Every decision the toolkit's own test and example state, with where it is stated (the
# files state allowed / denied / escalated; the reason is the engine's, which they print).
# The integration test copies only customer-service-agent.yaml into its policy directory
# (test/integration-test.js:34-36); the example uses policies/ as shipped (basic-usage.js:16).
ALLOWED = "Action allowed by policy rule: "
DENIED = "Action explicitly denied by policy rule: delete:*"
ESCALATED = "Action requires human escalation: refund_requests"
REFUND = {"customerId": 12345, "amount": 599.99, "reason": "Product defect"}
STATED = [
    ("test/integration-test.js:68", "read:customer_data",
     {"customerId": 12345, "requestedBy": "test@example.com"}, "allow", ALLOWED + "read:customer_data"),
    ("test/integration-test.js:92", "delete:customer_data", {"customerId": 12345}, "deny", DENIED),
    ("test/integration-test.js:106", "refund_requests", REFUND, "escalate", ESCALATED),
    ("test/integration-test.js:128", "update:ticket_status", {"ticketId": 789, "newStatus": "resolved"},
     "allow", ALLOWED + "update:ticket_status"),
    ("test/integration-test.js:143", "delete:ticket", {"ticketId": 123}, "deny", DENIED),
    ("test/integration-test.js:173", "read:customer_data", {"customerId": 3},
     "allow", ALLOWED + "read:customer_data"),
    ("examples/basic-usage.js:26", "read:customer_data",
     {"customerId": 12345, "requestedBy": "user@example.com"}, "allow", ALLOWED + "read:customer_data"),
    ("examples/basic-usage.js:43", "delete:customer_data", {"customerId": 12345}, "deny", DENIED),
    ("examples/basic-usage.js:51", "refund_requests", REFUND, "escalate", ESCALATED),
    ("examples/basic-usage.js:61", "update:ticket_status", {"ticketId": 789},
     "allow", ALLOWED + "update:ticket_status"),
]


@pytest.mark.parametrize(("where", "action", "context", "decision", "reason"), STATED,
                         ids=[s[0] for s in STATED])
def test_stated_decisions(where: str, action: str, context: dict, decision: str, reason: str,
                          tmp_path: Path) -> None:
    directory = POLICIES
    if where.startswith("test/"):
        shutil.copy(POLICIES / "customer-service-agent.yaml", tmp_path)
        directory = tmp_path
    call = {"agent": "customer-service-agent", "action": action, "context": context}
    got = decide(load_paths([str(directory)]), call)
    assert (got.decision, got.reason) == (decision, reason)
    command = oracle_command()
    if not isinstance(command, str):  # and the real engine says the same
        assert run_oracle(command, directory, [call]) == {"outcomes": [got.to_json()]}
