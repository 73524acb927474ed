"""Paths that skip a grammar, a compiler or an import must give exactly
what the slow path gives: hand-read glob classes and durations against the
Lark grammars, response regexes RE2 accepts without the grammar, the
generated schema validator against fastjsonschema's own output, the check
lookup without the whole registry, and a clean `check` that imports neither
rich nor lark nor jsonschema."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark.exceptions import UnexpectedInput

from policyc.patterns import duration as duration_module
from policyc.patterns import glob as glob_module
from policyc.patterns import regex as regex_module
from policyc.patterns.grammars import PatternError, parser

from .conftest import REPO


def _grammar_tokens(text: str, start: str):
    try:
        return glob_module._tokens_from_tree(parser("glob", start).parse(text), start)
    except (UnexpectedInput, PatternError):
        return None


def _key(tokens):
    return [(type(t).__name__, t.offset, getattr(t, "text", None), getattr(t, "negated", None),
             getattr(t, "ranges", None)) for t in tokens]


def test_class_tokens_are_the_grammars_tokens_exhaustively():
    """Every pattern of up to 4 characters over the characters that matter."""
    compared = 0
    for size in range(1, 5):
        for chars in itertools.product("a[]^-*?/z", repeat=size):
            text = "".join(chars)
            if "[" not in text:
                continue
            for start in ("nfa", "segment"):
                fast = glob_module._class_tokens(text, start)
                if fast is None:
                    continue  # the grammar decides (and reports) these
                compared += 1
                assert _key(fast) == _key(_grammar_tokens(text, start)), (text, start)
    assert compared > 300


@settings(max_examples=800, deadline=None)
@given(text=st.text(alphabet="[]^-*?ab/z!é", min_size=1, max_size=16), start=st.sampled_from(["nfa", "segment"]))
def test_class_tokens_agree_on_random_patterns(text, start):
    # no `\`: parse_glob reads it as `/` before these flavours see a pattern
    fast = glob_module._class_tokens(text, start)
    if fast is not None:
        assert _key(fast) == _key(_grammar_tokens(text, start))


def test_usual_classes_take_the_fast_path():
    for text, start in (("rm -rf /[*]", "segment"), ("[0-9]*.log", "nfa"), ("[^a-z]x", "segment")):
        assert glob_module._class_tokens(text, start) is not None


def _duration(text: str, fast: bool):
    saved = duration_module._SIMPLE
    if not fast:
        duration_module._SIMPLE = re.compile(r"(?!)")
    try:
        return duration_module.duration_ns(text)
    except PatternError as error:
        return ("error", error.message, error.offset)
    finally:
        duration_module._SIMPLE = saved


def test_simple_durations_equal_the_grammar():
    texts = ["".join(c) for size in range(1, 5) for c in itertools.product("019smhnu.", repeat=size)]
    texts += ["1h30m", "500ms", "5m5s", "9223372036854775807ns", "9223372036854775808ns", "2562047h",
              "2562048h", "1" * 30 + "h", "0", "00s"]
    for text in texts:
        assert _duration(text, True) == _duration(text, False), text


@pytest.mark.parametrize("text", [
    "AKIA[0-9A-Z]{16}", "(?i)password\\s*=", "a\\Cb", "\\\\C", "(", "a**", "x{2,1}", "(?<name>x)", "(?P<n>a)|b",
    "[[:alpha:]]", "\\pL", "a{1001}", "(?=x)", "é+",
])
def test_regex_verdict_without_the_grammar_is_the_same(text):
    try:
        regex_module.validate_regex(text)
        fast = None
    except PatternError as error:
        fast = error.message, error.offset
    assert fast == _slow_validate(text)


def _slow_validate(text: str):
    """validate_regex as it was: always parse with the grammar."""
    try:
        size = regex_module.utf8_len(text)
        if size > regex_module.MAX_REGEX_BYTES:
            return regex_module.validate_regex(text)
        nested = regex_module.nested_quantifier_offset(text)
        if nested is not None:
            raise PatternError("nested quantifiers are not allowed", nested)
        syntax = None
        try:
            regex_module.parse_regex(text)
        except PatternError as error:
            syntax = error
        re2_message = regex_module._re2_error(text)
        if syntax is not None:
            if re2_message is None and not re.search(r"(?<!\\)(?:\\\\)*\\C", text):
                return None
            raise PatternError(re2_message or syntax.message, syntax.offset)
        if re2_message is not None:
            raise PatternError(re2_message, regex_module._offset_from_re2(re2_message, text))
        return None
    except PatternError as error:
        return error.message, error.offset


def test_generated_schema_validator_is_up_to_date():
    """`_fastschema.py` is what the installed fastjsonschema generates from
    schema.json (regenerate: python -m policyc.dialects.rampart.fastschema)."""
    from policyc.dialects.rampart import fastschema, frontend

    with open(fastschema.GENERATED, encoding="utf-8") as handle:
        assert handle.read() == fastschema.generate(frontend.schema_text())
    assert fastschema.load(frontend.schema_text()) is not None
    assert fastschema.load(frontend.schema_text() + " ") is None  # another schema: compiled at run time


def test_check_lookup_matches_the_registry():
    from policyc import checks

    for code, registered in checks.REGISTRY.items():
        assert checks.check(code) is registered


def test_toolrampart_owns_without_its_loader():
    from policyc.dialects import toolrampart
    from policyc.dialects.toolrampart.loader import is_config_name

    for name in ("a.py", "toolrampart.toml", "toolrampart.prod.toml", "toolrampart.tomlx", "x.toml",
                 "toolrampart.", "pyproject.toml", "dir/toolrampart.toml"):
        assert toolrampart.owns(name) == (name.endswith(".py") or is_config_name(os.path.basename(name)))


def test_clean_check_imports_little(tmp_path):
    script = ("import sys\nfrom policyc.cli import main\n"
              "try:\n    main(['check', sys.argv[1]])\nexcept SystemExit as stop:\n    code = stop.code\n"
              "print(code, sorted(m for m in ('rich', 'lark', 'jsonschema', 'fastjsonschema', "
              "'policyc.dialects.toolrampart.loader', 'importlib.resources') if m in sys.modules))")
    env = dict(os.environ, PYTHONPATH=str(REPO), XDG_CACHE_HOME=str(tmp_path))
    env.pop("FORCE_COLOR", None)
    env.pop("TTY_COMPATIBLE", None)
    out = subprocess.run([sys.executable, "-P", "-c", script, str(REPO / "stdlib_policies" / "standard.yaml")],
                         env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert out.stdout.split(None, 1) == ["0", "[]\n"], out.stdout + out.stderr
