"""``Fields.of`` (and its input validation) against a model written the way the
engine reads a call (engine.go ``paramAlias`` and the input validation,
spec §2): every alias probed in order, ``params`` before ``input``. The
runtime's version reads only the names a call holds; both must agree on
every call, the error wording included."""

from __future__ import annotations

import posixpath
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from policyc.callfields import (
    COMMAND_ALIASES, PATH_ALIASES, PATH_TOOLS, URL_ALIASES, URL_TOOLS, WORKDIR_ALIASES, Ambiguous,
    Fields, ToolCall, domain_of, go_trim,
)


def _model_alias(call: ToolCall, aliases: tuple[str, ...]) -> str | None:
    for source in (call.params, call.input or {}):
        for name in aliases:
            value = source.get(name)
            if isinstance(value, str) and go_trim(value):
                return value
    return None


def _model_validate(call: ToolCall, what: str, aliases: tuple[str, ...], initial: str | None = None) -> None:
    values = {go_trim(initial)} if initial and go_trim(initial) else set()
    for source in (call.params, call.input or {}):
        for name in aliases:
            value = source.get(name)
            if value is None:
                continue
            if not isinstance(value, str):
                raise Ambiguous(f"{what} must be a string")
            if go_trim(value):
                values.add(go_trim(value))
    if len(values) > 1:
        raise Ambiguous(f"conflicting {what} aliases")


def model_fields(call: ToolCall) -> Fields:
    tool = go_trim(call.tool).lower()
    if tool == "exec":
        _model_validate(call, "command", COMMAND_ALIASES)
    if tool in PATH_TOOLS:
        _model_validate(call, "path", PATH_ALIASES)
    if tool in URL_TOOLS:
        _model_validate(call, "url", URL_ALIASES)
    _model_validate(call, "working directory", WORKDIR_ALIASES, call.workdir)
    _model_validate(call, "domain", ("domain",))
    _model_validate(call, "scheme", ("scheme",))
    command = _model_alias(call, COMMAND_ALIASES if tool == "exec" else ("command",))
    path = _model_alias(call, PATH_ALIASES if tool in PATH_TOOLS else PATH_ALIASES[:2])
    url = _model_alias(call, URL_ALIASES if tool in URL_TOOLS else ("url",))
    domain = domain_of(url) if url else None
    if not domain:
        domain = _model_alias(call, ("domain",))
    workdir = None
    for value in (call.workdir, _model_alias(call, ("workdir",)), _model_alias(call, ("cwd",))):
        if value and go_trim(value):
            workdir = go_trim(value)
            break
    return Fields(command, path, url, domain, workdir)


NAMES = st.sampled_from([*COMMAND_ALIASES, *PATH_ALIASES, *URL_ALIASES, *WORKDIR_ALIASES,
                         "domain", "scheme", "other", "content"])
VALUES = st.one_of(st.sampled_from(["", " ", "\u3000", "ls", " ls ", "rm -rf /", "/etc/passwd", "a.txt",
                                    "https://x.example/a", "http://y.example", "x.example", "/work",
                                    "/work ", "https"]),
                   st.none(), st.integers(-2, 2), st.booleans(), st.just(["ls"]), st.just({"a": 1}))
SOURCES = st.dictionaries(NAMES, VALUES, max_size=5)
TOOLS = st.sampled_from(["exec", " Exec", "read", "write", "edit", "mcp-destructive", "fetch", "http",
                         "web_fetch", "browser", "other"])


def _outcome(fn, call: ToolCall) -> Any:
    try:
        return fn(call)
    except Ambiguous as exc:
        return ("ambiguous", exc.reason)


@settings(max_examples=3000)
@given(tool=TOOLS, params=SOURCES, inp=st.one_of(st.none(), SOURCES),
       workdir=st.one_of(st.none(), st.sampled_from(["", " ", "/work", " /work", "/other"])))
def test_fields_agree_with_the_engine_model(tool, params, inp, workdir):
    call = ToolCall(tool=tool, params=params, input=inp, workdir=workdir)
    assert _outcome(Fields.of, call) == _outcome(model_fields, call)


def test_a_type_error_anywhere_in_a_field_wins_over_a_conflict():
    call = ToolCall(tool="exec", params={"command": "ls", "cmd": "pwd"}, input={"input": 3})
    assert _outcome(Fields.of, call) == ("ambiguous", "command must be a string")
    call = ToolCall(tool="exec", params={"command": "ls", "cmd": "pwd"})
    assert _outcome(Fields.of, call) == ("ambiguous", "conflicting command aliases")


def test_params_win_over_input_whatever_the_alias_order():
    call = ToolCall(tool="read", params={"target": "/b"}, input={"file_path": " "}, workdir=None)
    assert Fields.of(call).path == "/b"
    call = ToolCall(tool="read", params={"target": "/b"}, input={"file_path": "/a"})
    assert _outcome(Fields.of, call) == ("ambiguous", "conflicting path aliases")
    call = ToolCall(tool="fetch", params={"href": "https://x.example/", "uri": "https://x.example/"})
    assert Fields.of(call).url == "https://x.example/"


def _model_clean(path: str) -> str:
    """Go ``filepath.Clean`` from the standard library's POSIX ``normpath``,
    which differs only in keeping exactly two leading slashes."""
    if not path:
        return "."
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


@settings(max_examples=3000)
@given(st.text(alphabet="/.a", max_size=10))
def test_clean_path_agrees_with_go_clean(path):
    from policyc.callfields import clean_path
    assert clean_path(path) == _model_clean(path)


URL_PIECES = st.sampled_from(["https:", "http:", "h+s.1:", "1x:", ":", "//", "/", "///", "x.example", "X.Example",
                              "a_b~c-d", "@", "u:p@", "[::1]", ":443", ":", ":x", "%41", "%zz", "%2", "?", "?q=%zz",
                              "#", "#f%41", "#%z", " ", "\x7f", "\x01", "é", "?a?b", "path", ";", "[", "]"])


@settings(max_examples=4000)
@given(st.lists(URL_PIECES, max_size=7).map("".join))
def test_the_simple_url_fast_path_agrees_with_the_full_parse(url):
    from policyc.callfields import _parsed_host, domain_of
    assert domain_of(url) == _parsed_host(url)
