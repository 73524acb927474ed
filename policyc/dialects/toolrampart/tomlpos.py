"""Key positions in a TOML document, found by a light scan of its text.

``tomllib`` gives values without positions, and policyc takes no TOML
library that keeps them. :func:`key_positions` walks the text once,
skipping strings (basic, literal, multi-line), comments and arrays, and
records where every key is written:

* ``[table]`` and ``[[array]]`` headers (the header's dotted path);
* ``key = value`` lines, dotted keys included (``a.b = 1`` records
  ``("a",)`` and ``("a", "b")`` under the current table);
* the keys of inline tables (``"k" = { actor = "x" }`` records
  ``("k", "actor")``), at any depth.

Quoted keys are decoded by ``tomllib`` itself, so escapes are read exactly
as the values were. Keys inside arrays of inline tables are not recorded.
The scan never raises: on text it does not understand it stops recording
for that line. Comments are returned by line (for notes the checks honour).
"""

from __future__ import annotations

import tomllib

from policyc.ir import Span

__all__ = ["key_positions"]

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def key_positions(path: str, text: str) -> tuple[dict[tuple[str, ...], Span], dict[int, str]]:
    """``({key path: span of the key}, {line: comment text})``; the first
    occurrence of a path wins."""
    scanner = _Scanner(path, text)
    try:
        scanner.document()
    except (IndexError, ValueError, RecursionError):
        pass
    return scanner.keys, scanner.comments


class _Scanner:
    def __init__(self, path: str, text: str):
        self.path = path
        self.text = text
        self.i = 0
        self.line = 1
        self.line_start = 0
        self.keys: dict[tuple[str, ...], Span] = {}
        self.comments: dict[int, str] = {}
        self.table: tuple[str, ...] = ()

    # -- low level --------------------------------------------------------
    def peek(self, offset: int = 0) -> str:
        j = self.i + offset
        return self.text[j] if j < len(self.text) else ""

    def advance(self, n: int = 1) -> None:
        for _ in range(n):
            if self.i >= len(self.text):
                return
            if self.text[self.i] == "\n":
                self.line += 1
                self.line_start = self.i + 1
            self.i += 1

    def column(self) -> int:
        return self.i - self.line_start + 1

    def spaces(self) -> None:
        while self.peek() in (" ", "\t"):
            self.advance()

    def blank(self) -> None:
        """Whitespace, newlines and comments (inside arrays)."""
        while True:
            ch = self.peek()
            if ch in (" ", "\t", "\r", "\n"):
                self.advance()
            elif ch == "#":
                self.comment()
            else:
                return

    def comment(self) -> None:
        start = self.i
        line = self.line
        while self.peek() not in ("", "\n"):
            self.advance()
        self.comments[line] = self.text[start:self.i]

    def rest_of_line(self) -> None:
        while self.peek() not in ("", "\n"):
            if self.peek() == "#":
                self.comment()
                return
            self.advance()

    def record(self, path: tuple[str, ...], line: int, column: int, end_column: int) -> None:
        self.keys.setdefault(path, Span(self.path, line, column, line, end_column))

    # -- strings and keys -------------------------------------------------
    def string(self) -> str:
        """Skip a string starting here; return its source text."""
        start = self.i
        quote = self.peek()
        if self.text.startswith(quote * 3, self.i):
            self.advance(3)
            while self.i < len(self.text):
                if quote == '"' and self.peek() == "\\":
                    self.advance(2)
                    continue
                if self.text.startswith(quote * 3, self.i):
                    self.advance(3)
                    while self.peek() == quote:  # up to two quotes may close the content
                        self.advance()
                    break
                self.advance()
            return self.text[start:self.i]
        self.advance()
        while self.peek() not in ("", "\n"):
            ch = self.peek()
            if quote == '"' and ch == "\\":
                self.advance(2)
                continue
            self.advance()
            if ch == quote:
                break
        return self.text[start:self.i]

    def simple_key(self) -> str | None:
        ch = self.peek()
        if ch in ('"', "'"):
            raw = self.string()
            try:
                return next(iter(tomllib.loads(f"{raw} = 0")))
            except (tomllib.TOMLDecodeError, StopIteration):
                return None
        start = self.i
        while self.peek() in _BARE and self.peek() != "":
            self.advance()
        return self.text[start:self.i] if self.i > start else None

    def dotted_key(self, base: tuple[str, ...]) -> tuple[str, ...] | None:
        """A dotted key; records each prefix under ``base``."""
        parts: list[str] = []
        while True:
            self.spaces()
            line, column = self.line, self.column()
            part = self.simple_key()
            if part is None:
                return None
            parts.append(part)
            self.record(base + tuple(parts), line, column, self.column())
            self.spaces()
            if self.peek() != ".":
                return tuple(parts)
            self.advance()

    # -- structure --------------------------------------------------------
    def document(self) -> None:
        while self.i < len(self.text):
            self.spaces()
            ch = self.peek()
            if ch in ("\r", "\n"):
                self.advance()
            elif ch == "#":
                self.comment()
            elif ch == "[":
                self.header()
            elif ch == "":
                return
            else:
                self.key_value(self.table)
                self.rest_of_line()

    def header(self) -> None:
        self.advance()
        double = self.peek() == "["
        if double:
            self.advance()
        path = self.dotted_key(())
        if path is not None:
            self.table = path
        self.rest_of_line()
        del double

    def key_value(self, base: tuple[str, ...]) -> None:
        path = self.dotted_key(base)
        if path is None:
            return
        self.spaces()
        if self.peek() != "=":
            return
        self.advance()
        self.spaces()
        self.value(base + path)

    def value(self, path: tuple[str, ...]) -> None:
        ch = self.peek()
        if ch in ('"', "'"):
            self.string()
        elif ch == "{":
            self.inline_table(path)
        elif ch == "[":
            self.array()
        else:
            while self.peek() not in ("", "\n", ",", "}", "]", "#"):
                self.advance()

    def inline_table(self, path: tuple[str, ...]) -> None:
        self.advance()
        while True:
            self.spaces()
            ch = self.peek()
            if ch == "}":
                self.advance()
                return
            if ch in ("", "\n"):
                return
            if ch == ",":
                self.advance()
                continue
            before = self.i
            self.key_value(path)
            if self.i == before:
                self.advance()

    def array(self) -> None:
        self.advance()
        while True:
            self.blank()
            ch = self.peek()
            if ch == "]":
                self.advance()
                return
            if ch == "":
                return
            if ch == ",":
                self.advance()
            elif ch in ('"', "'"):
                self.string()
            elif ch == "[":
                self.array()
            elif ch == "{":
                self._skip_inline()
            else:
                self.advance()

    def _skip_inline(self) -> None:
        depth = 0
        while self.peek() != "":
            ch = self.peek()
            if ch in ('"', "'"):
                self.string()
                continue
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    self.advance()
                    return
            self.advance()
