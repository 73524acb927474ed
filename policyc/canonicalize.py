"""Exec-command canonicalization: the executable form of spec §5.

A Rampart ``exec`` rule never sees "the" command: it sees a set of candidate
*spellings* of it.  A restrictive rule (deny, ask; see "Which side" below)
fires when ANY spelling matches; a granting rule (allow) fires only when
EVERY executed component is covered.  This module computes those spellings
and combines a rule's command fields the way the reference engine
(Rampart v1.8.0, ``internal/engine/shellparse.go`` and ``matcher.go``) does.
Glob matching itself is the caller's job (spec §4): functions here receive
callables that answer "does any of the rule's globs match this string".

Public API
----------
``command_spellings(cmd) -> tuple[str, ...]``
    Restrictive candidates, raw command first, de-duplicated, ordered.
``command_components(cmd) -> tuple[str, ...]``
    What a granting rule must cover: one entry for a simple command, else
    every compound segment and every segment of every substitution body.
``is_composite(cmd) -> bool``
    Whether ``cmd`` has more than one component (see above).
``command_matches(cmd, *, granting, matches, contains, excludes) -> bool``
    Whether a rule's command predicate holds.
``CommandAnalysis(cmd)``
    The same, with every derived form computed once per command
    (``.spellings``, ``.components``, ``.env_names``, ``.matches(...)``),
    for callers that ask many rules about one command.
``env_assignment_names(cmd) -> tuple[str, ...]``
    Names assigned by the command (``command_env_assignments``, spec §1).

Transformations (spec §5 unless stated otherwise)
-------------------------------------------------
* Sanitizing (engine fact): before normalizing or extracting, ANSI CSI
  sequences (ESC ``[`` digits/``;`` letter), NUL and control characters other
  than TAB and LF are deleted.  The raw spelling itself is kept unsanitized.
* Splitting: on unquoted ``&&``, ``||``, ``;``, ``|``, newline AND a single
  ``&`` (background), except ``&`` inside ``>&``, ``<&``, ``&>`` redirections
  (engine fact, not in the spec).  Quotes and backslash escapes protect
  operators; an unbalanced quote swallows the rest of the string.
* Tokenizing: whitespace is space/TAB; single quotes are literal; double
  quotes honour backslash escapes; an unquoted backslash escapes the next
  character; backslash-newline is a line continuation; quotes are removed.
* Normalizing (per segment, segments re-joined with `` && ``): tokenize, then
  repeat until nothing changes: drop leading ``NAME=value`` assignments,
  unwrap one transparent executor, unwrap one shell ``-c`` wrapper; finally
  drop leading redirections (``> f``, ``2>/dev/null``).  Executors, with the
  options the engine accepts before the wrapped command (anything else keeps
  the executor, so a query such as ``command -v rm`` is not unwrapped):
  ``command [-p] [--]``; ``exec [-c|-l|-cl] [-a NAME] [--]``;
  ``env [-i|-0|-v|-u NAME|-C DIR|--argv0 X|NAME=value ...] [--]`` where
  ``-S STRING`` is split into words; ``nohup [--]``;
  ``nice [-n N|-N|--adjustment=N]``;
  ``timeout [--preserve-status|--foreground|-v|-k DUR|-s SIG] DURATION``;
  ``setsid [-c|-f|-w]``; ``stdbuf [-i|-o|-e MODE]``.  ``sudo``/``doas`` are
  never unwrapped.  Shell wrappers: ``sh bash zsh dash ash ksh`` (any path)
  followed by options up to one containing ``c`` (``-c``, ``-lc``, ``-ic``;
  ``--norc`` is skipped); a single-word body is re-tokenized.  The executor
  name is compared after ``filepath.Base`` but case-sensitively.
* Substitution bodies: ``$(...)`` (nesting counted on ``$(`` only),
  backticks, ``eval ARGS`` (whole command, after leading assignments),
  ``<(...)`` and ``>(...)``; each body is itself searched again.
* Restrictive candidates (deny/ask only): see :func:`command_spellings`
  and ``docs/semantics.md`` (group bodies, canonical ``rm -rf`` deletions,
  head aliases, here-string bodies). Case-sensitive: a Linux host.
* Fail closed on size: a command longer than 8192 bytes (UTF-8) is never
  matched by the engine's globs and is denied outright by its entry points.
  ``command_matches`` therefore answers True for restrictive rules and False
  for granting ones; the caller must deny the call (spec §1 limits).

Granting matching follows the engine exactly, except that an explicit
composite pattern (a pattern that is itself compound) can only be honoured
when the caller passes ``composite_matches`` (see ``command_matches``).

Shell dialects (engine facts, :mod:`policyc.shells`): a segment whose first
word is ``cmd``/``powershell``/``pwsh`` is tokenized in that dialect and
``cmd /c``, ``powershell -Command`` wrappers are unwrapped like ``bash -c``;
restrictive candidates that look like such a wrapper or hold ``^``, ``&>``,
a backtick, or a quote with ``&``/``|`` are re-read in cmd.exe/PowerShell
and those readings match case-insensitively; a granting rule on a
cmd/PowerShell wrapper folds the case of the executable only;
assignments are collected in all three dialects. Host-dependent case
folding on macOS/Windows hosts is not modelled: policyc targets a Linux host.

Robustness: no function raises on any ``str``; substitution nesting deeper
than ``MAX_NESTING`` is not explored (a granting rule then never holds, so
the cut can only weaken a grant); work per call is polynomial (memoized
extraction, monotone unwrapping).
"""

from __future__ import annotations

import functools
import re
from typing import Callable, Iterable, Sequence

from policyc import shells
from policyc.callfields import GO_SPACE_RE as _GO_SPACE_RE, MAX_GLOB_INPUT_BYTES, clean_path, go_trim
from policyc.shells import (
    POSIX,
    base as _base,
    exe_name as _exe_name,
    is_assignment as _is_assignment,
    lower as _lower,
    split as _split,
    tokenize as _tokenize,
)

__all__ = [
    "CommandAnalysis",
    "MAX_INPUT_BYTES",
    "MAX_NESTING",
    "command_components",
    "command_matches",
    "command_spellings",
    "env_assignment_names",
    "clear_memos",
    "is_composite",
]

#: Longest command (UTF-8 bytes) the engine matches at all (spec §1).
MAX_INPUT_BYTES = MAX_GLOB_INPUT_BYTES
#: Deepest substitution nesting explored ($(...) inside $(...) ...).
MAX_NESTING = 32

Matcher = Callable[[str], bool]

# ---------------------------------------------------------------------------
# Character-level helpers (Go semantics)
# ---------------------------------------------------------------------------

_ANSI_CSI = re.compile(r"\x1b\[[0-9;]*[a-zA-Z]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_DOLLAR_OPENER = re.compile(r"\$\(")
_DOLLAR_PARENS = re.compile(r"\$\(|\)")
_PROCESS_OPENER = re.compile(r"[<>]\(")
_PARENS = re.compile(r"[()]")
_TIMEOUT_DURATION = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[smhd]?")
_STDBUF_MODE = re.compile(r"0|L|B|[0-9]+(?:[kKmMgGtTpPeEzZyY](?:i?[bB])?)?")
_HERESTRING_SHELLS = frozenset({"bash", "sh", "zsh", "dash"})
_MULTICALL = frozenset({"busybox", "toybox"})


_trim = go_trim


def fold(s: str) -> str:
    """Go ``strings.ToLower``: how the engine folds a whole command and its
    patterns on a case-insensitive reading."""
    return _lower(s)


def fold_head(s: str) -> str:
    """The engine's ``foldCommandHead``: only the text before the first white
    space lower-cased (a granting rule on a cmd.exe/PowerShell reading)."""
    found = _GO_SPACE_RE.search(s)
    end = found.start() if found else len(s)
    return _lower(s[:end]) + s[end:]


def clear_memos() -> None:
    """Forget every memoized per-string result of this module and
    :mod:`policyc.shells` (pure functions, bounded at ``shells.MEMO_SIZE``
    entries each): what a benchmark of never-seen calls does per call."""
    _normalize.cache_clear()
    _normalize_segment.cache_clear()
    shells.clear_memos()


def _too_long(s: str) -> bool:
    return len(s.encode("utf-8", "surrogatepass")) > MAX_INPUT_BYTES


def _sanitize(s: str) -> str:
    """Delete ANSI CSI sequences, NUL and control characters except TAB/LF."""
    return _CONTROL.sub("", _ANSI_CSI.sub("", s))


def _dedupe(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


# ---------------------------------------------------------------------------
# Unwrapping executors and shell wrappers
# ---------------------------------------------------------------------------

def _is_signed_decimal(v: str) -> bool:
    if v[:1] in ("+", "-"):
        v = v[1:]
    return v != "" and all("0" <= c <= "9" for c in v)


def _is_duration(v: str) -> bool:
    return v in ("inf", "infinity") or _TIMEOUT_DURATION.fullmatch(v) is not None


def _is_signal(v: str) -> bool:
    return v != "" and all(c.isascii() and c.isalnum() for c in v)


def _is_stdbuf_mode(v: str) -> bool:
    return _STDBUF_MODE.fullmatch(v) is not None


def _after_dashdash(tokens: list[str], i: int) -> list[str]:
    """The command after a ``--`` at ``i``, or the tokens unchanged."""
    return tokens[i + 1:] if i + 1 < len(tokens) else tokens


def _unwrap_command(t: list[str]) -> list[str]:
    for i in range(1, len(t)):
        tok = t[i]
        if tok == "--":
            return _after_dashdash(t, i)
        if tok == "-p":
            continue
        return t if tok.startswith("-") else t[i:]
    return t


def _unwrap_exec(t: list[str]) -> list[str]:
    i = 1
    while i < len(t):
        tok = t[i]
        if tok == "--":
            return _after_dashdash(t, i)
        if tok == "-a":
            if i + 1 >= len(t):
                return t
            i += 2
        elif len(tok) >= 2 and tok[0] == "-" and all(c in "cl" for c in tok[1:]):
            i += 1
        else:
            return t if tok.startswith("-") else t[i:]
    return t


def _unwrap_env(t: list[str]) -> list[str]:
    i = 1
    while i < len(t):
        tok = t[i]
        if tok == "--":
            i += 1
            while i < len(t) and _is_assignment(t[i]):
                i += 1
            return t[i:] if i < len(t) else t
        if tok in ("-i", "--ignore-environment", "-0", "--null", "-v", "--debug"):
            i += 1
        elif tok in ("-u", "--unset", "-C", "--chdir", "--argv0"):
            if i + 1 >= len(t):
                return t
            i += 2
        elif tok.startswith(("--unset=", "--chdir=", "--argv0=")):
            i += 1
        elif tok.startswith("-u") and len(tok) > 2 and "=" not in tok[2:]:
            i += 1
        elif tok.startswith("-C") and len(tok) > 2:
            i += 1
        elif tok in ("-S", "--split-string") or tok.startswith("--split-string=") \
                or (tok.startswith("-S") and len(tok) > 2):
            if tok in ("-S", "--split-string"):
                if i + 1 >= len(t):
                    return t
                body, rest = t[i + 1], t[i + 2:]
            else:
                body = tok.split("=", 1)[1] if tok.startswith("--") else tok[2:]
                rest = t[i + 1:]
            words = _tokenize(body)
            return t[:i] + words + rest if words else t
        elif _is_assignment(tok):
            i += 1
        else:
            return t if tok.startswith("-") else t[i:]
    return t


def _unwrap_nohup(t: list[str]) -> list[str]:
    tok = t[1]
    if tok == "--":
        return _after_dashdash(t, 1)
    return t if tok.startswith("-") else t[1:]


def _unwrap_nice(t: list[str]) -> list[str]:
    i = 1
    while i < len(t):
        tok = t[i]
        if tok == "--":
            return _after_dashdash(t, i)
        if tok in ("-n", "--adjustment"):
            if i + 1 >= len(t) or not _is_signed_decimal(t[i + 1]):
                return t
            i += 2
        elif tok.startswith("--adjustment="):
            if not _is_signed_decimal(tok[len("--adjustment="):]):
                return t
            i += 1
        elif tok.startswith("-n") and len(tok) > 2:
            adj = tok[2:]
            if not _is_signed_decimal(adj[1:] if adj.startswith("=") else adj):
                return t
            i += 1
        elif len(tok) > 1 and tok[0] == "-" and _is_signed_decimal(tok):
            i += 1
        else:
            return t if tok.startswith("-") else t[i:]
    return t


def _unwrap_timeout(t: list[str]) -> list[str]:
    i = 1
    while i < len(t):
        tok = t[i]
        if tok == "--":
            i += 1
            break
        if tok in ("--help", "--version"):
            return t
        if tok in ("--preserve-status", "--foreground", "--verbose", "-v"):
            i += 1
            continue
        for opt, long_opt, ok in (("-k", "--kill-after", _is_duration),
                                  ("-s", "--signal", _is_signal)):
            if tok in (opt, long_opt):
                if i + 1 >= len(t) or not ok(t[i + 1]):
                    return t
                i += 2
                break
            if tok.startswith(long_opt + "=") or (tok.startswith(opt) and len(tok) > 2):
                value = tok[len(long_opt) + 1:] if tok.startswith(long_opt + "=") else tok[2:]
                if not ok(value):
                    return t
                i += 1
                break
        else:
            if tok.startswith("-"):
                return t
            break
    if i + 1 >= len(t) or not _is_duration(t[i]):
        return t
    return t[i + 1:]


def _unwrap_setsid(t: list[str]) -> list[str]:
    for i in range(1, len(t)):
        tok = t[i]
        if tok == "--":
            return _after_dashdash(t, i)
        if tok in ("--ctty", "--fork", "--wait") or (
                len(tok) >= 2 and tok[0] == "-" and tok[1] != "-"
                and all(c in "cfw" for c in tok[1:])):
            continue
        return t if tok.startswith("-") else t[i:]
    return t


def _unwrap_stdbuf(t: list[str]) -> list[str]:
    i = 1
    while i < len(t):
        tok = t[i]
        if tok == "--":
            return _after_dashdash(t, i)
        if tok in ("-i", "-o", "-e", "--input", "--output", "--error"):
            if i + 1 >= len(t) or not _is_stdbuf_mode(t[i + 1]):
                return t
            i += 2
        elif tok.startswith(("--input=", "--output=", "--error=")) \
                and _is_stdbuf_mode(tok.split("=", 1)[1]):
            i += 1
        elif len(tok) > 2 and tok[0] == "-" and tok[1] in "ioe":
            mode = tok[3:] if tok[2] == "=" else tok[2:]
            if not _is_stdbuf_mode(mode):
                return t
            i += 1
        else:
            return t if tok.startswith("-") else t[i:]
    return t


_EXECUTORS: dict[str, Callable[[list[str]], list[str]]] = {
    "command": _unwrap_command, "exec": _unwrap_exec, "env": _unwrap_env,
    "nohup": _unwrap_nohup, "nice": _unwrap_nice, "timeout": _unwrap_timeout,
    "setsid": _unwrap_setsid, "stdbuf": _unwrap_stdbuf,
}


def _unwrap_executor(t: list[str]) -> list[str]:
    """One transparent executor removed (name compared case-sensitively)."""
    if len(t) < 2:
        return t
    unwrap = _EXECUTORS.get(_base(t[0].replace("\\", "/")))
    return unwrap(t) if unwrap else t


def _strip_assignments(t: list[str]) -> list[str]:
    i = 0
    while i < len(t) and _is_assignment(t[i]):
        i += 1
    return t[i:] if i else t


def _is_attached_redirection(tok: str) -> bool:
    i = 0
    while i < len(tok) and "0" <= tok[i] <= "9":
        i += 1
    if i >= len(tok) or tok[i] not in "<>":
        return False
    i += 1
    if i < len(tok) and tok[i] == tok[i - 1]:
        i += 1
    return i < len(tok)


def _strip_redirections(t: list[str]) -> list[str]:
    while t:
        if t[0] in (">", ">>", "<", "<<"):
            if len(t) < 2:
                return []
            t = t[2:]
        elif _is_attached_redirection(t[0]):
            t = t[1:]
        else:
            break
    return t


def _unwrap(tokens: list[str], dialect: str = POSIX) -> list[str]:
    """Repeat assignment/executor/wrapper unwrapping until nothing changes
    (``unwrapCommandTokensForOS``): leading assignments, then (in POSIX
    words) one transparent executor, then one shell wrapper of any dialect,
    whose body continues in its own dialect.

    Every change removes characters, so this terminates.
    """
    while True:
        nxt = _strip_assignments(tokens)
        if dialect == POSIX:
            nxt = _unwrap_executor(nxt)
        nxt, next_dialect = shells.strip_wrapper_once(nxt, dialect)
        if nxt == tokens:
            return tokens
        tokens, dialect = nxt, next_dialect


# ---------------------------------------------------------------------------
# Normalization and substitution bodies
# ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=shells.MEMO_SIZE)
def _normalize_segment(seg: str, dialect: str) -> str:
    """Engine ``normalizeSegmentForOS``: a segment whose first word names a
    shell is tokenized in that shell's dialect (cmd carets removed), then
    unwrapped and stripped of leading redirections."""
    seg = _trim(seg)
    if not seg:
        return ""
    dialect = shells.wrapper_dialect(seg) or dialect
    words = _tokenize(seg, dialect)
    if dialect == shells.CMD:
        words = shells.remove_carets(words)
    return " ".join(_strip_redirections(_unwrap(words, dialect)))


@functools.lru_cache(maxsize=shells.MEMO_SIZE)
def _normalize(cmd: str, dialect: str = POSIX) -> str:
    """Engine ``normalizeCommandForOS``: segments normalized, joined by `` && ``."""
    cmd = _trim(_sanitize(cmd))
    out = (_normalize_segment(seg, dialect) for seg in _split(cmd, dialect))
    return " && ".join(n for n in out if n)


class _Extractor:
    """Engine ``ExtractSubcommands``, memoized and depth-bounded."""

    def __init__(self) -> None:
        self.memo: dict[str, list[str]] = {}
        self.truncated = False

    def __call__(self, cmd: str, depth: int = 0) -> list[str]:
        if cmd in self.memo:
            return self.memo[cmd]
        if depth > MAX_NESTING:
            self.truncated = True
            return []
        clean = _sanitize(cmd)
        found: list[str] = []
        for inner in (self._dollar(clean) + self._backticks(clean)
                      + self._eval(clean) + self._process(clean)):
            found.append(inner)
            found.extend(self(inner, depth + 1))
        result = _dedupe(found)
        self.memo[cmd] = result
        return result

    @staticmethod
    def _dollar(s: str) -> list[str]:
        return _Extractor._bodies(s, _DOLLAR_OPENER, _DOLLAR_PARENS)

    @staticmethod
    def _process(s: str) -> list[str]:
        return _Extractor._bodies(s, _PROCESS_OPENER, _PARENS)

    @staticmethod
    def _bodies(s: str, opener: re.Pattern[str], parens: re.Pattern[str]) -> list[str]:
        """The non-blank bodies of the groups ``opener`` starts, searched for
        again after each group closes: ``parens`` finds ``)`` and what
        deepens the nesting (anything else it matches); an unclosed group
        runs to the end."""
        bodies: list[str] = []
        pos = 0
        while (found := opener.search(s, pos)) is not None:
            depth = 1
            for match in parens.finditer(s, found.end()):
                depth += -1 if match.group() == ")" else 1
                if depth == 0:
                    body = _trim(s[found.end():match.start()])
                    if body:
                        bodies.append(body)
                    pos = match.end()
                    break
            else:
                break
        return bodies

    @staticmethod
    def _backticks(s: str) -> list[str]:
        bodies: list[str] = []
        i = 0
        while True:
            start = s.find("`", i)
            end = s.find("`", start + 1) if start >= 0 else -1
            if end < 0:
                return bodies
            if _trim(s[start + 1:end]):
                bodies.append(_trim(s[start + 1:end]))
            i = end + 1

    @staticmethod
    def _eval(s: str) -> list[str]:
        words = _strip_assignments(_tokenize(_trim(s)))
        if len(words) >= 2 and words[0] == "eval":
            return [" ".join(words[1:])]
        return []


# ---------------------------------------------------------------------------
# Restrictive candidates (deny/ask), as the engine computes them
# ---------------------------------------------------------------------------

#: At most this many canonical ``rm -rf`` aliases per candidate; past it the
#: engine counts the rule as matched (fail closed).
MAX_CANONICAL_ALIASES = 256
_LINE_SPACE = " \t\r\n"
_LINE_SPACE_RE = re.compile(r"[ \t\r\n]")
_BODY_OPENERS = frozenset({"if", "elif", "while", "until", "then", "do", "else", "!"})
_BODY_CLOSERS = frozenset({"fi", "done", "esac"})
_REDIRECT_TAKES_NEXT = frozenset({">", ">>", "<", "<<", "<<<", "1>", "1>>", "2>", "2>>"})
_FIND_SKIP = frozenset({"--", "-H", "-L", "-P"})


def _leading_word(value: str) -> tuple[str, str]:
    """(first word lower-cased, the rest trimmed), words split on space/TAB/CR/LF."""
    value = _trim(value)
    found = _LINE_SPACE_RE.search(value)
    if found is None:
        return _lower(value), ""
    return _lower(value[:found.start()]), _trim(value[found.start():])


def _trim_closers(value: str) -> str:
    value = _trim(value)
    while value:
        changed = False
        for suffix in (")", "}"):
            if value.endswith(suffix):
                value = _trim(value[:-1])
                changed = True
        start = max(value.rfind(c) for c in _LINE_SPACE) + 1
        if _lower(value[start:]) in _BODY_CLOSERS:
            value = _trim(value[:start])
            changed = True
        if not changed:
            break
    return value


def _after_unquoted(value: str, target: str) -> str:
    if target not in value:
        return ""
    in_single = in_double = escaped = False
    for i, ch in enumerate(value):
        if escaped:
            escaped = False
        elif ch == "\\" and not in_single:
            escaped = True
        elif ch == "'" and not in_double:
            in_single = not in_single
        elif ch == '"' and not in_single:
            in_double = not in_double
        elif ch == target and not (in_single or in_double):
            return _trim(value[i + 1:])
    return ""


def _group_bodies(component: str) -> list[str]:
    """Commands behind POSIX grouping and control words of one component:
    leading ``(``/``{`` and ``if elif while until then do else !`` removed
    (then trailing ``)`` ``}`` ``fi`` ``done`` ``esac``), and the arm of a
    ``case ... in PATTERN) BODY`` (engine: restrictive only)."""
    original = _trim(component)
    if not original:
        return []
    out: list[str] = []
    candidate, changed = original, False
    while True:
        candidate = _trim(candidate)
        if not candidate:
            break
        if candidate[0] in "({":
            candidate, changed = candidate[1:], True
            continue
        word, rest = _leading_word(candidate)
        if word in _BODY_OPENERS:
            candidate, changed = rest, True
            continue
        break
    if changed:
        out.append(_trim_closers(candidate))
    if _leading_word(original)[0] == "case":
        arm = _after_unquoted(original, ")")
        if arm:
            out.append(_trim_closers(arm))
    return [c for c in _dedupe(out) if c and c != original]


def _restrictive_candidates(command: str, components: Sequence[str]) -> list[str]:
    """The command (trimmed), each of its granting ``components``, and the
    group bodies of each, de-duplicated in that order."""
    out: list[str] = []
    seen: set[str] = set()

    def add(candidate: str) -> None:
        candidate = _trim(candidate)
        if not candidate or candidate in seen:
            return
        seen.add(candidate)
        out.append(candidate)
        for body in _group_bodies(candidate):
            if body not in seen:
                seen.add(body)
                out.append(body)

    add(command)
    for component in components:
        add(component)
    return out


def _strip_comment(value: str) -> str:
    """Everything before an unquoted ``#`` that starts the string or follows
    space/TAB/CR/LF, trimmed (the rest of the string is dropped)."""
    if "#" not in value:
        return value
    in_single = in_double = escaped = False
    for i, ch in enumerate(value):
        if escaped:
            escaped = False
        elif ch == "\\" and not in_single:
            escaped = True
        elif ch == "'" and not in_double:
            in_single = not in_single
        elif ch == '"' and not in_single:
            in_double = not in_double
        elif ch == "#" and not (in_single or in_double) and (i == 0 or value[i - 1] in _LINE_SPACE):
            return _trim(value[:i])
    return value


def _mask_literal_redirects(command: str) -> str:
    """``<``/``>`` that are quoted or escaped become ``=`` (not redirections)."""
    if "<" not in command and ">" not in command:
        return command
    out = list(command)
    quote = ""
    escaped = False
    for i, ch in enumerate(out):
        if escaped:
            if ch in "<>":
                out[i] = "="
            escaped = False
            continue
        if ch == "\\" and quote != "'":
            escaped = True
            continue
        if (ch == "'" and quote != '"') or (ch == '"' and quote != "'"):
            if quote == ch:
                quote = ""
            elif not quote:
                quote = ch
        if quote and ch in "<>":
            out[i] = "="
    return "".join(out)


def _is_redirection(token: str) -> bool:
    return token in _REDIRECT_TAKES_NEXT or ">&" in token or "<&" in token \
        or "<" in token or ">" in token


def _rm_operands(tokens: list[str]) -> list[str] | None:
    """Operands of ``rm`` when it is recursive and forced (any flag spelling),
    redirections skipped; else None."""
    recursive = force = ended = False
    operands: list[str] = []
    i = 1
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok in _REDIRECT_TAKES_NEXT:
            i += 1
        elif _is_redirection(tok):
            continue
        elif ended:
            operands.append(tok)
        elif tok == "--":
            ended = True
        elif tok == "--recursive":
            recursive = True
        elif tok == "--force":
            force = True
        elif len(tok) > 1 and tok[0] == "-" and tok[1] != "-":
            recursive = recursive or "r" in tok[1:] or "R" in tok[1:]
            force = force or "f" in tok[1:]
        elif not tok.startswith("--"):
            operands.append(tok)
    return operands if recursive and force else None


def _clean_operand(value: str) -> str:
    cleaned = clean_path(value)
    if value.startswith("/") or cleaned in (".", "..") or cleaned.startswith("../"):
        return cleaned
    return value


def _unwrap_restrictive(tokens: list[str]) -> list[str]:
    while True:
        nxt = _unwrap_executor(tokens)
        if len(nxt) > 1 and _exe_name(nxt[0]) in _MULTICALL:
            nxt = nxt[1:]
        if nxt == tokens:
            return nxt
        tokens = nxt


def _canonical_aliases(command: str) -> tuple[list[str], bool]:
    """(``rm -rf OPERAND`` spellings of recursive forced deletions, whether
    there were more than ``MAX_CANONICAL_ALIASES``): ``rm`` with ``-r``+``-f``
    in any spelling, ``find TARGET... -delete``, ``find ... -exec|-execdir
    rm ... ;|+`` (``{}`` replaced by each target). Only for commands holding
    ``rm``, ``find``, a quote or a backslash."""
    if "rm" not in command and "find" not in command and not any(c in command for c in "'\"\\"):
        return [], False
    out: list[str] = []

    def emit(operand: str) -> bool:
        if len(out) == MAX_CANONICAL_ALIASES:
            return False
        out.append("rm -rf " + _clean_operand(operand))
        return True

    def visit_rm(tokens: list[str], targets: list[str]) -> bool:
        for operand in _rm_operands(tokens) or ():
            if targets and "{}" in operand:
                if not all(emit(clean_path(operand.replace("{}", t))) for t in targets):
                    return False
            elif not emit(operand):
                return False
        return True

    for segment in _split(_strip_comment(command)):
        tokens = _unwrap_restrictive(_tokenize(_mask_literal_redirects(segment)))
        if not tokens:
            continue
        base = _exe_name(tokens[0])
        if base == "rm":
            if not visit_rm(tokens, []):
                return out, True
            continue
        if base != "find":
            continue
        targets: list[str] = []
        expression = len(tokens)
        i = 1
        while i < len(tokens):
            tok = tokens[i]
            if tok == "-D" and i + 1 < len(tokens):
                i += 2
                continue
            if tok in _FIND_SKIP or tok.startswith("-O"):
                i += 1
                continue
            if tok.startswith("-") or tok in ("!", "("):
                expression = i
                break
            targets.append(tok)
            i += 1
        targets = targets or ["."]
        i = expression
        while i < len(tokens):
            tok = tokens[i]
            if tok == "-delete":
                if not all(emit(t) for t in targets):
                    return out, True
            elif tok in ("-exec", "-execdir"):
                end = i + 1
                while end < len(tokens) and tokens[end] not in (";", "+"):
                    end += 1
                if end < len(tokens):
                    action = _unwrap_restrictive(tokens[i + 1:end])
                    if action and _exe_name(action[0]) == "rm" and not visit_rm(action, targets):
                        return out, True
                    i = end
            i += 1
    return out, False


def _needs_aliases(command: str) -> bool:
    head = _trim(command)
    if not head:
        return False
    found = _LINE_SPACE_RE.search(head)
    head = head[:found.start()] if found else head
    base = _exe_name(head)
    if base != _lower(head):
        return True
    if base in ("rm", "find") or base in _MULTICALL:
        return True
    return base in _HERESTRING_SHELLS and "<<<" in command


def _aliases(command: str) -> list[str]:
    """Per segment of the comment-stripped, normalized command: the head as
    its lower-cased base name (a busybox/toybox applet unwrapped), and the
    body of a shell's ``<<<`` here-string."""
    without = _strip_comment(command)
    norm = _normalize(without) or without
    out: list[str] = []
    for segment in _split(norm) or [norm]:
        words = _tokenize(segment)
        if not words:
            continue
        base = _exe_name(words[0])
        if base in _MULTICALL and len(words) > 1 and not words[1].startswith("-"):
            words = words[1:]
            base = _exe_name(words[0])
        words = [base, *words[1:]]
        out.append(" ".join(words))
        if base in _HERESTRING_SHELLS:
            out.extend(" ".join(words[k + 1:]) for k, w in enumerate(words[:-1]) if w == "<<<")
    return [a for a in (_trim(a) for a in out) if a and a != command]


def _dialects(candidate: str) -> list[str]:
    """The cmd.exe/PowerShell re-readings the engine tries on a restrictive
    candidate (``matchRestrictiveAlternateCommandFirst``): cmd when it looks
    like a cmd wrapper or holds ``^``, ``&>`` or a ``'`` with ``&``/``|``;
    PowerShell when it looks like a PowerShell wrapper or holds a backtick."""
    wrapper = shells.wrapper_dialect(candidate)
    out = [wrapper] if wrapper in (shells.CMD, shells.POWERSHELL) else []
    if "^" in candidate or "&>" in candidate or ("'" in candidate and ("&" in candidate or "|" in candidate)):
        out.append(shells.CMD)
    if "`" in candidate:
        out.append(shells.POWERSHELL)
    return _dedupe(out)


def _dialect_readings(candidate: str, dialect: str, extract: _Extractor) -> list[str]:
    """What the engine matches, case-insensitively, on one re-reading
    (``matchRestrictiveCommandDialectFirst``): the normalized command and its
    segments (when normalizing changed it), each raw segment and its
    normalization, each substitution body and its normalization."""
    out: list[str] = []
    norm = _normalize(candidate, dialect)
    if norm != candidate:
        out.append(norm)
        out.extend(_split(norm, dialect))
    for part in [*_split(candidate, dialect), *extract(candidate)]:
        out.append(part)
        norm = _normalize(part, dialect)
        if norm != part:
            out.append(norm)
    return out


def _candidate_spellings(candidate: str) -> tuple[list[str], list[str], bool]:
    """What one restrictive candidate is matched as: (exact spellings: itself,
    its canonical deletions, its normalization, its aliases (for a path,
    ``rm``, ``find``, busybox/toybox or a here-string shell head) and its
    cmd.exe/PowerShell readings; the readings again, to be matched
    case-insensitively; whether the deletions overflowed)."""
    canonical, overflow = _canonical_aliases(candidate)
    out = [candidate, *canonical]
    norm = _normalize(candidate)
    if norm and norm != candidate:
        out.append(norm)
    if _needs_aliases(candidate):
        out.extend(_aliases(candidate))
    readings: list[str] = []
    dialects = _dialects(candidate)
    if dialects:
        extract = _Extractor()
        for dialect in dialects:
            readings.extend(_dialect_readings(candidate, dialect, extract))
    return out + readings, readings, overflow


def _restrictive_spellings(command: str, components: Sequence[str]) -> tuple[list[str], list[str], bool]:
    out: list[str] = []
    readings: list[str] = []
    overflow = False
    for candidate in _restrictive_candidates(command, components):
        spellings, dialect, over = _candidate_spellings(candidate)
        out.extend(spellings)
        readings.extend(dialect)
        overflow = overflow or over
    return _dedupe(out), _dedupe(fold(r) for r in readings), overflow


def command_spellings(command: str) -> tuple[str, ...]:
    """All candidate spellings a RESTRICTIVE ``command_matches`` is tested on
    (spec §5, the engine's ``matchRestrictiveCommandFirst``).

    Shape: non-empty tuple of distinct strings. A blank or over-long command
    gives ``(command,)``. Otherwise: for the trimmed command, each granting
    component (``command_components``) and the group bodies of each
    (``{ x; }``, ``( x )``, ``if/then/else/fi``, ``for/while ... do ...
    done``, ``case`` arms): the candidate itself, its canonical ``rm -rf``
    deletions, its normalization, its head aliases and its cmd.exe/PowerShell
    readings (see ``_dialect_readings``; these are also matched
    case-insensitively, :attr:`CommandAnalysis.folded_spellings`). Otherwise
    case-sensitive (a Linux host). A command with more than ``MAX_CANONICAL_ALIASES``
    deletions matches every restrictive pattern (:class:`CommandAnalysis`
    ``.overflow``).
    """
    if not _trim(command) or _too_long(command):
        return (command,)
    return tuple(_restrictive_spellings(command, _GrantAnalysis.of(command).components)[0])


class _GrantAnalysis:
    """Engine ``analyzeGrantCommand``: normalized form and components."""

    def __init__(self, normalized: str, truncated: bool, composite: bool, components: list[str]) -> None:
        self.normalized = normalized
        self.truncated = truncated
        self.composite = composite
        self.components = components

    @staticmethod
    def of_plain(segments: list[str]) -> _GrantAnalysis:
        """The analysis of a plain command (:func:`_plain_segments`): what
        :meth:`of` computes for it, without tokenizing."""
        return _GrantAnalysis(" && ".join(segments), False, len(segments) > 1, _dedupe(segments))

    @staticmethod
    def of(command: str) -> _GrantAnalysis:
        """The engine's analysis of ``command``."""
        extract = _Extractor()
        normalized = _normalize(command) or command
        segments = _split(normalized)
        bodies = extract(command)
        if not (len(segments) > 1 or bodies):
            only = _trim(normalized)
            return _GrantAnalysis(normalized, extract.truncated, False, [only] if only else [])
        comps = list(segments)
        for body in bodies:
            comps.extend(_normalize(seg) or seg for seg in _split(body))
        return _GrantAnalysis(normalized, extract.truncated, True,
                              _dedupe(c for c in (_trim(c) for c in comps) if c))


# A *plain* command: single-spaced words of characters no reading treats
# specially (no quote, escape, `$`, backtick, caret, redirection, grouping,
# comment or control character), in segments joined by ` && `, ` || `,
# ` | ` or `; `, each segment's first word lower-case and naming no shell,
# wrapper, executor, multi-call binary, `rm`, `find`, `eval`, assignment
# builtin or control word. Every spec §5 reading of such a command is its
# segments as written: normalized, they are the same words; there is no
# substitution body, wrapper, alias, canonical deletion, dialect reading or
# variable assignment. tests/test_canonicalize.py checks this fast path
# against the full analysis on generated commands.
_PLAIN_WORD = r"[A-Za-z0-9_./,:@%+=~*?-]+"
_PLAIN_SEGMENT = rf"[a-z0-9._+-]+(?: {_PLAIN_WORD})*"
_PLAIN = re.compile(rf"{_PLAIN_SEGMENT}(?:(?: && | \|\| | \| |; ){_PLAIN_SEGMENT})*")
_PLAIN_SEPARATOR = re.compile(r" && | \|\| | \| |; ")
_SPECIAL_HEADS = frozenset({
    *shells.WRAPPER_NAMES, *_MULTICALL, *_EXECUTORS, "rm", "find", "eval", "env", "export", "declare", "typeset", "set", "setx", "set-item", "new-item", "set-content", "case",
    *_BODY_OPENERS, *_BODY_CLOSERS,
})


def _plain_segments(command: str) -> list[str] | None:
    """The segments of a plain command (above), or None."""
    if len(command) > MAX_INPUT_BYTES or _PLAIN.fullmatch(command) is None:
        return None
    segments = _PLAIN_SEPARATOR.split(command)
    for segment in segments:
        space = segment.find(" ")
        if (segment if space < 0 else segment[:space]) in _SPECIAL_HEADS:
            return None
    return segments


def command_components(command: str) -> tuple[str, ...]:
    """What a granting rule must cover, as the engine computes it.

    Shape: ``()`` for a blank command; ``(normalized,)`` for a simple command
    (``FOO=1 nohup git status`` -> ``("git status",)``; when normalization
    leaves nothing, the trimmed raw command); otherwise every segment of the
    normalized command (split on ``&&`` ``||`` ``&`` ``|`` ``;`` newline,
    respecting quotes) followed by the normalized segments of every
    ``$(...)``/backtick/``eval``/``<(...)`` body, de-duplicated in order.
    A command over the size limit yields its raw segments only.
    """
    if not _trim(command):
        return ()
    if _too_long(command):
        return tuple(_split(command))
    return tuple(_GrantAnalysis.of(command).components)


def is_composite(command: str) -> bool:
    """True when ``command`` has several segments or any substitution body."""
    if not _trim(command):
        return False
    if _too_long(command):
        return len(_split(command)) > 1
    return _GrantAnalysis.of(command).composite


# ---------------------------------------------------------------------------
# Rule predicate
# ---------------------------------------------------------------------------

def _contains_folded(text: str, needles: Sequence[str]) -> bool:
    low = _lower(text)
    return any(_lower(n) in low for n in needles)


class CommandAnalysis:
    """Everything spec §5 derives from one command string, each part computed
    at most once: restrictive ``spellings`` (and ``overflow``), the texts a
    restrictive ``command_contains`` is tested on, the granting analysis
    (``normalized``, ``components``, ``composite``), per-component facts for
    restrictive exclusions, and ``env_names``. Immutable in meaning (a pure
    function of ``command``), so a caller may keep one per distinct command
    string and ask :meth:`matches` for many rules; :func:`command_matches`
    builds a fresh one per question.
    """

    __slots__ = ("command", "_spellings", "_folded", "_overflow", "_grant", "_parts", "_env")

    def __init__(self, command: str) -> None:
        self.command = command
        self._spellings: tuple[str, ...] | None = None
        self._folded: tuple[str, ...] = ()
        self._overflow = False
        self._grant: _GrantAnalysis | None = None
        self._parts: dict[str, CommandAnalysis] = {}
        self._env: tuple[str, ...] | None = None
        segments = _plain_segments(command)
        if segments is not None:  # every reading is known: see _PLAIN
            self._grant = _GrantAnalysis.of_plain(segments)
            self._spellings = tuple(_dedupe([command, self._grant.normalized, *segments]))
            self._env = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        """``command_spellings(command)``."""
        if self._spellings is None:
            if not _trim(self.command) or _too_long(self.command):
                self._spellings = (self.command,)
            else:
                spellings, folded, self._overflow = _restrictive_spellings(
                    self.command, self._grant_analysis().components)
                self._spellings, self._folded = tuple(spellings), tuple(folded)
        return self._spellings

    @property
    def overflow(self) -> bool:
        """More than ``MAX_CANONICAL_ALIASES`` deletions in one candidate: a
        restrictive rule with command patterns holds (engine: fail closed)."""
        self.spellings
        return self._overflow

    @property
    def contains_texts(self) -> tuple[str, ...]:
        """What a restrictive ``command_contains`` is tested on, folded: the
        raw command and, when it holds a quote or a backslash, its
        normalization (the engine's ``matchRestrictiveCommandContains``)."""
        texts = [self.command]
        if any(c in self.command for c in "'\"\\"):
            norm = _normalize(self.command)
            if norm != self.command:
                texts.append(norm)
        return tuple(texts)

    @property
    def folded_spellings(self) -> tuple[str, ...]:
        """Lower-cased candidates of the engine's cmd.exe/PowerShell
        re-readings of each restrictive candidate, matched against lower-cased
        patterns (``matchRestrictiveCommandDialectFirst``)."""
        self.spellings
        return self._folded

    @property
    def head_fold(self) -> bool:
        """Whether a granting rule folds the executable's case: the command
        looks like a cmd.exe or PowerShell wrapper (the engine then matches
        on its Windows reading)."""
        return shells.wrapper_dialect(self.command) in (shells.CMD, shells.POWERSHELL)

    @property
    def granting_texts(self) -> tuple[str, ...]:
        """Every string a granting rule's globs are asked about: the raw and
        normalized command and each component."""
        if not _trim(self.command) or _too_long(self.command):
            return (self.command,)
        analysis = self._grant_analysis()
        return tuple(_dedupe([self.command, analysis.normalized, *analysis.components]))

    @property
    def env_names(self) -> tuple[str, ...]:
        """``env_assignment_names(command)``."""
        if self._env is None:
            self._env = env_assignment_names(self.command)
        return self._env

    def _grant_analysis(self) -> _GrantAnalysis:
        if self._grant is None:
            self._grant = _GrantAnalysis.of(self.command)
        return self._grant

    def _part(self, component: str) -> CommandAnalysis:
        """The analysis of one executed component, memoized."""
        part = self._parts.get(component)
        if part is None:
            part = self._parts[component] = CommandAnalysis(component)
        return part

    @property
    def components(self) -> tuple[str, ...]:
        """``command_components(command)`` for a command within the size
        limit: what a granting rule must cover."""
        return tuple(self._grant_analysis().components) if _trim(self.command) else ()

    def matches(self, *, granting: bool, matches: Matcher | None, contains: Sequence[str],
                excludes: Matcher | None, composite_matches: Matcher | None = None,
                folded: Matcher | None = None, head_folded: Matcher | None = None,
                composite_head_folded: Matcher | None = None) -> bool:
        """As :func:`command_matches` for this command."""
        command = self.command
        if not _trim(command):
            return False
        if matches is None and not contains:
            return True
        if _too_long(command):
            return not granting
        if granting:
            return self._granting(matches, contains, excludes, composite_matches, head_folded,
                                  composite_head_folded)
        return self._restrictive(matches, contains, excludes, folded)

    def _positive(self, matches: Matcher | None, folded: Matcher | None) -> bool:
        """Some restrictive candidate matches: exactly, or on a case-folded
        cmd.exe/PowerShell reading."""
        if matches is None:
            return False
        if self.overflow or any(matches(s) for s in self.spellings):
            return True
        return folded is not None and any(folded(s) for s in self.folded_spellings)

    def _restrictive(self, matches: Matcher | None, contains: Sequence[str], excludes: Matcher | None,
                     folded: Matcher | None = None) -> bool:
        hit = self._positive(matches, folded)
        if not hit and not any(_contains_folded(t, contains) for t in self.contains_texts):
            return False
        if excludes is None:
            return True
        analysis = self._grant_analysis()
        parts = analysis.components if analysis.composite else [self.command]
        attributed = False
        for part in parts:
            matched, positive = self._component_match(part, matches, contains, excludes, folded)
            attributed = attributed or positive
            if matched:
                return True
        # Some component matched and every such one is excluded: no match. No
        # component matched on its own: the whole-command match stands.
        return not attributed

    def _excluded(self, component: str, excludes: Matcher) -> bool:
        part = self._part(component)
        for candidate in _restrictive_candidates(component, part._grant_analysis().components):
            if excludes(candidate):
                return True
            norm = _normalize(candidate)
            if norm != candidate and excludes(norm):
                return True
        return False

    def _component_match(self, component: str, matches: Matcher | None, contains: Sequence[str],
                         excludes: Matcher, folded: Matcher | None) -> tuple[bool, bool]:
        """(matched, positive) of one executed component of a restrictive rule
        with exclusions (the engine's ``matchRestrictiveCommandComponent``)."""
        positive = False
        if contains and any(_contains_folded(t, contains) for t in self._part(component).contains_texts):
            positive = True
            if matches is not None or not self._excluded(component, excludes):
                return True, True
        if matches is not None:
            canonical, overflow = _canonical_aliases(component)
            hits = [a for a in canonical if matches(a)]
            if any(not excludes(a) for a in hits):
                return True, True
            if hits or overflow:
                return overflow, True
            if self._part(component)._positive(matches, folded):
                if not self._excluded(component, excludes):
                    return True, True
                positive = True
        return False, positive

    def _granting(self, matches: Matcher | None, contains: Sequence[str], excludes: Matcher | None,
                  composite_matches: Matcher | None, head_folded: Matcher | None = None,
                  composite_head_folded: Matcher | None = None) -> bool:
        analysis = self._grant_analysis()
        if analysis.truncated:
            return False
        command = self.command
        granted = False
        fold_heads = self.head_fold
        if analysis.composite:
            texts = [command] if analysis.normalized == command else [command, analysis.normalized]
            granted = (composite_matches is not None and any(composite_matches(t) for t in texts)) or (
                fold_heads and composite_head_folded is not None
                and any(composite_head_folded(fold_head(t)) for t in texts))
        if not granted:
            if not analysis.components:
                return False
            fold_heads = fold_heads and head_folded is not None
            for comp in analysis.components:
                ok = (matches is not None and matches(comp)) or \
                    (fold_heads and head_folded is not None and head_folded(fold_head(comp))) or \
                    any(n and n in comp for n in contains)  # case-sensitive here
                if not ok:
                    return False
        if excludes is not None:
            spellings = [command, analysis.normalized, *analysis.components]
            if any(excludes(s) for s in _dedupe(spellings)):
                return False
        return True


def command_matches(command: str, *, granting: bool, matches: Matcher | None,
                    contains: Sequence[str], excludes: Matcher | None,
                    composite_matches: Matcher | None = None, folded: Matcher | None = None,
                    head_folded: Matcher | None = None,
                    composite_head_folded: Matcher | None = None) -> bool:
    """Whether a rule's command predicate (command_matches / command_contains
    / command_not_matches) holds for ``command``.

    ``matches(s)``: any command_matches glob matches ``s`` (None: field
    absent).  ``contains``: command_contains needles.  ``excludes(s)``: any
    command_not_matches glob matches ``s`` (None: field absent).
    ``composite_matches(s)``: optional; any command_matches glob that is
    itself composite (``is_composite(glob)``) matches ``s``.
    ``folded(s)``: optional; any command_matches glob, lower-cased
    (:func:`fold`), matches the lower-cased ``s``. ``head_folded(s)``:
    optional; any glob with its head folded (:func:`fold_head`) matches the
    head-folded ``s``; ``composite_head_folded(s)`` the same for the
    composite globs only. They stand for the engine's case-insensitive
    cmd.exe/PowerShell readings: ``folded`` on the restrictive dialect
    readings (``CommandAnalysis.folded_spellings``), the head-folded ones on
    a granting rule when the command's first word is ``cmd``/``powershell``/
    ``pwsh`` (``CommandAnalysis.head_fold``).

    * Blank command: False (a missing field fails its condition).
    * No command_matches and no command_contains: the engine never evaluates
      command_not_matches on this path, so the predicate is vacuously True;
      such a rule fires only through its other positive fields, and a rule
      whose only field is command_not_matches never fires.
    * Over 8192 bytes: True if restrictive, False if granting (fail closed;
      the engine denies the call before any rule).
    * Restrictive (``granting=False``): positive when ``matches`` accepts
      any of ``command_spellings(command)`` or a needle occurs in the raw
      command, case-insensitively.  Then, if there are exclusions: a component
      (the raw command if not composite, else each of
      ``command_components``) *matches* when ``matches`` accepts its raw,
      normalized, alias or dialect spelling or a needle occurs in it
      case-insensitively, and is *excluded* when ``excludes`` accepts its raw
      or normalized spelling (exact case).  The rule holds if some matching
      component is not excluded; fails if every matching component is
      excluded; and holds if no component matches on its own (the positive
      match spans operators, so exclusions cannot weaken it).
    * Granting (``granting=True``): holds when ``composite_matches`` accepts
      the raw or normalized composite command, or every component of
      ``command_components`` is accepted by ``matches`` (or, on a
      cmd/PowerShell wrapper, the head-folded matchers) or contains a needle
      case-SENSITIVELY; then any exclusion matching the raw command, its
      normalized form or any component removes the grant.  Substitution
      nesting beyond ``MAX_NESTING`` never grants.
    """
    return CommandAnalysis(command).matches(granting=granting, matches=matches, contains=contains,
                                            excludes=excludes, composite_matches=composite_matches,
                                            folded=folded, head_folded=head_folded,
                                            composite_head_folded=composite_head_folded)


# ---------------------------------------------------------------------------
# Environment assignments
# ---------------------------------------------------------------------------

def _names_in(words: list[str]) -> list[str]:
    names = []
    for w in words:
        if not _is_assignment(w):
            break
        names.append(w[:w.index("=")])
    if not words:
        return names
    head = _base(words[0])
    if head == "env":
        skip = False
        for w in words[1:]:
            if skip:
                skip = False
            elif w in ("-u", "--unset"):
                skip = True
            elif w == "--" or w.startswith("-"):
                continue
            elif _is_assignment(w):
                names.append(w[:w.index("=")])
            else:
                break
    elif head in ("export", "declare", "typeset"):
        names.extend(w[:w.index("=")] for w in words[1:]
                     if not w.startswith("-") and _is_assignment(w))
    return names


def _dialect_names(words: list[str], dialect: str) -> list[str]:
    if dialect == shells.CMD:
        return shells.env_names_cmd(words)
    if dialect == shells.POWERSHELL:
        return shells.env_names_powershell(words)
    return _names_in(words)


#: What the tokenizers and ``_sanitize`` may delete from a word, by itself:
#: quotes, escapes and control characters.
_DELETABLE = re.compile(r"""['"\\`^\x00-\x1f]""")


def _may_assign(command: str) -> bool:
    """False only when no reading can assign a variable: every assignment
    form needs a ``=`` (POSIX, cmd ``set``, ``$env:NAME = v``) or a word
    holding ``env:`` or ``SetEnvironmentVariable`` (any case), and a word is
    the raw text with some quotes, escapes and control characters deleted
    (and, after an ESC, a whole ANSI sequence: then anything may hold)."""
    if "=" in command or "\x1b" in command:
        return True
    folded = _DELETABLE.sub("", _lower(command))
    return "env:" in folded or "setenvironmentvariable" in folded


def env_assignment_names(command: str) -> tuple[str, ...]:
    """Names of variables the command assigns (``command_env_assignments``;
    the engine's ``commandEnvAssignmentNames``).

    The command is read as POSIX, then cmd.exe, then PowerShell. In every
    segment (and, up to 4 levels down, every shell wrapper body, read in the
    wrapper's dialect, and every substitution body): POSIX leading
    ``NAME=value`` words, ``env [opts] NAME=v``, ``export|declare|typeset
    [opts] NAME=v ...`` (a bare ``export NAME`` assigns nothing); cmd
    ``set``/``setx NAME=v``; PowerShell ``$env:NAME = v``,
    ``Set-Item env:NAME``, ``[Environment]::SetEnvironmentVariable("NAME",
    ...)`` (:mod:`policyc.shells`). Names keep their case; order of first
    appearance; de-duplicated.  ``()`` for a blank or over-long command.
    """
    if not _trim(command) or _too_long(command) or not _may_assign(command):
        return ()
    extract = _Extractor()
    names: list[str] = []

    def collect(raw: str, dialect: str, depth: int) -> None:
        if depth > 4 or not _trim(raw):
            return
        for seg in _split(raw, dialect) or [raw]:
            words = _tokenize(seg, dialect)
            names.extend(_dialect_names(words, dialect))
            inner, inner_dialect = shells.strip_wrapper_once(words, dialect)
            if inner != words:
                collect(" ".join(inner), inner_dialect, depth + 1)
        for body in extract(raw):
            collect(body, dialect, depth + 1)

    for dialect in (POSIX, shells.CMD, shells.POWERSHELL):
        collect(command, dialect, 0)
    return tuple(_dedupe(names))
