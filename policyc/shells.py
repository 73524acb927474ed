"""The three shell languages an exec command may be written in.

Rampart v1.8.0 reads an ``exec`` command as a POSIX shell command first and,
for restrictive rules and for wrappers, also as a ``cmd.exe`` or PowerShell
command (``internal/engine/shellparse.go``; spec §5 as corrected by the
engine). This module holds the lexical part of that: splitting a command
into segments, tokenizing a segment into words, recognising and removing
shell wrappers (``bash -c``, ``cmd /c``, ``powershell -Command``) and the
variable assignments each language spells (``X=1``, ``set X=1``,
``$env:X = 1``). Normalization, restrictive candidates and matching build on
it in :mod:`policyc.canonicalize`.

Dialects are the strings :data:`POSIX`, :data:`CMD` and :data:`POWERSHELL`.

* POSIX: single quotes are literal; double quotes honour backslash escapes;
  an unquoted backslash escapes the next character; an empty quoted word is
  no word.
* cmd.exe: ``^`` escapes the next character (outside double quotes when
  tokenizing; everywhere when splitting); single quotes and backslashes are
  ordinary characters; ``&>`` is a separator followed by a redirection; a
  quoted empty word is a word.
* PowerShell: the backtick escapes the next character; both quote styles
  group white space, ``''`` inside single quotes is one quote; segments are
  split by the POSIX rules.

Indices follow Go's byte semantics wherever that changes a result (the
``[Environment]::SetEnvironmentVariable`` name). No function raises on any
``str``.
"""

from __future__ import annotations

import functools
import re
from typing import Callable

from policyc.callfields import GO_SPACE_RE, go_is_digit, go_is_letter, go_lower, go_trim

__all__ = [
    "CMD",
    "POSIX",
    "POWERSHELL",
    "base",
    "clear_memos",
    "env_names_cmd",
    "env_names_powershell",
    "exe_name",
    "is_assignment",
    "looks_like_cmd",
    "looks_like_powershell",
    "lower",
    "remove_carets",
    "split",
    "strip_wrapper_once",
    "tokenize",
    "wrapper_dialect",
]

#: Entries kept by each memo of a pure per-string function (:func:`clear_memos`).
MEMO_SIZE = 4096
POSIX = "posix"
CMD = "cmd"
POWERSHELL = "powershell"

#: POSIX shells whose ``-c`` option wraps a command (any path, exact case).
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ash", "ksh"})
_CMD_NAMES = frozenset({"cmd", "cmd.exe"})
_POWERSHELL_NAMES = frozenset({"powershell", "powershell.exe", "pwsh", "pwsh.exe"})
#: Every first word that names a shell wrapper of some dialect.
WRAPPER_NAMES = SHELLS | _CMD_NAMES | _POWERSHELL_NAMES
_SET_ENV_METHODS = ("[environment]::setenvironmentvariable",
                    "[system.environment]::setenvironmentvariable")


#: Go ``strings.ToLower`` (:func:`policyc.callfields.go_lower`).
lower = go_lower


def base(token: str) -> str:
    """Go ``filepath.Base`` on a slash-separated path (Linux)."""
    if token == "":
        return "."
    stripped = token.rstrip("/")
    if stripped == "":
        return "/"
    return stripped.rsplit("/", 1)[-1]


@functools.lru_cache(maxsize=MEMO_SIZE)
def exe_name(token: str) -> str:
    """Lower-cased base name of an executable token, ``\\`` read as ``/``
    (the engine's ``shellWrapperBasename``)."""
    return lower(base(token.replace("\\", "/")))


def is_assignment(token: str) -> bool:
    """``NAME=value`` where NAME is letters/digits/_ not starting with a digit.

    Mirrors the engine's ``isEnvAssignment``, including its quirk of testing
    the first *byte* of a non-ASCII name as a Latin-1 letter.
    """
    eq = token.find("=")
    if eq <= 0:
        return False
    name = token[:eq]
    if not all(go_is_letter(c) or go_is_digit(c) or c == "_" for c in name):
        return False
    first = chr(name.encode("utf-8", "surrogatepass")[0])
    return go_is_letter(first) or first == "_"


# ---------------------------------------------------------------------------
# Splitting
# ---------------------------------------------------------------------------

#: What a splitter scans for: quoted or escaped runs (skipped whole) and, in
#: group 1, a separator. A ``&`` after ``<``/``>`` (and, outside cmd.exe,
#: before ``>``) is a redirection and stays in its segment.
_SEPARATORS = {
    False: re.compile(r"""\\.|'[^']*'?|"(?:[^"\\]|\\.)*"?|(&&|\|\||[|;\n]|(?<![<>])&(?!>))""", re.S),
    True: re.compile(r"""\^.?|"(?:[^"^]|\^.?)*"?|(&&|\|\||[|;\n]|(?<![<>])&)""", re.S),
}


def split(cmd: str, dialect: str = POSIX) -> list[str]:
    """Segments of ``cmd``: split on unquoted ``&&`` ``||`` ``&`` ``|`` ``;``
    and newline, each trimmed, empty ones dropped (``splitCompoundCommandForOS``).

    A ``&`` after ``<``/``>`` is a redirection, never a separator; POSIX and
    PowerShell also keep ``&>``. cmd.exe: ``^`` keeps the next character,
    single quotes and backslashes do not quote. An unbalanced quote swallows
    the rest of the string. A new list each time (memoized, see
    :func:`clear_memos`).
    """
    return list(_segments(cmd, dialect))


@functools.lru_cache(maxsize=MEMO_SIZE)
def _segments(cmd: str, dialect: str) -> tuple[str, ...]:
    segments: list[str] = []
    start = 0
    for match in _SEPARATORS[dialect == CMD].finditer(cmd):
        if match.lastindex:
            seg = go_trim(cmd[start:match.start()])
            if seg:
                segments.append(seg)
            start = match.end()
    seg = go_trim(cmd[start:])
    if seg:
        segments.append(seg)
    return tuple(segments)


# ---------------------------------------------------------------------------
# Tokenizing
# ---------------------------------------------------------------------------

#: One piece of a POSIX word, or the white space between words: a
#: single-quoted run (group 1), a double-quoted run (group 2, escapes still
#: in), an escaped character (group 3) or a run of plain characters (group 4;
#: also a backslash that ends the string, which stays literal).
_POSIX_PIECES = re.compile(r"""[ \t]+|'([^']*)'?|"((?:[^"\\]|\\.|\\\Z)*)"?|\\(.)|([^ \t'"\\]+|\\)""", re.S)
#: A backslash escape inside double quotes: the character (group 1), or
#: nothing for a line continuation.
_DOUBLE_ESCAPE = re.compile(r"\\(?:\n|(.))", re.S)
_BLANKS = re.compile(r"[ \t]+")


def _tokenize_posix(cmd: str) -> list[str]:
    if "'" not in cmd and '"' not in cmd and "\\" not in cmd:
        return [word for word in _BLANKS.split(cmd) if word]
    tokens: list[str] = []
    cur: list[str] = []
    for match in _POSIX_PIECES.finditer(cmd):
        group = match.lastindex
        if group is None:  # white space ends a word; an empty quoted word is no word
            if any(cur):
                tokens.append("".join(cur))
            cur.clear()
        elif group == 2:
            text = match.group(2)
            cur.append(_DOUBLE_ESCAPE.sub(r"\1", text) if "\\" in text else text)
        elif group == 3:
            if match.group(3) != "\n":  # backslash-newline: a line continuation
                cur.append(match.group(3))
        else:
            cur.append(match.group(group))
    if any(cur):
        tokens.append("".join(cur))
    return tokens


#: cmd.exe pieces: a double-quoted run, carets literal (group 1), a
#: caret-escaped character (group 2), plain characters or a caret that ends
#: the string (group 3); or white space.
_CMD_PIECES = re.compile(r"""[ \t]+|"([^"]*)"?|\^(.)|([^ \t"^]+|\^)""", re.S)
#: PowerShell pieces: a single-quoted run, ``''`` still doubled (group 1), a
#: double-quoted run, backtick escapes still in (group 2), an escaped
#: character (group 3), plain characters or a backtick that ends the string
#: (group 4); or white space.
_POWERSHELL_PIECES = re.compile(r"""[ \t]+|'((?:[^']|'')*)'?|"((?:[^"`]|`.|`\Z)*)"?|`(.)|([^ \t'"`]+|`)""", re.S)
_BACKTICK_ESCAPE = re.compile(r"`(.)", re.S)


def _quoted_words(cmd: str, pieces: re.Pattern[str], unquote: dict[int, Callable[[str], str]]) -> list[str]:
    """Words of a tokenizer in which a quoted empty word counts: ``pieces``
    matches white space (no group) or one piece of a word, whose text is
    its group, passed through ``unquote[group]`` when there is one."""
    words: list[str] = []
    cur: list[str] | None = None
    for match in pieces.finditer(cmd):
        group = match.lastindex
        if group is None:
            if cur is not None:
                words.append("".join(cur))
                cur = None
            continue
        text = match.group(group)
        if group in unquote:
            text = unquote[group](text)
        if cur is None:
            cur = [text]
        else:
            cur.append(text)
    if cur is not None:
        words.append("".join(cur))
    return words


def _tokenize_cmd(cmd: str) -> list[str]:
    return _quoted_words(cmd, _CMD_PIECES, {})


_POWERSHELL_UNQUOTE: dict[int, Callable[[str], str]] = {
    1: lambda text: text.replace("''", "'"),
    2: lambda text: _BACKTICK_ESCAPE.sub(r"\1", text) if "`" in text else text,
}


def _tokenize_powershell(cmd: str) -> list[str]:
    return _quoted_words(cmd, _POWERSHELL_PIECES, _POWERSHELL_UNQUOTE)


_TOKENIZERS = {POSIX: _tokenize_posix, CMD: _tokenize_cmd, POWERSHELL: _tokenize_powershell}


def tokenize(cmd: str, dialect: str = POSIX) -> list[str]:
    """Words of one segment with the dialect's quotes and escapes removed
    (``tokenizeForOS``); white space is space and TAB. A new list each time
    (memoized, see :func:`clear_memos`)."""
    return list(_words(cmd, dialect))


@functools.lru_cache(maxsize=MEMO_SIZE)
def _words(cmd: str, dialect: str) -> tuple[str, ...]:
    return tuple(_TOKENIZERS[dialect](cmd))


def clear_memos() -> None:
    """Forget the memoized splits, words and executable names. They are pure
    functions of their arguments, bounded at ``MEMO_SIZE`` entries each
    (least recently used dropped), and shared by every caller in the
    process; a benchmark of never-seen calls clears them per call."""
    for memo in (_segments, _words, exe_name, _head_name):
        memo.cache_clear()


def remove_carets(tokens: list[str]) -> list[str]:
    """Every ``^`` removed from every word (``removeCmdCarets``)."""
    return [t.replace("^", "") for t in tokens]


# ---------------------------------------------------------------------------
# Wrappers
# ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=MEMO_SIZE)
def _head_name(command: str) -> str:
    command = go_trim(command)
    found = GO_SPACE_RE.search(command)
    return exe_name((command[:found.start()] if found else command).strip("\"'"))


def looks_like_cmd(command: str) -> bool:
    """The first word (quotes trimmed) names ``cmd``/``cmd.exe``, any case,
    any directory (``looksLikeCmdWrapper``)."""
    return _head_name(command) in _CMD_NAMES


def looks_like_powershell(command: str) -> bool:
    """The first word names ``powershell``/``pwsh`` (``.exe``), any case
    (``looksLikePowerShellWrapper``)."""
    return _head_name(command) in _POWERSHELL_NAMES


def wrapper_dialect(command: str) -> str | None:
    """The dialect a segment's own wrapper selects for its tokenizing: cmd,
    else POSIX for a POSIX shell name (lower-cased), else PowerShell, else
    None (``normalizeSegmentForOS``)."""
    name = _head_name(command)
    if name in _CMD_NAMES:
        return CMD
    if name in SHELLS:
        return POSIX
    if name in _POWERSHELL_NAMES:
        return POWERSHELL
    return None


def _inner(tokens: list[str], start: int, dialect: str) -> list[str]:
    if start >= len(tokens):
        return tokens
    inner = tokens[start:]
    if len(inner) == 1:
        return tokenize(inner[0], dialect) or inner
    return inner


def strip_wrapper_once(tokens: list[str], dialect: str) -> tuple[list[str], str]:
    """One shell wrapper removed: (the wrapped words, their dialect), or
    ``(tokens, dialect)`` unchanged (``stripShellWrapperOnceForOS``).

    * POSIX shell (exact name or base name): options up to one holding
      ``c`` (``-c``, ``-lc``; not ``--x``); a non-option ends the search.
    * cmd (any case): ``/c`` or ``/k`` (any case; attached as ``/cBODY``
      too) after other ``/`` options; carets removed from the body.
    * PowerShell: ``-Command`` or ``-c`` (any case) after other options.

    A single-word body is re-tokenized in the body's dialect.
    """
    if len(tokens) < 2:
        return tokens, dialect
    head = tokens[0]
    name = exe_name(head)
    if head in SHELLS or base(head) in SHELLS:
        for i in range(1, len(tokens)):
            tok = tokens[i]
            if not tok.startswith("-"):
                return tokens, dialect
            if not tok.startswith("--") and "c" in tok[1:]:
                return _inner(tokens, i + 1, POSIX), POSIX
    elif name in _CMD_NAMES:
        for i in range(1, len(tokens)):
            tok = lower(tokens[i])
            if tok in ("/c", "/k"):
                return remove_carets(_inner(tokens, i + 1, CMD)), CMD
            if tok.startswith(("/c", "/k")) and len(tok) > 2:
                inner = [tokens[i][2:], *tokens[i + 1:]]
                if len(inner) == 1:
                    inner = _inner(inner, 0, CMD)
                return remove_carets(inner), CMD
            if not tok.startswith("/"):
                return tokens, dialect
    elif name in _POWERSHELL_NAMES:
        for i in range(1, len(tokens)):
            tok = lower(tokens[i])
            if tok in ("-command", "-c"):
                return _inner(tokens, i + 1, POWERSHELL), POWERSHELL
            if not tok.startswith("-"):
                return tokens, dialect
    return tokens, dialect


# ---------------------------------------------------------------------------
# Variable assignments in cmd.exe and PowerShell
# ---------------------------------------------------------------------------

def _valid_name(name: str) -> bool:
    """Letters, digits and ``_``, not starting with a digit (per rune)."""
    if not name or not (name[0] == "_" or go_is_letter(name[0])):
        return False
    return all(c == "_" or go_is_letter(c) or go_is_digit(c) for c in name[1:])


def _assigned_name(token: str) -> str | None:
    return token[:token.index("=")] if is_assignment(token) else None


def env_names_cmd(tokens: list[str]) -> list[str]:
    """``set NAME=v`` / ``setx NAME=v`` (options ``/x`` skipped; only the
    first operand, double quotes trimmed) (``collectCmdEnvAssignment``)."""
    if not tokens or exe_name(tokens[0]) not in ("set", "setx"):
        return []
    for token in tokens[1:]:
        if token.startswith("/"):
            continue
        name = _assigned_name(token.strip('"'))
        return [name] if name else []
    return []


def _env_reference(token: str) -> str | None:
    """NAME of ``$env:NAME``, ``${env:NAME}`` or ``env:NAME`` (prefix any
    case; the name ends at ``=`` or a space)."""
    token = go_trim(token)
    low = lower(token)
    for prefix in ("$env:", "${env:", "env:"):
        if low.startswith(prefix):
            name = token[len(prefix):]
            break
    else:
        return None
    cut = min((i for i in (name.find("="), name.find(" ")) if i >= 0), default=len(name))
    name = name[:cut]
    name = name[:-1] if name.endswith("}") else name
    return name if _valid_name(name) else None


def _set_environment_variable(tokens: list[str]) -> str | None:
    joined = go_trim(" ".join(tokens))
    low = lower(joined)
    method = next((m for m in _SET_ENV_METHODS if low.startswith(m)), None)
    if method is None:
        return None
    # the engine slices the original at the lower-cased prefix's byte length
    rest = joined.encode("utf-8", "surrogatepass")[len(method):].decode("utf-8", "replace")
    rest = rest.lstrip(" \t(").lstrip("\"'")
    cut = next((i for i, c in enumerate(rest) if c in ",\"') \t"), len(rest))
    name = rest[:cut]
    return name if _valid_name(name) else None


def env_names_powershell(tokens: list[str]) -> list[str]:
    """Names a PowerShell statement assigns (``collectPowerShellEnvAssignment``):
    ``[Environment]::SetEnvironmentVariable("NAME", ...)`` (or
    ``[System.Environment]``), ``$env:NAME = v`` / ``$env:NAME=v``, and
    ``Set-Item``/``New-Item``/``Set-Content`` on ``env:NAME`` (``-Path`` /
    ``-LiteralPath`` skipped)."""
    if not tokens:
        return []
    first = go_trim(tokens[0])
    name = _set_environment_variable(tokens)
    if name:
        return [name]
    name = _env_reference(first)
    if name:
        return [name] if "=" in first or (len(tokens) > 1 and tokens[1] == "=") else []
    if exe_name(first) in ("set-item", "new-item", "set-content"):
        for token in tokens[1:]:
            token = token.strip("\"'")
            if lower(token) in ("-path", "-literalpath"):
                continue
            name = _env_reference(token)
            if name:
                return [name]
    return []
