"""pydantic's lax integer parsing as policyc models it (policyc/dialects/toolrampart/fields.py).

pydantic-core 2.x reads a sign after leading zeros (`"0-9"` is -9, checked
with pydantic 2.14.4 in the oracle's venv, where the differential test met
it): policyc does not model that path, so it answers "not modelled" rather
than a wrong validation_error."""

from __future__ import annotations

import pytest

from policyc.dialects.toolrampart.fields import validate


@pytest.mark.parametrize("text, expected", [
    ("12", (True, 12)), (" 7 ", (True, 7)), ("-09", (True, -9)), ("1_000", (True, 1000)), ("3.0", (True, 3)),
    ("1-9", (False, "int_parsing")), ("0x1", (False, "int_parsing")), ("", (False, "int_parsing")),
    ("0-9 ", None), ("0_0-9", None), ("00+5", None),
])
def test_integer_strings(text, expected):
    assert validate(("int",), text) == expected
