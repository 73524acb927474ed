"""Hostile input never makes the ToolRampart dialect raise.

Broken, huge, deeply nested and mutated tool modules and configs give
diagnostics, never tracebacks; any JSON value as a call gives an outcome.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyc.dialects.toolrampart import check_paths, decide, load_paths
from policyc.dialects.toolrampart.config import read_config_text
from policyc.dialects.toolrampart.evaluate import STATUSES
from policyc.dialects.toolrampart.source import read_text

from .conftest import FIXTURES

SEEDS = sorted((FIXTURES / "checks").glob("PC6*/*.py")) + sorted((FIXTURES / "checks").glob("PC6*/*.toml"))

NASTY_MODULES = {
    "nested_parens.py": b"x = " + b"(" * 100_000 + b"1" + b")" * 100_000 + b"\n",
    "nested_decorator.py": b"from toolrampart import tool, scope\n@tool\n@scope(" + b"[" * 5000 + b"]" * 5000
                           + b")\ndef f():\n    pass\n",
    "null_byte.py": b"from toolrampart import tool\n@tool\ndef f(\x00):\n    pass\n",
    "bad_coding.py": b"# -*- coding: no-such-codec -*-\nx = 1\n",
    "latin1.py": b"# -*- coding: latin-1 -*-\nfrom toolrampart import tool\n@tool\ndef caf\xe9():\n    '\xe9t\xe9'\n",
    "bom.py": b"\xef\xbb\xbffrom toolrampart import tool\n@tool\ndef f(): pass\n",
    "huge_literal.py": b"from toolrampart import tool, rate_limit\n@tool\n@rate_limit('" + b"9" * 5000
                       + b"/hour/user')\ndef f(): pass\n",
    "pow.py": b"from toolrampart import tool, timeout\n@tool\n@timeout(10 ** 10 ** 10)\ndef f(): pass\n",
    "weird_decorators.py": (b"from toolrampart import *\nimport toolrampart as tr\n@tr.tool(name=1)\n"
                            b"@tr.scope(name=[1])\n@tr.require_approval(**{'over_x': [], 1: 2})\n"
                            b"@tr.side_effects(read_only=lambda: 0)\n@(lambda f: f)\n@tr.max_retries('3')\n"
                            b"@tr.policy(lambda c, a: c.metadata, name=5)\ndef f(*, x: 'Optional[' = 1, **k): pass\n"
                            b"@tr.tool\n@tr.redact(5)\n@tr.timeout('x')\ndef g(a: int | str | None, /, b=..., *c):"
                            b" pass\nclass C:\n    @tr.tool\n    def m(self): pass\n"),
    "empty.py": b"",
}

NASTY_CONFIGS = {
    "deep.toml": b"a = " + b"[" * 20_000 + b"]" * 20_000 + b"\n",
    "binary.toml": bytes(range(256)),
    "inline.toml": b'[auth.api_keys]\n"k" = { actor = 1, scopes = [ { x = 1 } ], "a\\u0041" = 2 }\n',
    "types.toml": (b"auth = 5\n[execution]\ntimeout_seconds = 1979-05-27T07:32:00Z\nmax_retries = 1e400\n"
                   b"[[storage]]\nx = 1\n"),
    "multiline.toml": b'[auth]\njwt_secret = """\nline\n"""\ntrust_headers = true # note\n[telemetry]\nenabled = "no"\n',
    "bom.toml": b"\xef\xbb\xbf[auth]\nrequired = true\n",
    "crlf.toml": b"[auth]\r\nrequired = true\r\ntrust_headers = \"yes\"\r",
}


@pytest.mark.parametrize("name", sorted(NASTY_MODULES))
def test_nasty_module(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(NASTY_MODULES[name])
    result = load_paths([str(path)])
    check_paths([str(path)])
    for tool in result.tools:
        assert decide(result, {"tool": tool.name, "arguments": {"x": 1}}).status in STATUSES


@pytest.mark.parametrize("name", sorted(NASTY_CONFIGS))
def test_nasty_config(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(NASTY_CONFIGS[name])
    found = check_paths([str(path)])
    assert all(d.span is not None and d.span.line >= 1 and d.span.column >= 1 for d in found)


def _mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(4)
        i = rng.randrange(len(data) + 1)
        if op == 0 and data:
            del data[i:i + rng.randint(1, 8)]
        elif op == 1:
            data[i:i] = rng.choice([b"@", b"(", b")", b"=", b'"', b"'", b"\n", b"[", b"{", b"#", b"\\", b"*",
                                    b"\xff", b"@tool\n", b"**k", b"None", b"_", b".", b"$", b"\t"])
        elif op == 2 and data:
            data[min(i, len(data) - 1)] = rng.randrange(256)
        else:
            j = rng.randrange(len(data) + 1)
            data[i:i] = data[j:j + rng.randint(1, 30)]
    return bytes(data)


def test_mutated_fixtures_never_raise() -> None:
    """3,000 mutants of the fixtures (modules and configs), read and
    checked; every tool of a mutant decides a few calls."""
    rng = random.Random(20260501)
    originals = [(p.suffix, p.read_bytes()) for p in SEEDS]
    for n in range(3000):
        suffix, data = rng.choice(originals)
        mutant = _mutate(data, rng)
        if suffix == ".toml":
            read_config_text("mutant.toml", mutant)
            continue
        module = read_text("mutant.py", mutant)
        if module.readable:
            from policyc.dialects.toolrampart.loader import LoadResult
            from policyc.dialects.toolrampart.registration import register_module
            from policyc.dialects.toolrampart.checks import run_checks
            result = LoadResult(modules=[register_module(module)])
            run_checks(result)
            for tool in result.tools[:2]:
                for call in ({"tool": tool.name}, {"tool": tool.name, "arguments": {"amount": "7"}, "scopes": ["*"],
                                                   "approved": True, "history": 2}):
                    assert decide(result, call).status in STATUSES, (n, mutant)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                    max_leaves=12)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(call=st.one_of(JSON, st.fixed_dictionaries({"tool": st.sampled_from(["refund_user", "x", 1]),
                                                   "arguments": JSON, "actor": JSON, "scopes": JSON,
                                                   "approved": JSON, "metadata": JSON, "history": JSON})))
def test_any_json_call_gets_an_outcome(call) -> None:
    if isinstance(call, dict) and isinstance(call.get("history"), int) and abs(call["history"]) > 50:
        call["history"] = 3
    result = _refund_result()
    outcome = decide(result, json.loads(json.dumps(call)))
    assert outcome.status in STATUSES


_CACHE: dict = {}


def _refund_result():
    if "r" not in _CACHE:
        _CACHE["r"] = load_paths([str(FIXTURES / "checks" / "PC601" / "pass_readable.py")])
    return _CACHE["r"]
