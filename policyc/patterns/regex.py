"""Validation of ``response_matches`` / ``response_not_matches`` regexes.

Spec §1 (500-character limit, nested quantifiers refused) and §4 (RE2
syntax, unanchored search).  The Lark grammar ``grammar/regex.lark`` gives a
tree and positioned syntax errors; google-re2 has the final say on validity.
"""

from __future__ import annotations

import re as _re
from functools import lru_cache
from typing import TYPE_CHECKING, Optional

from .grammars import PatternError, offset_past_bytes, parser, utf8_len

if TYPE_CHECKING:  # lark is imported with the grammar
    from lark import Tree
    from lark.exceptions import UnexpectedInput

#: Longest accepted response regex, in UTF-8 bytes (the engine compares the
#: Go string length, i.e. bytes; the spec says "characters").
MAX_REGEX_BYTES = 500

try:  # pragma: no cover - exercised implicitly
    import re2 as _re2

    _RE2_OPTIONS = _re2.Options()
    _RE2_OPTIONS.log_errors = False
except Exception:  # pragma: no cover - google-re2 missing
    _re2 = None
    _RE2_OPTIONS = None


def _quantifier_width(text: str, index: int) -> int:
    """Width of a quantifier token starting at ``index`` as the engine's
    scanner sees it (0 if none): ``*``, ``+``, ``?`` (always, even right
    after ``(``), or ``{`` digits [``,`` digits] ``}`` with at least one
    digit in total (so ``{,5}`` counts although RE2 reads it literally)."""
    char = text[index]
    if char in "*+?":
        return 1
    if char != "{":
        return 0
    cursor = index + 1
    digits = 0
    while cursor < len(text) and text[cursor].isascii() and text[cursor].isdigit():
        cursor += 1
        digits += 1
    if cursor < len(text) and text[cursor] == ",":
        cursor += 1
        while cursor < len(text) and text[cursor].isascii() and text[cursor].isdigit():
            cursor += 1
            digits += 1
    if digits == 0 or cursor >= len(text) or text[cursor] != "}":
        return 0
    return cursor - index + 1


def nested_quantifier_offset(text: str) -> Optional[int]:
    """Offset of the quantifier that the engine's nested-quantifier check
    rejects, or None.

    The engine scans characters, not a parse tree: ``\\`` hides the next
    character; ``[`` starts a class that the next ``]`` ends (even a leading
    one); a group is marked "quantified" when a quantifier character occurs
    directly inside it or in a group nested in it; a quantifier that follows
    the ``)`` of a marked group is refused.  Because the ``?`` of ``(?:``,
    ``(?i)`` or ``(?P<`` counts as a quantifier, ``(?:ab)*`` and
    ``((?i)ab)+`` are refused too, while ``(?i)ab`` alone is not.
    """
    marks: list[bool] = []
    in_class = False
    escaped = False
    after_marked_group = False
    index = 0
    while index < len(text):
        char = text[index]
        if escaped:
            escaped = False
            after_marked_group = False
            index += 1
            continue
        if char == "\\":
            escaped = True
            after_marked_group = False
            index += 1
            continue
        if in_class:
            in_class = char != "]"
            after_marked_group = False
            index += 1
            continue
        if char == "[":
            in_class = True
            after_marked_group = False
            index += 1
            continue
        width = _quantifier_width(text, index)
        if width:
            if after_marked_group:
                return index
            if marks:
                marks[-1] = True
            after_marked_group = False
            index += width
            continue
        if char == "(":
            marks.append(False)
            after_marked_group = False
        elif char == ")" and marks:
            marked = marks.pop()
            if marked and marks:
                marks[-1] = True
            after_marked_group = marked
        else:
            after_marked_group = False
        index += 1
    return None


def _opener_offset(text: str, want: str) -> int:
    """Offset of the unclosed ``(`` (want="(") or ``[`` (want="[")."""
    stack: list[int] = []
    class_start = -1
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if class_start >= 0:
            if char == "]" and index > class_start + 1 and not (
                index == class_start + 2 and text[class_start + 1] == "^"
            ):
                class_start = -1
            index += 1
            continue
        if char == "[":
            class_start = index
        elif char == "(":
            stack.append(index)
        elif char == ")" and stack:
            stack.pop()
        index += 1
    if want == "[" and class_start >= 0:
        return class_start
    if want == "(" and stack:
        return stack[-1]
    return len(text)


def _lark_error(error: UnexpectedInput, text: str) -> PatternError:
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

    if isinstance(error, UnexpectedCharacters):
        offset = error.pos_in_stream
        char = text[offset] if offset < len(text) else ""
        if char == "\\":
            return PatternError(f"invalid escape sequence {text[offset:offset + 2]!r}", offset)
        if char in "*+?{":
            if offset > 0 and text[offset - 1] == "(" and char == "?":
                return PatternError("unsupported group syntax (lookaround or unknown flag)", offset - 1)
            return PatternError(f"repetition operator {char!r} has nothing to repeat", offset)
        if char == ")":
            return PatternError("unexpected ')'", offset)
        return PatternError(f"unexpected {char!r}", offset)
    if isinstance(error, UnexpectedToken):
        token = error.token
        if token.type == "$END":
            if _opener_offset(text, "[") < len(text):
                return PatternError("missing closing ]", _opener_offset(text, "["))
            return PatternError("missing closing )", _opener_offset(text, "("))
        offset = token.start_pos if token.start_pos is not None else len(text)
        if str(token).startswith("?") and offset > 0 and text[offset - 1] == "(":
            return PatternError("unsupported group syntax (lookaround or unknown flag)", offset - 1)
        if token.type in ("STAR", "PLUS", "QMARK", "LAZY", "REPEAT"):
            return PatternError(f"bad repetition operator {str(token)!r}", offset)
        if token.type == "RPAR" or str(token) == ")":
            return PatternError("unexpected ')'", offset)
        return PatternError(f"unexpected {str(token)!r}", offset)
    return PatternError("malformed regular expression", len(text))  # pragma: no cover


@lru_cache(maxsize=2048)
def parse_regex(text: str) -> Tree:
    """Parse ``text`` with the RE2 grammar; returns the Lark tree.

    Raises :class:`PatternError` with the offset of the first syntax error.
    Syntax only: limits and the nested-quantifier rule are checked by
    :func:`validate_regex`.
    """
    from lark.exceptions import UnexpectedInput

    try:
        return parser("regex", "start").parse(text)
    except UnexpectedInput as error:
        raise _lark_error(error, text) from None


def _re2_error(text: str) -> Optional[str]:
    if _re2 is None:  # pragma: no cover
        return None
    try:
        _re2.compile(text, options=_RE2_OPTIONS)
    except Exception as error:  # re2.error
        detail = error.args[0] if error.args else error
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        return str(detail)
    return None


def _offset_from_re2(message: str, text: str) -> int:
    _, _, fragment = message.partition(": ")
    if fragment:
        found = text.find(fragment)
        if found >= 0:
            return found
    return 0


def validate_regex(text: str) -> None:
    """Check one response regex as the engine does at load time (spec §1).

    In the engine's order: length at most ``MAX_REGEX_BYTES`` UTF-8 bytes;
    no nested quantifier (see :func:`nested_quantifier_offset`); valid RE2
    syntax as Go's regexp accepts it (``\\C`` refused, ``(?<name>`` allowed);
    google-re2 must compile it.  Returns None; raises :class:`PatternError`
    with the 0-based offset of the problem.
    """
    size = utf8_len(text)
    if size > MAX_REGEX_BYTES:
        raise PatternError(
            f"pattern too long ({size} > {MAX_REGEX_BYTES} bytes)",
            offset_past_bytes(text, MAX_REGEX_BYTES),
        )
    nested = nested_quantifier_offset(text)
    if nested is not None:
        raise PatternError("nested quantifiers are not allowed", nested)
    re2_message = _re2_error(text)
    no_c = not _re.search(r"(?<!\\)(?:\\\\)*\\C", text)
    if re2_message is None and no_c:
        return  # below, this returns whatever the grammar says: the grammar is not even built
    syntax: Optional[PatternError] = None
    try:
        parse_regex(text)
    except PatternError as error:
        syntax = error
    if syntax is not None:
        if re2_message is None and no_c:
            return  # the grammar is stricter than RE2 here: RE2 decides
        raise PatternError(re2_message or syntax.message, syntax.offset)
    if re2_message is not None:
        raise PatternError(re2_message, _offset_from_re2(re2_message, text))
