"""The on-disk cache (policyc.diskcache): entries that cannot be trusted are
ignored and rebuilt, the cache can be turned off, writes are atomic, the
cached grammar tables and automata behave exactly like freshly built ones,
and a check's findings and budget charges do not depend on the cache's
state (cold, warm, disabled, corrupt)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyc import diskcache
from policyc.cli import main

from .conftest import CORPORA, FIXTURES, REPO, needs_corpora


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """A private, empty XDG cache home with the cache on."""
    home = tmp_path / "xdg"
    home.mkdir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv(diskcache.ENV_DISABLE, raising=False)
    monkeypatch.setattr(diskcache, "_disabled", False)
    monkeypatch.setattr(diskcache, "_directory", None)
    monkeypatch.setattr(diskcache, "_checked", None)
    return home / "policyc"


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _counted_build(value):
    calls = []

    def build():
        calls.append(1)
        return value

    return build, calls


def test_round_trip_and_reuse(cache_home):
    build, calls = _counted_build({"a": [1, 2]})
    assert diskcache.cached("t", "key", build, lambda v: v, lambda v: v) == {"a": [1, 2]}
    assert diskcache.cached("t", "key", build, lambda v: v, lambda v: v) == {"a": [1, 2]}
    assert calls == [1]
    assert len(_entries(cache_home)) == 1
    assert oct(cache_home.stat().st_mode & 0o777) == oct(0o700)


@pytest.mark.parametrize("damage", [
    b"", b"\x00\xff garbage", b'{"format": 1', b"[]", b'{"format": 1, "kind": "t"}',
])
def test_corrupt_entry_is_ignored_and_rebuilt(cache_home, damage):
    build, calls = _counted_build([1, 2, 3])
    diskcache.cached("t", "key", build, lambda v: v, lambda v: v)
    (entry,) = _entries(cache_home)
    entry.write_bytes(damage)
    assert diskcache.get("t", "key") is None
    assert diskcache.cached("t", "key", build, lambda v: v, lambda v: v) == [1, 2, 3]
    assert calls == [1, 1]
    assert diskcache.get("t", "key") == [1, 2, 3]  # rewritten


def test_tampered_value_and_foreign_key_are_ignored(cache_home):
    diskcache.put("t", "key", {"x": 1})
    (entry,) = _entries(cache_home)
    data = json.loads(entry.read_text())
    data["value"] = json.dumps({"x": 2})  # checksum no longer matches
    entry.write_text(json.dumps(data))
    assert diskcache.get("t", "key") is None
    data = json.loads(entry.read_text())
    data["value"] = json.dumps({"x": 2})
    data["sha256"] = diskcache._checksum(data["value"])
    data["key"] = "another key"  # an entry of something else under this name
    entry.write_text(json.dumps(data))
    assert diskcache.get("t", "key") is None


def test_undecodable_entry_is_rebuilt(cache_home):
    diskcache.put("t", "key", "not what decode expects")
    build, calls = _counted_build(7)

    def decode(stored):
        raise ValueError(stored)

    assert diskcache.cached("t", "key", build, lambda v: v, decode) == 7
    assert calls == [1]


def test_unreadable_entry_and_directory_entry(cache_home):
    diskcache.put("t", "key", 1)
    (entry,) = _entries(cache_home)
    entry.unlink()
    entry.mkdir()  # an entry that is a directory: read fails, write is refused
    assert diskcache.get("t", "key") is None
    diskcache.put("t", "key", 2)  # no exception
    assert entry.is_dir()


def test_unsafe_directory_is_not_used(cache_home):
    cache_home.mkdir(mode=0o700)
    os.chmod(cache_home, 0o777)  # writable by anyone: another user could plant entries
    build, calls = _counted_build(5)
    assert diskcache.cached("t", "key", build, lambda v: v, lambda v: v) == 5
    assert diskcache.cached("t", "key", build, lambda v: v, lambda v: v) == 5
    assert calls == [1, 1] and _entries(cache_home) == []


def test_disabled_by_environment(cache_home, monkeypatch):
    for value in ("1", "yes"):
        monkeypatch.setenv(diskcache.ENV_DISABLE, value)
        assert not diskcache.enabled()
        diskcache.put("t", "key", 1)
        assert diskcache.get("t", "key") is None and _entries(cache_home) == []
    monkeypatch.setenv(diskcache.ENV_DISABLE, "0")
    assert diskcache.enabled()


def test_disabled_by_flag_for_that_command_only(cache_home):
    runner = CliRunner()
    policy = str(FIXTURES / "checks" / "PC301" / sorted(os.listdir(FIXTURES / "checks" / "PC301"))[0])
    result = runner.invoke(main, ["check", "--no-cache", "--format", "json", policy])
    assert result.exit_code in (0, 1), result.output
    assert _entries(cache_home) == []
    assert diskcache.enabled()  # restored after the command


def test_xdg_cache_home_and_default(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert diskcache.directory() == str(tmp_path / "policyc")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")  # ignored, as the XDG rules say
    assert diskcache.directory() == os.path.join(os.path.expanduser("~"), ".cache", "policyc")


def test_write_is_atomic(cache_home, monkeypatch):
    from policyc import atomicfile

    calls = []
    real = atomicfile.write_atomic

    def spy(path, data, **kwargs):
        calls.append(kwargs)
        return real(path, data, **kwargs)

    monkeypatch.setattr(atomicfile, "write_atomic", spy)
    diskcache.put("t", "key", list(range(100)))
    assert calls == [{"durable": False}]
    assert [p.name for p in cache_home.iterdir() if p.name.startswith(atomicfile.TEMP_PREFIX)] == []

    def crash(fd, *args):  # the write fails half-way: no entry, no temporary file
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomicfile.os, "fsync", crash)
    monkeypatch.setattr(atomicfile.os, "replace", crash)
    diskcache.put("t", "other", [1])
    assert diskcache.get("t", "other") is None
    assert [p.name for p in cache_home.iterdir() if p.name.startswith(atomicfile.TEMP_PREFIX)] == []


def test_encode_decode_data():
    value = {"a": (1, 2.5, None, True), 3: ["x", {"y": frozenset({1})}], "s": {"q"}}
    encoded = json.loads(json.dumps(diskcache.encode_data(value)))
    assert diskcache.decode_data(encoded) == value
    assert type(diskcache.decode_data(encoded)["a"]) is tuple
    with pytest.raises(TypeError):
        diskcache.encode_data(object())
    with pytest.raises(ValueError):
        diskcache.decode_data({"z": []})


# ------------------------------------------------ what is cached is the same


def test_cached_fsm_is_the_built_one():
    from interegular.fsm import anything_else

    from policyc.analysis import automata

    for expression in ("[^]*", "a(?:b|c)*d", "[a-z]+[^/]*", "(?:)", "[\\x00-\\x1f]x"):
        raw = automata._build_fsm(expression)
        built = automata.canonical(raw)
        assert all(built.accepts(t) == raw.accepts(t) for t in ("", "a", "abd", "x/y", "\x01x", "zz/x"))
        back = automata._decode_fsm(json.loads(json.dumps(automata._encode_fsm(built))))
        assert list(back.alphabet._symbol_mapping.items()) == list(built.alphabet._symbol_mapping.items())
        assert list(back.alphabet.by_transition.items()) == list(built.alphabet.by_transition.items())
        assert list(back.states) == list(built.states) and list(back.finals) == list(built.finals)
        assert back.initial == built.initial
        assert [(s, list(row.items())) for s, row in back.map.items()] == \
            [(s, list(row.items())) for s, row in built.map.items()]
        assert (anything_else in back.alphabet) == (anything_else in built.alphabet)
    with pytest.raises(Exception):
        automata._decode_fsm({"alphabet": [], "states": [0], "initial": 5, "finals": [], "map": []})


_CANONICAL_SCRIPT = """
from policyc.analysis import automata
for expression in ("[a-z]+/x|[^/]*y", "[^/A-Z]+", "[A-Za-z][A-Za-z0-9+.\\\\-]*:[^]*"):
    fsm = automata.canonical(automata._build_fsm(expression))
    print(list(fsm.alphabet._symbol_mapping.items()), list(fsm.map.items()), sorted(fsm.finals))
"""


def test_canonical_fsm_is_the_same_in_every_process(tmp_path):
    """interegular numbers keys and states in string-hash order; the cache
    stores, and every process uses, one numbering of each automaton."""
    outputs = {_run(["-c", _CANONICAL_SCRIPT], tmp_path, seed=seed) for seed in ("0", "1", "2", "3")}
    assert len(outputs) == 1 and outputs.pop().count("[") > 3


def test_cached_grammar_parses_like_the_built_one(cache_home):
    from lark import Lark
    from lark.exceptions import UnexpectedInput

    from policyc.patterns import grammars

    texts = {"glob": ["a[b-c]*", "[^x]?**", "[", "[]", "a[z-a]"], "regex": ["a+b", "(?P<n>x)|[^a]", "(", "a{2,"],
             "condition": ["1h30m", "x", "1.5h", "-.5s"]}
    for name, start in (("glob", "nfa"), ("glob", "segment"), ("regex", "start"), ("condition", "duration")):
        grammars.parser.cache_clear()
        built = grammars.parser(name, start)  # empty cache: built and stored
        grammars.parser.cache_clear()
        loaded = grammars.parser(name, start)  # read back
        grammars.parser.cache_clear()
        assert isinstance(loaded, Lark) and loaded is not built
        for text in texts[name]:
            def outcome(parser):
                try:
                    return parser.parse(text)  # trees compare by rule name and children
                except UnexpectedInput as error:
                    return (type(error).__name__, getattr(error, "pos_in_stream", None),
                            sorted(getattr(error, "expected", ()) or ()))
            assert outcome(loaded) == outcome(built), (name, start, text)
    assert any(p.name.startswith("lark-") for p in cache_home.iterdir())


# ------------------------------------------ findings never depend on the cache

_BUDGET_SCRIPT = """
import json, sys
from policyc.loader import load_policy_set
from policyc.passes import context_of, PASSES
from policyc.analysis.budget import Budget, DEFAULT_LIMITS
loaded = load_policy_set(sys.argv[1:])
ctx = context_of(loaded, Budget(DEFAULT_LIMITS))
found = [d.to_json() for stage in PASSES for d in stage.run(ctx)]
print(json.dumps({"run": ctx.budget.run_spent, "files": ctx.budget.file_spent, "found": found}))
"""


def _run(args: list[str], home: Path, *, disabled: bool = False, seed: str = "0") -> str:
    # One hash seed for all runs: the products of automata (interegular's
    # Alphabet.union) still number their states in string-hash order, so
    # the steps a search over them charges vary with PYTHONHASHSEED, cache or not.
    env = dict(os.environ, PYTHONPATH=str(REPO), XDG_CACHE_HOME=str(home), PYTHONHASHSEED=seed)
    env.pop(diskcache.ENV_DISABLE, None)
    if disabled:
        env[diskcache.ENV_DISABLE] = "1"
    done = subprocess.run([sys.executable, "-P", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def _policies() -> list[str]:
    chosen = [REPO / "stdlib_policies" / "standard.yaml", FIXTURES / "checks" / "PC303"]
    if CORPORA.is_dir():
        chosen.append(CORPORA / "rampart" / "policies" / "standard.yaml")
    return [str(p) for p in chosen]


@needs_corpora
def test_findings_and_charges_same_cold_warm_disabled_corrupt(tmp_path):
    for number, policy in enumerate(_policies()):
        files = sorted(str(p) for p in Path(policy).glob("*.yaml")) if os.path.isdir(policy) else [policy]
        check = ["-m", "policyc.cli", "check", "--format", "json", policy]
        budget = ["-c", _BUDGET_SCRIPT, *files]
        for kind, args in (("check", check), ("budget", budget)):
            home = tmp_path / f"xdg-{number}-{kind}"
            disabled = _run(args, home, disabled=True)
            assert _entries(home / "policyc") == []
            cold = _run(args, home)
            assert _entries(home / "policyc")
            warm = _run(args, home)
            for entry in _entries(home / "policyc"):
                entry.write_bytes(entry.read_bytes()[:-7])  # every entry torn
            corrupt = _run(args, home)
            assert disabled == cold == warm == corrupt, (policy, kind)
            if kind == "budget":
                assert json.loads(disabled)["run"] > 0
