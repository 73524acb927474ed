"""Cached loading of the Lark grammars for the embedded pattern languages.

Grammar files live in ``policyc/grammar/`` inside an installed wheel, or in
the repository's top-level ``grammar/`` directory in a checkout.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from typing import TYPE_CHECKING

import policyc
from policyc.callfields import utf8_len  # noqa: F401 - re-exported to the pattern modules

if TYPE_CHECKING:  # lark is imported when a grammar is first needed
    from lark import Lark

_STARTS = {
    "glob": ["nfa", "segment", "domain"],
    "regex": ["start"],
    "condition": ["duration", "comparison"],
}


def grammar_dir() -> Path:
    """Directory holding ``glob.lark``, ``regex.lark`` and ``condition.lark``."""
    packaged = Path(policyc.__file__).parent / "grammar"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "grammar"


@lru_cache(maxsize=None)
def _grammar_text(name: str) -> str:
    return (grammar_dir() / f"{name}.lark").read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def parser(name: str, start: str) -> Lark:
    """Return the LALR parser for rule ``start`` of grammar ``name``
    (``glob``: nfa/segment/domain; ``regex``: start; ``condition``:
    duration/comparison), built once per process.

    One parser per start rule: the flavours share rule names but not
    terminals, and a separate table keeps the contextual lexer from seeing
    another flavour's terminals.  Raises KeyError for an unknown name or
    start and FileNotFoundError when the grammar file is missing.
    """
    if start not in _STARTS[name]:
        raise KeyError(start)
    # When the optional `interegular` package is installed, Lark compares
    # every pair of terminals for collisions while building a lexer: a
    # grammar-author diagnostic that takes minutes on the regex grammar's
    # Unicode classes. Our grammars are fixed and tested, so it is skipped.
    import lark
    import lark.lexer
    from lark import Lark

    from policyc import diskcache

    text = _grammar_text(name)
    options = {"parser": "lalr", "lexer": "contextual", "start": start, "propagate_positions": True,
               "maybe_placeholders": True}

    def build() -> Lark:
        return Lark(text, **options)

    def encode(parser: Lark) -> object:
        from lark.grammar import Rule
        from lark.lexer import TerminalDef

        data, memo = parser.memo_serialize([TerminalDef, Rule])
        return diskcache.encode_data({"data": data, "memo": memo})

    def decode(stored: object) -> Lark:
        loaded = diskcache.decode_data(stored)
        return Lark._load_from_dict(loaded["data"], loaded["memo"])

    # The parse tables are cached on disk (policyc.diskcache), keyed by the
    # grammar text, the options and the versions: building them is most of
    # the cost of the first pattern with a class, a regex or a duration.
    key = f"{diskcache.versions(lark)}\n{sorted(options.items())!r}\n{text}"
    saved = getattr(lark.lexer, "has_interegular", False)
    lark.lexer.has_interegular = False
    try:
        return diskcache.cached("lark", key, build, encode, decode)
    finally:
        lark.lexer.has_interegular = saved


class PatternError(Exception):
    """A malformed or over-limit pattern.

    ``message`` says what is wrong; ``offset`` is the 0-based character
    offset inside the pattern text where the problem was found.
    """

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(f"{message} (at offset {offset})")
        self.message = message
        self.offset = offset




def offset_past_bytes(text: str, limit: int) -> int:
    """Character offset of the first character that ends beyond ``limit``
    UTF-8 bytes (``len(text)`` if the text fits)."""
    used = 0
    for index, char in enumerate(text):
        used += utf8_len(char)
        if used > limit:
            return index
    return len(text)
