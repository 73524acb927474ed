"""Tool-call field helpers shared by the reference evaluator and the bundle
runtime: pure standard library (no Lark), so ``policyc.runtime`` can import it.

* :func:`clean_path`, :func:`path_spellings` — path cleaning and the
  spellings a path field is matched with (spec §4, path fields);
  :func:`joinable_pattern`, :func:`workdir_rest`, :func:`joined_spelling` —
  how relative patterns and relative spellings meet the working directory;
* :func:`domain_of` — the host of a url as the engine extracts it (spec §2);
* :func:`normalize_domain` — a domain as ``domain_matches`` compares it;
* :func:`go_trim`, :func:`go_lower`, :func:`go_is_letter`,
  :func:`go_is_digit` — Go's ``strings.TrimSpace``, ``strings.ToLower``,
  ``unicode.IsLetter`` and ``unicode.IsDigit``, as the engine asks them;
* :class:`ToolCall`, :class:`Fields`, :func:`param_text` — a call and its
  aliased fields (spec §2);
* :func:`overlong_field`, :func:`over_response_limit` — the spec §1 input
  limits (``MAX_GLOB_INPUT_BYTES``, ``MAX_RESPONSE_BYTES``).
"""

from __future__ import annotations

import bisect
import math
import os
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from dataclasses import dataclass, field
from typing import Any, Optional

from policyc import gounicode

#: A glob input longer than this (UTF-8 bytes) never matches; a call whose
#: matched field is longer is denied outright (spec §1).
MAX_GLOB_INPUT_BYTES = 8192
#: Only the first MiB of a response is scanned (spec §1).
MAX_RESPONSE_BYTES = 1 << 20

COMMAND_ALIASES = ("command", "cmd", "input")
PATH_ALIASES = ("file_path", "path", "file", "filepath", "target")
URL_ALIASES = ("url", "uri", "href")


#: What :func:`clean_path` changes: an empty element (``//``, a trailing
#: ``/`` after something), a ``.`` or ``..`` element.
_UNCLEAN = re.compile(r"//|(?<=.)/\Z|(?:\A|/)\.\.?(?:/|\Z)")


def clean_path(path: str) -> str:
    """Lexical cleaning with Go ``filepath.Clean`` rules (Unix): repeated
    ``/`` collapse, ``.`` elements vanish, ``x/..`` pairs cancel, ``..`` at
    the root is dropped, a trailing ``/`` goes, and an empty result is ``.``
    (``/`` when rooted)."""
    if path and not _UNCLEAN.search(path):
        return path  # nothing to clean: no empty, `.` or `..` element, no trailing `/`
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    body = "/".join(parts)
    if rooted:
        return "/" + body
    return body or "."


def _join(directory: str, path: str) -> str:
    if not directory:
        return clean_path(path)
    return clean_path(directory + "/" + path)


#: Symlinks of a Linux host that the engine resolves (``filepath.EvalSymlinks``
#: of the longest existing prefix): ``/proc/self/root`` everywhere, and the
#: merged-``/usr`` links of Debian 12+, Ubuntu 20.04+, Fedora and Arch.
HOST_SYMLINKS = (
    ("/proc/self/root", "/"), ("/proc/thread-self/root", "/"),
    ("/bin", "/usr/bin"), ("/sbin", "/usr/sbin"), ("/lib", "/usr/lib"), ("/lib64", "/usr/lib64"),
    ("/var/run", "/run"), ("/var/lock", "/run/lock"),
)


#: Where the engine's own executable is taken to be installed, unless the
#: environment variable ``POLICYC_ENGINE_EXECUTABLE`` names it: what
#: ``/proc/self/exe`` resolves to in the engine's process (Rampart's install
#: script puts it in ``/usr/local/bin`` or ``~/.local/bin``). A host fact
#: like the symlinks above: a rule may decide differently for another path.
ENGINE_EXECUTABLE = "/usr/local/bin/rampart"
_SELF_EXE = ("/proc/self/exe", "/proc/thread-self/exe")
#: How every path :func:`resolve_host_symlinks` may change starts.
_LINK_STARTS = tuple(sorted({link for link, _ in HOST_SYMLINKS} | set(_SELF_EXE)))


def engine_executable() -> str:
    """``$POLICYC_ENGINE_EXECUTABLE`` when set and absolute, else
    :data:`ENGINE_EXECUTABLE`."""
    named = os.environ.get("POLICYC_ENGINE_EXECUTABLE", "")
    return clean_path(named) if named.startswith("/") else ENGINE_EXECUTABLE


def _unresolvable(rest: str) -> bool:
    return "\x00" in rest or any(len(name.encode("utf-8", "surrogatepass")) > 255 for name in rest.split("/"))


def resolve_host_symlinks(path: str) -> str:
    """An absolute, cleaned path with :data:`HOST_SYMLINKS` resolved, as the
    engine resolves it on such a host (``/proc/self/root/etc/sudoers`` is
    ``/etc/sudoers``, ``/lib/x.so`` is ``/usr/lib/x.so``); other paths as
    they are.

    A path whose part below the link holds a NUL or a name longer than 255
    bytes is not resolved: the engine's ``EvalSymlinks`` then fails with
    EINVAL/ENAMETOOLONG rather than "not found", and the engine keeps the
    cleaned path (this assumes the names before it exist, as on real system
    paths). ``/proc/self/exe`` is the engine's executable
    (:func:`engine_executable`)."""
    if not path.startswith(_LINK_STARTS):
        return path
    for _ in range(len(HOST_SYMLINKS) + 1):
        if path in _SELF_EXE:
            return engine_executable()
        for link, target in HOST_SYMLINKS:
            if path == link or path.startswith(link + "/"):
                if _unresolvable(path[len(link):]):
                    return path
                path = clean_path(target + path[len(link):])
                break
        else:
            return path
    return path


def pattern_variants(source: str) -> tuple[str, ...]:
    """A path pattern and, when the literal directory before its first glob
    character (or the whole pattern, without one) crosses a host symlink,
    the pattern with that directory resolved (the engine's
    ``resolvePathPattern``): ``/lib/**`` also stands for ``/usr/lib/**``."""
    pattern = source.replace("\\", "/")
    meta = next((i for i, c in enumerate(pattern) if c in "*?["), -1)
    if meta < 0:
        resolved = resolve_host_symlinks(clean_path(pattern)) if pattern.startswith("/") else pattern
    else:
        cut = pattern.rfind("/", 0, meta)
        if cut < 0 or not pattern.startswith("/"):
            return (source,)
        base = resolve_host_symlinks(clean_path(pattern[:cut] or "/"))
        resolved = base.rstrip("/") + pattern[cut:]
    return (source,) if resolved == pattern else (source, resolved)


def path_spellings(path: str, workdir: Optional[str]) -> tuple[str, ...]:
    """The spellings of a path the engine matches path globs against
    (spec §4), in the engine's order, without duplicates:

    1. ``\\`` becomes ``/``; the workdir is trimmed of white space and
       likewise rewritten; a relative path (not starting with ``/``) is
       joined to a non-empty workdir; the result is cleaned;
    2. with a non-empty workdir and a relative path, also the cleaned
       relative spelling itself (so ``secrets/**`` still matches).

    ``~`` is NOT expanded: ``~/.ssh/id_rsa`` is a relative path.  Without a
    workdir a relative path stays relative (``./x`` becomes ``x``).  An empty
    path gives ``()``.  After the first spelling comes its resolution
    through :data:`HOST_SYMLINKS` when that differs (the engine resolves the
    symlinks of the host it runs on; other symlinks are not modelled).
    """
    if path == "":
        return ()
    raw = path.replace("\\", "/")
    directory = go_trim(workdir or "").replace("\\", "/")
    relative = not raw.startswith("/")
    first = _join(directory, raw) if directory and relative else clean_path(raw)
    spellings = [first]
    resolved = resolve_host_symlinks(first) if first.startswith("/") else first
    if resolved != first:
        spellings.append(resolved)
    if directory and relative:
        second = clean_path(raw)
        if second not in spellings:
            spellings.append(second)
    return tuple(spellings)


def pattern_is_absolute(source: str) -> bool:
    """Whether a path pattern is absolute as the engine tests it (the raw
    pattern starts with ``/``)."""
    return source.startswith("/")


def joinable_pattern(source: str) -> Optional[str]:
    """For a relative path pattern, the cleaned pattern the engine's
    ``filepath.Join(workdir, pattern)`` puts after the working directory, so
    that ``WORKDIR/REST`` matches the joined pattern when ``REST`` matches
    it; ``None`` for an absolute pattern, and for one whose cleaned form
    leaves the working directory (``..``, ``../x``) or is it (``.``), which
    policyc does not join (a documented gap)."""
    if pattern_is_absolute(source):
        return None
    cleaned = clean_path(source)
    if cleaned in (".", "..") or cleaned.startswith("../"):
        return None
    return cleaned


def workdir_rest(spelling: str, workdir: Optional[str]) -> Optional[str]:
    """The part of an absolute path spelling below the working directory
    (``/work/a/b`` under ``/work`` is ``a/b``), or ``None``: what a joinable
    relative pattern (:func:`joinable_pattern`) is matched against."""
    if not workdir or not spelling.startswith("/"):
        return None
    directory = go_trim(workdir).replace("\\", "/")
    if not directory.startswith("/"):
        return None
    directory = clean_path(directory)
    if directory == "/":
        return spelling[1:]
    if spelling.startswith(directory + "/"):
        return spelling[len(directory) + 1:]
    return None


def joined_spelling(spelling: str, workdir: Optional[str]) -> Optional[str]:
    """A relative spelling joined to the working directory, against which
    the engine also tests absolute patterns; ``None`` without a workdir or
    for an absolute spelling."""
    if not workdir or not go_trim(workdir) or spelling.startswith("/"):
        return None
    return _join(go_trim(workdir).replace("\\", "/"), spelling)


_HEX = "0123456789abcdefABCDEF"
_HOST_OK = set("!$&'()*+,;=:[]<>\"-_.~")
_USERINFO_OK = set("-._:~!$&'()*+,;=%@")


def _alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _escapes_ok(text: str) -> bool:
    """Every ``%`` is followed by two hex digits (Go's unescape check)."""
    index = text.find("%")
    while index >= 0:
        if index + 2 >= len(text) or text[index + 1] not in _HEX or text[index + 2] not in _HEX:
            return False
        index = text.find("%", index + 3)
    return True


def _port_ok(port: str) -> bool:
    return port == "" or (port.startswith(":") and all(c in "0123456789" for c in port[1:]))


def _unescape_host(host: str) -> Optional[str]:
    out = bytearray()
    index = 0
    while index < len(host):
        char = host[index]
        if char == "%":
            if index + 2 >= len(host) or host[index + 1] not in _HEX or host[index + 2] not in _HEX:
                return None
            if int(host[index + 1], 16) < 8 and host[index:index + 3] != "%25":
                return None
            out.append(int(host[index + 1:index + 3], 16))
            index += 3
            continue
        if ord(char) < 0x80 and not _alnum(char) and char not in _HOST_OK:
            return None
        out.extend(char.encode("utf-8", "surrogatepass"))
        index += 1
    return out.decode("utf-8", "replace")


def _host_of_authority(authority: str) -> Optional[str]:
    at = authority.rfind("@")
    if at >= 0:
        userinfo = authority[:at]
        if any(not (_alnum(c) or c in _USERINFO_OK) for c in userinfo) or not _escapes_ok(userinfo):
            return None
        host = authority[at + 1:]
    else:
        host = authority
    if host.startswith("["):
        close = host.rfind("]")
        if close < 0 or not _port_ok(host[close + 1:]):
            return None
    else:
        colon = host.rfind(":")
        if colon >= 0 and not _port_ok(host[colon:]):
            return None
    return _unescape_host(host)


def domain_of(url: str) -> Optional[str]:
    """The host of ``url`` as the engine extracts it for ``domain_matches``
    (Go ``net/url`` Parse then Hostname), or None when the engine would fall
    back to the call's ``domain`` parameter.

    A host exists only for ``scheme://authority...`` or ``//authority...``;
    userinfo and port are dropped, IPv6 brackets removed, percent escapes
    decoded; case is kept (matching lower-cases later).  None for: no
    authority (``example.com/x``, ``mailto:a@b``), an empty host, or a URL
    Go refuses (control characters, bad port, bad ``%`` escape in host,
    path or fragment, invalid userinfo or host characters, missing scheme
    before ``:``).
    """
    simple = _SIMPLE_URL.fullmatch(url)
    if simple is not None:
        return simple.group(1)
    return _parsed_host(url)


#: A URL whose host :func:`_parsed_host` takes as written: an optional
#: scheme, ``//``, a host of letters, digits, ``.-_~``, an optional numeric
#: port, a path without ``%`` (no escape to check) and a query, no
#: fragment, no control character. tests/test_callfields_model.py checks it
#: against the full parse.
_SIMPLE_URL = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//([A-Za-z0-9._~\-]+)(?::[0-9]*)?"
                         r"(?:/[^%#?\x00-\x1f\x7f]*)?(?:\?[^#\x00-\x1f\x7f]*)?")


def _parsed_host(url: str) -> Optional[str]:
    """:func:`domain_of` step by step, as Go ``net/url`` parses."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return None
    rest, _, fragment = url.partition("#")
    if not _escapes_ok(fragment):
        return None
    scheme = ""
    for index, char in enumerate(rest):
        if char.isascii() and char.isalpha():
            continue
        if char.isascii() and (char.isdigit() or char in "+-."):
            if index == 0:
                break
            continue
        if char == ":":
            if index == 0:
                return None
            scheme, rest = rest[:index], rest[index + 1:]
        break
    if rest.endswith("?") and rest.count("?") == 1:
        rest = rest[:-1]
    else:
        rest = rest.partition("?")[0]
    if not rest.startswith("/"):
        if scheme:
            return None
        head = rest.partition("/")[0]
        if ":" in head:
            return None
    host: Optional[str] = ""
    if (scheme or not rest.startswith("///")) and rest.startswith("//"):
        authority, slash, tail = rest[2:].partition("/")
        host = _host_of_authority(authority)
        if host is None:
            return None
        rest = slash + tail
    if not _escapes_ok(rest):
        return None
    if not host:
        return None
    colon = host.rfind(":")
    if colon >= 0 and _port_ok(host[colon:]):
        host = host[:colon]
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host or None


def normalize_domain(domain: str) -> str:
    """A domain as ``domain_matches`` compares it (engine ``matchDomainFirst``,
    both the call's domain and the pattern): Go-trimmed of white space,
    Go-lower-cased, one trailing ``.`` dropped."""
    domain = go_lower(go_trim(domain))
    return domain[:-1] if domain.endswith(".") else domain


# ---------------------------------------------------------------- tool calls


@dataclass(frozen=True)
class ToolCall:
    """A tool call (spec §2). ``params`` and ``input`` map names to values."""

    tool: str
    params: Mapping[str, Any] = field(default_factory=dict)
    input: Mapping[str, Any] | None = None
    agent: str = ""
    session: str = ""
    agent_depth: int = 0
    workdir: str | None = None
    response: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ToolCall:
        """Build a call from its JSON shape ``{"tool", "params", "input"?,
        "agent"?, "session"?, "agent_depth"?, "workdir"?, "response"?}``.

        Raises ``ValueError`` naming the bad key.
        """
        if not isinstance(data, Mapping):
            raise ValueError("a tool call must be a JSON object")
        tool = data.get("tool")
        if not isinstance(tool, str) or not tool:
            raise ValueError("`tool` must be a non-empty string")
        params = data.get("params") or {}
        inp = data.get("input")
        if not isinstance(params, Mapping):
            raise ValueError("`params` must be an object")
        if inp is not None and not isinstance(inp, Mapping):
            raise ValueError("`input` must be an object")
        depth = data.get("agent_depth", 0) or 0
        if not isinstance(depth, int) or isinstance(depth, bool):
            raise ValueError("`agent_depth` must be an integer")
        texts = {}
        for key in ("agent", "session", "workdir", "response"):
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"`{key}` must be a string")
            texts[key] = value
        return cls(tool=tool, params=dict(params), input=dict(inp) if inp is not None else None,
                   agent=texts["agent"] or "", session=texts["session"] or "", agent_depth=depth,
                   workdir=texts["workdir"], response=texts["response"])


class Ambiguous(Exception):
    """The call's security fields cannot be read unambiguously (spec §2, the
    engine's input validation): an alias holds a value that is not a string,
    or aliases of one field hold two different non-blank values. ``reason``
    is the engine's wording (``command must be a string``, ``conflicting path
    aliases``); the call is denied."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# ----------------------------------------------------------------- fields

#: Go's ``unicode.IsSpace`` (what ``strings.TrimSpace`` trims).
GO_SPACE = ("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
            "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")

PATH_TOOLS = frozenset({"read", "write", "edit", "mcp-destructive"})
URL_TOOLS = frozenset({"fetch", "http", "web_fetch", "browser"})
WORKDIR_ALIASES = ("workdir", "cwd")


#: A character of ``GO_SPACE`` (where the first word of a command ends).
GO_SPACE_RE = re.compile("[" + re.escape(GO_SPACE) + "]")


def go_trim(text: str) -> str:
    """Go ``strings.TrimSpace``."""
    return text.strip(GO_SPACE)


def go_lower(text: str) -> str:
    """Go ``strings.ToLower``: each character's simple lower-case mapping,
    one to one. Python's ``str.lower`` differs on two characters: it lowers
    ``İ`` (U+0130) to two code points and a word-final ``Σ`` to ``ς``; Go
    gives ``i`` and always ``σ``. Characters newer than this Python's
    Unicode database are lowered with Go's tables (:mod:`policyc.gounicode`)."""
    if text.isascii():
        return text.lower()
    return text.replace("\u0130", "i").replace("\u03a3", "\u03c3").lower().translate(gounicode.LOWER)


def _in(ranges: tuple[tuple[int, int], ...], starts: list[int], point: int) -> bool:
    at = bisect.bisect_right(starts, point) - 1
    return at >= 0 and point <= ranges[at][1]


_LETTER_STARTS = [a for a, _ in gounicode.LETTERS]
_DIGIT_STARTS = [a for a, _ in gounicode.DIGITS]


def go_is_letter(char: str) -> bool:
    """Go ``unicode.IsLetter`` on one character (``str.isalpha`` plus the
    letters of Go's newer tables)."""
    return char.isalpha() or (char > "\x7f" and _in(gounicode.LETTERS, _LETTER_STARTS, ord(char)))


def go_is_digit(char: str) -> bool:
    """Go ``unicode.IsDigit`` on one character (``str.isdecimal`` plus the
    digits of Go's newer tables)."""
    return char.isdecimal() or (char > "\x7f" and _in(gounicode.DIGITS, _DIGIT_STARTS, ord(char)))


def _tool_key(tool: str) -> str:
    return go_lower(go_trim(tool))


def _tool_kind(tool: str) -> str:
    """Which aliases a tool's fields read: ``exec``, ``path``, ``url`` or ``other``."""
    return "exec" if tool == "exec" else "path" if tool in PATH_TOOLS else "url" if tool in URL_TOOLS else "other"


def _roles(pairs: list[tuple[str, tuple[str, ...]]]) -> dict[str, tuple[tuple[str, int], ...]]:
    """name -> ((field, position of the name among the field's aliases), ...)."""
    out: dict[str, list[tuple[str, int]]] = {}
    for field_name, aliases in pairs:
        for position, name in enumerate(aliases):
            out.setdefault(name, []).append((field_name, position))
    return {name: tuple(roles) for name, roles in out.items()}


#: Per tool kind, the fields each parameter name gives a value to, with its
#: alias position (the engine's ``paramAlias`` lists, spec §2).
_READS = {kind: _roles([("command", COMMAND_ALIASES if kind == "exec" else ("command",)),
                        ("path", PATH_ALIASES if kind == "path" else PATH_ALIASES[:2]),
                        ("url", URL_ALIASES if kind == "url" else ("url",)),
                        ("domain", ("domain",)), ("workdir", ("workdir",)), ("cwd", ("cwd",))])
          for kind in ("exec", "path", "url", "other")}
#: Per tool kind, the validated fields in the engine's order of checks and
#: the fields each parameter name is validated with.
_CHECKED = {kind: [what for what, on in (("command", kind == "exec"), ("path", kind == "path"),
                                         ("url", kind == "url"), ("working directory", True),
                                         ("domain", True), ("scheme", True)) if on]
            for kind in ("exec", "path", "url", "other")}
_CHECKS = {kind: {name: tuple(what for what, _ in roles) for name, roles in _roles(
    [("command", COMMAND_ALIASES if kind == "exec" else ()), ("path", PATH_ALIASES if kind == "path" else ()),
     ("url", URL_ALIASES if kind == "url" else ()), ("working directory", WORKDIR_ALIASES),
     ("domain", ("domain",)), ("scheme", ("scheme",))]).items()}
           for kind in ("exec", "path", "url", "other")}


def _validated(call: ToolCall) -> tuple[str, list[tuple[str, int, Any]]]:
    """(the tool's kind, the call's non-``None`` values of names a field
    reads, as ``(name, 0 for params or 1 for input, value)`` in that order),
    after the engine's security-input validation, done before any rule
    (spec §2): for ``exec`` the command aliases, for
    read/write/edit/mcp-destructive the path aliases, for
    fetch/http/web_fetch/browser the url aliases, for every tool the working
    directory (the call's own and ``workdir``/``cwd``), ``domain`` and
    ``scheme``, each across ``params`` and ``input`` together. Raises
    :class:`Ambiguous`."""
    kind = _tool_kind(_tool_key(call.tool))
    checks = _CHECKS[kind]
    found: list[tuple[str, int, Any]] = []
    held: dict[str, list[Any]] = {}
    for source_index, source in enumerate((call.params, call.input)):
        if not source:
            continue
        for name in _NAMES.intersection(source):
            value = source[name]
            if value is None:
                continue
            found.append((name, source_index, value))
            for what in checks.get(name, ()):
                held.setdefault(what, []).append(value)
    if held:
        for what in _CHECKED[kind]:
            values = held.get(what)
            if values is None:
                continue
            if not all(isinstance(value, str) for value in values):  # types first, as the engine collects
                raise Ambiguous(f"{what} must be a string")
            distinct = {value.strip(GO_SPACE) for value in values}
            if what == "working directory" and call.workdir:
                distinct.add(go_trim(call.workdir))
            distinct.discard("")
            if len(distinct) > 1:
                raise Ambiguous(f"conflicting {what} aliases")
    return kind, found


#: Every parameter name a field reads or validation checks.
_NAMES = frozenset(name for reads in _READS.values() for name in reads) | {"scheme"}


@dataclass(frozen=True)
class Fields:
    """The fields of a call that rules match (spec §2, the engine's
    ``ToolCall.Command/Path/URL/Domain/WorkingDirectory``): ``None`` when
    absent. :meth:`of` validates first and raises :class:`Ambiguous`."""

    command: str | None
    path: str | None
    url: str | None
    domain: str | None
    workdir: str | None = None

    @classmethod
    def of(cls, call: ToolCall) -> Fields:
        kind, found = _validated(call)
        reads = _READS[kind]
        rank: dict[str, tuple[int, int]] = {}
        chosen: dict[str, str] = {}
        seen: set[str] = set()
        for name, source_index, value in found:  # params before input
            if name in seen or not isinstance(value, str) or not value.strip(GO_SPACE):
                continue
            seen.add(name)
            for field_name, position in reads.get(name, ()):
                if field_name not in rank or (source_index, position) < rank[field_name]:
                    rank[field_name] = (source_index, position)
                    chosen[field_name] = value
        command, path, url = chosen.get("command"), chosen.get("path"), chosen.get("url")
        from_url = domain_of(url) if url else None
        workdir = go_trim(call.workdir) if call.workdir else ""
        if not workdir:
            workdir = go_trim(chosen.get("workdir") or chosen.get("cwd") or "")
        return cls(command, path, url, from_url or chosen.get("domain"), workdir or None)


class NumberOutOfRange(ValueError):
    """A call holds an integer no ``float64`` can hold (the engine's JSON
    decoding refuses the call)."""


def go_value_text(value: Any) -> str:
    """``fmt.Sprintf("%v", value)`` for a value decoded from JSON by Go
    (numbers are ``float64``): ``<nil>``, ``true``/``false``, shortest
    ``%g`` numbers with the exponent form from 1e+06 or below 1e-04 (``42``,
    ``1.5``, ``1e+06``), strings as they are, ``[a b]`` for lists and
    ``map[k:v]`` (sorted keys) for objects, at any nesting depth (an
    explicit stack, no recursion: Go's formatting has no depth limit).

    Raises :class:`NumberOutOfRange` for an integer too large for a
    ``float64``: Go's JSON decoding refuses such a call before the engine
    sees it."""
    if isinstance(value, str):
        return value
    out: list[str] = []
    # (True, text to write) or (False, value to render), last first.
    todo: list[tuple[bool, Any]] = [(False, value)]
    while todo:
        literal, item = todo.pop()
        if literal:
            out.append(item)
        elif isinstance(item, Mapping):
            out.append("map[")
            todo.append((True, "]"))
            keys = sorted(item, key=str)
            for i in range(len(keys) - 1, -1, -1):
                todo.append((False, item[keys[i]]))
                todo.append((True, f"{' ' if i else ''}{keys[i]}:"))
        elif isinstance(item, (list, tuple)):
            out.append("[")
            todo.append((True, "]"))
            for i in range(len(item) - 1, -1, -1):
                todo.append((False, item[i]))
                if i:
                    todo.append((True, " "))
        else:
            out.append(_go_scalar_text(item))
    return "".join(out)


def _go_scalar_text(value: Any) -> str:
    """:func:`go_value_text` of anything but a list or an object."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        try:
            return _go_float(float(value))
        except OverflowError:
            raise NumberOutOfRange(f"number {str(value)[:20]}... is out of the range of a 64-bit float") from None
    if isinstance(value, str):
        return value
    return str(value)


def _go_float(number: float) -> str:
    """``strconv.FormatFloat(number, 'g', -1, 64)``: shortest round-trip
    digits, exponent form when the exponent is below -4 or at least 6."""
    if number != number:
        return "NaN"
    if number in (float("inf"), float("-inf")):
        return "+Inf" if number > 0 else "-Inf"
    if number == 0:
        return "-0" if math.copysign(1.0, number) < 0 else "0"
    sign, digit_tuple, exponent = Decimal(repr(number)).normalize().as_tuple()
    assert isinstance(exponent, int)  # finite: never 'n', 'N' or 'F'
    digits = "".join(map(str, digit_tuple))
    exp = len(digits) + exponent - 1  # decimal exponent of the first digit
    minus = "-" if sign else ""
    if exp < -4 or exp >= 6:
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{minus}{body}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{minus}0.{'0' * (-exp - 1)}{digits}"
    if len(digits) <= exp + 1:
        return minus + digits + "0" * (exp + 1 - len(digits))
    return f"{minus}{digits[:exp + 1]}.{digits[exp + 1:]}"


def param_text(call: ToolCall, name: str) -> str | None:
    """The text ``tool_param_matches`` compares for ``name``: the MCP
    ``input`` argument only, as Go's ``%v`` prints it (the engine reads
    ``call.Input[name]``; ``params`` are never consulted, so a test case,
    which has no ``input``, never matches); ``None`` when absent."""
    source = call.input or {}
    if name not in source:
        return None
    return go_value_text(source[name])


def utf8_len(text: str) -> int:
    """Length in UTF-8 bytes (a lone surrogate counts 3)."""
    return len(text.encode("utf-8", "surrogatepass"))


def over_glob_limit(text: str) -> bool:
    """Whether ``text`` exceeds ``MAX_GLOB_INPUT_BYTES`` (cheap for short text)."""
    return len(text) * 4 > MAX_GLOB_INPUT_BYTES and utf8_len(text) > MAX_GLOB_INPUT_BYTES


def overlong_field(call: ToolCall, fields: Fields, param_names: Iterable[str] = ()) -> tuple[str, int] | None:
    """``(name, UTF-8 bytes)`` of the first matched field (agent, session,
    tool, command, path, url, domain, then ``tool parameter NAME`` for each
    ``input`` argument some rule's ``tool_param_matches`` names, as ``%v``
    prints it) over ``MAX_GLOB_INPUT_BYTES``, which denies the whole call
    (spec §1; the engine's ``oversizedMatchInput``), or None."""
    for name, value in (("agent", call.agent), ("session", call.session), ("tool", call.tool),
                        ("command", fields.command), ("path", fields.path), ("url", fields.url),
                        ("domain", fields.domain)):
        if value and over_glob_limit(value):
            return name, utf8_len(value)
    source = call.input or {}
    for name in param_names:
        if name in source:
            text = go_value_text(source[name])
            if over_glob_limit(text):
                return f"tool parameter {name}", utf8_len(text)
    return None


def overlong_message(field: tuple[str, int]) -> str:
    """The engine's message for an :func:`overlong_field` result (engine.go
    ``Evaluate``: ``"%s is %d bytes and exceeds the %d-byte policy matching
    limit; failing closed"``)."""
    return f"{field[0]} is {field[1]} bytes and exceeds the {MAX_GLOB_INPUT_BYTES}-byte policy matching limit; " \
           "failing closed"


def over_response_limit(response: str) -> bool:
    """Whether a response exceeds ``MAX_RESPONSE_BYTES`` UTF-8 bytes: the
    engine then denies it when a response rule is in scope instead of
    scanning a prefix (engine.go ``EvaluateResponse``)."""
    return len(response) * 4 > MAX_RESPONSE_BYTES and utf8_len(response) > MAX_RESPONSE_BYTES


#: The engine's denial of an over-long response (engine.go ``EvaluateResponse``).
RESPONSE_TOO_LONG = f"response exceeds the {MAX_RESPONSE_BYTES}-byte policy matching limit; failing closed"
