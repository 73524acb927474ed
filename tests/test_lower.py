"""Lowering globs to RE2 (policyc.patterns.lower) against the direct matchers.

Every check compares ``re2.fullmatch(expression, input)`` with the reference
matcher of policyc.patterns.glob (or canonicalize._contains_folded for
command_contains) on the same input.
"""

from __future__ import annotations

import random

import pytest
import re2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyc.canonicalize import _contains_folded
from policyc.dialects.rampart.frontend import load_file
from policyc.ir import Pattern, PatternLanguage
from policyc.patterns.glob import match_command_glob, match_domain_glob, match_path_glob
from policyc.patterns.lower import (
    FallbackRequired,
    anchored,
    lower_folded,
    lower_glob,
    lower_substring,
    needs_fallback,
    normalize_domain,
)

from .conftest import corpora_files, needs_corpora

DIRECT = {
    "command": match_command_glob,
    "path": match_path_glob,
    "domain": match_domain_glob,
}

_COMPILED: dict = {}


def _compiled(expression):
    if expression not in _COMPILED:
        _COMPILED[expression] = re2.compile(expression)
    return _COMPILED[expression]


def lowered_accepts(pattern: str, flavor: str, value: str) -> bool:
    expression = lower_glob(pattern, flavor)
    if expression is None:
        return False
    if flavor == "domain":
        value = normalize_domain(value)
    return _compiled(expression).fullmatch(value) is not None


def mismatches(pattern: str, flavor: str, values) -> list:
    direct = DIRECT[flavor]
    return [(v, direct(pattern, v)) for v in values
            if lowered_accepts(pattern, flavor, v) != direct(pattern, v)]


# --------------------------------------------------------------------------
# Targeted shapes: (pattern, flavors, inputs, inputs the direct matcher accepts
# in the FIRST flavor listed — an anchor so the comparison is not vacuous)

COMMON_INPUTS = ["", "a", "b", "ab", "ba", "a/b", "a\\b", "/a", "a/", "abc", "a b",
                 "a\nb", ".", "a.b", "aa", "a/b/c", "x/a", "/", "\\", "a\\", "A"]

SHAPES = [
    # exactly '*'
    ("*", ["command"], ["/etc/passwd", "a\nb", ""], ["/etc/passwd", "a\nb", ""]),
    ("*", ["path"], ["/etc/passwd", "passwd", ""], ["passwd", ""]),
    ("*", ["domain"], ["a.b", "", "a/b", "A.COM."], ["a.b", "A.COM."]),
    # '**': leading '**/', trailing '/**', middle, two of them
    ("**/.env", ["path", "command"], [".env", "/a/.env", "a\\.env", "x.env", "/.env/x", "a/b/.env"],
     [".env", "/a/.env", "a\\.env", "a/b/.env"]),
    ("/etc/**", ["path", "command"], ["/etc/", "/etc/a/b", "/etc", "\\etc\\x", "/etcx"],
     ["/etc/", "/etc/a/b", "\\etc\\x"]),
    ("a/**/b", ["path", "command"], ["a/b", "a//b", "a/x/b", "a/x/y/b", "a\\x\\b"],
     ["a//b", "a/x/b", "a/x/y/b", "a\\x\\b"]),
    ("**", ["path", "command"], ["", "a/b", "\n/"], ["", "a/b", "\n/"]),
    ("**/", ["path", "command"], ["", "a/", "a", "/"], ["", "a/", "/"]),
    ("**/*.key", ["path"], ["x.key", "a/x.key", "a/b/.key", "a/b.key/c"], ["x.key", "a/x.key", "a/b/.key"]),
    ("**/secrets/**", ["path", "command"], ["secrets/x", "a/secrets/b/c", "secrets", "asecrets/x"],
     ["secrets/x", "a/secrets/b/c"]),
    ("a**b**c", ["path", "command"], ["abc", "a/b/c", "a/c/b/c", "ac"], ["abc", "a/b/c", "a/c/b/c"]),
    ("a**b**c**d", ["path", "command"], ["abcd"], []),  # three ** never match
    ("***", ["command"], ["", "a/b"], ["", "a/b"]),
    # '*' and '?' in the automaton never cross '/'
    ("a*", ["path"], ["a", "abc", "a/b", "a\\b"], ["a", "abc"]),
    ("a?c", ["path", "command"], ["abc", "a/c", "a\\c", "ac", "a\nc"], ["abc", "a\nc"]),
    # trailing '*': literal prefix (command only), '?' and '[' literal there
    ("dd if=*", ["command"], ["dd if=/dev/zero of=/dev/sda", "dd if=", "dd of=x"],
     ["dd if=/dev/zero of=/dev/sda", "dd if="]),
    ("a?*", ["command"], ["a?/x", "ab", "ab/c", "a/x"], ["a?/x", "ab"]),
    ("a[b]*", ["command"], ["a[b]/x", "ab", "ab/x", "ac"], ["a[b]/x", "ab"]),
    ("a[*", ["command"], ["a[", "a[/x", "a"], ["a[", "a[/x"]),
    ("*rm*", ["command"], ["rm", "sudo rm -rf /", "r m", "x/rm/y"], ["rm", "sudo rm -rf /", "x/rm/y"]),
    # leading '*': unanchored substring chain
    ("*cat /etc/shadow", ["command"], ["cat /etc/shadow", "sudo cat /etc/shadow.bak", "cat /etc/passwd"],
     ["cat /etc/shadow", "sudo cat /etc/shadow.bak"]),
    ("*a*b", ["command"], ["ab", "xaxbx", "ba", "a/b"], ["ab", "xaxbx", "a/b"]),
    ("*a?b", ["command"], ["a?b", "axb"], ["a?b"]),
    ("*.example.com", ["domain"], ["a.example.com", "a.b.example.com", "example.com", "A.Example.COM.",
                                   "a/b.example.com"], ["a.example.com", "a.b.example.com", "A.Example.COM."]),
    # classic glob: classes, negation, ranges, leftmost placement
    ("[ab]c", ["command", "path", "domain"], ["ac", "bc", "cc", "/c"], ["ac", "bc"]),
    ("[^a]c", ["command", "path", "domain"], ["bc", "ac", "/c", "\\c", "\nc"], ["bc", "/c", "\\c", "\nc"]),
    ("[a-c]x", ["command", "path"], ["ax", "bx", "cx", "dx"], ["ax", "bx", "cx"]),
    ("[!-0]x", ["command", "domain"], ["!x", "/x", "\\x", "0x", "1x"], ["!x", "/x", "\\x", "0x"]),
    ("[!-0]x", ["path"], ["!x", "/x", "\\x", "0x"], ["!x", "0x"]),
    ("[/]x", ["command"], ["/x", "\\x", "ax"], ["/x", "\\x"]),
    ("[A-z]", ["command"], ["\\", "/", "a", "_"], ["a", "_"]),
    ("[b-a]x", ["command", "domain"], ["ax", "bx"], []),
    ("[b-a]x", ["path"], ["ax"], []),  # reversed range refused by the automaton
    ("[^b-a]x", ["command"], ["ax", "/x"], ["ax", "/x"]),
    ("x*a*[^z]b*c", ["command", "domain"], ["xaab/bc", "xab/bc", "xazb/bc", "xa/bc", "xaabc"],
     ["xab/bc", "xazb/bc", "xa/bc", "xaabc"]),
    ("a*[^x]b*c", ["command", "domain"], ["ayb/bc", "a/b/c", "ab/bc", "aab/c"], ["ab/bc"]),
    ("*[^a]b*c", ["domain"], ["/bc", "x/bc", "b/bc", "bb/c", "b/b/bc"], ["/bc", "x/bc", "b/bc"]),
    ("a*b", ["command", "path", "domain"], ["ab", "axxb", "a/b", "a\\b", "abb"], ["ab", "axxb", "abb"]),
    ("a*/b", ["command", "path"], ["a/b", "ax/b", "a/x/b", "a\\b"], ["a/b", "ax/b", "a\\b"]),
    ("a*b*", ["command"], ["ab", "axb/y", "a/b"], ["ab"]),
    # backslashes: read as '/' (command, path), escape (domain)
    ("a\\b", ["command", "path"], ["a/b", "a\\b", "ab"], ["a/b", "a\\b"]),
    ("a\\*", ["domain"], ["a*", "ab"], ["a*"]),
    ("a\\[b", ["domain"], ["a[b"], ["a[b"]),
    ("[\\]]x", ["domain"], ["]x", "\\x"], ["]x"]),
    ("\\", ["domain"], ["\\", ""], []),
    # domain rules: case, surrounding space, one trailing dot
    ("Example.COM.", ["domain"], ["example.com", "EXAMPLE.com.", " example.com ", "example.com..", "example.co"],
     ["example.com", "EXAMPLE.com.", " example.com "]),
    ("*", ["domain"], [".", " ", ""], []),
    ("?", ["domain"], ["a", "/", "a.", "ab"], ["a", "a."]),
    # empty and malformed
    ("", ["command", "path", "domain"], ["", "a"], []),
    (" . ", ["domain"], ["", "."], []),
    ("a[", ["command", "path", "domain"], ["a[", "a"], []),
    ("a[]b", ["command", "path"], ["a[]b", "ab"], []),
    ("[a-]", ["command"], ["a", "-"], []),
    ("[a-]", ["path"], ["a", "-", "/"], ["a", "-"]),
    # over the limits
    ("a" * 8193, ["command", "path"], ["a" * 8193], []),
    ("a" * 8192, ["command", "path"], ["a" * 8192], ["a" * 8192]),
    ("**" + "a" * 255, ["command", "path"], ["a" * 255], []),
    ("**" + "a" * 254, ["command", "path"], ["a" * 254], ["a" * 254]),
    ("a" * 1025, ["domain"], ["a" * 1025], ["a" * 1025]),  # no bounds for domains
    # newlines are ordinary characters for * and ?
    ("a*b", ["command", "path"], ["a\n\nb"], ["a\n\nb"]),
    # non-ASCII
    ("é*ü", ["command", "path", "domain"], ["éü", "é/ü", "éxü"], ["éü", "éxü"]),
    ("[α-ω]", ["command", "path", "domain"], ["β", "a"], ["β"]),
]


@pytest.mark.parametrize("pattern,flavors,inputs,accepted", SHAPES,
                         ids=[repr(s[0])[:40] + "-" + "/".join(s[1]) for s in SHAPES])
def test_shapes_agree_with_direct_matcher(pattern, flavors, inputs, accepted):
    first = DIRECT[flavors[0]]
    assert [v for v in inputs if first(pattern, v)] == accepted  # anchor on the reference
    for flavor in flavors:
        assert mismatches(pattern, flavor, inputs + COMMON_INPUTS) == [], (pattern, flavor,
                                                                         lower_glob(pattern, flavor))


@pytest.mark.parametrize("pattern,flavor", [
    ("", "command"), ("", "path"), ("", "domain"), ("  ", "domain"), (".", "domain"),
    ("a" * 8193, "command"), ("a" * 8193, "path"), ("**" + "a" * 255, "path"),
    ("a**b**c**", "command"), ("a**b**c**", "path"),
    ("a[", "command"), ("a[", "path"), ("a[", "domain"), ("[b-a]", "path"), ("[b-a]", "command"),
    ("a**[b-a]", "command"), ("[-a]", "command"),
])
def test_never_matching_patterns_lower_to_none(pattern, flavor):
    assert lower_glob(pattern, flavor) is None


def test_expressions_carry_dotall_and_escape_re2_syntax():
    for flavor in DIRECT:
        expression = lower_glob("a*b", flavor)
        assert expression.startswith("(?s)") and not expression.startswith("(?s)^")
        for pattern in ["^a$", "a.b+c", "(x)|{1}", "a\\d", "x\x00y\\Q"]:
            assert mismatches(pattern, flavor, [pattern, pattern.lower(), "a", "ab", "xay"]) == []
        assert re2.fullmatch(lower_glob("^a$|b", flavor), "^a$|b")


def test_every_ascii_character_is_escaped_safely():
    for point in range(128):
        char = chr(point)
        if char in "*?[\\":
            continue
        for flavor in ("command", "path"):
            assert mismatches("x" + char + "y", flavor, ["x" + char + "y", "xy", "x/y", "xay"]) == [], char
        # the character inside a class and as a range end
        if char not in "]-^":
            assert mismatches("[" + char + "]", "path", [char, "a", "/"]) == [], char
            assert mismatches("[" + char + "-~]", "command", [char, "a", "/", "\\", "~"]) == [], char
    assert mismatches("[ -~]", "command", ["\\", "/", "a", "~", "\x7f"]) == []


def test_leftmost_placement_is_not_backtracking():
    # a backtracking regex would accept: a at 2, then '/b' for [^z]b, then c
    assert not match_domain_glob("x*a*[^z]b*c", "xaab/bc")
    for flavor in ("domain", "command"):
        assert not lowered_accepts("x*a*[^z]b*c", flavor, "xaab/bc")
        assert lowered_accepts("x*a*[^z]b*c", flavor, "xab/bc")


def test_fullmatch_set_with_anchor_both():
    patterns = ["git push *", "*rm -rf*", "/etc/**", "a[^b]*c", "**/.env"]
    glob_set = re2.Set.FullMatchSet()
    for p in patterns:
        glob_set.Add(lower_glob(p, "command"))
    glob_set.Compile()
    for value in ["git push origin", "sudo rm -rf /", "/etc/x/y", "a/xc", ".env", "nothing", "a\\b/.env"]:
        expected = [i for i, p in enumerate(patterns) if match_command_glob(p, value)]
        assert sorted(glob_set.Match(value) or []) == expected, value


def test_anchored_for_search_apis():
    expression = lower_glob("a*", "path")
    assert re2.search(anchored(expression), "abc")
    assert not re2.search(anchored(expression), "xabc")
    assert not re2.search(anchored(expression), "ab/c")
    assert not re2.search(anchored(expression), "ab\n/c")


def test_normalize_domain():
    assert normalize_domain("  Example.COM.. ") == "example.com."
    assert normalize_domain(".") == ""
    assert normalize_domain("\tA.b.\n") == "a.b"


def test_unknown_flavor():
    with pytest.raises(ValueError):
        lower_glob("a", "regex")


def test_folded_path_expression():
    for pattern, value in [("/Users/*/.SSH/**", "/users/bob/.ssh/id"), ("/etc/passwd", "/ETC/PASSWD"),
                           ("**/.Env", "A/.ENV"), ("[A-C]x", "bX"), ("[A-C]x", "dx")]:
        expression = lower_folded(pattern, "path")
        direct = match_path_glob(pattern.lower(), value.lower())
        assert (re2.fullmatch(expression, value.lower()) is not None) == direct, (pattern, value)
    assert lower_folded("/ETC/passwd", "path") == lower_glob("/etc/passwd", "path")
    assert re2.fullmatch(lower_folded("/ETC/*", "path"), "/etc/x")
    assert lower_folded("A.COM", "domain") == lower_glob("a.com", "domain")


# --------------------------------------------------------------------------
# command_contains


@pytest.mark.parametrize("needle,command", [
    ("rm -rf", "sudo RM -RF /"), ("RM", "xrmx"), ("k", "\u212a"), ("s", "\u017f"), ("i", "\u0130"),
    ("\u0130", "i"), ("\u0130", "I"), ("", "anything"), ("", ""), ("a.b", "axb"), ("a.b", "A.B"),
    ("x\ny", "X\nY"), ("é", "É"), ("[a]", "[A]"), ("\\", "a\\b"),
])
def test_substring_agrees_with_contains_folded(needle, command):
    expected = _contains_folded(command, [needle])
    assert (re2.fullmatch(lower_substring(needle), command) is not None) == expected


def test_substring_case_sensitive_variant():
    assert re2.fullmatch(lower_substring("rm", fold=False), "x rm y")
    assert not re2.fullmatch(lower_substring("rm", fold=False), "x RM y")
    assert not re2.fullmatch(lower_substring("", fold=False), "x")


def test_fallback_only_for_huge_first_occurrence_languages():
    # '[^a]' may match '/' in the classic glob, so each starred chunk before
    # the last such chunk is placed leftmost; this one's DFA is too large
    pattern = "x*" + "?[^a]" * 8 + "*[^a]b*c"
    for flavor in ("command", "domain"):
        assert needs_fallback(pattern, flavor)
        with pytest.raises(FallbackRequired):
            lower_glob(pattern, flavor)
    assert not needs_fallback(pattern, "path")  # the automaton is a plain concatenation
    assert not needs_fallback("*" + pattern, "command")  # substring chain
    assert not needs_fallback(pattern.upper(), "path", folded=True)
    assert needs_fallback(pattern.upper(), "domain", folded=True)
    smaller = "x*" + "[^a]a" * 12 + "*[^a]b*c"  # minimized DFA: small enough
    assert not needs_fallback(smaller, "domain")
    assert mismatches(smaller, "domain", ["x" + "ba" * 12 + "/bc", "x/a" + "ba" * 11 + "ab/bc",
                                          "x" + "/a" * 12 + "bc", "xb" + "ba" * 12 + "b/bc"]) == []


def test_sigma_needles_lower_as_go_does():
    """Go's ToLower maps Σ to σ wherever it stands (Python's final-sigma rule
    does not apply; the engine finds ``ασ`` in ``echo ΑΣ``), so a sigma
    needle is an ordinary, exact expression."""
    commands = ["echo \u0391\u03a3", "\u03a3\u0391", "x\u03c3", "\u03c2", "\u03a3", "echo \u03b1\u03c2"]
    for needle in ["\u03a3", "\u03c3", "\u03b1\u03c3", "\u03c2"]:
        assert not needs_fallback(needle, "substring")
        expr = re2.compile(lower_substring(needle))
        for command in commands:
            assert (expr.fullmatch(command) is not None) == _contains_folded(command, [needle]), (needle, command)
    assert _contains_folded("echo \u0391\u03a3", ["\u03b1\u03c3"])
    assert not _contains_folded("echo \u03b1\u03c2", ["\u03b1\u03c3"])
    assert not needs_fallback("rm -rf", "substring")
    assert not needs_fallback("x*a*[^z]b*c", "domain")


SUB_CHARS = ["a", "A", "k", "K", "\u212a", "s", "S", "\u017f", "i", "I", "\u0130", " ", "\n", ".", "\\"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="".join(SUB_CHARS), max_size=3),
       st.lists(st.text(alphabet="".join(SUB_CHARS), max_size=6), min_size=1, max_size=8))
def test_substring_property(needle, commands):
    expression = _compiled(lower_substring(needle))
    for command in commands + [needle, needle.upper(), "x" + needle.lower() + "y"]:
        assert (expression.fullmatch(command) is not None) == _contains_folded(command, [needle]), command


# --------------------------------------------------------------------------
# Property: random patterns from a small alphabet, inputs from a matching one

PATTERN_TOKENS = ["a", "b", "/", ".", " ", "*", "**", "?", "[ab]", "[^a]", "\\", "[a-b]", "[^/]",
                  "[/]", "[!-0]", "[b-a]", "A", "\n", "[", "]", "-", "[^ab]"]
INPUT_CHARS = ["a", "b", "/", ".", " ", "\\", "\n", "A", "c", "!", "0", "-", "[", "]", "*", "?"]


def _instance(tokens: list[str], rnd: random.Random) -> str:
    """An input built from the pattern, token by token, with random noise:
    strings near the pattern's language exercise its boundaries."""
    out = []
    for token in tokens:
        roll = rnd.random()
        if roll < 0.1:
            continue
        if roll < 0.2:
            out.append(rnd.choice(INPUT_CHARS))
            continue
        if token in ("*", "**"):
            out.append("".join(rnd.choice(INPUT_CHARS) for _ in range(rnd.randint(0, 3))))
        elif token == "?":
            out.append(rnd.choice(INPUT_CHARS))
        elif token.startswith("[") and len(token) > 1:
            out.append(rnd.choice(["a", "b", "/", "\\", "!", "0", "c"]))
        elif token == "\\":
            out.append(rnd.choice(["\\", "/"]))
        else:
            out.append(token)
    if rnd.random() < 0.2:
        out.insert(rnd.randint(0, len(out)), rnd.choice(INPUT_CHARS))
    return "".join(out)


def _property(flavor: str, tokens: list[str], inputs: list[str], seed: int) -> None:
    pattern = "".join(tokens)
    rnd = random.Random(seed)
    values = inputs + [_instance(tokens, rnd) for _ in range(10)] + [pattern]
    for _ in range(3):  # instances of a part of the pattern (zero-depth `**/`, prefixes)
        cut = rnd.randint(0, len(tokens))
        values.append(_instance(tokens[cut:], rnd))
        values.append(_instance(tokens[:cut], rnd))
    if flavor == "domain":
        values += [v.upper() + "." for v in values[:4]] + ["", " ", "."]
    try:
        expression = lower_glob(pattern, flavor)
    except FallbackRequired:  # the bundle keeps the direct matcher (e.g. `*b?[^/][^a]a*`, domain)
        assert needs_fallback(pattern, flavor)
        return
    if expression is None:
        assert not any(DIRECT[flavor](pattern, v) for v in values)
        return
    assert not mismatches(pattern, flavor, values), expression


# 3 x 2600 here + 1600 leftmost chunks + 500 folded paths + 300 substrings:
# over 10^4 generated patterns checked against the direct matcher per run.
_PROPERTY_SETTINGS = settings(max_examples=2600, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
_patterns = st.lists(st.sampled_from(PATTERN_TOKENS), max_size=8)
_inputs = st.lists(st.text(alphabet="".join(INPUT_CHARS), max_size=8), max_size=4)


@_PROPERTY_SETTINGS
@given(_patterns, _inputs, st.integers(0, 2**32))
def test_property_command(tokens, inputs, seed):
    _property("command", tokens, inputs, seed)


@_PROPERTY_SETTINGS
@given(_patterns, _inputs, st.integers(0, 2**32))
def test_property_path(tokens, inputs, seed):
    _property("path", tokens, inputs, seed)


@_PROPERTY_SETTINGS
@given(_patterns, _inputs, st.integers(0, 2**32))
def test_property_domain(tokens, inputs, seed):
    _property("domain", tokens, inputs, seed)


# Classic-glob chunk sequences over a tiny alphabet: the shape where Go's
# leftmost, non-backtracking chunk placement differs from a backtracking regex
# (a class matching '/' in a starred chunk, good chunks before it).
_CHUNK_UNITS = ["a", "b", "/", "[^a]", "?", "[/b]"]
_chunk_patterns = st.tuples(
    st.booleans(),
    st.lists(st.lists(st.sampled_from(_CHUNK_UNITS), min_size=1, max_size=2).map("".join),
             min_size=1, max_size=4),
    st.booleans(),
).map(lambda t: ("*" if t[0] else "") + "*".join(t[1]) + ("*" if t[2] else ""))
_chunk_inputs = st.lists(st.text(alphabet="ab/c", max_size=9), max_size=6)


@settings(max_examples=1600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_chunk_patterns, _chunk_inputs, st.sampled_from(["command", "domain"]))
def test_property_leftmost_chunks(pattern, inputs, flavor):
    rnd = random.Random(pattern)
    alphabet = ["a", "b", "/", "c"]
    values = list(inputs)
    for _ in range(12):  # instances: stars as short runs, classes/? as a random character
        out = []
        for piece in re2.findall(r"\[\^?a?/?b?\]|.", pattern):
            if piece == "*":
                out.append("".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 3))))
            elif piece == "?" or piece.startswith("["):
                out.append(rnd.choice(alphabet))
            else:
                out.append(piece)
        values.append("".join(out))
    assert not mismatches(pattern, flavor, values), lower_glob(pattern, flavor)


@settings(max_examples=500, deadline=None)
@given(_patterns, _inputs, st.integers(0, 2**32))
def test_property_folded_path(tokens, inputs, seed):
    pattern = "".join(tokens)
    rnd = random.Random(seed)
    values = inputs + [_instance(tokens, rnd) for _ in range(6)] + [pattern.upper()]
    expression = lower_folded(pattern, "path")
    for value in values:
        direct = match_path_glob(pattern.lower(), value.lower())
        got = expression is not None and re2.fullmatch(expression, value.lower()) is not None
        assert got == direct, (pattern, value, expression)


# --------------------------------------------------------------------------
# Every glob of the shared corpora


def _walk(obj, out_patterns: list, out_strings: list) -> None:
    if isinstance(obj, Pattern):
        out_patterns.append(obj)
    elif isinstance(obj, str):
        out_strings.append(obj)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            _walk(value, out_patterns, out_strings)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for item in obj:
            _walk(item, out_patterns, out_strings)
    elif hasattr(obj, "__dataclass_fields__"):
        for name in obj.__dataclass_fields__:
            _walk(getattr(obj, name), out_patterns, out_strings)


def _mutations(value: str, rnd: random.Random) -> list[str]:
    out = [value, value.upper(), value.replace("/", "\\"), "x" + value, value + "x", value + "/x",
           "sudo " + value, value[:-1], value[1:], value + "\n", value.swapcase()]
    if value:
        i = rnd.randrange(len(value))
        out += [value[:i] + value[i + 1:], value[:i] + "/" + value[i:], value[:i] + "a" + value[i:]]
    return out


@needs_corpora
def test_every_corpus_glob_agrees():
    patterns: list = []
    strings: list = []
    for path in corpora_files():
        loaded = load_file(str(path))
        _walk(loaded.policies, patterns, [])
        _walk([t.call for t in loaded.tests], [], strings)
    globs = {(p.source, p.language) for p in patterns if p.language is not PatternLanguage.REGEX}
    assert len(globs) > 100
    rnd = random.Random(7)
    base = sorted(set(strings))
    flavor_of = {PatternLanguage.COMMAND_GLOB: "command", PatternLanguage.PATH_GLOB: "path",
                 PatternLanguage.DOMAIN_GLOB: "domain"}
    checked = 0
    for source, language in sorted(globs, key=lambda g: (g[0], g[1].value)):
        sample = rnd.sample(base, min(10, len(base)))
        values = [m for v in sample + [source] for m in _mutations(v, rnd)]
        values += _mutations(source.replace("**", "x/y").replace("*", "z").replace("?", "q"), rnd)
        if language is PatternLanguage.SUBSTRING:
            assert not needs_fallback(source, "substring")
            expression = _compiled(lower_substring(source))
            for v in values:
                assert (expression.fullmatch(v) is not None) == _contains_folded(v, [source]), (source, v)
            checked += len(values)
            continue
        flavor = flavor_of[language]
        assert not needs_fallback(source, flavor), source
        assert mismatches(source, flavor, values) == [], (source, flavor, lower_glob(source, flavor))
        if flavor == "path":
            expression = lower_folded(source, "path")
            for v in values:
                got = expression is not None and re2.fullmatch(expression, v.lower()) is not None
                assert got == match_path_glob(source.lower(), v.lower()), (source, v)
        checked += len(values)
    assert checked > 5000
