"""An on-disk cache of derived data that is costly to build and never
depends on anything but its inputs: the Lark parse tables of the embedded
pattern grammars (:mod:`policyc.patterns.grammars`) and the automata of
pattern languages (:mod:`policyc.analysis.automata`). Documented in
docs/configuration.md ("Cache").

* **Where**: ``$XDG_CACHE_HOME/policyc`` (an absolute ``XDG_CACHE_HOME``;
  the XDG rule ignores a relative one), else ``~/.cache/policyc``. One file
  per entry, ``<kind>-<sha256>.json``, named by the hash of everything the
  value is derived from: the kind, the exact inputs, policyc's version, the
  Python version and the versions of the libraries that build it.
* **Safe to lose**: an entry is plain JSON data (never pickle, never code),
  carries its full key and a checksum of its value, and is used only when
  both match. A missing, corrupt, truncated, unreadable or foreign entry
  (another key, another version) is ignored and the value built again (and
  the entry rewritten); no cache problem is ever reported, raised or allowed
  to change a finding. The cache directory is used only when it is owned by
  this user and not writable by others, and an entry only when it is owned
  by this user; otherwise everything is built as without a cache.
* **Written atomically**: :func:`policyc.atomicfile.write_atomic` (a
  temporary file renamed over the entry), without fsync: a cache entry is
  not worth one, and a torn entry fails its checksum.
* **Off**: ``POLICYC_NO_CACHE`` set to anything but ``""`` or ``0``, or
  :func:`disable` (``policyc check --no-cache``): nothing is read or written.

Callers charge the analysis budget the same whether a value came from the
cache or was built (they cache below their charging), so findings never
depend on the cache's state.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from typing import Any, Callable, Optional

from policyc import __version__

#: The environment variable that turns the cache off.
ENV_DISABLE = "POLICYC_NO_CACHE"
#: Bumped when the entry layout changes.
FORMAT = 2

_disabled = False
_directory: Optional[str] = None
_checked: Optional[bool] = None  # whether _directory passed the ownership test (None: not yet)


def disable(off: bool = True) -> bool:
    """Turn the cache off (``off``, ``--no-cache``) or back on (but for
    ``POLICYC_NO_CACHE``) for the rest of the process; returns whether it
    was turned off before, for the caller to restore."""
    global _disabled
    previous, _disabled = _disabled, off
    return previous


def enabled() -> bool:
    """Whether the cache is in use (not disabled by :func:`disable` or
    ``POLICYC_NO_CACHE``)."""
    return not _disabled and os.environ.get(ENV_DISABLE, "") in ("", "0")


def directory() -> str:
    """The cache directory (see the module docstring); it may not exist."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "policyc")


def _usable_directory(create: bool) -> Optional[str]:
    """The cache directory when it may be used (owned by this user, not
    writable by group or others), created (mode 0700) when ``create``;
    else None. The verdict is kept for the process once the directory exists."""
    global _directory, _checked
    path = directory()
    if not os.path.isabs(path):
        return None  # no home directory to put it in: no cache
    if _directory != path:
        _directory, _checked = path, None
    if _checked is None:
        try:
            st = os.stat(path)
        except FileNotFoundError:
            if not create:
                return None
            try:
                os.makedirs(path, mode=0o700, exist_ok=True)
                st = os.stat(path)
            except OSError:
                _checked = False
                return None
        except OSError:
            _checked = False
            return None
        _checked = stat.S_ISDIR(st.st_mode) and _owned(st) and not st.st_mode & 0o022
    return path if _checked else None


def _owned(st: os.stat_result) -> bool:
    return not hasattr(os, "geteuid") or st.st_uid == os.geteuid()


def versions(*modules: Any) -> str:
    """policyc's, Python's and the given modules' versions, as part of a key."""
    parts = [f"policyc {__version__}", "python %d.%d.%d" % sys.version_info[:3]]
    parts += [f"{getattr(m, '__name__', '?')} {getattr(m, '__version__', '?')}" for m in modules]
    return "; ".join(parts)


def _entry_path(folder: str, kind: str, key: str) -> str:
    digest = hashlib.sha256(f"{FORMAT}\0{kind}\0{key}".encode("utf-8", "surrogatepass")).hexdigest()
    return os.path.join(folder, f"{kind}-{digest}.json")


def _checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def get(kind: str, key: str) -> Any:
    """The value stored for ``(kind, key)``, or None when the cache is off
    or holds no valid entry for it (never raises)."""
    if not enabled():
        return None
    try:
        folder = _usable_directory(create=False)
        if folder is None:
            return None
        with open(_entry_path(folder, kind, key), "rb") as handle:
            if not _owned(os.fstat(handle.fileno())):
                return None
            raw = handle.read()
        entry = json.loads(raw.decode("utf-8", "surrogatepass"))
        if not (isinstance(entry, dict) and entry.get("format") == FORMAT and entry.get("kind") == kind
                and entry.get("key") == key and isinstance(entry.get("value"), str)
                and entry.get("sha256") == _checksum(entry["value"])):
            return None
        return json.loads(entry["value"])
    except Exception:  # noqa: BLE001 - any problem with an entry means: build it again
        return None


def put(kind: str, key: str, value: Any) -> None:
    """Store ``value`` (JSON data) for ``(kind, key)`` when the cache is on;
    never raises (a cache that cannot be written is simply not written)."""
    if not enabled():
        return
    try:
        folder = _usable_directory(create=True)
        if folder is None:
            return
        from policyc.atomicfile import write_atomic

        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        entry = {"format": FORMAT, "kind": kind, "key": key, "sha256": _checksum(text), "value": text}
        data = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
        write_atomic(_entry_path(folder, kind, key), data, durable=False)
    except Exception:  # noqa: BLE001 - includes a refused target (a directory, a read-only file)
        return


def cached(kind: str, key: str, build: Callable[[], Any], encode: Callable[[Any], Any],
           decode: Callable[[Any], Any]) -> Any:
    """``decode(stored)`` for a valid entry of ``(kind, key)`` (when decoding
    fails, as without one); else ``build()``, stored as ``encode(value)``.
    ``build``'s exceptions propagate (nothing is stored)."""
    stored = get(kind, key)
    if stored is not None:
        try:
            return decode(stored)
        except Exception:  # noqa: BLE001 - a well-formed entry of the wrong shape
            pass
    value = build()
    if enabled():
        try:
            encoded = encode(value)
        except Exception:  # noqa: BLE001 - a value that cannot be stored is only not stored
            return value
        put(kind, key, encoded)
    return value


# ------------------------------------------------------- plain data <-> JSON


def encode_data(value: Any) -> Any:
    """``value`` (dicts with any scalar keys, lists, tuples, sets, strings,
    numbers, booleans, None) as JSON data that :func:`decode_data` turns
    back into an equal value of the same types, dict and list order kept.
    Raises TypeError for anything else."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, list):
        return [encode_data(v) for v in value]
    if isinstance(value, tuple):
        return {"t": [encode_data(v) for v in value]}
    if isinstance(value, dict):
        return {"d": [[encode_data(k), encode_data(v)] for k, v in value.items()]}
    if isinstance(value, (set, frozenset)):
        return {"f" if isinstance(value, frozenset) else "s": [encode_data(v) for v in value]}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def decode_data(data: Any) -> Any:
    """The value :func:`encode_data` encoded (ValueError for anything it
    cannot have written)."""
    if isinstance(data, list):
        return [decode_data(v) for v in data]
    if not isinstance(data, dict):
        return data
    if len(data) != 1:
        raise ValueError("not encoded data")
    (tag, items), = data.items()
    if tag == "d":
        return {_key(decode_data(k)): decode_data(v) for k, v in items}
    values = [decode_data(v) for v in items]
    if tag == "t":
        return tuple(values)
    if tag == "s":
        return set(values)
    if tag == "f":
        return frozenset(values)
    raise ValueError(f"unknown tag {tag!r}")


def _key(value: Any) -> Any:
    if isinstance(value, (list, dict, set)):
        raise ValueError("unhashable key")
    return value
