"""The canonicalization vectors (runtimes/vectors/canonicalize.jsonl) are
current, and the Go port (runtimes/go/canon) reproduces them.

The Go test also compares the port's character properties (Go's own
unicode.IsLetter, IsDigit and ToLower, as the engine asks them) with
Python's callfields.go_is_letter, go_is_digit and go_lower, code point by
code point: the table is written here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from policyc.callfields import go_is_digit, go_is_letter, go_lower
from tests import canon_vectors

from .conftest import NO_GO, go_toolchain

GO_MODULE = canon_vectors.REPO / "runtimes" / "go"


def test_vectors_file_is_current():
    expected = canon_vectors.render()
    actual = canon_vectors.OUTPUT.read_text(encoding="utf-8")
    assert actual == expected, "stale: run `PYTHONPATH=. python -m tests.canon_vectors`"
    assert len(expected.splitlines()) >= 5000
    assert len(expected.encode("utf-8")) <= 3_000_000


def _hex(s: str) -> str:
    return ",".join(f"{ord(x):x}" for x in s)


def write_unicode_table(path: Path) -> None:
    """One line per code point (surrogates skipped) with a property other
    than the default: ``CP ALPHA DECIMAL LOWER`` (hex code points; ``-``
    for an unchanged character)."""
    lines = []
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp < 0xE000:
            continue
        c = chr(cp)
        low = go_lower(c)
        fields = (int(go_is_letter(c)), int(go_is_digit(c)))
        if any(fields) or low != c:
            lines.append(f"{cp:x} {' '.join(map(str, fields))} {_hex(low) if low != c else '-'}")
    path.write_text("\n".join(lines) + "\n", encoding="ascii")


def test_go_port(tmp_path):
    go = go_toolchain()
    if go is None:
        pytest.skip(NO_GO)
    table = tmp_path / "python-unicode.txt"
    write_unicode_table(table)
    env = dict(os.environ, GOFLAGS="", GOPROXY="off", GOTOOLCHAIN="local", CGO_ENABLED="0",
               CANON_PYTHON_UNICODE=str(table))
    if not os.access(Path.home(), os.W_OK):
        env.update(GOCACHE=str(tmp_path / "gocache"), GOPATH=str(tmp_path / "gopath"))
    result = subprocess.run([go, "test", "-count=1", "./canon/"], cwd=GO_MODULE, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
