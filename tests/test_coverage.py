"""policyc coverage: shipped data, status rules, probes, properties, deployment
artifacts, renderers and the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyc.cli import main
from policyc.coverage import DataError, Status, build_report
from policyc.coverage.catalog import load_probes, shipped_checklists, shipped_owasp, shipped_probes_path
from policyc.coverage.deployment import CHECKS, detect_kind, read_artifacts
from policyc.coverage.html import html_page
from policyc.coverage.model import Item, Verdict, status_of
from policyc.coverage.properties import PROPERTIES
from policyc.coverage.render import markdown
from policyc.loader import load_policy_set

from .conftest import CORPORA, FIXTURES, needs_corpora

COV = FIXTURES / "coverage"
ALLOW_ALL = str(COV / "allow-all.yaml")
CREDENTIALS = str(COV / "credentials.yaml")

#: Items an allow-everything policy may still meet: they assert that the set
#: is well-formed or that normal work goes through, not that anything is blocked.
HARMLESS = {"rampart/policy-validation", "rampart/allow-test", "openclaw-toolkit/no-policy",
            "openclaw-toolkit/performance-tested", "openclaw-toolkit/policy-documented"}


def report_for(*paths: str, **kwargs):
    loaded = load_policy_set(list(paths))
    assert loaded.ok
    return build_report(loaded, {f.path: Path(f.path).read_bytes() for f in loaded.files}, **kwargs)


def by_key(report):
    return {r.item.key: r for r in report.all_results()}


@pytest.fixture(scope="module")
def credentials_report():
    return report_for(CREDENTIALS)


# ------------------------------------------------------------ shipped data


def test_shipped_owasp_lists_asi01_to_asi10_with_official_names():
    owasp = shipped_owasp()
    assert [i.id for i in owasp.items] == [f"ASI{n:02d}" for n in range(1, 11)]
    titles = {i.id: i.title for i in owasp.items}
    assert titles["ASI01"] == "Agent Goal Hijack"
    assert titles["ASI07"] == "Insecure Inter-Agent Communication"
    assert titles["ASI10"] == "Rogue Agents"


def test_every_verifier_a_catalog_names_exists_and_every_probe_names_a_known_item():
    catalogs = [shipped_owasp(), *shipped_checklists()]
    assert {c.id for c in catalogs[1:]} == {"rampart", "openclaw-toolkit", "toolrampart"}
    for item in (i for c in catalogs for i in c.items):
        assert set(item.properties) <= set(PROPERTIES), item.key
        assert set(item.deployment) <= set(CHECKS), item.key
    known = {i.key for c in catalogs for i in c.items}
    probes = load_probes(shipped_probes_path(), known)
    evidenced = {k for p in probes for k in p.evidences}
    # every OWASP risk a policy can see has probes
    assert {f"ASI{n:02d}" for n in (1, 2, 3, 4, 5, 6, 8, 10)} <= evidenced


# ------------------------------------------------------------- status rule


def _v(ok):
    return Verdict(ok, {"kind": "property"})


@pytest.mark.parametrize("oks, expected", [
    ([True, True], Status.COVERED),
    ([True, False], Status.PARTIAL),
    ([False, False], Status.UNCOVERED),
    ([None], Status.NEEDS_EVIDENCE),
    ([True, None], Status.NEEDS_EVIDENCE),
    ([False, None], Status.UNCOVERED),
    ([], Status.NEEDS_EVIDENCE),
])
def test_status_rule(oks, expected):
    assert status_of(Item("k", "k", "t"), [_v(o) for o in oks]) is expected


def test_a_ceiling_caps_covered_at_partial_and_a_fixed_status_stands():
    capped = Item("k", "k", "t", ceiling=Status.PARTIAL)
    assert status_of(capped, [_v(True)]) is Status.PARTIAL
    assert status_of(capped, [_v(False)]) is Status.UNCOVERED
    fixed = Item("k", "k", "t", fixed=Status.NOT_APPLICABLE, reason="r")
    assert status_of(fixed, []) is Status.NOT_APPLICABLE


# ---------------------------------------------------------------- reports


def test_allow_everything_covers_nothing():
    report = report_for(ALLOW_ALL)
    for r in report.owasp:
        assert r.status in (Status.UNCOVERED, Status.NOT_APPLICABLE), r.item.key
    met = {r.item.key for r in report.all_results() if r.status in (Status.COVERED, Status.PARTIAL)}
    assert met <= HARMLESS
    assert by_key(report)["openclaw-toolkit/allow-all-unrestricted"].status is Status.UNCOVERED


def test_probe_evidence_names_the_deciding_rule_and_its_location(credentials_report):
    cred = by_key(credentials_report)["rampart/credential-protection"]
    assert cred.status is Status.COVERED
    probe = next(e for e in cred.evidence if e["probe"] == "read-ssh-private-key")
    assert probe["decision"] == "deny" and probe["ok"] is True
    assert probe["rule"]["policy"] == "credential-files" and probe["rule"]["rule"] == 1
    lines = Path(CREDENTIALS).read_text().splitlines()
    assert lines[probe["rule"]["line"] - 1].strip().startswith("- action: deny")


def test_failing_probes_make_partial_rows_and_say_what_is_missing(credentials_report):
    results = by_key(credentials_report)
    assert results["rampart/sudo-approval"].status is Status.COVERED
    destructive = results["rampart/destructive-commands"]
    assert destructive.status is Status.UNCOVERED
    assert any("rm-rf-root" in m and "got allow" in m for m in destructive.missing)
    asi03 = results["ASI03"]
    assert asi03.status is Status.PARTIAL and any("iam-admin-grant" in m for m in asi03.missing)


def test_response_probes_judge_the_output_scan_not_the_request(credentials_report):
    # default deny would deny these requests; the policy has no response rule
    scan = by_key(credentials_report)["rampart/response-scanning"]
    assert scan.status is Status.UNCOVERED
    assert {e["side"] for e in scan.evidence} == {"response"}


def test_not_applicable_and_needs_evidence_rows_say_why(credentials_report):
    results = by_key(credentials_report)
    asi07 = results["ASI07"]
    assert asi07.status is Status.NOT_APPLICABLE and asi07.evidence[0]["reason"]
    trust = results["openclaw-toolkit/trust-thresholds"]
    assert trust.status is Status.NOT_APPLICABLE
    user = results["rampart/user-separation"]
    assert user.status is Status.NEEDS_EVIDENCE and "User=" in user.missing[0]


def test_policy_set_properties(credentials_report):
    results = by_key(credentials_report)
    assert results["rampart/default-action"].status is Status.COVERED
    assert results["rampart/policy-reviewed"].status is Status.COVERED  # inline tests pass
    # no notify block: the alert endpoint is deployment-specific, so evidence is absent, not failed
    notify = results["rampart/webhook-notifications"]
    assert notify.status is Status.NEEDS_EVIDENCE and "your alert endpoint" in notify.missing[0]
    assert results["openclaw-toolkit/least-privilege"].status is Status.UNCOVERED  # catch-all allow
    assert results["openclaw-toolkit/escalations-tested"].status is Status.UNCOVERED
    assert results["openclaw-toolkit/performance-tested"].status is Status.COVERED


def test_user_probes_settle_an_item_and_bad_probe_files_are_located(tmp_path):
    probes = tmp_path / "mine.yaml"
    probes.write_text("probes:\n  - id: company-secret\n    call: {tool: read, params: {file_path: /srv/x/.env}}\n"
                      "    expect: deny\n    evidences: [rampart/custom-sensitive-files]\n")
    results = by_key(report_for(CREDENTIALS, probe_files=[str(probes)], checklists=["rampart"]))
    assert results["rampart/custom-sensitive-files"].status is Status.COVERED
    probes.write_text("probes:\n  - id: x\n    call: {tool: read}\n    expect: deny\n    evidences: [ASI99]\n")
    with pytest.raises(DataError, match=r"mine.yaml:5:\d+: unknown item 'ASI99'"):
        report_for(CREDENTIALS, probe_files=[str(probes)])
    probes.write_text("probes:\n  - id: x\n    call: {tool: read}\n    expect: block\n    evidences: [ASI02]\n")
    with pytest.raises(DataError, match=r"mine.yaml:4:13: 'block' does not match"):
        report_for(CREDENTIALS, probe_files=[str(probes)])


# ------------------------------------------------------------- deployment

UNIT = """[Unit]
Description=Rampart

[Service]
User=rampart-svc
Environment=RAMPART_NO_PROJECT_POLICY=1
ExecStart=/usr/local/bin/rampart serve \\
  --config /etc/rampart/standard.yaml \\
  --audit-dir /var/lib/rampart/audit --cef
Restart=always
"""


def test_deployment_artifacts_verify_operational_items(tmp_path):
    unit = tmp_path / "rampart.service"
    unit.write_text(UNIT)
    agent = tmp_path / "agent.service"
    agent.write_text("[Service]\nExecStart=/usr/bin/claude\n")
    sudoers = tmp_path / "agent-sudoers"
    sudoers.write_text("agent ALL=(ALL) NOPASSWD: /usr/bin/apt, /bin/systemctl\n")
    results = by_key(report_for(CREDENTIALS, checklists=["rampart"],
                                deployments=[str(unit), str(agent), str(sudoers)]))
    for key in ("user-separation", "auto-restart", "siem-export", "audit-dir-protected", "service-monitoring",
                "project-policy-untrusted", "sudo-restricted"):
        assert results[f"rampart/{key}"].status is Status.COVERED, key
    restart = results["rampart/auto-restart"].evidence[0]
    assert (restart["artifact"], restart["line"]) == (str(unit), 10)
    siem = results["rampart/siem-export"].evidence[0]
    assert siem["line"] == 7  # the ExecStart line that starts the continuation
    agent_row = results["rampart/agent-non-root"]
    assert agent_row.status is Status.UNCOVERED and "no User=" in agent_row.missing[0]
    assert results["rampart/audit-verification"].status is Status.NEEDS_EVIDENCE


def test_weak_deployments_are_uncovered(tmp_path):
    unit = tmp_path / "rampart.service"
    unit.write_text("[Service]\nUser=root\nExecStart=/usr/bin/rampart serve --audit-dir /home/dev/audit\n"
                    "Restart=on-failure\n")
    sudoers = tmp_path / "sudoers"
    sudoers.write_text("agent ALL=(ALL) NOPASSWD: ALL\n")
    cron = tmp_path / "crontab"
    cron.write_text("0 3 * * * /usr/local/bin/rampart audit verify\n")
    arts = read_artifacts([str(unit), str(sudoers), str(cron)])
    assert arts.kinds == {str(unit): "systemd", str(sudoers): "sudoers", str(cron): "crontab"}
    for check in ("rampart-service-user", "restart-always", "siem-export", "audit-dir-protected", "sudo-restricted",
                  "no-project-policy-env"):
        assert CHECKS[check](arts).ok is False, check
    assert CHECKS["audit-verify-scheduled"](arts).ok is True


def test_toolrampart_config_and_kind_detection(tmp_path):
    toml = tmp_path / "toolrampart.toml"
    toml.write_text('[auth]\nrequired = true\n[execution]\ntimeout_seconds = 10\nmax_retries = 5\n'
                    '[storage]\nstorage_url = "sqlite:///audit.db"\n')
    arts = read_artifacts([str(toml)])
    assert CHECKS["toolrampart-auth-required"](arts).ok is True
    assert CHECKS["toolrampart-short-timeout"](arts).ok is True
    assert CHECKS["toolrampart-low-retries"](arts).ok is False
    assert CHECKS["toolrampart-durable-storage"](arts).ok is False
    assert CHECKS["siem-export"](arts).ok is None  # no artifact can settle it: never covered
    assert detect_kind("run.sh", "#!/bin/sh\nexec rampart serve --syslog localhost:514\n") == "script"
    assert detect_kind("rampart.env", "RAMPART_NO_PROJECT_POLICY=1\n") == "env"


# -------------------------------------------------------------- renderers


def test_html_is_self_contained_and_escapes_text(tmp_path):
    policy = tmp_path / "p.yaml"
    policy.write_text('version: "1"\npolicies:\n  - name: "<script>alert(1)</script>"\n    rules:\n'
                      '      - action: deny\n        when: {default: true}\n')
    page = html_page(report_for(str(policy), checklists=["rampart"]))
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<link" not in page


def test_markdown_has_a_summary_and_one_row_per_item(credentials_report):
    text = markdown(credentials_report)
    assert text.startswith("## policyc coverage")
    assert "| ASI02 Tool Misuse and Exploitation | 🟡 partial |" in text
    rows = [ln for ln in text.splitlines() if ln.startswith("| ") and " | " in ln]
    assert len(rows) >= len(credentials_report.all_results())


# -------------------------------------------------------------------- CLI


def test_cli_json_document_shape(tmp_path):
    out = tmp_path / "report.json"
    result = CliRunner().invoke(main, ["coverage", CREDENTIALS, "--checklist", "rampart", "--format", "json",
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert set(doc) >= {"owasp", "checklists", "summary"}
    assert doc["owasp"][0]["id"] == "ASI01" and {"status", "evidence", "missing"} <= set(doc["owasp"][0])
    assert [c["id"] for c in doc["checklists"]] == ["rampart"]
    assert {"id", "text", "status", "evidence"} <= set(doc["checklists"][0]["items"][0])
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left


def test_cli_exit_codes(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["coverage", ALLOW_ALL, "--format", "markdown", "--fail-under", "0.5"]).exit_code == 1
    assert runner.invoke(main, ["coverage", ALLOW_ALL, "--checklist", "nope"]).exit_code == 2
    missing = runner.invoke(main, ["coverage", ALLOW_ALL, "--deployment", str(tmp_path / "absent.service")])
    assert missing.exit_code == 2 and "Traceback" not in missing.output
    text = runner.invoke(main, ["coverage", ALLOW_ALL, "--checklist", "toolrampart"])
    assert text.exit_code == 0 and "ASI02" in text.output and "score" in text.output


@needs_corpora
def test_every_shipped_rampart_policy_gets_a_report():
    policies = sorted((CORPORA / "rampart" / "policies").glob("*.yaml"))
    assert policies
    for path in policies:
        loaded = load_policy_set([str(path)])
        report = build_report(loaded, {str(path): path.read_bytes()}, checklists=["rampart"])
        statuses = {r.item.key: r.status for r in report.all_results()}
        if path.name == "yolo.yaml":  # default allow, watch everything
            assert all(s in (Status.UNCOVERED, Status.NOT_APPLICABLE) for k, s in statuses.items()
                       if k.startswith("ASI"))
        if path.name == "paranoid.yaml":  # allows writing **/*.yaml, so .rampart/policy.yaml too
            assert statuses["rampart/policy-self-protection"] is Status.PARTIAL
