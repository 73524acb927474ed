"""A progress bar for long analyses: shown on stderr only when it is a
terminal and the output format is text, so machine-readable output and CI
logs stay clean."""

from __future__ import annotations

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
    if fmt == "text" and console is None:
        from rich.console import Console  # rich only when a bar may show

        console = Console(stderr=True)
    if fmt != "text" or not console.is_terminal:
        yield from items
        return
    from rich.progress import track

    total = len(items) if isinstance(items, Sized) else None
    yield from track(items, description=description, total=total, console=console, transient=True)
