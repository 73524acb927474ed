"""The dialect registry: which dialect reads a file.

Rampart is the default dialect (its front end is :mod:`policyc.dialects.rampart.frontend`
and its pipeline the one ``policyc check`` has always run). Every other
dialect is a package under ``policyc/dialects/`` named by one line of
:data:`policyc.dialects.DIALECTS`; the package provides:

* ``NAME`` (``str``): the dialect's name in messages, bundles and ``--dialect``;
* ``claims(keys) -> bool``: whether a YAML document whose top level is a
  mapping with these keys (``{key: scalar value or None}``, from
  :func:`policyc.recognise.top_level`) is one of its files;
* ``check_paths(paths) -> list[Diagnostic]``: every load diagnostic and
  finding of its checks for those files, never raising on bad content;
* a ``checks`` module whose ``CHECKS`` lists its checks (the check registry,
  :mod:`policyc.checks`, reads it);
* optionally ``owns(path) -> bool``, for dialects whose files are not YAML:
  whether a file named on the command line is one of its files (by name),
  and ``discovers(path) -> bool``: whether a file met in a directory given
  on the command line is (by name and a cheap look at its text, so a
  directory of unrelated Python code is not read as tool modules).

A mapping no dialect claims is Rampart's. A file with no top-level mapping
(empty, only comments, broken, unreadable) belongs to the dialect of its
directory's other policy files when they are all one registered dialect's
(the toolkit's engine loads a whole directory, and an empty file there
fails that load), else to Rampart; either front end then says what is
wrong with it.
"""

from __future__ import annotations

import importlib
import os
from functools import lru_cache
from types import ModuleType

from policyc.dialects import DIALECTS
from policyc.recognise import top_level_keys



def dialects() -> list[ModuleType]:
    """The registered dialect packages, imported, in :data:`DIALECTS` order."""
    return [importlib.import_module(name) for name in DIALECTS]


def dialect_of(path: str) -> ModuleType | None:
    """The registered dialect that claims the file at ``path``, or ``None``
    for Rampart (also when the file cannot be read or parsed). Reads only
    the top-level keys of the first document; never raises."""
    owner = next((d for d in dialects() if hasattr(d, "owns") and d.owns(path)), None)
    if owner is not None:
        return owner
    keys = top_level_keys(path)
    if keys is None:
        return _directory_dialect(os.path.dirname(os.path.abspath(path)))
    return _claimer(keys)


def discovered(directory: str) -> list[str]:
    """The files of ``directory`` (not recursive, sorted by name) that a
    dialect with ``discovers`` reads although they are not YAML; ``[]`` when
    the directory cannot be listed."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    finders = [d for d in dialects() if hasattr(d, "discovers")]
    paths = [os.path.join(directory, name) for name in names]
    return [p for p in paths if os.path.isfile(p) and any(d.discovers(p) for d in finders)]


def _claimer(keys: dict) -> ModuleType | None:
    return next((d for d in dialects() if d.claims(keys)), None)


@lru_cache(maxsize=64)
def _directory_dialect(directory: str) -> ModuleType | None:
    """The registered dialect that claims every top-level mapping among the
    YAML files of ``directory`` (not recursive), if there is one and only
    one such dialect; else ``None``."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return None
    found = set()
    for name in names:
        path = os.path.join(directory, name)
        if name.endswith((".yaml", ".yml")) and os.path.isfile(path):
            keys = top_level_keys(path)
            if keys is not None:
                found.add(_claimer(keys))
    return found.pop() if len(found) == 1 else None


def partition(paths: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """``(Rampart files, {dialect NAME: its files})``, each list in the order
    of ``paths``."""
    rampart: list[str] = []
    others: dict[str, list[str]] = {}
    for path in paths:
        dialect = dialect_of(path)
        if dialect is None:
            rampart.append(path)
        else:
            others.setdefault(dialect.NAME, []).append(path)
    return rampart, others


def commands_of(dialect: ModuleType) -> ModuleType:
    """``dialect``'s ``commands`` module (see the module docstring)."""
    return importlib.import_module(dialect.__name__ + ".commands")


def dialect_of_tree(path: str) -> ModuleType | None:
    """The registered dialect that reads ``path``: for a file, :func:`dialect_of`;
    for a directory, the one dialect that claims all of its policy files
    (its YAML files and the files it :func:`discovered`, not recursive),
    ``None`` when they are Rampart's, mixed or none. Never raises."""
    if not os.path.isdir(path):
        return dialect_of(path) if os.path.isfile(path) else None
    try:
        names = sorted(os.listdir(path))
    except OSError:
        return None
    files = [os.path.join(path, n) for n in names if n.endswith((".yaml", ".yml"))]
    rampart, others = partition([f for f in files if os.path.isfile(f)] + discovered(path))
    return by_name(next(iter(others))) if len(others) == 1 and not rampart else None


def by_name(name: str) -> ModuleType:
    """The registered dialect called ``name``; ``KeyError`` if none is."""
    for dialect in dialects():
        if dialect.NAME == name:
            return dialect
    raise KeyError(name)
