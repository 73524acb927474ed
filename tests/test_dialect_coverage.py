"""policyc coverage for the OpenClaw toolkit and ToolRampart dialects: the
mappings, the verdicts (status, evidence location, what the runtime really
enforces) on small fixtures and on the shipped corpora, and every renderer."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from policyc.coverage import DataError, Status
from policyc.coverage.catalog import shipped_checklists, shipped_owasp
from policyc.coverage.dialect import load_mapping
from policyc.coverage.html import html_page
from policyc.coverage.render import json_text, markdown, print_text
from policyc.dialects import openclaw, toolrampart
from policyc.dialects.openclaw import coverage as oc
from policyc.dialects.toolrampart import coverage as tr

from .conftest import CORPORA, needs_corpora

TOOLKIT = CORPORA / "openclaw-toolkit" / "policies"
EXAMPLES = CORPORA / "toolrampart" / "examples"


def by_id(report):
    return {r.item.id: r for r in report.all_results()}


def sources(result, check=None):
    """The ``source`` evidence records of a result (of one check)."""
    return [e for e in result.evidence if e["kind"] == "source" and (check is None or e["check"] == check)]


def rendered(report) -> dict[str, str]:
    buffer = io.StringIO()
    print_text(Console(file=buffer, width=160), report, verbose=True)
    return {"text": buffer.getvalue(), "markdown": markdown(report), "json": json_text(report),
            "html": html_page(report)}


def toolkit_report(tmp_path: Path, files: dict[str, str], **kwargs):
    directory = tmp_path / "policies"
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    return oc.build_report(openclaw.load_paths([str(directory)]), **kwargs), directory


def toolrampart_report(tmp_path: Path, files: dict[str, str], **kwargs):
    directory = tmp_path / "service"
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    return tr.build_report(toolrampart.load_paths([str(directory)]), **kwargs), directory


# ------------------------------------------------------------------ mappings


@pytest.mark.parametrize("module", [oc, tr])
def test_each_mapping_lists_every_item_and_uses_every_verifier(module):
    owasp, checklists = load_mapping(module.mapping_path(), module.VERIFIERS)
    assert [i.id for i in owasp.items] == [i.id for i in shipped_owasp().items]
    shipped = {c.id: c for c in shipped_checklists()}
    assert [c.id for c in checklists] == [module.NAME]
    assert [i.id for i in checklists[0].items] == [i.id for i in shipped[module.NAME].items]
    used = {n for c in (owasp, *checklists) for i in c.items for n in i.properties}
    assert used == set(module.VERIFIERS)  # no verifier is dead
    for item in (i for c in (owasp, *checklists) for i in c.items):
        assert not item.deployment  # Rampart's deployment checks are not kept
        assert item.properties or item.fixed or item.needs, item.key


def test_a_mapping_that_leaves_an_item_out_or_names_an_unknown_verifier_is_located(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("dialect: x\nowasp: {}\nchecklists:\n  toolrampart: {}\n")
    with pytest.raises(DataError, match=r"m.yaml:2:8: every item of owasp-asi-2026 must be listed; missing: ASI01"):
        load_mapping(str(mapping), tr.VERIFIERS)
    text = Path(tr.mapping_path()).read_text().replace("verify: [auth-required]}", "verify: [auth-requried]}")
    mapping.write_text(text)
    with pytest.raises(DataError, match=r"m.yaml:\d+:\d+: unknown verifier 'auth-requried'"):
        load_mapping(str(mapping), tr.VERIFIERS)


@pytest.mark.parametrize("build, load", [(oc.build_report, openclaw.load_paths),
                                         (tr.build_report, toolrampart.load_paths)])
def test_every_verifier_gives_a_verdict_on_an_empty_directory_and_other_checklists_are_refused(tmp_path, build, load):
    report = build(load([str(tmp_path)]))
    assert all(r.evidence for r in report.all_results())
    assert not any("--probes" in m for r in report.all_results() for m in r.missing)  # Rampart's default needs
    with pytest.raises(DataError, match="checklist 'rampart' is not reported for"):
        build(load([str(tmp_path)]), checklists=["rampart"])


# ------------------------------------------------------------------ OpenClaw toolkit fixtures


def test_an_unrestricted_star_allow_is_uncovered_at_the_entry(tmp_path):
    report, directory = toolkit_report(tmp_path, {"a.yaml": "agent: ops\npermissions:\n  allow:\n    - \"*\"\n"})
    results = by_id(report)
    flag = results["allow-all-unrestricted"]
    assert flag.status is Status.UNCOVERED
    [evidence] = sources(flag)
    assert (evidence["path"], evidence["line"], evidence["column"]) == (str(directory / "a.yaml"), 4, 7)
    assert "allows every action this agent asks for" in evidence["detail"]
    for item in ("least-privilege", "no-deny-rules", "escalation-rules", "deny-dangerous"):
        assert results[item].status is Status.UNCOVERED, item
    assert "the engine allows `delete:anything`" in results["deny-dangerous"].missing[0]
    assert results["ASI01"].status is Status.UNCOVERED
    assert report.context["default_action"] == "deny" and report.context["dialect"] == "openclaw-toolkit"


def test_a_wildcard_deny_that_misses_a_spelling_the_allow_lets_through(tmp_path):
    report, _ = toolkit_report(tmp_path, {"a.yaml": "agent: ops\npermissions:\n  allow: [\"*\"]\n"
                                                    "  deny: [\"delete:*\"]\n  escalate: [refund]\n"})
    results = by_id(report)
    wildcard = results["wildcards-verified"]
    assert wildcard.status is Status.UNCOVERED
    assert "does not match `DELETE:`" in wildcard.missing[0] and "allows it" in wildcard.missing[0]
    # restricted by a deny rule: not the red flag, but not least privilege either
    assert results["allow-all-unrestricted"].status is Status.COVERED
    assert results["least-privilege"].status is Status.UNCOVERED
    assert results["deny-dangerous"].status is Status.UNCOVERED  # remove:anything is allowed by `*`


def test_escalate_rules_are_decided_on_witnesses(tmp_path):
    report, _ = toolkit_report(tmp_path, {
        "a.yaml": "agent: a\npermissions:\n  escalate:\n    - {action: refund, condition: \"amount > $1,000\"}\n",
        "b.yaml": "agent: b\npermissions:\n  escalate:\n    - {action: refund}\n    - export\n"})
    escalation = by_id(report)["escalation-rules"]
    assert escalation.status is Status.PARTIAL
    held, failed = sources(escalation)
    assert held["ok"] is True and 'refund with context {"amount": 1001.0}' in held["detail"]
    assert failed["ok"] is False and "`permissions.escalate[0]`" in failed["detail"] and failed["line"] == 4


def test_never_read_settings_are_judged_by_what_the_runtime_enforces(tmp_path):
    report, _ = toolkit_report(tmp_path, {"a.yaml": (
        "agent: a\nmetadata: {description: support}\npermissions:\n  allow: [read:ticket]\n  deny: [delete:*]\n"
        "audit:\n  retention: 30\n  sensitive_fields: [password, ssn]\ntrust:\n  minimum_score: 50\n"
        "rate_limits: {actions_per_minute: 5}\n")})
    results = by_id(report)
    assert results["sensitive-fields-redacted"].status is Status.COVERED  # both in the fixed list
    runtime = sources(results["sensitive-fields-redacted"])[0]["runtime"]
    assert "password, token, secret, apiKey, ssn, creditCard" in runtime
    trust = results["trust-thresholds"]
    assert trust.status is Status.PARTIAL  # the floor matches; no recovery threshold exists anywhere
    assert [e["ok"] for e in sources(trust)] == [True, False] and "50" in sources(trust)[0]["runtime"]
    retention = results["audit-retention"]
    assert retention.status is Status.NEEDS_EVIDENCE  # declared, never read: only the store can say
    [evidence] = sources(retention)
    assert evidence["ok"] is None and evidence["line"] == 7 and "never read" in evidence["detail"]
    assert retention.missing == ("needs the AuditLogger's `retentionDays` option and the audit store's retention "
                                 "(the engine never reads `audit.retention`)",)
    assert results["ASI08"].status is Status.UNCOVERED  # rate_limits declared, enforced by nothing
    assert results["policy-documented"].status is Status.COVERED
    assert results["policy-per-agent"].status is Status.NEEDS_EVIDENCE


def test_a_field_outside_the_fixed_redaction_list_is_logged_in_clear(tmp_path):
    report, _ = toolkit_report(tmp_path, {"a.yaml": "agent: a\naudit: {sensitive_fields: [credit_card]}\n"})
    redaction = by_id(report)["sensitive-fields-redacted"]
    assert redaction.status is Status.UNCOVERED
    assert "`credit_card` is logged in clear" in redaction.missing[0]


def test_a_replaced_policy_and_an_unloadable_directory(tmp_path):
    report, _ = toolkit_report(tmp_path, {"a.yaml": "agent: same\npermissions: {deny: [x]}\n",
                                          "b.yaml": "agent: same\npermissions: {deny: [y]}\n"})
    per_agent = by_id(report)["policy-per-agent"]
    assert per_agent.status is Status.PARTIAL
    assert "silently replaces this policy" in per_agent.missing[0] and "a.yaml:1:8" in per_agent.missing[0]
    (tmp_path / "policies" / "c.yaml").write_text("permissions: {}\n")  # no agent: the whole load fails
    results = by_id(oc.build_report(openclaw.load_paths([str(tmp_path / "policies")])))
    assert results["no-policy"].status is Status.UNCOVERED and "loadPolicies throws" in results["no-policy"].missing[0]
    assert results["least-privilege"].status is Status.NEEDS_EVIDENCE


# ------------------------------------------------------------------ ToolRampart fixtures

TRANSFER = '''from toolrampart import scope, side_effects, tool


@tool
@scope("billing.transfer")
@side_effects(money_movement=True, writes_data=True)
def transfer(account: str, amount: float) -> dict:
    return {"account": account, "amount": amount}
'''

PRODUCTION = '''[auth]
required = true

[auth.hashed_api_keys]
"k1" = { actor = "agent", scopes = ["billing.*"], hash = "pbkdf2_sha256$1000$salt$abc", active = true }

[execution]
timeout_seconds = 10
max_retries = 0

[storage]
storage_url = "postgresql://user:secret@db:5432/toolrampart"
redis_url = "redis://redis:6379/0"
retention_days = 365
'''


def test_a_money_movement_tool_without_approval_is_uncovered_naming_it(tmp_path):
    report, directory = toolrampart_report(tmp_path, {"transfer_tool.py": TRANSFER})
    results = by_id(report)
    approvals = results["approvals"]
    assert approvals.status is Status.UNCOVERED
    [evidence] = sources(approvals)
    assert (evidence["path"], evidence["line"]) == (str(directory / "transfer_tool.py"), 7)
    assert "`transfer` moves money (`money_movement`) but has no `@require_approval`" in evidence["detail"]
    assert "`refund_user`" not in approvals.missing[0]
    assert results["idempotency-keys"].status is Status.UNCOVERED
    assert "never requires an idempotency key" in sources(results["idempotency-keys"])[0]["runtime"]
    # no config: the configuration items need it, never a guess
    for item in ("require-auth", "short-timeouts", "postgres-storage"):
        assert results[item].status is Status.NEEDS_EVIDENCE, item
    assert "no toolrampart.toml" in sources(results["require-auth"])[0]["detail"]
    assert results["narrow-scope"].status is Status.COVERED


def test_a_production_config_and_deployment_artifacts(tmp_path):
    approve = TRANSFER.replace("@scope(", "@require_approval(over_amount=100)\n@scope(").replace(
        "from toolrampart import", "from toolrampart import require_approval,")
    _, directory = toolrampart_report(tmp_path, {"transfer_tool.py": approve, "toolrampart.toml": PRODUCTION})
    cron = tmp_path / "crontab"
    cron.write_text("0 3 * * * /usr/local/bin/toolrampart prune --days 365\n")
    unit = tmp_path / "toolrampart.service"
    unit.write_text("[Service]\nUser=tools\nExecStart=/usr/local/bin/toolrampart serve tools\nMemoryMax=512M\n")
    result = toolrampart.load_paths([str(directory)])
    results = by_id(tr.build_report(result, deployments=[str(cron), str(unit)]))
    for item in ("require-auth", "no-plaintext-keys", "actor-not-from-body", "approvals", "short-timeouts",
                 "low-retries", "no-sqlite-in-production", "postgres-storage", "redis-rate-limits",
                 "retention-defined", "resource-limits"):
        assert results[item].status is Status.COVERED, (item, results[item].missing)
    prune = sources(results["retention-defined"])[0]
    assert (prune["path"], prune["line"]) == (str(cron), 1) and "never read" in prune["detail"]
    storage = sources(results["postgres-storage"])[0]
    assert "secret" not in storage["detail"] and "***@db" in storage["detail"]  # credentials not shown
    assert "MemoryMax=512M" in sources(results["resource-limits"])[0]["detail"]
    # without the crontab, retention needs evidence: `retention_days` alone settles nothing
    assert by_id(tr.build_report(result))["retention-defined"].status is Status.NEEDS_EVIDENCE


def test_a_deployed_config_artifact_is_judged_and_a_refused_config_fails(tmp_path):
    _, directory = toolrampart_report(tmp_path, {"transfer_tool.py": TRANSFER})
    deployed = tmp_path / "deployed.toml"
    deployed.write_text("[auth]\nrequired = false\n[execution]\ntimeout_seconds = 120\n")
    results = by_id(tr.build_report(toolrampart.load_paths([str(directory)]), deployments=[str(deployed)]))
    auth = results["require-auth"]
    assert auth.status is Status.UNCOVERED and sources(auth)[0]["path"] == str(deployed)
    assert results["short-timeouts"].status is Status.UNCOVERED
    assert results["isolated-process"].status is Status.UNCOVERED  # 120 s in a thread (PC613)
    (directory / "toolrampart.toml").write_text("[execution]\ntimeout_seconds = \"soon\"\n")
    refused = by_id(tr.build_report(toolrampart.load_paths([str(directory)])))["short-timeouts"]
    assert refused.status is Status.UNCOVERED and "refuses this config" in refused.missing[0]


# ------------------------------------------------------------------ renderers


def test_every_renderer_shows_a_dialect_report(tmp_path):
    toolkit, _ = toolkit_report(tmp_path, {"a.yaml": "agent: \"<script>\"\npermissions:\n  allow: [read:x]\n"})
    tools, _ = toolrampart_report(tmp_path, {"transfer_tool.py": TRANSFER})
    for report in (toolkit, tools):
        out = rendered(report)
        assert "score" in out["text"] and "missing: " in out["text"] and "[ok] " in out["text"]
        assert out["markdown"].startswith("## policyc coverage") and "[FAIL] " in out["markdown"]
        assert "`None`" not in out["markdown"]
        assert "None" not in out["html"].split("<p class=\"meta\">")[1].split("</p>")[0]
        assert "<script" not in out["html"]
        doc = json.loads(out["json"])
        assert {c["id"] for c in doc["checklists"]} == {report.context["dialect"]}
        assert any(e["kind"] == "source" for i in doc["owasp"] + doc["checklists"][0]["items"] for e in i["evidence"])
    assert "&lt;script&gt;" in rendered(toolkit)["html"]
    assert "(default `deny`)" in rendered(toolkit)["markdown"]
    assert "default" not in rendered(tools)["markdown"].splitlines()[2]


# ------------------------------------------------------------------ shipped corpora


@needs_corpora
def test_the_toolkit_s_shipped_policies():
    report = oc.build_report(openclaw.load_paths([str(TOOLKIT)]))
    results = by_id(report)
    for item in ("least-privilege", "deny-dangerous", "escalation-rules", "wildcards-verified", "policy-documented",
                 "no-policy", "allow-all-unrestricted", "no-deny-rules"):
        assert results[item].status is Status.COVERED, item
    deny = [e for e in sources(results["deny-dangerous"]) if e["path"].endswith("customer-service-agent.yaml")]
    assert deny[0]["line"] == 27 and "`delete:*`" in deny[0]["detail"]
    # what the runtime really does with the never-read sections
    trust = results["trust-thresholds"]
    assert trust.status is Status.UNCOVERED
    assert any(e["line"] == 57 and "only below its hard-coded score of 50" in e["detail"] for e in sources(trust))
    redaction = results["sensitive-fields-redacted"]
    assert redaction.status is Status.UNCOVERED
    assert any("`credit_card` is logged in clear" in m for m in redaction.missing)
    assert any("`api_key` is logged in clear" in m for m in redaction.missing)
    assert results["audit-retention"].status is Status.NEEDS_EVIDENCE
    assert {e["line"] for e in sources(results["audit-retention"])} == {44, 46}
    assert results["ASI07"].status is Status.NOT_APPLICABLE
    assert results["runbook"].status is Status.NEEDS_EVIDENCE
    assert all(rendered(report).values())


@needs_corpora
def test_toolrampart_s_shipped_examples():
    report = tr.build_report(toolrampart.load_paths([str(EXAMPLES)]))
    results = by_id(report)
    approvals = results["approvals"]
    assert approvals.status is Status.PARTIAL  # refund and delete need approval; the GitHub write does not
    assert any("github_issue_tool.py:15:5" in m and "`create_github_issue`" in m for m in approvals.missing)
    assert any("`approved: true`" in m for m in approvals.missing)  # auth off: callers approve themselves
    keys = results["no-plaintext-keys"]
    assert keys.status is Status.UNCOVERED and any("toolrampart.toml:6:1" in m and "dev-secret" in m
                                                    for m in keys.missing)
    assert results["require-auth"].status is Status.UNCOVERED
    assert results["postgres-storage"].status is Status.PARTIAL  # compose: Postgres; toolrampart.toml: SQLite
    assert results["split-services"].status is Status.UNCOVERED  # delete_account beside run_read_only_query
    assert results["idempotency-keys"].status is Status.PARTIAL
    assert results["isolated-process"].status is Status.COVERED
    retention = results["retention-defined"]
    assert retention.status is Status.NEEDS_EVIDENCE and "never read" in sources(retention)[0]["detail"]
    assert results["ASI09"].status is Status.NOT_APPLICABLE
    assert all(rendered(report).values())
