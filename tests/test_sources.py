"""policyc/sources.py: a file is read once per run and read again once it changes."""

from __future__ import annotations

import os

from policyc import sources


def test_a_file_is_read_once_and_again_when_it_changes(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_bytes(b"a: 1\nb: 2\n")
    first = sources.read(str(path))
    assert sources.read(str(path)) is first
    assert first.lines == ("a: 1", "b: 2") and len(first.sha256) == 64
    path.write_bytes(b"a: 1\nb: 22\n")  # another size
    os.utime(path, ns=(1, 1))  # and another mtime
    second = sources.read(str(path))
    assert second is not first and second.lines == ("a: 1", "b: 22")


def test_the_limit_bounds_what_is_read(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"x" * 100)
    assert len(sources.read(str(path), limit=10).data) == 11  # one past the limit: detectably over
