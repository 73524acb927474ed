"""Embedded pattern languages of the Rampart dialect (spec §1, §4).

Globs (command, path and domain flavours), RE2 response regexes, Go-style
durations and numeric comparisons: Lark grammars in ``grammar/``, typed
objects, limits, and reference matchers that interpret glob tokens directly.
"""

from policyc.callfields import clean_path, domain_of, path_spellings

from .duration import duration_ns, parse_comparison, parse_duration
from .glob import (
    MAX_DOUBLESTAR_PATTERN_BYTES,
    MAX_DOUBLESTARS,
    MAX_GLOB_INPUT_BYTES,
    MAX_GLOB_PATTERN_BYTES,
    CharClass,
    DoubleStar,
    Glob,
    GlobToken,
    Literal,
    Question,
    Star,
    check_glob_limits,
    input_too_long,
    match_command_glob,
    match_domain_glob,
    match_path_glob,
    parse_glob,
)
from .grammars import PatternError
from .regex import MAX_REGEX_BYTES, nested_quantifier_offset, parse_regex, validate_regex

__all__ = [
    "MAX_DOUBLESTAR_PATTERN_BYTES",
    "MAX_DOUBLESTARS",
    "MAX_GLOB_INPUT_BYTES",
    "MAX_GLOB_PATTERN_BYTES",
    "MAX_REGEX_BYTES",
    "CharClass",
    "DoubleStar",
    "Glob",
    "GlobToken",
    "Literal",
    "PatternError",
    "Question",
    "Star",
    "check_glob_limits",
    "clean_path",
    "domain_of",
    "duration_ns",
    "input_too_long",
    "match_command_glob",
    "match_domain_glob",
    "match_path_glob",
    "nested_quantifier_offset",
    "parse_comparison",
    "parse_duration",
    "parse_glob",
    "parse_regex",
    "path_spellings",
    "validate_regex",
]
