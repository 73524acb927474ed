"""policyc.shells: the POSIX, cmd.exe and PowerShell lexing the engine uses
(``shellparse.go``: ``splitCompoundCommandForOS``, ``tokenizeWindows``,
``tokenizePowerShell``, ``stripShellWrapperOnceForOS``; ``matcher.go``:
``collectCmdEnvAssignment``, ``collectPowerShellEnvAssignment``). Decisions
that depend on these are pinned against the engine in
``tests/test_engine_decisions.py``."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from policyc import shells
from policyc.shells import CMD, POSIX, POWERSHELL


@pytest.mark.parametrize(("cmd", "dialect", "segments"), [
    ("a & b", POSIX, ["a", "b"]),
    ("a &> f", POSIX, ["a &> f"]),
    ("a &> f", CMD, ["a", "> f"]),
    ("a &> f", POWERSHELL, ["a &> f"]),
    ("a 2>&1 | b", CMD, ["a 2>&1", "b"]),
    ("echo 'x & y'", POSIX, ["echo 'x & y'"]),
    ("echo 'x & y'", CMD, ["echo 'x", "y'"]),
    ("echo x ^& y", CMD, ["echo x ^& y"]),
    ('echo "x ^" & y', CMD, ['echo "x ^" & y']),
    ("echo a\\;b", POSIX, ["echo a\\;b"]),
    ("echo a\\;b", CMD, ["echo a\\", "b"]),
    ("a && b || c ; d\ne", CMD, ["a", "b", "c", "d", "e"]),
])
def test_split(cmd, dialect, segments):
    assert shells.split(cmd, dialect) == segments


@pytest.mark.parametrize(("cmd", "dialect", "words"), [
    ("a 'b c' \"d\\\"e\" f\\ g", POSIX, ["a", "b c", 'd"e', "f g"]),
    ("a '' b", POSIX, ["a", "b"]),
    ('d^el "C:\\a b" ^"x', CMD, ["del", "C:\\a b", '"x']),
    ('a "" b', CMD, ["a", "", "b"]),
    ("it's a\\b", CMD, ["it's", "a\\b"]),
    ('"a ^b" c^', CMD, ["a ^b", "c^"]),
    ("Remove`-Item 'it''s' \"a`\"b\" c\\d", POWERSHELL, ["Remove-Item", "it's", 'a"b', "c\\d"]),
    ("a '' b", POWERSHELL, ["a", "", "b"]),
    ("x`", POWERSHELL, ["x`"]),
])
def test_tokenize(cmd, dialect, words):
    assert shells.tokenize(cmd, dialect) == words


@pytest.mark.parametrize(("command", "dialect"), [
    ("cmd /c x", CMD), ('"C:\\Windows\\System32\\CMD.EXE" /c x', CMD), ("  Cmd", CMD),
    ("/bin/BASH -c x", POSIX), ("sh", POSIX),
    ("pwsh -c x", POWERSHELL), ("'C:\\PS\\PowerShell.exe' -c x", POWERSHELL),
    ("cmdx /c x", None), ("echo cmd", None), ("", None),
])
def test_wrapper_dialect(command, dialect):
    assert shells.wrapper_dialect(command) == dialect
    assert shells.looks_like_cmd(command) is (dialect == CMD)
    assert shells.looks_like_powershell(command) is (dialect == POWERSHELL)


@pytest.mark.parametrize(("tokens", "dialect", "out", "out_dialect"), [
    (["bash", "-lc", "rm -rf /"], POSIX, ["rm", "-rf", "/"], POSIX),
    (["bash", "--norc", "-c", "a", "b"], POSIX, ["a", "b"], POSIX),
    (["bash", "-c"], POSIX, ["bash", "-c"], POSIX),
    (["bash", "x", "-c", "y"], POSIX, ["bash", "x", "-c", "y"], POSIX),
    (["BASH", "-c", "y"], POSIX, ["BASH", "-c", "y"], POSIX),
    (["cmd", "/Q", "/C", "d^el x"], POSIX, ["del", "x"], CMD),
    (["cmd", "/cdel", "x"], POSIX, ["del", "x"], CMD),
    (["cmd", "/k", "a", "b^c"], POSIX, ["a", "bc"], CMD),
    (["cmd", "x", "/c", "y"], POSIX, ["cmd", "x", "/c", "y"], POSIX),
    (["pwsh", "-NoProfile", "-Command", "Remove`-Item 'a b'"], CMD, ["Remove-Item", "a b"], POWERSHELL),
    (["powershell.exe", "-C", "a", "b"], POSIX, ["a", "b"], POWERSHELL),
    (["pwsh", "-EncodedCommand", "x"], POSIX, ["pwsh", "-EncodedCommand", "x"], POSIX),
    (["pwsh", "file.ps1"], POSIX, ["pwsh", "file.ps1"], POSIX),
    (["cmd"], POSIX, ["cmd"], POSIX),
])
def test_strip_wrapper_once(tokens, dialect, out, out_dialect):
    assert shells.strip_wrapper_once(tokens, dialect) == (out, out_dialect)


@pytest.mark.parametrize(("tokens", "names"), [
    (["set", "PATH=x"], ["PATH"]),
    (["SETX", "/M", '"LD_PRELOAD=x"'], ["LD_PRELOAD"]),
    (["setx", "LD_PRELOAD", "x"], []),
    (["set", "/A", "1X=2"], []),
    (["echo", "set", "X=1"], []),
    (["C:\\Windows\\set.exe", "X=1"], []),
])
def test_cmd_assignments(tokens, names):
    assert shells.env_names_cmd(tokens) == names


@pytest.mark.parametrize(("tokens", "names"), [
    (["$env:PATH", "=", "x"], ["PATH"]),
    (["$Env:Path='x'"], ["Path"]),
    (["${env:LD_PRELOAD}", "=", "1"], ["LD_PRELOAD"]),
    (["$env:PATH"], []),
    (["$env:PATH", "+=", "x"], []),
    (["Set-Item", "-Path", "env:X", "-Value", "1"], ["X"]),
    (["new-item", "-Force", "'env:Y'"], ["Y"]),
    (["Get-Item", "env:X"], []),
    (["[Environment]::SetEnvironmentVariable('FOO',", "1)"], ["FOO"]),
    (["[System.Environment]::SetEnvironmentVariable(", '"BAR",1)'], ["BAR"]),
    (["[Environment]::SetEnvironmentVariable($n,", "1)"], []),
    # the engine slices the original text at the lower-cased prefix's byte
    # length (İ is two bytes, lower-cased one): checked against the engine
    (["[Envİronment]::SetEnvironmentVariable", "(FOO,1)"], ["e"]),
    (["[Envİronment]::SetEnvironmentVariable('FOO',1)"], []),
])
def test_powershell_assignments(tokens, names):
    assert shells.env_names_powershell(tokens) == names


@given(st.text(alphabet=st.sampled_from(list(" \t\n&|;^'\"`\\$(){}<>=abc/:-İK\u00e9")), max_size=40),
       st.sampled_from([POSIX, CMD, POWERSHELL]))
def test_total_on_any_text(cmd, dialect):
    """No function raises, and every segment and word comes from the text."""
    for segment in shells.split(cmd, dialect):
        assert segment and segment in cmd
    words = shells.tokenize(cmd, dialect)
    assert all(isinstance(w, str) for w in words)
    out, out_dialect = shells.strip_wrapper_once(words, dialect)
    assert out_dialect in (POSIX, CMD, POWERSHELL)
    shells.env_names_cmd(words)
    shells.env_names_powershell(words)
    shells.wrapper_dialect(cmd)
