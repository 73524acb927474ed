"""ToolRampart's shipped examples, configs and documentation snippets, read by policyc.

``../shared/corpora/toolrampart`` holds ToolRampart 0.2.0's six decorated
example modules (plus ``mcp_client_usage.py``, which defines no tool), its
two configs and its docs. Everything loads; ``check_paths`` reports the
real traps, pinned below by code, file and line.

Examples judged correct, on which no check may fire:

* ``read_only_sql_tool.py``: read-only, idempotent, scoped, rate limited;
  its custom policy reads only the arguments;
* ``isolated_long_job.py``: idempotent, isolated, 10 s timeout;
* ``crm_update_tool.py``: writes, but idempotent and always approved;
* ``mcp_client_usage.py``: no tool.

The traps found in the others: ``refund_tool.py`` moves money without being
idempotent (PC611; its approval above 500 is fine, ``amount`` is a required
float); ``github_issue_tool.py`` writes to GitHub without approval (PC610)
and is not idempotent (PC611); ``destructive_admin_tool.py`` trusts
``ctx.metadata`` for break-glass (PC616), is not idempotent (PC611) and is
served beside the read-only SQL tool (PC614). Both configs leave auth off
(PC615) and set a ``retention_days`` nothing reads (PC620); the dev config
has a plaintext key (PC617).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from policyc.dialects.toolrampart import check_paths, decide, load_paths

from .conftest import CORPORA, needs_corpora

ROOT = CORPORA / "toolrampart"
EXAMPLES = ROOT / "examples"

EXPECTED_EXAMPLE_FINDINGS = [
    ("PC616", "destructive_admin_tool.py", 15),
    ("PC611", "destructive_admin_tool.py", 16),
    ("PC614", "destructive_admin_tool.py", 16),
    ("PC611", "github_issue_tool.py", 14),
    ("PC610", "github_issue_tool.py", 15),
    ("PC611", "refund_tool.py", 9),
    ("PC615", "toolrampart.compose.toml", 2),
    ("PC620", "toolrampart.compose.toml", 12),
    ("PC615", "toolrampart.toml", 2),
    ("PC617", "toolrampart.toml", 6),
    ("PC620", "toolrampart.toml", 17),
]
CORRECT_EXAMPLES = ["read_only_sql_tool.py", "isolated_long_job.py", "crm_update_tool.py", "mcp_client_usage.py"]


@needs_corpora
def test_examples_load_and_report_the_real_traps() -> None:
    result = load_paths([str(EXAMPLES)])
    assert result.diagnostics == []
    assert len(result.modules) == 7 and len(result.configs) == 2
    assert sorted(t.name for t in result.tools) == [
        "create_github_issue", "delete_account", "rebuild_search_index", "refund_user", "run_read_only_query",
        "update_contact"]
    found = [(d.code, Path(d.span.path).name, d.span.line) for d in check_paths([str(EXAMPLES)])]
    assert found == EXPECTED_EXAMPLE_FINDINGS


@needs_corpora
@pytest.mark.parametrize("name", CORRECT_EXAMPLES)
def test_no_false_alarm_on_correct_examples(name: str) -> None:
    assert check_paths([str(EXAMPLES / name)]) == []


@needs_corpora
def test_example_models() -> None:
    """What the registrations hold, as ``ToolDefinition.from_function`` would."""
    tools = {t.name: t for t in load_paths([str(EXAMPLES)]).tools}
    refund = tools["refund_user"]
    assert refund.scope == "billing.refund" and refund.rate_limit.expression == "10/hour/user"
    assert [(c.op, c.field, c.threshold.value) for c in refund.approval.conditions] == [("over", "amount", 500)]
    assert refund.redact == {"email", "phone", "api_key"}
    assert refund.side_effects.money_movement is True and refund.side_effects.idempotent is False
    job = tools["rebuild_search_index"]
    assert job.isolated and job.timeout == 10
    assert tools["update_contact"].approval.always
    assert [p.name for p in tools["run_read_only_query"].policies] == ["_is_select_only"]
    assert tools["delete_account"].policies[0].reads_metadata


@needs_corpora
def test_example_decisions() -> None:
    result = load_paths([str(EXAMPLES)])
    call = {"tool": "refund_user", "arguments": {"user_id": "u_123", "amount": 100, "reason": "duplicate charge"},
            "actor": "support-agent", "scopes": ["billing.refund"]}
    assert decide(result, call).status == "success"
    assert decide(result, {**call, "arguments": {**call["arguments"], "amount": 501}}).message == "amount exceeds 500"
    assert decide(result, {**call, "scopes": []}).status == "denied"
    assert decide(result, {"tool": "run_read_only_query", "arguments": {"query": "select 1"},
                           "scopes": ["database.*"]}).status == "unknown"  # its @policy decides
    assert decide(result, {"tool": "run_read_only_query", "arguments": {"query": "select 1"}}).status == "denied"


def _snippets(language: str) -> list[tuple[str, int, str]]:
    out = []
    for page in sorted((ROOT / "docs").rglob("*.md")):
        text = page.read_text("utf-8")
        for match in re.finditer(rf"```{language}\n(.*?)```", text, re.S):
            out.append((str(page.relative_to(ROOT)), text[:match.start()].count("\n") + 1, match.group(1)))
    return out


@needs_corpora
def test_docs_python_snippets_load(tmp_path: Path) -> None:
    """Every ```python block of ToolRampart's docs loads; the decorated ones
    give the findings pinned here (the concept pages decorate functions
    without ``@tool``: PC621)."""
    snippets = _snippets("python")
    assert len(snippets) >= 7
    findings = {}
    for i, (page, line, code) in enumerate(snippets):
        path = tmp_path / f"snippet_{i}.py"
        path.write_text(code, "utf-8")
        result = load_paths([str(path)])
        assert result.diagnostics == [], (page, line, result.diagnostics)
        found = sorted({d.code for d in check_paths([str(path)])})
        if found or result.tools:
            findings[f"{page}:{line}"] = (sorted(str(t.name) for t in result.tools), found)
    assert findings == {
        "docs/concepts/approvals.md:5": (["refund_user"], []),
        "docs/concepts/isolation.md:5": (["run_report"], []),
        "docs/concepts/policies.md:5": ([], ["PC621"]),
        "docs/concepts/policies.md:37": ([], ["PC621"]),
        "docs/quickstart.md:5": (["refund_user"], ["PC611"]),
    }


@needs_corpora
def test_docs_toml_snippet_loads(tmp_path: Path) -> None:
    (page, line, text) = _snippets("toml")[0]
    path = tmp_path / "toolrampart.toml"
    path.write_text(text, "utf-8")
    found = [(d.code, d.span.line) for d in check_paths([str(path)])]
    assert found == [("PC617", 6), ("PC619", 16), ("PC620", 17)], (page, line)


def test_modules_are_never_imported(tmp_path: Path) -> None:
    """A tool module whose import would fail loudly is read fine: policyc
    parses, it does not import."""
    marker = tmp_path / "imported.txt"
    path = tmp_path / "loud.py"
    path.write_text(
        "import nonexistent_module_policyc_must_not_import\n"
        f"open({str(marker)!r}, 'w').write('imported')\n"
        "raise SystemExit('importing this module is forbidden')\n\n"
        "from toolrampart import scope, tool\n\n\n"
        "@tool\n@scope('ops.restart')\ndef restart(service: str) -> dict:\n    return {}\n", "utf-8")
    before = set(sys.modules)
    result = load_paths([str(path)])
    assert [t.name for t in result.tools] == ["restart"]
    assert decide(result, {"tool": "restart", "arguments": {"service": "api"}, "scopes": ["ops.*"]}).status == "success"
    assert not marker.exists()
    assert not any("toolrampart" in m or "nonexistent" in m or m == "loud" for m in set(sys.modules) - before)


def test_policyc_never_imports_toolrampart() -> None:
    """No module of the dialect imports ``toolrampart`` (checked in a fresh
    interpreter that has a booby-trapped ``toolrampart`` on its path)."""
    code = (
        "import sys, types, os, tempfile\n"
        "d = tempfile.mkdtemp(); os.makedirs(os.path.join(d, 'toolrampart'))\n"
        "open(os.path.join(d, 'toolrampart', '__init__.py'), 'w').write('raise SystemExit(42)')\n"
        "sys.path.insert(0, d)\n"
        "import policyc.dialects.toolrampart as t\n"
        "from policyc.dialects.toolrampart import checks, evaluate, rest, loader\n"
        "t.check_paths([sys.argv[1]])\n"
        "assert 'toolrampart' not in sys.modules\n"
        "print('ok')\n")
    target = str(EXAMPLES) if EXAMPLES.is_dir() else os.path.dirname(__file__)
    done = subprocess.run([sys.executable, "-c", code, target], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
