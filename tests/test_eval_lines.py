"""`policyc eval`: exactly one output line per input line, whatever the line
(blank, too large, too deep, not UTF-8, not JSON, not a call), each with an
action and its 1-based line number, and the stream goes on."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from policyc.cli import default_policy, main
from policyc.runtime.jsonparse import MAX_CALL_BYTES, MAX_CALL_DEPTH

from .conftest import REPO

GOOD = b'{"tool": "exec", "params": {"command": "git status"}}'
DENIED = b'{"tool": "exec", "params": {"command": "rm -rf /"}}'
DECISION_KEYS = {"action", "message", "matched_policies", "rule", "project", "line"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("eval") / "standard.json"
    result = CliRunner().invoke(main, ["compile", default_policy(), "-o", str(path)])
    assert result.exit_code == 0, result.output
    return str(path)


def _eval(args: list[str], data: bytes) -> tuple[int, list[dict]]:
    result = CliRunner().invoke(main, ["eval", *args], input=data)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()]


def _nested(levels: int) -> bytes:
    return b'{"tool": "exec", "params": {"command": "ls", "x": ' + b"[" * levels + b"]" * levels + b"}}"


HOSTILE = [
    (GOOD, None),
    (b"", "blank line"),
    (b"   \t\r", "blank line"),
    (_nested(1000), f"over the limit of {MAX_CALL_DEPTH}"),
    (b'{"tool": "exec", "params": {"command": "\xff\xfe"}}', "not valid UTF-8"),
    (b'{"tool": "exec", "params": {"command": "\xed\xa0\x80"}}', "not valid UTF-8"),  # an encoded surrogate
    (b"{not json", "invalid JSON"),
    (b'{"tool": "exec", "params": {"n": 1' + b"0" * 5000 + b"}}", "invalid JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (b'{"tool": 3}', "`tool` must be a non-empty string"),
    (b'{"tool": "exec", "params": [1]}', "`params` must be an object"),
    (b'{"tool": "exec", "agent_depth": NaN}', "`agent_depth` must be an integer"),
    (b'{"tool": "exec", "params": {"command": "' + b"a" * MAX_CALL_BYTES + b'"}}', f"over {MAX_CALL_BYTES} bytes"),
    (DENIED, None),
]


@pytest.mark.parametrize("engine", ["bundle", "reference"])
def test_every_line_gets_one_answer_with_its_number_and_the_stream_goes_on(bundle, engine):
    source = bundle if engine == "bundle" else default_policy()
    data = b"\n".join(line for line, _ in HOSTILE) + b"\n"
    code, out = _eval([source, "--engine", engine], data)
    assert code == 0
    assert len(out) == len(HOSTILE)
    for number, ((_, error), answer) in enumerate(zip(HOSTILE, out), start=1):
        assert answer["line"] == number
        if error is None:
            assert set(answer) == DECISION_KEYS, answer
        else:
            assert answer == {"action": "deny", "error": answer["error"], "line": number}
            assert answer["error"].startswith(f"line {number}: ") and error in answer["error"], answer
    assert out[0]["action"] == "allow" and out[-1]["action"] == "deny" and out[-1]["rule"] is not None


def test_a_last_line_without_newline_is_answered_and_an_empty_input_gives_nothing(bundle):
    assert _eval([bundle], GOOD + b"\n\n" + DENIED)[1][2]["line"] == 3
    assert [a["line"] for a in _eval([bundle], b"\n\n")[1]] == [1, 2]
    assert _eval([bundle], b"") == (0, [])


def test_the_limits_are_exact(bundle):
    padded = GOOD[:-1] + b" " * (MAX_CALL_BYTES - len(GOOD)) + b"}"
    assert len(padded) == MAX_CALL_BYTES
    code, out = _eval([bundle], padded + b"\n" + padded + b" \n" + padded + b"\r\n" + padded)
    assert [("error" in a) for a in out] == [False, True, True, False]
    code, out = _eval([bundle], _nested(MAX_CALL_DEPTH - 2) + b"\n" + _nested(MAX_CALL_DEPTH - 1))
    assert "error" not in out[0] and "over the limit" in out[1]["error"]


def test_depth_is_refused_before_parsing_even_past_the_recursion_limit(bundle):
    deep = b"[" * 200_000 + b"]" * 200_000
    strings = b'["' + b"[" * 5000 + b'", {"tool": "x"}]'  # brackets in strings do not count
    code, out = _eval([bundle], deep + b"\n" + strings + b"\n" + GOOD)
    assert code == 0 and len(out) == 3
    assert "200000 levels deep" in out[0]["error"]
    assert out[1]["error"] == "line 2: a tool call must be a JSON object"
    assert out[2]["action"] == "allow"


def test_an_oversized_line_is_skipped_without_being_kept(bundle):
    huge = b"[" * (3 * MAX_CALL_BYTES)  # never parsed; the next line is still read
    code, out = _eval([bundle], huge + b"\n" + GOOD + b"\n")
    assert [a["line"] for a in out] == [1, 2] and "error" in out[0] and out[1]["action"] == "allow"


def test_project_with_a_bundle_is_a_usage_error(bundle):
    result = CliRunner().invoke(main, ["eval", bundle, "--project", default_policy()], input=GOOD)
    assert result.exit_code == 2
    assert "already includes its project tier" in result.output and "compile" in result.output
    assert '"action"' not in result.stdout


def test_help_states_the_limits():
    text = CliRunner().invoke(main, ["eval", "--help"]).output
    assert f"{MAX_CALL_BYTES} bytes" in text and f"deeper than {MAX_CALL_DEPTH}" in text
    assert "one output line per input line" in text and "--project" in text


def test_real_stdin_bytes_through_a_pipe(bundle):
    data = GOOD + b"\n\xff\n" + _nested(1000) + b"\n"
    proc = subprocess.run([sys.executable, "-m", "policyc.cli", "eval", bundle], input=data, cwd=REPO,
                          capture_output=True, check=False, env={"PYTHONPATH": str(REPO), "PATH": ""})
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [a["line"] for a in lines] == [1, 2, 3] and [a["action"] for a in lines] == ["allow", "deny", "deny"]
    assert proc.stderr == b""
