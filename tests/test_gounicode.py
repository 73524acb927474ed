"""policyc/gounicode.py is what tests/gounicode.py writes from the Go
toolchain at hand (skips without Go), and the Go-table answers are used:
an assignment prefix whose name holds a letter only Go's tables know is
stripped as the engine strips it (Rampart v1.8.0 denies ``𐵀=1 rm -rf /``
under ``command_matches: [rm -rf *]``; reading Python's older tables,
policyc allowed it)."""

from __future__ import annotations

import pytest

from policyc import gounicode
from policyc.callfields import ToolCall, go_is_digit, go_is_letter, go_lower
from policyc.codegen.bundle import compile_policy_set
from policyc.evaluate import decide
from policyc.runtime import load_bundle
from tests import gounicode as generator

from .conftest import NO_GO, go_toolchain
from .test_evaluate import policy_set


def test_the_table_is_current():
    go = go_toolchain()
    if go is None:
        pytest.skip(NO_GO)
    version, table = generator.go_table(go)
    if f"Where {version}'s" not in generator.OUTPUT.read_text(encoding="utf-8"):
        pytest.skip(f"policyc/gounicode.py was written from another Go than {version}")
    assert generator.render(version, table) == generator.OUTPUT.read_text(encoding="utf-8"), \
        "stale: run `PYTHONPATH=. python -m tests.gounicode`"


def test_go_answers_for_characters_python_does_not_know():
    garay = "\U00010d40"  # Garay digit zero (Unicode 16): a digit to Go, unassigned to Python 3.11
    assert not garay.isdecimal() and go_is_digit(garay)
    letter = chr(gounicode.LETTERS[0][0])
    assert not letter.isalpha() and go_is_letter(letter)
    upper, low = next(iter(gounicode.LOWER.items()))
    assert chr(upper).lower() == chr(upper) and go_lower(chr(upper)) == chr(low)
    assert go_lower("A" + chr(upper)) == "a" + chr(low)
    assert not go_is_letter("1") and go_is_letter("é") and go_is_digit("\u0660")


@pytest.mark.parametrize("command", ["\U00010d4a=1 rm -rf /", "A\U00010d40=1 rm -rf /", "X=1 rm -rf /"])
def test_an_assignment_named_with_a_newer_letter_is_stripped(command):
    ps = policy_set('default_action: allow\npolicies:\n  - name: rm\n    match: {tool: exec}\n'
                    '    rules:\n      - action: deny\n        when: {command_matches: ["rm -rf *"]}\n')
    call = {"tool": "exec", "params": {"command": command}}
    assert decide(ps, ToolCall.from_mapping(call)).action == "deny"
    assert load_bundle(compile_policy_set(ps, {})).decide(call).action == "deny"
