"""Paths as CI systems want them: relative to the working directory, with
forward slashes, so results line up with the repository checkout."""

from __future__ import annotations

import os
from pathlib import Path


def relative_path(path: str, cwd: str | os.PathLike | None = None) -> str | None:
    """``path`` relative to ``cwd`` (default: the current directory) with
    ``/`` separators; ``None`` when ``path`` lies outside ``cwd``."""
    base = os.path.abspath(cwd if cwd is not None else os.getcwd())
    relative = os.path.relpath(os.path.abspath(path), base)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep) or os.path.isabs(relative):
        return None
    return Path(relative).as_posix()
