"""The dialect registry (policyc/dialects/registry.py): which dialect reads a
file, and `policyc check` / `--only-policies` / the other commands on files
of another dialect."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from policyc.cli import main
from policyc.dialects import openclaw
from policyc.dialects.registry import dialect_of, partition

AGENT = "agent: support\npermissions:\n  allow: [\"read:*\"]\n  deny: [\"delete:*\"]\n"
RAMPART = 'version: "1"\npolicies:\n  - name: p\n    rules: [{action: deny, when: {command_matches: ["rm *"]}}]\n'


def _write(directory: Path, files: dict[str, str]) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    return [str(directory / name) for name in files]


def test_files_are_told_apart_by_their_top_level_keys(tmp_path):
    agent, rampart, compose = _write(tmp_path, {"a.yaml": AGENT, "b.yaml": RAMPART,
                                                "compose.yaml": "services: {web: {image: x}}\n"})
    assert dialect_of(agent) is openclaw and dialect_of(rampart) is None and dialect_of(compose) is None
    assert partition([rampart, agent, compose]) == ([rampart, compose], {"openclaw-toolkit": [agent]})
    # A key only Rampart files have wins: a Rampart policy scoped to an agent stays Rampart's.
    (mixed,) = _write(tmp_path / "m", {"m.yaml": "agent: x\n" + RAMPART})
    assert dialect_of(mixed) is None


def test_a_file_without_a_mapping_goes_with_its_directory(tmp_path):
    """An empty or broken file in a directory of toolkit policies is the
    toolkit's (its engine fails the whole directory's load on it); anywhere
    else, Rampart's."""
    toolkit = _write(tmp_path / "agents", {"a.yaml": AGENT, "empty.yaml": "# nothing yet\n", "bad.yaml": "[\n"})
    assert [dialect_of(p) for p in toolkit] == [openclaw, openclaw, openclaw]
    elsewhere = _write(tmp_path / "rampart", {"b.yaml": RAMPART, "empty.yaml": ""})
    assert [dialect_of(p) for p in elsewhere] == [None, None]
    alone = _write(tmp_path / "alone", {"empty.yaml": ""})
    assert dialect_of(alone[0]) is None


def test_check_reads_each_file_as_its_dialect(tmp_path):
    _write(tmp_path, {"a.yaml": AGENT.replace('["read:*"]', '["read:*", "write:*data*"]'), "b.yaml": RAMPART})
    result = CliRunner().invoke(main, ["check", "--no-config", "--format", "json", str(tmp_path)])
    document = json.loads(result.stdout)
    assert document["summary"]["files"] == 2
    assert {(Path(d["path"]).name, d["code"]) for d in document["diagnostics"]} == {("a.yaml", "PC511")}
    assert result.exit_code == 0  # PC511 is a warning


def test_only_policies_keeps_files_of_every_dialect(tmp_path):
    agent, other = _write(tmp_path, {"a.yaml": AGENT, ".pre-commit-config.yaml": "repos: []\n"})
    result = CliRunner().invoke(main, ["check", "--no-config", "--only-policies", "--verbose", agent, other])
    assert "skipped" in result.stderr and ".pre-commit-config.yaml" in result.stderr
    assert "checked 1 file" in result.stdout


def test_test_skips_policies_of_another_dialect_and_bench_refuses_them(tmp_path):
    """A toolkit agent policy holds no test cases (a suite file does): `test`
    says so on stderr and runs nothing; `bench` scores Rampart policies only."""
    (agent,) = _write(tmp_path, {"a.yaml": AGENT})
    result = CliRunner().invoke(main, ["test", agent])
    assert result.exit_code == 0 and result.stdout == "0 passed, 0 failed\n"
    assert "1 openclaw-toolkit file(s) skipped: they hold no test cases of their own" in result.stderr
    corpus = tmp_path / "corpus.json"
    corpus.write_text('{"version": "1", "cases": []}')
    result = CliRunner().invoke(main, ["bench", agent, "--corpus", str(corpus)])
    assert result.exit_code == 2 and "bench scores Rampart policies" in result.output


def test_coverage_of_toolkit_policies_reads_the_files(tmp_path):
    (agent,) = _write(tmp_path, {"a.yaml": AGENT})
    result = CliRunner().invoke(main, ["coverage", "--format", "json", agent])
    document = json.loads(result.stdout)
    assert result.exit_code == 0 and document["context"]["dialect"] == "openclaw-toolkit"
    assert [c["id"] for c in document["checklists"]] == ["openclaw-toolkit"]
    for args in (["--probes", agent], ["--project", agent], ["--checklist", "rampart"]):
        assert CliRunner().invoke(main, ["coverage", *args, agent]).exit_code == 2, args


REFUND = ("from toolrampart import require_approval, scope, tool\n\n\n@tool\n@scope(\"billing.refund\")\n"
          "@require_approval(over_amount=500)\ndef refund(user_id: str, amount: float) -> dict:\n    return {}\n")


def test_toolrampart_tools_compile_decide_and_diff(tmp_path):
    """compile, eval (both engines, the same lines) and diff on ToolRampart
    modules; a module ToolRampart could not import is refused."""
    (module,) = _write(tmp_path / "v1", {"tools.py": REFUND})
    bundle = tmp_path / "b.json"
    result = CliRunner().invoke(main, ["compile", module, "-o", str(bundle)])
    assert result.exit_code == 0 and "1 tools" in result.stderr
    calls = "\n".join(json.dumps(c) for c in [
        {"tool": "refund", "arguments": {"user_id": "u", "amount": 900}, "scopes": ["billing.refund"]},
        {"tool": "refund", "arguments": {"user_id": "u", "amount": 9}, "scopes": ["billing.*"]},
        {"tool": "refund", "arguments": {"user_id": "u", "amount": 9}, "scopes": []},
        {"tool": "refund", "arguments": {"user_id": "u"}, "scopes": ["*"]}]) + "\n"
    lines = [CliRunner().invoke(main, ["eval", *args], input=calls).stdout
             for args in ([str(bundle)], [module], ["--engine", "reference", module])]
    assert lines[0] == lines[1] == lines[2]
    assert [(d["action"], d["status"]) for d in map(json.loads, lines[0].splitlines())] == [
        ("ask", "requires_approval"), ("allow", "success"), ("deny", "denied"), ("deny", "validation_error")]
    (weaker,) = _write(tmp_path / "v2", {"tools.py": REFUND.replace("@require_approval(over_amount=500)\n", "")})
    result = CliRunner().invoke(main, ["diff", "--fail-on-weaker", "--format", "json", module, weaker])
    assert result.exit_code == 1
    (change,) = json.loads(result.stdout)["changes"]
    assert (change["old"]["status"], change["new"]["status"], change["weaker"]) == \
        ("requires_approval", "success", True)
    (broken,) = _write(tmp_path / "v3", {"tools.py": "from toolrampart import tool\n\n@tool(\n"})
    result = CliRunner().invoke(main, ["compile", broken, "-o", str(tmp_path / "c.json")])
    assert result.exit_code == 1 and "PC60" in result.output and not (tmp_path / "c.json").exists()


def test_compile_refuses_mixed_dialects(tmp_path):
    files = _write(tmp_path, {"a.yaml": AGENT, "b.yaml": RAMPART})
    bundle = tmp_path / "out.json"
    result = CliRunner().invoke(main, ["compile", *files, "-o", str(bundle)])
    assert result.exit_code == 2 and "openclaw-toolkit, rampart" in result.output and not bundle.exists()


def test_eval_decides_toolkit_calls_with_either_engine(tmp_path):
    (agent,) = _write(tmp_path, {"a.yaml": AGENT})
    calls = "\n".join(['{"agent": "support", "action": "read:x"}', '{"agent": "support", "action": "delete:x"}',
                       '{"agent": "other", "action": "read:x"}', '{"agent": "support"}']) + "\n"
    result = CliRunner().invoke(main, ["eval", "--engine", "reference", str(tmp_path)], input=calls)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(d["action"], d["line"]) for d in lines] == [("allow", 1), ("deny", 2), ("deny", 3), ("deny", 4)]
    assert lines[1]["message"] == "Action explicitly denied by policy rule: delete:*"
    assert lines[2]["message"] == "No policy found for agent: other"
    assert lines[3]["error"].startswith("the engine throws: ")
    compiled = CliRunner().invoke(main, ["eval", str(tmp_path)], input=calls)  # the bundle engine
    assert compiled.exit_code == 0 and compiled.stdout == result.stdout


TOOL = ("from toolrampart import scope, side_effects, tool\n\n\n@scope(\"billing.refund\")\n@tool\n"
        "@side_effects(money_movement=True)\ndef refund(amount: float) -> dict:\n    return {}\n")


def test_toolrampart_modules_are_found_by_name_and_in_directories_by_their_text(tmp_path):
    """A `.py` named on the command line is a ToolRampart module; in a
    directory only modules that mention toolrampart are read (and
    `toolrampart.toml` by its name), so unrelated Python code is left alone."""
    tool, unrelated, config = _write(tmp_path, {"refund.py": TOOL, "setup.py": "import setuptools\n(",
                                                "toolrampart.toml": "[auth]\nrequired = true\n"})
    assert partition([tool, config]) == ([], {"toolrampart": [tool, config]})
    result = CliRunner().invoke(main, ["check", "--no-config", "--format", "json", str(tmp_path)])
    document = json.loads(result.stdout)
    assert document["summary"]["files"] == 2  # refund.py and toolrampart.toml; setup.py is not read
    assert ("refund.py", "PC606") in {(Path(d["path"]).name, d["code"]) for d in document["diagnostics"]}
    assert result.exit_code == 1
