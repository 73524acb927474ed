"""Hostile input never makes the OpenClaw dialect raise: every problem is a
diagnostic (or, for a call, an ``error`` outcome)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyc.dialects.openclaw import check_paths, decide, load_paths
from policyc.frontends.yaml_source import MAX_BYTES

HOSTILE: dict[str, bytes] = {
    "malformed": b"agent: [unclosed\npermissions: {",
    "tab_indent": b"agent: a\npermissions:\n\tallow: [x]\n",
    "invalid_utf8": b"agent: caf\xe9\n",
    "utf16": "agent: a\n".encode("utf-16"),
    "top_level_list": b"- agent: a\n",
    "top_level_scalar": b"just text\n",
    "null_document": b"---\n",
    "two_documents": b"agent: a\n---\nagent: b\n",
    "deep": b"agent: a\npermissions: " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "deep_block": b"agent: a\nx:\n" + b"".join(b"  " * i + b"- \n" for i in range(200)),
    "billion_laughs": b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                      b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
                      b"agent: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
    "recursive_alias": b"agent: &a [*a]\n",
    "control_chars": b"agent: a\x00b\n",
    "bad_tag": b"agent: !!python/object:os.system x\n",
    "bad_explicit_int": b"agent: !!int abc\n",
    "js_yaml_bool_tag": b"agent: !!bool yes\n",
    "merge_key": b"base: &b {allow: [x]}\nagent: a\npermissions:\n  <<: *b\n",
    "duplicate_js_key": b"agent: a\n1.0: x\n'1': y\n",
    "complex_key": b"agent: a\n? [1, 2]\n: x\n",
    "huge_int": b"agent: " + b"9" * 5000 + b"\n",
    "huge_hex": b"agent: 0x" + b"f" * 5000 + b"\n",
    "date_agent": b"agent: 2024-02-30\n",
    "weird_everything": b"agent: {toString: 1}\npermissions: {allow: 5, deny: {a: 1}, escalate: [~, [], 5]}\n"
                        b"audit: {sensitive_fields: 5, retention: abc}\ntrust: [1]\nrate_limits: x\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_is_diagnosed_not_raised(name: str, tmp_path: Path) -> None:
    (tmp_path / f"{name}.yaml").write_bytes(HOSTILE[name])
    found = check_paths([str(tmp_path)])
    result = load_paths([str(tmp_path)])
    outcome = decide(result, {"agent": "a", "action": "x", "context": {"amount": 5}})
    assert outcome.decision in ("allow", "deny", "escalate", "error")
    if not result.ok:
        assert found and any(d.severity.value == "error" for d in found)
    for diag in found:
        assert diag.span is not None and diag.message


def test_huge_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_text("agent: a\n" + "# padding\n" * (MAX_BYTES // 10 + 1))
    result = load_paths([str(tmp_path)])
    assert [d.code for d in result.diagnostics] == ["PC004"] and not result.ok


def test_unreadable_entries(tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    (tmp_path / "dangling.yml").symlink_to(tmp_path / "nowhere")
    bad_name = os.fsencode(str(tmp_path)) + b"/caf\xe9.yaml"
    with open(bad_name, "wb") as fh:
        fh.write(b"agent: a\n")
    os.mkfifo(tmp_path / "pipe.yaml")  # never opened: reading it would block
    result = load_paths([str(tmp_path)])
    assert not result.ok
    assert sorted(d.code for d in result.diagnostics) == ["PC501"] * 4


def test_not_a_directory_or_file(tmp_path: Path) -> None:
    for path in (tmp_path / "missing", tmp_path / "missing.yaml"):
        result = load_paths([str(path)])
        assert not result.ok and [d.code for d in result.diagnostics] == ["PC501"]


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_fuzzed_files_never_raise(data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "fuzz.yaml").write_bytes(b"agent: a\npermissions:\n  allow: " + data)
        found = check_paths([tmp])
        result = load_paths([tmp])
        decide(result, {"agent": "a", "action": "read:x"})
        assert all(d.span is not None for d in found)


JSON = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(["agent", "action", "context", "amount",
                                                       "toString", "valueOf", "length", "0"]),
                                      inner, max_size=4), max_leaves=12)


@settings(max_examples=300, deadline=None, database=None)
@given(JSON)
def test_fuzzed_calls_never_raise(call: object) -> None:
    result = load_paths([str(Path(__file__).parent / "fixtures" / "checks" / "PC510")])
    outcome = decide(result, call)
    assert outcome.decision in ("allow", "deny", "escalate", "error")
