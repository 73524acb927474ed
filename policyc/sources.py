"""Source files, read once per run and shared.

The front end, the suppression reader, the diagnostic renderer and the
bundle manifest all need a policy file's bytes: :func:`read` reads a file
once and hands every later caller the same :class:`SourceFile`, as long as
the file on disk has not changed (the cache key is the real path with the
file's size and modification time, so a rewritten file is read again). The
cache holds at most :data:`CACHED` files; a run is bounded by the source
budget (``[budget] source-bytes``) anyway.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property

#: How many files the cache keeps (least recently used dropped first).
CACHED = 256


@dataclass(frozen=True, eq=False)
class SourceFile:
    """One file's ``data`` (at most the ``limit`` bytes :func:`read` was
    given plus one, so an oversized file is detectable) as read from
    ``path``; ``text`` (UTF-8, invalid bytes replaced), ``lines`` and the
    ``sha256`` (hex) of the data are computed on first use."""

    path: str
    data: bytes

    @cached_property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")

    @cached_property
    def lines(self) -> tuple[str, ...]:
        return tuple(self.text.splitlines())

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


_CACHE: OrderedDict[tuple[str, int, int, int], SourceFile] = OrderedDict()


def read(path: str, limit: int = 1 << 20) -> SourceFile:
    """The file at ``path``, at most ``limit + 1`` bytes of it (the default
    is the front end's 1 MiB file limit, so every reader shares one read), from the
    cache when the file is unchanged since it was read. Raises ``OSError``
    (missing file, a directory, permissions) like ``open``."""
    with open(path, "rb") as handle:
        status = os.fstat(handle.fileno())
        key = (os.path.realpath(path), status.st_size, status.st_mtime_ns, limit)
        cached = _CACHE.get(key)
        if cached is not None and cached.path == path:
            _CACHE.move_to_end(key)
            return cached
        source = SourceFile(path, handle.read(limit + 1))
    _CACHE[key] = source
    if len(_CACHE) > CACHED:
        _CACHE.popitem(last=False)
    return source


def file_bytes(paths: list[str]) -> dict[str, bytes]:
    """Each file's whole bytes by path, in ``paths`` order (a bundle
    manifest's sources): from the cache when a file was read whole and is
    unchanged, else read now. Raises ``OSError`` like ``open``."""
    out = {}
    for path in paths:
        out[path] = read(path, max(os.stat(path).st_size, 1 << 20)).data
    return out
