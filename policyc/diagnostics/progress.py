"""A progress bar for long analyses: shown on stderr only when it is a
terminal and the output format is text, so machine-readable output and CI
logs stay clean."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Sized
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from rich.console import Console

T = TypeVar("T")


def progress(items: Iterable[T], description: str, *, fmt: str = "text",
             console: Console | None = None) -> Iterator[T]:
    """Yield ``items``; while doing so, show a transient rich progress bar
    on ``console`` (default: stderr) when ``fmt`` is ``"text"`` and the
    console is a terminal. ``items`` should be sized for a bar with a total."""
    if fmt == "text" and console is None and not _may_be_terminal():
        yield from items  # rich would find no terminal either: no need to import it
        return
    if fmt == "text" and console is None:
        from rich.console import Console  # rich only when a bar may show

        console = Console(stderr=True)
    if fmt != "text" or not console.is_terminal:
        yield from items
        return
    from rich.progress import track

    total = len(items) if isinstance(items, Sized) else None
    yield from track(items, description=description, total=total, console=console, transient=True)


def _may_be_terminal() -> bool:
    """False only when rich's ``Console(stderr=True).is_terminal`` is surely
    False: no ``TTY_COMPATIBLE=1``, no non-empty ``FORCE_COLOR`` (rich's
    overrides), and stderr is no tty."""
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    force = os.environ.get("FORCE_COLOR")
    if force is not None:
        return force != ""
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):
        return False
