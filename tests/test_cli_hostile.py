"""Hostile input to the command line: no crash, no fail-open, nothing
destroyed. Output paths (compile/coverage -o), suites naming files outside
their tree, the pre-commit hooks' file selection, and the small promises of
every command (exit codes, no files, duplicates, rule numbers, broken pipes,
long lines)."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from rich.console import Console

from policyc.atomicfile import CLEANUP_SIGNALS, OutputError, output_target, write_atomic
from policyc.cli import EXIT_BROKEN_PIPE, main
from policyc.diagnostics.render import SNIPPET_WIDTH, print_text, snippet
from policyc.loader import load_policy_set
from policyc.recognise import is_policy_file
from policyc.testing import run_file, suite_root

from .conftest import CORPORA, REPO, corpora_files, needs_corpora

POLICY = textwrap.dedent("""\
    version: "1"
    default_action: deny
    policies:
      - name: git
        match: {tool: exec}
        rules:
          - action: ask
            when: {command_matches: ["git push*"]}
          - action: allow
            when: {command_matches: ["git *"]}
    tests:
      - {name: status, tool: exec, params: {command: "git status"}, expect: allow}
""")
CASE = "tests:\n  - {name: t, tool: exec, params: {command: ls}, expect: deny}\n"
SECRET = "aws_secret_access_key = SECRET-MARKER-1234\n[default\n"


def run(*args: str, **kwargs):
    return CliRunner().invoke(main, list(args), **kwargs)


@pytest.fixture()
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY)
    return path


# ------------------------------------------------------------- output paths


def test_output_equal_to_its_input_is_refused_and_the_policy_kept(policy: Path):
    result = run("compile", str(policy), "-o", str(policy))
    assert result.exit_code == 2
    assert policy.read_text() == POLICY
    assert f"error: {policy.resolve()}: the output is the input" in result.output


@pytest.mark.parametrize("how", ["symlink", "hardlink", "directory", "dotted"])
def test_output_reaching_an_input_another_way_is_refused(tmp_path: Path, policy: Path, how: str):
    source, out = str(policy), tmp_path / "out.json"
    if how == "symlink":
        out.symlink_to(policy)
    elif how == "hardlink":
        os.link(policy, out)
    elif how == "directory":
        source, out = str(tmp_path), policy
    else:
        out = tmp_path / "." / ".." / tmp_path.name / "p.yaml"
    result = run("compile", source, "-o", str(out))
    assert result.exit_code == 2, result.output
    assert "the output is the input" in result.output and str(policy.resolve()) in result.output
    assert policy.read_text() == POLICY


def test_coverage_output_onto_a_deployment_input_is_refused(tmp_path: Path, policy: Path):
    unit = tmp_path / "rampart.service"
    unit.write_text("[Service]\nExecStart=/usr/local/bin/rampart serve\n")
    result = run("coverage", str(policy), "--deployment", str(unit), "--format", "json", "-o", str(unit))
    assert result.exit_code == 2 and "the output is the input" in result.output
    assert unit.read_text().startswith("[Service]")


@pytest.mark.parametrize("command", [["compile"], ["coverage", "--format", "json"]])
def test_device_and_fifo_outputs_are_refused(tmp_path: Path, policy: Path, command):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for out, kind in (("/dev/null", "a character device"), (str(fifo), "a FIFO")):
        result = run(*command, str(policy), "-o", out)
        assert result.exit_code == 2, result.output
        assert f"the output is {kind}" in result.output and "`-o -`" in result.output
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_dash_writes_the_bundle_to_standard_output(tmp_path: Path, policy: Path):
    out = tmp_path / "b.json"
    assert run("compile", str(policy), "-o", str(out)).exit_code == 0
    result = CliRunner().invoke(main, ["compile", str(policy), "-o", "-"])
    assert result.exit_code == 0
    assert result.stdout_bytes == out.read_bytes()
    assert not (tmp_path / "-").exists()
    report = run("coverage", str(policy), "--format", "json", "-o", "-")
    assert report.exit_code == 0 and json.loads(report.stdout)["summary"]


def test_symlink_to_a_regular_file_writes_the_target_and_keeps_link_and_mode(tmp_path: Path, policy: Path):
    real = tmp_path / "real" / "bundle.json"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "bundle.json"
    link.symlink_to(real)
    result = run("compile", str(policy), "-o", str(link))
    assert result.exit_code == 0, result.output
    assert f"wrote {real}" in result.output
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert json.loads(real.read_text())["format"] == "policyc-bundle"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


@pytest.mark.parametrize("target", ["missing", "directory"])
def test_symlink_to_anything_but_a_regular_file_is_refused(tmp_path: Path, policy: Path, target: str):
    link = tmp_path / "out.json"
    aim = tmp_path / target
    if target == "directory":
        aim.mkdir()
    link.symlink_to(aim)
    result = run("compile", str(policy), "-o", str(link))
    assert result.exit_code == 2
    assert (str(aim) in result.output) if target == "missing" else ("is a directory" in result.output)
    assert link.is_symlink() and not aim.is_file()


def test_read_only_output_is_refused_even_for_root(tmp_path: Path, policy: Path):
    out = tmp_path / "b.json"
    out.write_text("keep")
    out.chmod(0o444)
    result = run("compile", str(policy), "-o", str(out))
    assert result.exit_code == 2
    assert f"{out}: the output is read-only (mode 0444)" in result.output
    assert out.read_text() == "keep"


def test_missing_output_directory_is_exit_2(tmp_path: Path, policy: Path):
    result = run("compile", str(policy), "-o", str(tmp_path / "nowhere" / "b.json"))
    assert result.exit_code == 2 and "does not exist" in result.output and "Traceback" not in result.output


def test_new_file_follows_the_umask_and_an_old_one_keeps_its_mode(tmp_path: Path):
    old = os.umask(0o077)
    try:
        write_atomic(tmp_path / "new.json", b"{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o600
    kept = tmp_path / "kept.json"
    kept.write_text("x")
    kept.chmod(0o604)
    assert write_atomic(kept, b"{}") == str(kept.resolve())
    assert stat.S_IMODE(kept.stat().st_mode) == 0o604


def test_refusals_are_os_errors_naming_the_real_path(tmp_path: Path):
    link = tmp_path / "link"
    link.symlink_to("/dev/null")
    with pytest.raises(OutputError) as info:
        output_target(link)
    assert isinstance(info.value, OSError) and info.value.filename == "/dev/null"
    assert "symbolic link" in info.value.strerror


def test_temporary_file_is_recognisable_and_beside_the_target(tmp_path: Path, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(src)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_atomic(tmp_path / "bundle.json", b"{}")
    [tmp] = seen
    assert os.path.dirname(tmp) == str(tmp_path)
    assert re.fullmatch(r"\.policyc-bundle\.json\..+\.tmp", os.path.basename(tmp))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle.json"]


def test_signal_handlers_are_installed_only_while_writing(tmp_path: Path, monkeypatch):
    before = {s: signal.getsignal(s) for s in CLEANUP_SIGNALS}
    during = {}
    real_fsync = os.fsync

    def spy(fd):
        during.update({s: signal.getsignal(s) for s in CLEANUP_SIGNALS})
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    write_atomic(tmp_path / "b.json", b"{}")
    assert during and all(during[s] is not before[s] for s in CLEANUP_SIGNALS if before[s] != signal.SIG_IGN)
    assert {s: signal.getsignal(s) for s in CLEANUP_SIGNALS} == before


_INTERRUPTED_WRITE = """
import os, signal, sys
sys.path.insert(0, {repo!r})
from policyc.atomicfile import write_atomic
signum = getattr(signal, {name!r})
real = os.fsync
def fsync(fd):
    os.kill(os.getpid(), signum)  # arrives in the middle of the write
    real(fd)
os.fsync = fsync
write_atomic({target!r}, b"new" * 100000)
print("not reached")
"""


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT", "SIGHUP"])
def test_a_signal_during_the_write_removes_the_temporary_file(tmp_path: Path, name: str):
    target = tmp_path / "bundle.json"
    target.write_text("old")
    script = _INTERRUPTED_WRITE.format(repo=str(REPO), name=name, target=str(target))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    signum = getattr(signal, name)
    if name == "SIGINT":  # Python's own handler: KeyboardInterrupt, then the exit by SIGINT
        assert proc.returncode in (1, -signum) and "KeyboardInterrupt" in proc.stderr
    else:
        assert proc.returncode == -signum, proc.stderr
    assert "not reached" not in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle.json"]
    assert target.read_text() == "old"


# ------------------------------------------------------ suites and their policy


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A checkout (with .git) holding suites, beside a secret outside it."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "policies").mkdir()
    (root / "policies" / "p.yaml").write_text(POLICY)
    (root / "tests").mkdir()
    (tmp_path / "secret.yaml").write_text(SECRET)
    return root


@pytest.mark.parametrize("named", ["{secret}", "../../secret.yaml", "~/secret.yaml", "link.yaml",
                                   "{missing}"])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_suite_policy_outside_the_tree_is_refused_unread(repo: Path, named: str, fmt: str):
    secret = repo.parent / "secret.yaml"
    (repo / "tests" / "link.yaml").symlink_to(secret)
    named = named.format(secret=secret, missing=repo.parent / "absent.yaml")
    suite = repo / "tests" / "suite.yaml"
    suite.write_text(f"policy: {named}\n{CASE}")
    result = run("test", "--format", fmt, str(suite), env={"HOME": str(repo.parent)})
    assert result.exit_code == 1
    assert "SECRET-MARKER" not in result.output and "aws_secret" not in result.output
    expected = f"resolves outside {repo}; refusing to read it"
    if fmt == "json":
        [diag] = json.loads(result.stdout)["diagnostics"]
        assert (diag["code"], diag["line"], diag["column"]) == ("PC021", 1, 9)
        assert expected in diag["message"]
    else:
        assert f"{suite}:1:9" in result.output and expected in result.output
        assert "not found" not in result.output  # the same answer whether it exists or not


def test_suite_policy_inside_the_checkout_runs_like_the_rampart_layout(repo: Path):
    suite = repo / "tests" / "suite.yaml"
    suite.write_text("policy: ../policies/p.yaml\n" + CASE)
    result = run("test", "--format", "json", str(suite))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["passed"] == 1
    assert suite_root(str(suite)) == str(repo)


def test_root_option_widens_and_narrows_the_tree(repo: Path):
    suite = repo / "tests" / "suite.yaml"
    suite.write_text("policy: ../policies/p.yaml\n" + CASE)
    narrow = run("test", "--root", str(repo / "tests"), str(suite))
    assert narrow.exit_code == 1 and "resolves outside" in narrow.output
    outside = repo.parent / "elsewhere" / "suite.yaml"
    outside.parent.mkdir()
    outside.write_text("policy: ../repo/policies/p.yaml\n" + CASE)
    assert suite_root(str(outside)) == str(outside.parent)  # in no checkout: its own directory
    assert run("test", str(outside)).exit_code == 1
    assert run("test", "--root", str(repo.parent), str(outside)).exit_code == 0


def test_run_file_without_a_root_is_for_trusted_callers(repo: Path):
    suite = repo / "tests" / "suite.yaml"
    suite.write_text(f"policy: {repo / 'policies' / 'p.yaml'}\n{CASE}")
    assert run_file(str(suite)).cases
    refused = run_file(str(suite), root=str(repo / "tests"))
    assert not refused.cases and refused.diagnostics[0].code == "PC021"


def test_renderer_withholds_lines_of_files_it_was_not_meant_to_show(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text('version: "1"\npolicies:\n  - name: SECRET-MARKER\n    rulez: []\n')
    loaded = load_policy_set([str(bad)])
    console = Console(file=io.StringIO(), width=200)
    print_text(console, loaded.diagnostics, 1, show_source=lambda path: False)
    text = console.file.getvalue()
    assert f"{bad}:4:5" in text and "rulez: []" not in text


# ---------------------------------------------------------- pre-commit hooks


def _hooks() -> list[dict]:
    return yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())


@pytest.mark.parametrize("path", [
    ".rampart/policy.yaml", "policies/standard.yaml", "policies/community/docker.yaml",
    "config/team.rampart.yaml", "rampart.yml", "examples/rampart-tests.yaml",
    "home/.rampart/policies/custom.yaml"])
def test_hooks_select_rampart_policy_locations(path: str):
    for hook in _hooks():
        assert re.search(hook["files"], path), (hook["id"], path)


@pytest.mark.parametrize("path", [
    ".pre-commit-config.yaml", ".pre-commit-hooks.yaml", ".github/workflows/ci.yml", "docker-compose.yml",
    "compose.yaml", "deploy/k8s/service.yaml", "mkdocs.yml"])
def test_hooks_pass_over_other_yaml(path: str):
    for hook in _hooks():
        assert not re.search(hook["files"], path), (hook["id"], path)
        assert "--only-policies" in hook["entry"].split()


OTHER_YAML = {
    ".pre-commit-config.yaml": "repos:\n  - repo: https://example.org/policyc\n    rev: v1\n    hooks:\n"
                               "      - id: policyc-check\n",
    "ci.yml": "name: CI\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps: [{run: make}]\n",
    "compose.yaml": "version: '3.8'\nservices:\n  web: {image: nginx}\n",
    "playbook.yml": "- hosts: all\n  tasks: []\n",
}


@pytest.mark.parametrize("command", ["check", "test"])
def test_only_policies_skips_other_yaml(tmp_path: Path, command: str):
    for name, text in OTHER_YAML.items():
        (tmp_path / name).write_text(text)
    result = run(command, "--only-policies", "-v", *(str(tmp_path / n) for n in OTHER_YAML))
    assert result.exit_code == 0, result.output
    assert "no policy files found" in result.stderr
    assert all(f"skipped {tmp_path / n}" in result.stderr for n in OTHER_YAML)
    without = run("check", str(tmp_path / ".pre-commit-config.yaml"))
    assert without.exit_code == 1 and "PC007" in without.output  # the flag is what keeps them apart


@pytest.mark.parametrize(("text", "code"), [
    ('version: "1"\npolices: []\n', "PC007"),  # a typo is still a policy
    ("", "PC025"),  # a truncated write
    ('version: "1"\npolicies: [\n', "PC001"),  # broken YAML
    ("versi", "PC008"),  # a bare scalar: maybe truncated too
])
def test_only_policies_never_skips_a_broken_policy(tmp_path: Path, text: str, code: str):
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    assert is_policy_file(str(path))
    result = run("check", "--only-policies", "--format", "json", str(path))
    assert result.exit_code == 1
    assert code in {d["code"] for d in json.loads(result.stdout)["diagnostics"]}


@needs_corpora
def test_every_rampart_corpus_file_is_recognised():
    files = [p for p in corpora_files() if "rampart" in p.relative_to(CORPORA).parts]
    assert files and all(is_policy_file(str(p)) for p in files)


# ------------------------------------------------------ every command's promises


def test_diff_load_error_is_exit_2(tmp_path: Path, policy: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text('version: "1"\npolicies:\n  - name: x\n    rulez: []\n')
    for args in ([str(bad), str(policy)], [str(policy), "--", str(bad)]):
        result = run("diff", *args)
        assert result.exit_code == 2 and "PC007" in result.output


def test_a_directory_without_policy_files_warns_like_ruff(tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not yaml")
    for command in (["check"], ["check", "--format", "json"], ["test"]):
        result = run(*command, str(empty))
        assert result.exit_code == 0
        assert result.stderr.strip() == "warning: no policy files found under the given path(s)"
    assert json.loads(run("check", "--format", "json", str(empty)).stdout)["summary"]["files"] == 0
    for command in (["compile", "-o", str(tmp_path / "b.json")], ["coverage"], ["diff", str(empty)]):
        result = run(*command, str(empty))
        assert result.exit_code == 2 and "no policy files found" in result.output
    assert not (tmp_path / "b.json").exists()


def test_a_file_named_twice_is_checked_once(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text('version: "1"\npolicies:\n  - name: x\n    rulez: []\n')
    (tmp_path / "alias.yaml").symlink_to(bad)
    result = run("check", "--format", "json", str(bad), str(tmp_path / "." / "bad.yaml"),
                 str(tmp_path / "alias.yaml"), str(tmp_path))
    doc = json.loads(result.stdout)
    assert doc["summary"]["files"] == 1 and doc["summary"]["errors"] == 1
    assert doc["diagnostics"][0]["path"] == str(bad)  # the first spelling is kept
    tests = json.loads(run("test", "--format", "json", str(REPO / "stdlib_policies" / "ci.yaml"),
                           str(REPO / "stdlib_policies" / "ci.yaml")).stdout)
    once = json.loads(run("test", "--format", "json", str(REPO / "stdlib_policies" / "ci.yaml")).stdout)
    assert tests["passed"] == once["passed"]


def test_text_names_the_rule_index_json_reports(tmp_path: Path, policy: Path):
    new = tmp_path / "new.yaml"
    new.write_text(POLICY.replace('"git push*"', '"git pull*"'))
    doc = json.loads(run("diff", "--format", "json", str(policy), str(new)).stdout)
    text = run("diff", str(policy), str(new)).stdout
    for change in doc["changes"]:
        for side in ("old", "new"):
            rule = change[side]["rule"]
            if rule:
                assert f"policy `{rule['policy']}` rules[{rule['rule']}]" in text
    assert "rules[0]" in text and "rules[1]" in text
    failing = tmp_path / "failing.yaml"
    failing.write_text(POLICY.replace("expect: allow", "expect: deny"))
    case = json.loads(run("test", "--format", "json", str(failing)).stdout)["cases"][0]
    shown = run("test", str(failing)).stdout
    assert f"decided by policy `git` rules[{case['decision']['rule']['rule']}]" in shown


def _closed_pipe(args: list[str], stdin: str = "") -> subprocess.CompletedProcess:
    """Run the CLI with a standard output whose reader has already gone."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-m", "policyc.cli", *args], input=stdin, stdout=write,
                              stderr=subprocess.PIPE, text=True, timeout=120, cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    finally:
        os.close(write)


@pytest.mark.parametrize("args", [
    ["check", "--verbose"], ["check", "--format", "json", "tests/fixtures/checks/PC007"],
    ["test", "--verbose"], ["compile", "stdlib_policies/ci.yaml", "-o", "-"],
    ["eval", "stdlib_policies/ci.yaml"]])
def test_a_closed_pipe_ends_quietly_with_141(args):
    proc = _closed_pipe(args, stdin='{"tool": "exec", "params": {"command": "ls"}}\n' * 2000)
    assert proc.returncode == EXIT_BROKEN_PIPE == 141, proc.stderr
    assert proc.stderr == ""


def test_long_source_lines_are_windowed_with_the_caret_aligned(tmp_path: Path):
    prefix = '        when: {command_matches: ["' + "a" * 10_000 + '"], '
    path = tmp_path / "long.yaml"
    path.write_text('version: "1"\npolicies:\n  - name: x\n    rules:\n      - action: deny\n'
                    + prefix + "path_match: [x]}\n")
    result = run("check", str(path))
    lines = result.stdout.splitlines()
    at = next(i for i, ln in enumerate(lines) if ln.endswith("^^^^^^^^^^ unknown key")) - 1
    source, caret = lines[at], lines[at + 1]
    assert len(source) < SNIPPET_WIDTH + 20 and len(caret) < SNIPPET_WIDTH + 20
    assert source.startswith("6 | ...") and caret.rstrip().endswith("unknown key")
    column = caret.index("^")
    assert source[column:column + len("path_match")] == "path_match"
    assert max(len(ln) for ln in lines) < 4 * SNIPPET_WIDTH + 40  # the message quoting the pattern too


@pytest.mark.parametrize(("column", "width"), [(1, 1), (50, 5), (9_000, 3), (10_001, 1), (20_000, 1)])
def test_snippet_window_keeps_the_caret_under_its_column(column: int, width: int):
    line = "".join(chr(ord("a") + i % 26) for i in range(10_000))
    text, caret, shown = snippet(line, column, width)
    assert len(text) <= SNIPPET_WIDTH + 6 and shown >= 1
    at = min(column - 1, len(line))
    if at < len(line):
        assert text[caret] == line[at]


def test_control_characters_are_shown_not_sent_to_the_terminal(tmp_path: Path):
    path = tmp_path / "esc.yaml"
    path.write_text('version: "1"\npolicies:\n  - name: x\n    rules:\n      - action: deny\n'
                    '        when: {"\\e[2J\\rowned": [x]}\n')
    result = run("check", str(path))
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout and "\r" not in result.stdout
    assert "\u241b[2J\u240downed" in result.stdout
