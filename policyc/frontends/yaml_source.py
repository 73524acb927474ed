"""A hardened YAML reader that keeps the exact source position of every node.

Policy files are read with PyYAML's event parser (libyaml's ``CSafeLoader``
when available, else the pure-Python ``SafeLoader``; both report the same
marks) and composed here, iteratively, into small frozen trees:

* :class:`YScalar` -- a resolved scalar (``str``, ``int``, ``float``,
  ``bool`` or ``None``; timestamps stay as their source text) and its tag;
* :class:`YSeq` -- a tuple of nodes;
* :class:`YMap` -- ``(key, value)`` pairs in source order; keys are always
  :class:`YScalar`.

Every node carries a :class:`policyc.ir.Span`: 1-based line and column
(columns count characters, as PyYAML does), inclusive start, exclusive end.

Whatever the input, the only exception the parsing functions raise (besides
``OSError`` from opening a file) is :class:`DiagnosticError`, carrying one of:

========  =================  ==================================================
PC001     yaml-syntax        malformed YAML, several documents, tags, merge
                             keys, non-scalar keys, control characters
PC002     duplicate-key      a mapping repeats a key: the same text (``1`` and
                             ``"1"``, one key to the engine) or the same
                             resolved value (``1`` and ``0x1``); span: the
                             second occurrence
PC003     alias-expansion    aliases expand to more than ``MAX_ALIAS_NODES``
                             nodes, or an alias refers to its own ancestor
PC004     file-too-large     more than ``MAX_BYTES`` bytes
PC005     nesting-too-deep   collections nested deeper than ``MAX_DEPTH``
PC006     invalid-encoding   the bytes are not UTF-8
========  =================  ==================================================

Composition never recurses, so hostile nesting (``'[' * 100000`` or
``'- ' * 100000``) is refused as soon as the parser reports the
``MAX_DEPTH + 1``-th open collection, long before anything deep is built.
Newer libyaml builds stop deep nesting themselves (at 1000 levels, while
scanning ahead of the events); such a document is parsed again with the
pure-Python parser, so PC005 and its line do not depend on the backend or
its version.
Alias expansion is accounted for while composing: each alias adds the size
(in nodes, fully expanded) of the node it refers to, so a billion-laughs
document is refused after a few hundred events.

Scalars are resolved with PyYAML's YAML 1.1 rules (``0o17``/``017`` octal
ints, ...) except booleans, which follow YAML 1.2 as the Go engine's yaml.v3
reads them into string fields: only ``true``/``false`` (any case) are
booleans, so ``name: off`` or ``expect: yes`` stay strings.
``YScalar.text`` keeps the source text.

Keys are not always strings (``1:``, ``true:``, ``null:``). ``YMap.get`` and
``keys()`` use the resolved values; :attr:`YScalar.engine_tag` is what the
engine's yaml.v3 resolves a scalar to (its own YAML 1.2-like rules: ``0o17``
is an int, ``1:20`` a string), :attr:`YScalar.engine_key` the key as the
engine reads it into its structs and string-keyed maps (the source text, or
``None`` for a null key, which the engine skips), and
``to_plain(node, engine_keys=True)`` the document as the engine decodes it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from policyc import sources
from policyc.checks import Check, check
from policyc.diagnostics.model import DiagnosticError, Severity
from policyc.ir import Span

#: The checks this module reports (assembled by :mod:`policyc.checks`).
CHECKS = [
    Check("PC001", "yaml-syntax", Severity.ERROR, "The file is not well-formed YAML."),
    Check("PC002", "duplicate-key", Severity.ERROR,
          "A mapping repeats a key; YAML loaders silently keep the last one."),
    Check("PC003", "alias-expansion", Severity.ERROR,
          "Anchors and aliases expand beyond a safe bound (a billion-laughs bomb)."),
    Check("PC004", "file-too-large", Severity.ERROR, "The policy file is larger than 1 MiB, which the engine refuses."),
    Check("PC005", "nesting-too-deep", Severity.ERROR, "The document nests deeper than any policy needs."),
    Check("PC006", "invalid-encoding", Severity.ERROR, "The file is not valid UTF-8."),
]

try:  # libyaml is much faster; its marks match the pure-Python parser's.
    from yaml import CSafeLoader as _DefaultLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _DefaultLoader

__all__ = [
    "MAX_BYTES", "MAX_DEPTH", "MAX_ALIAS_NODES",
    "YScalar", "YSeq", "YMap", "YNode",
    "read_source", "decode_source", "parse_yaml", "load", "load_bytes",
    "to_plain", "locate", "key_span",
]

MAX_BYTES = 1 << 20
"""Largest accepted policy file, in bytes (1 MiB, the engine's limit)."""

MAX_DEPTH = 64
"""Deepest accepted collection nesting (the root collection is depth 1)."""

MAX_ALIAS_NODES = 10_000
"""Most nodes that aliases may add to a document once fully expanded."""

_YAML = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_YAML + t for t in ("str", "int", "float", "bool", "null"))
_TIMESTAMP, _SEQ, _MAP = _YAML + "timestamp", _YAML + "seq", _YAML + "map"
_MERGE, _VALUE = _YAML + "merge", _YAML + "value"
_SCALAR_TAGS = frozenset({_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP})

_QUOTE_STYLES = ("'", '"')
# libyaml's own nesting limit ("exceeded maximum nesting depth"); see _parse.
_NESTING_LIMIT = "maximum nesting depth"
_BOM = "\ufeff"
_UTF8_BOM = b"\xef\xbb\xbf"
# YAML 1.1 line breaks, as both PyYAML and libyaml count them for marks.
_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

class _Yaml12BoolResolver(Resolver):
    """PyYAML's resolver with YAML 1.2 booleans (see the module docstring)."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in entries if tag != "tag:yaml.org,2002:bool"]
        for first, entries in Resolver.yaml_implicit_resolvers.items()
    }


_Yaml12BoolResolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_RESOLVER = _Yaml12BoolResolver()
_CONSTRUCTOR = SafeConstructor()

# yaml.v3's resolution of a plain scalar (its resolve.go, as Rampart's engine
# reads keys): YAML 1.2-ish, unlike PyYAML's 1.1 rules (``0o17``, ``1e3`` and
# ``08`` are numbers to it, ``1:20`` and ``2023-02-30`` are strings).
_GO_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_GO_BOOLS = frozenset({"true", "True", "TRUE", "false", "False", "FALSE"})
_GO_FLOAT_WORDS = frozenset(f"{sign}{dot}" for sign in ("", "+", "-")
                            for dot in (".inf", ".Inf", ".INF")) | {".nan", ".NaN", ".NAN"}
_GO_INT = re.compile(r"[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)\Z")
_GO_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_GO_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:(?:[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.[0-9]+)?(?:Z|[-+][0-9]{2}:[0-9]{2}))"
    r"|(?: ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.[0-9]+)?))?\Z")


def _go_plain_tag(text: str) -> str:
    """The tag yaml.v3 resolves an untagged plain scalar to."""
    if text in _GO_NULLS:
        return _NULL
    if text in _GO_BOOLS:
        return _BOOL
    if text in _GO_FLOAT_WORDS:
        return _FLOAT
    if text[0] == ".":
        return _FLOAT if _GO_FLOAT.match(text) and _finite(text) else _STR
    if text[0] not in "+-0123456789":
        return _STR
    if _go_timestamp(text):
        return _TIMESTAMP
    plain = text.replace("_", "")
    if _GO_INT.match(plain) and _go_int_fits(plain):
        return _INT
    if _GO_FLOAT.match(plain) and _finite(plain):
        return _FLOAT  # also a decimal int too large for uint64
    return _STR


def _finite(text: str) -> bool:
    return abs(float(text)) != float("inf")  # Go's ParseFloat fails on overflow


def _go_int_fits(text: str) -> bool:
    """Whether Go's ParseInt (int64) or ParseUint (uint64, unsigned) reads
    ``text``, a match of ``_GO_INT``, with base 0."""
    digits = text.lstrip("+-")
    prefix = digits[:2].lower()
    try:
        if prefix in ("0x", "0o", "0b"):
            value = int(digits[2:], {"x": 16, "o": 8, "b": 2}[prefix[1]])
        else:
            value = int(digits, 8 if len(digits) > 1 and digits[0] == "0" else 10)  # 017 is octal
    except ValueError:  # Python's limit on decimal digits: far beyond 64 bits
        return False
    if text[0] == "-":
        value = -value
    return -(1 << 63) <= value < (1 << 63) or (text[0] not in "+-" and value < (1 << 64))


def _go_timestamp(text: str) -> bool:
    m = _GO_TIMESTAMP.match(text)
    if m is None:
        return False
    year, month, day = (int(g) for g in m.groups()[:3])
    clock = [int(g) for g in m.groups()[3:] if g is not None]
    try:
        dt.date(year or 2000, month, day)  # Go has a year 0 (a leap year), Python none
    except ValueError:
        return False
    return not clock or (clock[0] < 24 and clock[1] < 60 and clock[2] < 60)


# --------------------------------------------------------------------------
# Nodes


@dataclass(frozen=True)
class YScalar:
    """A scalar: ``value`` resolved as ``yaml.safe_load`` would (``str``,
    ``int``, ``float``, ``bool`` or ``None``; a timestamp keeps its source
    text), ``tag`` its resolved tag (``tag:yaml.org,2002:int`` ...), ``style``
    ``None`` for plain scalars or one of ``' " | >``, and ``text`` the scalar's
    text before resolution (``"yes"`` for the boolean ``True`` read from
    ``yes``). The span covers the quotes of a quoted scalar."""

    value: str | int | float | bool | None
    span: Span
    tag: str
    style: str | None = None
    text: str = ""
    engine_tag: str = ""
    """The tag the engine's yaml.v3 resolves the scalar to (YAML 1.2-ish for
    plain scalars: ``0o17`` is an int to it, ``1:20`` a string); ``tag`` when
    empty."""

    @property
    def is_string(self) -> bool:
        """Whether the engine's YAML reads the scalar as a string (its
        :attr:`engine_tag` is ``!!str``; a timestamp is not one)."""
        return (self.engine_tag or self.tag) == _STR

    @property
    def engine_kind(self) -> str:
        """:attr:`engine_tag` for messages: ``"an integer"``, ``"a float"``,
        ``"a boolean"``, ``"a timestamp"``, ``"null"`` or ``"a string"``."""
        return _KINDS.get(self.engine_tag or self.tag, "a string")

    @property
    def engine_key(self) -> str | None:
        """The scalar as the Go engine (yaml.v3) reads it as the key of a
        struct field or of a string-keyed map (``map[string]string``,
        ``map[string]any``): its source text, whatever YAML resolves it to
        (``1``, ``01``, ``0x10``, ``1.50``, ``True``, ``2024-01-02`` stay
        those strings; no canonical form), or ``None`` for a null (``null``,
        ``Null``, ``NULL``, ``~`` or an empty key), which yaml.v3 cannot
        store in a string: it skips the entry without reading its value."""
        return None if (self.engine_tag or self.tag) == _NULL else self.text

    @property
    def value_offset(self) -> int:
        """Columns from ``span.column`` to the first character of the value:
        1 for single- or double-quoted scalars, else 0.

        ``span.shifted(value_offset + i)`` points at character ``i`` of the
        value only for a single-line scalar without escapes (``\\n``, ``''``)
        and, for block scalars (``|``, ``>``), not at all: their text starts
        on the next line."""
        return 1 if self.style in _QUOTE_STYLES else 0


@dataclass(frozen=True)
class YSeq:
    """A sequence: ``items`` in source order."""

    items: tuple[YNode, ...]
    span: Span

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class YMap:
    """A mapping: ``(key, value)`` pairs in source order. Keys are unique
    (duplicates are refused with PC002) and always scalars."""

    items: tuple[tuple[YScalar, YNode], ...]
    span: Span

    def key_node(self, key: Any) -> YScalar | None:
        """The key scalar whose resolved value equals ``key``, or ``None``."""
        want = _key_identity(key)
        for k, _ in self.items:
            if _key_identity(k.value) == want:
                return k
        return None

    def get(self, key: Any) -> YNode | None:
        """The value stored under ``key`` (compared with the keys' resolved
        values, so ``get(1)`` finds ``1:``), or ``None`` if absent."""
        want = _key_identity(key)
        for k, v in self.items:
            if _key_identity(k.value) == want:
                return v
        return None

    def keys(self) -> tuple[Any, ...]:
        """The keys' resolved values, in source order."""
        return tuple(k.value for k, _ in self.items)

    def engine_entry(self, name: str) -> tuple[YScalar, YNode] | None:
        """The ``(key, value)`` pair whose key the engine reads as ``name``
        (:attr:`YScalar.engine_key`: ``engine_entry("1")`` finds ``1:`` and
        ``"1":``), or ``None``."""
        for k, v in self.items:
            if k.engine_key == name:
                return k, v
        return None

    def __contains__(self, key: Any) -> bool:
        return self.key_node(key) is not None

    def __len__(self) -> int:
        return len(self.items)


YNode = Union[YScalar, YSeq, YMap]


def _key_identity(value: Any) -> tuple[bool, Any]:
    # ``True == 1`` in Python, but ``true:`` and ``1:`` are different keys.
    return (isinstance(value, bool), value)


_KINDS = {_INT: "an integer", _FLOAT: "a float", _BOOL: "a boolean", _NULL: "null",
          _TIMESTAMP: "a timestamp", _STR: "a string"}


# --------------------------------------------------------------------------
# Bytes to text


def read_source(path: str) -> tuple[bytes, str]:
    """Read ``path`` and return ``(raw bytes, decoded text)``.

    The text has a leading UTF-8 byte-order mark removed. Raises
    :class:`DiagnosticError` PC004 when the file is over ``MAX_BYTES`` bytes
    (checked with ``fstat`` before reading, and again by reading at most
    ``MAX_BYTES + 1`` bytes) and PC006 when it is not UTF-8. ``OSError``
    (missing file, directory, permissions) propagates.
    """
    data = sources.read(path, MAX_BYTES).data  # shared with the renderer and suppressions
    if len(data) > MAX_BYTES:
        size = os.stat(path).st_size
        if size > MAX_BYTES:
            raise _too_large(path, size)
        raise _too_large(path, len(data), exact=False)  # a special file
    return data, decode_source(data, path)


def decode_source(data: bytes, path: str) -> str:
    """Decode a policy file's bytes as UTF-8 and drop a leading BOM.

    Raises :class:`DiagnosticError` PC004 for more than ``MAX_BYTES`` bytes
    and PC006, located at the line and column of the first bad byte, for
    bytes that are not UTF-8.
    """
    if len(data) > MAX_BYTES:
        raise _too_large(path, len(data))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad_encoding(data, exc, path) from None
    return text[1:] if text.startswith(_BOM) else text


def _too_large(path: str, size: int, *, exact: bool = True) -> DiagnosticError:
    what = f"{size} bytes" if exact else f"more than {MAX_BYTES} bytes"
    return DiagnosticError(check("PC004").at(
        Span(path, 1, 1),
        f"policy file is {what}; the limit is {MAX_BYTES} bytes (1 MiB)",
        help="the engine refuses policy files over 1 MiB; split the policy into several files",
        label="file too large",
    ))


def _bad_encoding(data: bytes, exc: UnicodeDecodeError, path: str) -> DiagnosticError:
    offset = exc.start
    prefix = data[:offset].decode("utf-8")  # valid: the decoder got this far
    skip = 1 if prefix.startswith(_BOM) else 0
    line, column = _line_col(prefix, len(prefix), skip)
    bad = data[offset]
    hint = "re-save the file as UTF-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        hint = "the file starts with a UTF-16 byte-order mark; re-save it as UTF-8"
    return DiagnosticError(check("PC006").at(
        Span(path, line, column, line, column + 1),
        f"file is not valid UTF-8: byte 0x{bad:02x} at byte offset {offset} ({exc.reason})",
        help=hint,
        label="invalid UTF-8",
        byte_offset=offset,
    ))


def _line_col(text: str, index: int, start: int = 0) -> tuple[int, int]:
    """1-based (line, column) of character ``index`` of ``text``, counting
    line breaks as YAML 1.1 does; characters before ``start`` are not counted
    (a BOM)."""
    line, line_start = 1, start
    for m in _BREAK.finditer(text, start, index):
        line += 1
        line_start = m.end()
    return line, index - line_start + 1


# --------------------------------------------------------------------------
# Text to nodes


def load(path: str) -> YNode | None:
    """Read and parse the YAML file at ``path``; see :func:`read_source` and
    :func:`parse_yaml` for the result and the errors raised."""
    _, text = read_source(path)
    return parse_yaml(text, path)


def load_bytes(data: bytes, path: str) -> YNode | None:
    """Decode (:func:`decode_source`) and parse (:func:`parse_yaml`) ``data``;
    ``path`` is only used in spans."""
    return parse_yaml(decode_source(data, path), path)


def parse_yaml(text: str, path: str) -> YNode | None:
    """Parse one YAML document into a node tree with spans naming ``path``.

    Returns ``None`` when the text holds no document or a document with no
    content (only comments, or a bare ``---``). A leading BOM is ignored.

    Raises :class:`DiagnosticError` -- and nothing else -- with PC001 (syntax,
    located at PyYAML's problem mark; more than one document; tags other than
    the plain core ones; merge keys; non-scalar keys; duplicate or undefined
    anchors; control characters), PC002 (duplicate key, at the second
    occurrence), PC003 (alias expansion over ``MAX_ALIAS_NODES`` nodes or a
    recursive alias), PC004 (over ``MAX_BYTES`` bytes) or PC005 (nesting over
    ``MAX_DEPTH``).
    """
    return _parse(text, path, _DefaultLoader)


def _parse(text: str, path: str, loader_cls: type) -> YNode | None:
    if not isinstance(text, str):
        raise TypeError("parse_yaml expects str; use load_bytes for bytes")
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise _too_large(path, len(text.encode("utf-8", "surrogatepass")))
    if text.startswith(_BOM):
        # Drop it so columns on line 1 match what editors show.
        text = text[1:]
    bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if bad:
        ch = bad.group()
        line, col = _line_col(text, bad.start())
        raise _syntax(path, line, col,
                      f"invalid character U+{ord(ch):04X}: control characters and "
                      "unpaired surrogates are not allowed in YAML",
                      label="invalid character")
    try:
        return _Composer(text, path, loader_cls).compose()
    except DiagnosticError:
        raise
    except yaml.MarkedYAMLError as exc:
        if loader_cls is not yaml.SafeLoader and _NESTING_LIMIT in str(exc.problem):
            # libyaml (0.2.5 as bundled with PyYAML >= 6.0.4) stops at its own
            # depth, scanning ahead of the events; the pure-Python parser has
            # no such limit, so it reports PC005 at our MAX_DEPTH + 1-th level.
            return _parse(text, path, yaml.SafeLoader)
        raise _from_marked(exc, text, path) from None
    except yaml.reader.ReaderError as exc:
        raise _from_reader(exc, text, path, loader_cls) from None
    except Exception as exc:  # never let a traceback escape (RecursionError, ...)
        raise _syntax(path, 1, 1, f"could not parse YAML: {type(exc).__name__}: {exc}") from None


def _syntax(path: str, line: int, col: int, message: str, *, help: str | None = None,
            label: str | None = None, span: Span | None = None) -> DiagnosticError:
    return DiagnosticError(check("PC001").at(
        span or Span(path, line, col, line, col + 1), message, help=help,
        label=label or "here"))


def _from_marked(exc: yaml.MarkedYAMLError, text: str, path: str) -> DiagnosticError:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or exc.context or "invalid YAML"
    helps = []
    if exc.context and exc.problem:
        where = ""
        if exc.context_mark is not None:
            where = f" at {exc.context_mark.line + 1}:{exc.context_mark.column + 1}"
        helps.append(f"{exc.context}{where}")
    if (mark is not None and _char_at(text, mark) == "\t") or "tab" in problem:
        helps.append("YAML indentation must use spaces; replace the tab characters")
    return _syntax(path, line, col, f"YAML syntax error: {problem}",
                   help="; ".join(helps) or None, label=problem)


def _char_at(text: str, mark: Any) -> str:
    index = getattr(mark, "index", None)
    if isinstance(index, int) and 0 <= index < len(text):
        return text[index]
    return ""


def _from_reader(exc: yaml.reader.ReaderError, text: str, path: str,
                 loader_cls: type) -> DiagnosticError:
    # libyaml reports a byte offset into the UTF-8 encoding; PyYAML a
    # character index. Only reachable for characters the pre-check missed.
    position = exc.position if isinstance(exc.position, int) else 0
    if not issubclass(loader_cls, yaml.reader.Reader):
        position = len(text.encode("utf-8", "surrogatepass")[:position]
                       .decode("utf-8", "ignore"))
    line, col = _line_col(text, min(position, len(text)))
    return _syntax(path, line, col, f"YAML syntax error: {exc.reason}",
                   label="invalid character")


def _span(path: str, start: Any, end: Any) -> Span:
    return Span(path, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


class _Frame:
    __slots__ = ("is_map", "start", "anchor", "items", "key", "size", "seen", "seen_text", "flow")

    def __init__(self, is_map: bool, start: Any, anchor: str | None, flow: bool):
        self.is_map = is_map
        self.start = start
        self.anchor = anchor
        self.items: list = []
        self.key: YNode | None = None   # a key waiting for its value
        self.size = 1                   # nodes in the expanded subtree
        self.seen: dict = {}            # key identity -> first key scalar
        self.seen_text: dict = {}       # key text -> first key scalar
        self.flow = flow


_IN_PROGRESS = object()


class _Composer:
    """Turns PyYAML events into nodes with an explicit stack (no recursion)."""

    def __init__(self, text: str, path: str, loader_cls: type):
        self.text = text
        self.path = path
        self.loader_cls = loader_cls
        self.stack: list[_Frame] = []
        self.anchors: dict[str, Any] = {}   # name -> (node, size) | _IN_PROGRESS
        self.anchor_spans: dict[str, Span] = {}
        self.alias_nodes = 0
        self.root: YNode | None = None
        self.documents = 0

    def compose(self) -> YNode | None:
        loader = self.loader_cls(self.text)
        try:
            while True:
                event = loader.get_event()
                if isinstance(event, yaml.StreamEndEvent):
                    break
                self.handle(event)
        finally:
            loader.dispose()
        root = self.root
        if (isinstance(root, YScalar) and root.value is None and root.style is None
                and root.text == ""):
            return None  # a bare "---" document
        return root

    def handle(self, event: Any) -> None:
        if isinstance(event, yaml.ScalarEvent):
            self.scalar(event)
        elif isinstance(event, yaml.AliasEvent):
            self.alias(event)
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            self.open(event)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            self.close(event)
        elif isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                span = _span(self.path, event.start_mark, event.end_mark)
                if span.end_line == span.line and span.end_column == span.column:
                    span = dataclasses.replace(span, end_column=span.column + 1)
                raise _syntax(self.path, 0, 0,
                              "expected a single document, but found another one",
                              help="a policy file holds exactly one YAML document; "
                                   "remove the extra '---' or split the file",
                              label="second document starts here", span=span)
        # StreamStart, DocumentEnd: nothing to do.

    # -- helpers -----------------------------------------------------------

    def define(self, anchor: str | None, span: Span) -> None:
        if anchor is None:
            return
        if anchor in self.anchors:
            first = self.anchor_spans[anchor]
            raise _syntax(self.path, 0, 0,
                          f"duplicate anchor &{anchor}; first defined on line {first.line}",
                          label="anchor redefined", span=span)
        self.anchors[anchor] = _IN_PROGRESS
        self.anchor_spans[anchor] = span

    def check_tag(self, tag: str | None, span: Span, allowed: frozenset) -> None:
        if tag is None or tag == "!" or tag in allowed:
            return
        shown = "!!" + tag[len(_YAML):] if tag.startswith(_YAML) else tag
        raise _syntax(self.path, 0, 0, f"unsupported tag '{shown}'",
                      help="policy files are plain YAML: remove the tag",
                      label="unsupported tag", span=span)

    def scalar(self, event: Any) -> None:
        span = _span(self.path, event.start_mark, event.end_mark)
        style = event.style or None
        tag = event.tag
        self.check_tag(tag, span, _SCALAR_TAGS)
        if tag is None or tag == "!":
            tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)
        text = event.value
        if tag == _MERGE:
            if self.stack and self.stack[-1].is_map and self.stack[-1].key is None:
                raise _syntax(self.path, 0, 0, "merge keys ('<<') are not supported",
                              help="write the keys out in full instead of merging an alias",
                              label="merge key", span=span)
            tag = _STR
        elif tag == _VALUE:
            tag = _STR
        if tag == _TIMESTAMP:
            value: Any = text
        else:
            node = yaml.ScalarNode(tag, text, event.start_mark, event.end_mark, style)
            try:
                value = _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, node)
            except Exception as exc:  # e.g. "!!int abc", a 5000-digit int
                shown = "!!" + tag[len(_YAML):]
                raise _syntax(self.path, 0, 0, f"cannot read {text!r} as {shown}: {exc}",
                              label="bad scalar", span=span) from None
        engine_tag = tag
        if event.tag in (None, "!"):  # yaml.v3 reads `! x` as it reads `x`
            engine_tag = _go_plain_tag(text) if style is None else _STR
        result = YScalar(value, span, tag, style, text, engine_tag)
        self.define(event.anchor, span)
        self.finish(event.anchor, result, 1)

    def alias(self, event: Any) -> None:
        span = _span(self.path, event.start_mark, event.end_mark)
        name = event.anchor
        target = self.anchors.get(name)
        if target is None:
            raise _syntax(self.path, 0, 0, f"undefined alias *{name}",
                          help="define the anchor (&name) before using it",
                          label="unknown anchor", span=span)
        if target is _IN_PROGRESS:
            raise DiagnosticError(check("PC003").at(
                span, f"alias *{name} refers to a node that contains it (a recursive alias)",
                help="recursive structures cannot be expanded", label="recursive alias"))
        node, size = target
        self.alias_nodes += size
        if self.alias_nodes > MAX_ALIAS_NODES:
            raise DiagnosticError(check("PC003").at(
                span,
                f"aliases expand to more than {MAX_ALIAS_NODES} nodes "
                "(a billion-laughs document?)",
                help="write the values out instead of nesting aliases",
                label="expansion limit exceeded here"))
        self.attach(dataclasses.replace(node, span=span), size)

    def open(self, event: Any) -> None:
        is_map = isinstance(event, yaml.MappingStartEvent)
        span = _span(self.path, event.start_mark, event.end_mark)
        if len(self.stack) >= MAX_DEPTH:
            raise DiagnosticError(check("PC005").at(
                span, f"collections nest more than {MAX_DEPTH} levels deep",
                help="no policy needs this much nesting; flatten the document",
                label=f"level {len(self.stack) + 1}"))
        self.check_tag(event.tag, span, frozenset({_MAP if is_map else _SEQ}))
        self.define(event.anchor, span)
        self.stack.append(_Frame(is_map, event.start_mark, event.anchor,
                                 bool(event.flow_style)))

    def close(self, event: Any) -> None:
        frame = self.stack.pop()
        if frame.flow or not frame.items:
            span = _span(self.path, frame.start, event.end_mark)
        else:
            # A block collection ends where its last node ends, not at the
            # next token (which may be lines further on, past comments).
            last = frame.items[-1]
            last_span = (last[1] if frame.is_map else last).span
            start = _span(self.path, frame.start, frame.start)
            span = Span(self.path, start.line, start.column,
                        last_span.end_line, last_span.end_column)
        if frame.is_map:
            node: YNode = YMap(tuple(frame.items), span)
        else:
            node = YSeq(tuple(frame.items), span)
        self.finish(frame.anchor, node, frame.size)

    def finish(self, anchor: str | None, node: YNode, size: int) -> None:
        if anchor is not None:
            self.anchors[anchor] = (node, size)
        self.attach(node, size)

    def check_duplicate(self, frame: _Frame, node: YScalar) -> None:
        """PC002 when ``node`` repeats a key of ``frame``: the same text (what
        the engine's yaml.v3 compares: ``1`` and ``"1"`` are one key to it,
        and it refuses the file) or the same resolved value (``1`` and
        ``0x1``: one key to a loader that resolves keys, and to the engine
        inside free-form values)."""
        ident = _key_identity(node.value)
        first = frame.seen_text.get(node.text) or frame.seen.get(ident)
        if first is not None:
            how = "YAML loaders silently keep only the last value"
            if first.text == node.text and first.engine_kind != node.engine_kind:
                how = (f"the engine compares keys by their text, so {first.engine_kind} "
                       f"{first.text!r} and {node.engine_kind} {node.text!r} are the same key and "
                       "it refuses the file")
            elif first.text != node.text:
                how = (f"{first.text!r} and {node.text!r} resolve to the same value; loaders that "
                       "resolve keys keep only the last one")
            raise DiagnosticError(check("PC002").at(
                node.span,
                f"duplicate key {node.text!r}: first defined on line {first.span.line}",
                help=f"{how}; remove or merge one of them",
                label="duplicate key", first_line=first.span.line))
        frame.seen[ident] = node
        frame.seen_text[node.text] = node

    def attach(self, node: YNode, size: int) -> None:
        if not self.stack:
            self.root = node
            return
        frame = self.stack[-1]
        frame.size += size
        if not frame.is_map:
            frame.items.append(node)
            return
        if frame.key is None:
            if not isinstance(node, YScalar):
                kind = "mapping" if isinstance(node, YMap) else "sequence"
                raise _syntax(self.path, 0, 0,
                              f"mapping keys must be scalars, not a {kind}",
                              label="complex key", span=node.span)
            self.check_duplicate(frame, node)
            frame.key = node
            return
        frame.items.append((frame.key, node))
        frame.key = None


# --------------------------------------------------------------------------
# Queries


def to_plain(node: YNode | None, *, engine_keys: bool = False) -> Any:
    """The plain Python value of ``node``: ``dict`` (keys are the keys'
    resolved values, in source order), ``list``, or a scalar value; ``None``
    for ``None``. Aliased nodes are expanded (bounded by composition).

    With ``engine_keys``, every mapping's keys are read as the engine reads
    the keys of its structs and string-keyed maps (:attr:`YScalar.engine_key`:
    the source text, ``{"1": ...}`` for ``1:``) and null keys are left out,
    as the engine skips them; the caller reports those."""
    if node is None:
        return None
    if isinstance(node, YScalar):
        return node.value
    if isinstance(node, YSeq):
        return [to_plain(item, engine_keys=engine_keys) for item in node.items]
    if engine_keys:
        return {k.engine_key: to_plain(v, engine_keys=True)
                for k, v in node.items if k.engine_key is not None}
    return {k.value: to_plain(v) for k, v in node.items}


def locate(root: YNode, json_path: Sequence[str | int]) -> Span:
    """The span of :func:`node_at` ``(root, json_path)``."""
    return node_at(root, json_path).span


def node_at(root: YNode, json_path: Sequence[str | int]) -> YNode:
    """The node at ``json_path`` (mapping keys and sequence indices, as
    ``jsonschema``'s ``error.absolute_path`` gives them) below ``root``. When
    the path leaves the tree, the deepest node that exists is returned."""
    node = root
    for step in json_path:
        nxt: YNode | None = None
        if isinstance(node, YMap):
            nxt = node.get(step)
            if nxt is None and isinstance(step, str):  # a path of to_plain(engine_keys=True)
                entry = node.engine_entry(step)
                nxt = entry[1] if entry is not None else None
        elif isinstance(node, YSeq) and isinstance(step, int) and not isinstance(step, bool):
            if -len(node.items) <= step < len(node.items):
                nxt = node.items[step]
        if nxt is None:
            break
        node = nxt
    return node


def key_span(mapping: YMap, key: Any) -> Span | None:
    """The span of ``key`` itself (not its value) in ``mapping``, or ``None``
    when the mapping has no such key."""
    k = mapping.key_node(key)
    if k is None and isinstance(key, str):  # a key of to_plain(engine_keys=True)
        entry = mapping.engine_entry(key)
        k = entry[0] if entry is not None else None
    return k.span if k is not None else None
