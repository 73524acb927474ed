"""Read a toolkit policy file as js-yaml 4 (``yaml.load``, DEFAULT_SCHEMA) does.

Parsing and positions come from :mod:`policyc.frontends.yaml_source` (its
limits included: 1 MiB, 64 levels, alias expansion, UTF-8). Every scalar is
then resolved again with js-yaml 4.3's rules instead of PyYAML's, from the
scalar's source text, style and tag:

* plain, untagged: ``null``/``Null``/``NULL``/``~``/empty are null;
  ``true``/``True``/``TRUE`` and the three ``false`` are booleans (``yes``,
  ``on``, ``y`` stay strings); integers are decimal (``012`` is 12), ``0x``
  hex, ``0o`` octal, ``0b`` binary, lower-case prefixes only, an optional
  sign, no underscores (``1_000`` is a string); floats as YAML 1.2 core
  (``1e3``, ``.5``, ``1.``, ``.inf``, ``-.Inf``, ``.nan``; not ``-.5`` or
  ``+.nan``; ``1e400`` stays a string); ``YYYY-MM-DD`` and the YAML
  timestamp forms become a Date (``2024-02-30`` is March 1st);
* quoted and block scalars, and ``! x``, are strings;
* ``!!str``, ``!!int``, ``!!float``, ``!!bool``, ``!!null``,
  ``!!timestamp``: the type's own test, and js-yaml refuses the file when it
  fails (``!!bool yes``).

A mapping becomes a :class:`~policyc.dialects.openclaw.jsvalue.JSObject`
whose keys are ``String(key)``: ``1.0:`` is ``"1"``, ``0x10:`` ``"16"``,
``~:`` ``"null"``, a date ``"Mon Jan 01 2024 ..."`` (Node's text with
``TZ=UTC``). Two keys with the same string are a js-yaml load error
(``duplicated mapping key``), reported as PC002.

Where policyc and js-yaml differ (each reported, never silently):

* merge keys (``<<``): js-yaml merges, yaml_source refuses (PC001);
* tags other than the core scalar ones (``!!binary``, ``!!set``...),
  complex keys, anchors defined twice: js-yaml accepts, yaml_source refuses
  (PC001);
* keys PyYAML's YAML 1.1 rules resolve to one value but js-yaml does not
  (``1_000:`` and ``1000:``, ``017:`` and ``15:``, ``1:20:`` and ``80:``):
  yaml_source refuses them as duplicates (PC002), js-yaml keeps both;
* a plain integer of more than 4300 digits (PyYAML cannot build it; js-yaml
  reads it as a string) and ``\\u`` escapes of surrogates, even paired
  (PyYAML refuses them): policyc refuses (PC001);
* over 1 MiB, deeper than 64 levels, aliases expanding past 10,000 nodes,
  invalid UTF-8 (Node replaces bad bytes with U+FFFD and loads the file):
  policyc refuses (PC004, PC005, PC003, PC006);
* YAML syntax is PyYAML's: a document one parser accepts and the other
  refuses is possible in exotic cases (the shipped policies and docs agree).
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from policyc.checks import check
from policyc.diagnostics.model import Diagnostic, DiagnosticError
from policyc.dialects.openclaw.jsdate import JSDate, date_utc
from policyc.dialects.openclaw.jsvalue import (
    UNDEFINED, JSArray, JSObject, js_string, number_to_string, to_string,
)
from policyc.frontends import yaml_source
from policyc.frontends.yaml_source import YMap, YNode, YScalar, YSeq
from policyc.ir import Span

try:  # the loader yaml_source uses; its marks are the pure-Python parser's
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader

__all__ = ["YamlDocument", "read", "read_text", "resolve_plain", "key_string"]

_CORE = "tag:yaml.org,2002:"


@dataclass
class YamlDocument:
    """One file as js-yaml would load it.

    ``root`` is the positioned node tree (``None`` for an empty document),
    ``value`` the JavaScript value ``yaml.load`` returns (:data:`UNDEFINED`
    for an empty file or a bare ``---``), ``diagnostics`` why the file does
    not load (then ``value`` is :data:`UNDEFINED`). :meth:`entries` and
    :meth:`value_of` give each mapping's entries and each node's value."""

    path: str
    root: YNode | None = None
    value: Any = UNDEFINED
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _entries: dict[int, tuple[tuple[str, YScalar, YNode], ...]] = field(default_factory=dict, repr=False)
    _values: dict[int, Any] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.diagnostics

    def entries(self, node: YMap) -> tuple[tuple[str, YScalar, YNode], ...]:
        """``(key as js-yaml stores it, key node, value node)`` in source order."""
        return self._entries.get(id(node), ())

    def entry(self, node: YNode | None, key: str) -> tuple[YScalar, YNode] | None:
        """The key and value nodes of ``key`` in mapping ``node``, or ``None``."""
        if isinstance(node, YMap):
            for name, k, v in self.entries(node):
                if name == key:
                    return k, v
        return None

    def value_of(self, node: YNode) -> Any:
        """The JavaScript value of ``node`` (a node of this document)."""
        return self._values.get(id(node), UNDEFINED)

    def node_at(self, path: list[Any]) -> YNode | None:
        """The deepest node along ``path`` (js-yaml keys and list indices)."""
        node = self.root
        for step in path:
            nxt: YNode | None = None
            if isinstance(node, YMap) and isinstance(step, str):
                found = self.entry(node, step)
                nxt = found[1] if found else None
            elif isinstance(node, YSeq) and isinstance(step, int) and 0 <= step < len(node.items):
                nxt = node.items[step]
            if nxt is None:
                break
            node = nxt
        return node


def read(path: str) -> YamlDocument:
    """Read and resolve the file at ``path``. Raises ``OSError`` when it
    cannot be opened; every problem with its content is a diagnostic."""
    try:
        _, text = yaml_source.read_source(path)
    except DiagnosticError as exc:
        return YamlDocument(path, diagnostics=[_explain(exc.diagnostic)])
    return read_text(text, path)


def read_text(text: str, path: str) -> YamlDocument:
    """Parse and resolve ``text`` (spans name ``path``); never raises."""
    doc = YamlDocument(path)
    try:
        doc.root = yaml_source.parse_yaml(text, path)
    except DiagnosticError as exc:
        doc.diagnostics.append(_explain(exc.diagnostic))
        return doc
    if doc.root is None:
        return doc
    try:
        doc.value = _Resolver(doc, _scalar_tags(text)).convert(doc.root)
    except DiagnosticError as exc:
        doc.value = UNDEFINED
        doc.diagnostics.append(exc.diagnostic)
    return doc


def _explain(diag: Diagnostic) -> Diagnostic:
    """yaml_source's diagnostic with what js-yaml, the toolkit's reader, does."""
    message = diag.message
    notes = {
        "PC002": "js-yaml, the toolkit's reader, refuses a mapping with a duplicated key "
                 "(`duplicated mapping key`), so the whole policy directory fails to load; "
                 "remove or merge one of them",
        "PC004": "the toolkit's engine has no size limit, but no policy needs 1 MiB; "
                 "policyc refuses larger files",
        "PC005": "js-yaml has no depth limit; policyc refuses documents this deep",
        "PC003": "js-yaml would expand the aliases; policyc refuses expansions this large",
        "PC006": "Node reads the file anyway, replacing each invalid byte sequence with U+FFFD; "
                 "policyc refuses to guess: re-save the file as UTF-8",
    }
    note = notes.get(diag.code)
    if diag.code == "PC001" and "merge key" in message:
        note = ("js-yaml, the toolkit's reader, would merge the aliased mapping; policyc does "
                "not read merge keys: write the keys out in full")
    elif diag.code == "PC001" and "while scanning an alias" in (diag.help or ""):
        note = (f"{diag.help}: a plain value that starts with `*` is a YAML alias, so js-yaml "
                "refuses the file too (`unidentified alias`); quote patterns that start with "
                "`*`: `- \"*:public_data\"`")
    elif diag.code == "PC001" and "unsupported tag" in message:
        note = ("policyc reads only the core scalar tags (!!str, !!int, !!float, !!bool, "
                "!!null, !!timestamp); remove the tag")
    if note is None:
        return diag
    return dataclasses.replace(diag, help=note)


# --------------------------------------------------------------------------
# Tags, from the event stream (yaml_source keeps only the resolved tag)


_Pos = tuple[int, int, int, int]


def _scalar_tags(text: str) -> dict[_Pos, str | None]:
    """The tag written on each scalar event (``None`` when untagged, ``!``
    for the non-specific tag), by the event's 1-based start and end (an
    empty scalar starts where the next token does, so the start alone is not
    unique); an alias's position maps to its anchor's scalar tag."""
    tags: dict[_Pos, str | None] = {}
    anchors: dict[str, _Pos] = {}
    try:
        for event in yaml.parse(text, Loader=_Loader):
            pos = (event.start_mark.line + 1, event.start_mark.column + 1,
                   event.end_mark.line + 1, event.end_mark.column + 1)
            if isinstance(event, yaml.ScalarEvent):
                tags[pos] = event.tag
                if event.anchor:
                    anchors[event.anchor] = pos
            elif isinstance(event, yaml.AliasEvent) and event.anchor in anchors:
                tags[pos] = tags[anchors[event.anchor]]
    except Exception:  # pragma: no cover - yaml_source parsed this text already
        return tags
    return tags


# --------------------------------------------------------------------------
# js-yaml's scalar types (lib/type/*.js of js-yaml 4.3)

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_DEC = re.compile(r"[0-9]+\Z")
_RADIX = {"b": (2, re.compile(r"[01]+\Z")), "x": (16, re.compile(r"[0-9a-fA-F]+\Z")),
          "o": (8, re.compile(r"[0-7]+\Z"))}
_FLOAT = re.compile(r"(?:[-+]?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?"
                    r"|\.[0-9]+(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9][0-9]?)-([0-9][0-9]?)(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9]{2}))?))?\Z")


def _finite(value: int) -> float | None:
    try:
        out = float(value)
    except OverflowError:
        return None
    return out if math.isfinite(out) else None


def js_int(text: str) -> float | None:
    """js-yaml's ``!!int`` for ``text``, or ``None`` when it does not resolve."""
    sign, body = (-1.0 if text[:1] == "-" else 1.0), text[1:] if text[:1] in "+-" else text
    if text == "" or body == "":
        return None
    if body == "0":
        return 0.0
    try:
        if body[0] == "0" and body[1] in _RADIX:
            base, digits = _RADIX[body[1]]
            if not digits.match(body[2:]):
                return None
            value = _finite(int(body[2:], base))
        elif _DEC.match(body):
            value = _finite(int(body))
        else:
            return None
    except ValueError:  # Python's limit on decimal digits: far beyond a double
        return None
    return None if value is None else sign * value


def js_float(text: str) -> float | None:
    """js-yaml's ``!!float`` for ``text``, or ``None``."""
    if not _FLOAT.match(text):
        return None
    lower = text.lower()
    sign = -1.0 if lower[0] == "-" else 1.0
    body = lower[1:] if lower[0] in "+-" else lower
    if body == ".inf":
        return sign * math.inf
    if body == ".nan":
        return math.nan
    value = float(body)
    return sign * value if math.isfinite(value) else None


def js_timestamp(text: str) -> JSDate | None:
    """js-yaml's ``!!timestamp`` for ``text`` (a Date), or ``None``."""
    m = _DATE.match(text) or _TIMESTAMP.match(text)
    if m is None:
        return None
    groups = m.groups()
    year, month, day = int(groups[0]), int(groups[1]) - 1, int(groups[2])
    if len(groups) == 3 or groups[3] is None:
        return date_utc(year, month, day)
    hour, minute, second = int(groups[3]), int(groups[4]), int(groups[5])
    fraction = int((groups[6] or "")[:3].ljust(3, "0")) if groups[6] else 0
    date = date_utc(year, month, day, hour, minute, second, fraction)
    if groups[8]:
        delta = (int(groups[9]) * 60 + int(groups[10] or 0)) * 60000
        ms = date.ms - (delta if groups[8] == "+" else -delta)
        date = JSDate(ms if abs(ms) <= 8.64e15 else math.nan)
    return date


def resolve_plain(text: str) -> Any:
    """An untagged plain scalar as js-yaml's DEFAULT_SCHEMA resolves it
    (null, bool, int, float, timestamp, else string)."""
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    for resolve in (js_int, js_float, js_timestamp):
        value = resolve(text)
        if value is not None:
            return value
    return js_string(text)


def _explicit(tag: str, text: str) -> Any:
    """A scalar with an explicit core tag, or ``_REFUSED``."""
    kind = tag[len(_CORE):] if tag.startswith(_CORE) else tag
    if kind == "str":
        return js_string(text)
    if kind == "null":
        return None if text in _NULLS else _REFUSED
    if kind == "bool":
        return True if text in _TRUE else False if text in _FALSE else _REFUSED
    resolve = {"int": js_int, "float": js_float, "timestamp": js_timestamp}.get(kind)
    value = resolve(text) if resolve else None
    return _REFUSED if value is None else value


_REFUSED = object()


def key_string(value: Any) -> str:
    """The property name js-yaml stores a scalar key under: ``String(key)``."""
    if isinstance(value, float):
        return number_to_string(value)
    return to_string(value)


class _Resolver:
    def __init__(self, doc: YamlDocument, tags: dict[_Pos, str | None]):
        self.doc = doc
        self.tags = tags

    def convert(self, node: YNode) -> Any:
        known = self.doc._values.get(id(node), _REFUSED)
        if known is not _REFUSED:
            return known
        if isinstance(node, YScalar):
            value = self.scalar(node)
        elif isinstance(node, YSeq):
            value = JSArray(self.convert(item) for item in node.items)
        else:
            value = self.mapping(node)
        self.doc._values[id(node)] = value
        return value

    def scalar(self, node: YScalar) -> Any:
        span = node.span
        tag = self.tags.get((span.line, span.column, span.end_line, span.end_column))
        if tag is None:
            return resolve_plain(node.text) if node.style is None else js_string(node.text)
        if tag == "!":
            return js_string(node.text)
        value = _explicit(tag, node.text)
        if value is _REFUSED:
            shown = "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag
            raise DiagnosticError(check("PC001").at(
                node.span, f"js-yaml cannot read {node.text!r} as {shown}",
                help=f"js-yaml, the toolkit's reader, refuses the file (`cannot resolve a node "
                     f"with !<{tag}> explicit tag`); remove the tag or fix the value",
                label="bad tagged scalar"))
        return value

    def mapping(self, node: YMap) -> JSObject:
        seen: dict[str, YScalar] = {}
        items: list[tuple[str, Any]] = []
        entries: list[tuple[str, YScalar, YNode]] = []
        for key, value in node.items:
            name = key_string(self.convert(key))
            first = seen.get(name)
            if first is not None:
                raise DiagnosticError(check("PC002").at(
                    key.span,
                    f"duplicate key {key.text!r}: js-yaml reads it as the key {name!r}, like "
                    f"{first.text!r} on line {first.span.line}",
                    help="js-yaml, the toolkit's reader, refuses a mapping with a duplicated key "
                         "(`duplicated mapping key`), so the whole policy directory fails to "
                         "load; remove or merge one of them",
                    label="duplicate key", first_line=first.span.line))
            seen[name] = key
            items.append((name, self.convert(value)))
            entries.append((name, key, value))
        self.doc._entries[id(node)] = tuple(entries)
        return JSObject(tuple(items))


def whole_file(path: str) -> Span:
    """The span used for a problem of the whole file: its first character."""
    return Span(path, 1, 1, 1, 2)
