"""Tool-call field helpers shared by the reference evaluator and the bundle
runtime: pure standard library (no Lark), so ``policyc.runtime`` can import it.

* :func:`clean_path`, :func:`path_spellings` — path cleaning and the
  spellings a path field is matched with (spec §4, path fields);
* :func:`domain_of` — the host of a url as the engine extracts it (spec §2);
* :func:`normalize_domain` — a domain as ``domain_matches`` compares it.
"""

from __future__ import annotations

from typing import Optional


def clean_path(path: str) -> str:
    """Lexical cleaning with Go ``filepath.Clean`` rules (Unix): repeated
    ``/`` collapse, ``.`` elements vanish, ``x/..`` pairs cancel, ``..`` at
    the root is dropped, a trailing ``/`` goes, and an empty result is ``.``
    (``/`` when rooted)."""
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
    path gives ``()``.  Symlink resolution (the engine also tries the
    resolved target of the longest existing ancestor) depends on the host
    filesystem and is not modelled.
    """
    if path == "":
        return ()
    raw = path.replace("\\", "/")
    directory = (workdir or "").strip().replace("\\", "/")
    relative = not raw.startswith("/")
    first = _join(directory, raw) if directory and relative else clean_path(raw)
    spellings = [first]
    if directory and relative:
        second = clean_path(raw)
        if second not in spellings:
            spellings.append(second)
    return tuple(spellings)


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
    """A domain as ``domain_matches`` compares it: trimmed of white space,
    lower-cased, one trailing ``.`` dropped."""
    domain = domain.strip().lower()
    return domain[:-1] if domain.endswith(".") else domain
