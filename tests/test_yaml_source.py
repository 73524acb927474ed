"""Tests for policyc.frontends.yaml_source: spans, limits and error mapping."""

from __future__ import annotations

import pathlib
import types

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyc.diagnostics.model import DiagnosticError
from policyc import sources
from policyc.frontends import yaml_source as ys
from policyc.frontends.yaml_source import YMap, YScalar, YSeq
from policyc.ir import Span

CORPORA = pathlib.Path("/work/shared/corpora")

BACKENDS = [yaml.SafeLoader]
if getattr(yaml, "__with_libyaml__", False):
    BACKENDS.insert(0, yaml.CSafeLoader)


@pytest.fixture(params=BACKENDS, ids=lambda c: c.__name__)
def parse(request):
    """parse(text) with one specific PyYAML backend (C and pure Python)."""
    return lambda text, path="p.yaml": ys._parse(text, path, request.param)


@pytest.fixture
def composed(monkeypatch):
    """The work the composers of a test did: the YAML events they handled
    (summed over every composer, the pure-Python fallback included)."""
    work = types.SimpleNamespace(events=0)
    handle = ys._Composer.handle

    def counted(self, event):
        work.events += 1
        return handle(self, event)

    monkeypatch.setattr(ys._Composer, "handle", counted)
    return work


def diag(fn, *args):
    with pytest.raises(DiagnosticError) as info:
        fn(*args)
    return info.value.diagnostic


def text_at(source: str, span: Span) -> str:
    """The source text a single-line span covers."""
    assert span.end_line == span.line, span
    line = source.splitlines()[span.line - 1]
    return line[span.column - 1:span.end_column - 1]


SAMPLE = """\
# sample policy
version: "1"
default_action: deny
policies:
  - name: block-destructive
    match:
      tool: [exec, "shell"]
    rules:
      - action: deny
        when:
          command_matches:
            - 'rm -rf *'
            - "git push --force"
        message: no
    enabled: yes
    priority: 10
"""


# --------------------------------------------------------------------------
# positions


def test_positions_of_keys_values_and_items(parse):
    root = parse(SAMPLE)
    assert isinstance(root, YMap)
    assert root.keys() == ("version", "default_action", "policies")

    version = root.get("version")
    assert isinstance(version, YScalar) and version.value == "1"
    assert (version.span.line, version.span.column) == (2, 10)
    assert (version.span.end_line, version.span.end_column) == (2, 13)
    assert text_at(SAMPLE, version.span) == '"1"'
    assert text_at(SAMPLE, ys.key_span(root, "version")) == "version"
    assert ys.key_span(root, "version") == Span("p.yaml", 2, 1, 2, 8)

    assert text_at(SAMPLE, root.get("default_action").span) == "deny"
    assert text_at(SAMPLE, ys.key_span(root, "default_action")) == "default_action"

    policies = root.get("policies")
    assert isinstance(policies, YSeq) and len(policies) == 1
    policy = policies.items[0]
    assert isinstance(policy, YMap)
    assert (policy.span.line, policy.span.column) == (5, 5)
    name = policy.get("name")
    assert name.span == Span("p.yaml", 5, 11, 5, 28)
    assert text_at(SAMPLE, name.span) == "block-destructive"

    tools = policy.get("match").get("tool")
    assert isinstance(tools, YSeq)
    assert text_at(SAMPLE, tools.span) == '[exec, "shell"]'
    assert [text_at(SAMPLE, t.span) for t in tools.items] == ["exec", '"shell"']
    assert [t.value for t in tools.items] == ["exec", "shell"]

    rule = policy.get("rules").items[0]
    assert (rule.span.line, rule.span.column) == (9, 9)
    items = rule.get("when").get("command_matches").items
    assert [(i.span.line, i.span.column) for i in items] == [(12, 15), (13, 15)]
    assert [text_at(SAMPLE, i.span) for i in items] == ["'rm -rf *'", '"git push --force"']
    assert text_at(SAMPLE, ys.key_span(rule, "message")) == "message"


def test_block_collection_span_ends_at_its_last_node(parse):
    src = "a:\n  b: 1\n  c: [x]\n\n# trailing comment\n\nd: 2\n"
    root = parse(src)
    inner = root.get("a")
    assert (inner.span.line, inner.span.column) == (2, 3)
    assert (inner.span.end_line, inner.span.end_column) == (3, 9)
    assert (root.span.end_line, root.span.end_column) == (7, 5)


def test_value_offset_points_inside_quoted_strings(parse):
    root = parse(SAMPLE)
    items = root.get("policies").items[0].get("rules").items[0].get("when").get("command_matches").items
    single, double = items
    assert single.value_offset == 1 and double.value_offset == 1
    star = single.value.index("*")
    assert text_at(SAMPLE, single.span.shifted(single.value_offset + star)) == "*"
    plain = root.get("default_action")
    assert plain.value_offset == 0
    assert text_at(SAMPLE, plain.span.shifted(plain.value_offset + 1)) == "e"


def test_columns_count_characters_not_bytes(parse):
    src = "k\u00e9y: 'h\u00e9llo \U0001f600 w'\nb: [\u00fc, z]\n"
    root = parse(src)
    assert text_at(src, root.get("k\u00e9y").span) == "'h\u00e9llo \U0001f600 w'"
    assert text_at(src, root.get("b").items[1].span) == "z"


def test_crlf_line_endings(parse):
    src = "a: 1\r\nb:\r\n  - x\r\n  - y\r\n"
    root = parse(src)
    assert [(i.span.line, i.span.column) for i in root.get("b").items] == [(3, 5), (4, 5)]


def test_scalar_resolution(parse):
    root = parse(
        "s: text\nq: '10'\ni: 10\nh: 0x1F\nf: 1.5\nt: true\ny: yes\nn: ~\ne:\n"
        "ts: 2024-01-02T03:04:05Z\nd: 2023-02-30\ninf: .inf\nlit: |\n  a\n  b\n"
    )
    plain = ys.to_plain(root)
    assert plain == {
        "s": "text", "q": "10", "i": 10, "h": 31, "f": 1.5, "t": True, "y": "yes",
        "n": None, "e": None, "ts": "2024-01-02T03:04:05Z", "d": "2023-02-30",
        "inf": float("inf"), "lit": "a\nb\n",
    }
    assert type(plain["i"]) is int and type(plain["t"]) is bool
    assert root.get("y").text == "yes"
    assert root.get("ts").tag == "tag:yaml.org,2002:timestamp"
    assert root.get("q").tag == "tag:yaml.org,2002:str" and root.get("q").style == "'"
    assert root.get("s").style is None
    assert root.get("lit").style == "|" and root.get("lit").value_offset == 0


def test_true_and_one_are_different_keys(parse):
    root = parse("true: a\n1: b\n")
    assert root.keys() == (True, 1)
    assert root.get(1).value == "b" and root.get(True).value == "a"


# --------------------------------------------------------------------------
# duplicate keys


def test_duplicate_key_at_nested_level_reports_second_occurrence(parse):
    src = "policies:\n  - name: a\n    rules:\n      - action: deny\n        message: x\n        action: allow\n"
    d = diag(parse, src)
    assert d.code == "PC002" and d.name == "duplicate-key"
    assert (d.span.line, d.span.column) == (6, 9)
    assert text_at(src, d.span) == "action"
    assert "'action'" in d.message and "line 4" in d.message


def test_duplicate_key_in_flow_mapping_and_equal_values(parse):
    d = diag(parse, "m: {a: 1, b: 2, a: 3}\n")
    assert (d.code, d.span.line, d.span.column) == ("PC002", 1, 17)
    # "1" and "0x1" resolve to the same int key: what a loader would merge.
    d = diag(parse, "1: a\n0x1: b\n")
    assert (d.code, d.span.line) == ("PC002", 2)
    assert "line 1" in d.message


def test_duplicate_key_by_text_as_the_engine_compares(parse):
    # yaml.v3 compares keys by their text: `1` and `"1"` are one key to the
    # engine (it refuses the file), `true` and `'true'` too.
    for src in ('m:\n  1: a\n  "1": b\n', "m:\n  true: a\n  'true': b\n"):
        d = diag(parse, src)
        assert (d.code, d.span.line, d.span.column) == ("PC002", 3, 3)
        assert "compares keys by their text" in d.help
    # different text and different value: two keys (parameters "1" and "01")
    root = parse('1: a\n"01": b\n')
    assert [k.engine_key for k, _ in root.items] == ["1", "01"]


# --------------------------------------------------------------------------
# error classes


@pytest.mark.parametrize(
    "src, code, line, column, fragment",
    [
        ("a: [b\n", "PC001", None, None, "YAML syntax error"),
        ("a: b\n c: d\n", "PC001", 2, 3, "mapping values are not allowed"),
        ("a: 'open\n", "PC001", 2, 1, "unexpected end of stream"),
        ("a:\n\t- b\n", "PC001", 2, 1, "YAML syntax error"),
        ("a: 1\n---\nb: 2\n", "PC001", 2, 1, "expected a single document"),
        ("--- 1\n--- 2\n", "PC001", 2, 1, "expected a single document"),
        ("a: !foo x\n", "PC001", 1, 4, "unsupported tag '!foo'"),
        ("a: !!python/object:os.system x\n", "PC001", 1, 4, "unsupported tag"),
        ("a: !!binary aGk=\n", "PC001", 1, 4, "unsupported tag"),
        ("a: !!set {x}\n", "PC001", 1, 4, "unsupported tag"),
        ("base: &b {x: 1}\nother:\n  <<: *b\n", "PC001", 3, 3, "merge keys"),
        ("? [a, b]\n: 1\n", "PC001", 1, 3, "mapping keys must be scalars"),
        ("{[a]: 1}\n", "PC001", 1, 2, "mapping keys must be scalars"),
        ("a: *nowhere\n", "PC001", 1, 4, "undefined alias"),
        ("a: &x 1\nb: &x 2\n", "PC001", 2, 4, "duplicate anchor"),
        ("a: !!int abc\n", "PC001", 1, 4, "cannot read 'abc' as !!int"),
        ("a: 1\nb: \x00\n", "PC001", 2, 4, "U+0000"),
        ("a: 1\nb: \x1b[0m\n", "PC001", 2, 4, "U+001B"),
        ("a: &x [1, *x]\n", "PC003", 1, 11, "recursive alias"),
    ],
)
def test_error_classes(parse, src, code, line, column, fragment):
    d = diag(parse, src)
    assert d.code == code, d
    assert fragment in d.message
    assert d.span is not None and d.span.path == "p.yaml"
    if line is not None:
        assert (d.span.line, d.span.column) == (line, column)


def test_syntax_error_is_located_at_the_problem_mark(parse):
    d = diag(parse, "a: [b\n")
    assert d.code == "PC001"
    assert d.span.line in (1, 2)  # libyaml and PyYAML place this one differently
    assert d.help and "flow sequence" in d.help


def test_tab_indentation_gets_a_hint(parse):
    d = diag(parse, "rules:\n\t- action: deny\n")
    assert d.code == "PC001" and (d.span.line, d.span.column) == (2, 1)
    assert "spaces" in d.help


def test_tabs_inside_quoted_values_are_fine(parse):
    # (A tab inside a *plain* scalar is accepted by libyaml but refused, as
    # PC001, by the pure-Python scanner.)
    assert ys.to_plain(parse("a: 'x\ty'\nb: \"\tz\"\n")) == {"a": "x\ty", "b": "\tz"}


def test_merge_key_quoted_is_an_ordinary_key(parse):
    assert ys.to_plain(parse("'<<': 1\n")) == {"<<": 1}


# --------------------------------------------------------------------------
# empty, size, encoding, BOM


@pytest.mark.parametrize("src", ["", "\n\n", "# only a comment\n", "---\n", "--- # c\n...\n"])
def test_empty_documents_give_none(parse, src):
    assert parse(src) is None


def test_explicit_null_document_is_a_scalar(parse):
    node = parse("~\n")
    assert isinstance(node, YScalar) and node.value is None


def test_empty_file(tmp_path):
    p = tmp_path / "empty.yaml"
    p.write_bytes(b"")
    assert ys.load(str(p)) is None
    assert ys.read_source(str(p)) == (b"", "")


def test_file_over_one_mib_is_refused_without_reading_it(tmp_path):
    p = tmp_path / "huge.yaml"
    with open(p, "wb") as fh:
        fh.truncate(8 * 1024 ** 3)  # sparse: only stat-ing it is cheap
    d = diag(ys.read_source, str(p))
    assert d.code == "PC004" and d.span.path == str(p)
    # what was read is the limit plus one byte, not the 8 GiB
    assert [len(f.data) for f in sources._CACHE.values() if f.path == str(p)] == [ys.MAX_BYTES + 1]
    assert str(8 * 1024 ** 3) in d.message and str(ys.MAX_BYTES) in d.message


def test_size_limit_boundary(tmp_path):
    body = b"# " + b"x" * (ys.MAX_BYTES - 3) + b"\n"
    assert len(body) == ys.MAX_BYTES
    p = tmp_path / "max.yaml"
    p.write_bytes(body)
    assert ys.load(str(p)) is None
    p.write_bytes(body + b"\n")
    assert diag(ys.load, str(p)).code == "PC004"
    assert diag(ys.load_bytes, body + b"\n", "x.yaml").code == "PC004"
    assert diag(ys.parse_yaml, "a: " + "b" * ys.MAX_BYTES, "x.yaml").code == "PC004"


def test_invalid_utf8_is_located(tmp_path):
    data = b"a: 1\nb: 2\nc: caf\xe9 au lait\n"
    p = tmp_path / "latin1.yaml"
    p.write_bytes(data)
    d = diag(ys.load, str(p))
    assert d.code == "PC006" and d.name == "invalid-encoding"
    assert (d.span.line, d.span.column) == (3, 7)
    assert "byte offset 16" in d.message and "0xe9" in d.message
    assert diag(ys.load_bytes, data, "x.yaml").span.line == 3


def test_invalid_utf8_after_multibyte_characters_counts_characters():
    d = diag(ys.load_bytes, "\u00e9\u00e9: ".encode() + b"\xff", "x.yaml")
    assert (d.span.line, d.span.column) == (1, 5)
    assert "byte offset 6" in d.message


def test_utf16_file_gets_a_hint():
    d = diag(ys.load_bytes, "a: 1\n".encode("utf-16"), "x.yaml")
    assert d.code == "PC006" and "UTF-16" in d.help


def test_utf8_bom_is_accepted_and_not_counted(tmp_path):
    p = tmp_path / "bom.yaml"
    p.write_bytes(b"\xef\xbb\xbfkey: value\n")
    raw, text = ys.read_source(str(p))
    assert raw.startswith(b"\xef\xbb\xbf") and text == "key: value\n"
    root = ys.load(str(p))
    assert ys.key_span(root, "key") == Span(str(p), 1, 1, 1, 4)
    assert ys.parse_yaml("\ufeffkey: v\n", "s").get("key").span.column == 6
    d = diag(ys.load_bytes, b"\xef\xbb\xbfa: \xff", "x.yaml")
    assert (d.span.line, d.span.column) == (1, 4)


def test_missing_file_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        ys.load(str(tmp_path / "nope.yaml"))
    with pytest.raises(OSError):
        ys.load(str(tmp_path))  # a directory


# --------------------------------------------------------------------------
# aliases and nesting


BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_billion_laughs_is_refused_quickly(parse, composed):
    d = diag(parse, BILLION_LAUGHS)
    # one event per anchor and alias in the text (about 100): the aliases'
    # 9^9 nodes are counted, never built
    assert composed.events < 120
    assert d.code == "PC003" and d.name == "alias-expansion"
    assert d.span.line <= 5
    assert str(ys.MAX_ALIAS_NODES) in d.message


def test_many_aliases_to_a_scalar_are_bounded(parse):
    src = "a: &a x\nb: [" + ", ".join(["*a"] * (ys.MAX_ALIAS_NODES + 1)) + "]\n"
    assert diag(parse, src).code == "PC003"


def test_modest_aliases_are_expanded_and_located(parse):
    src = "base: &tools [exec, shell]\nuse: *tools\n"
    root = parse(src)
    assert ys.to_plain(root) == {"base": ["exec", "shell"], "use": ["exec", "shell"]}
    use = root.get("use")
    assert text_at(src, use.span) == "*tools"  # the alias site, not the anchor
    assert use.items[1].span.line == 1  # children still point at the anchor's text


@pytest.mark.parametrize(
    "src",
    [
        "[" * 100_000,
        "{" * 100_000,
        "a: " + "[" * 100_000 + "]" * 100_000 + "\n",
        "- " * 100_000 + "x\n",
        "".join(" " * i + f"k{i}:\n" for i in range(200)),
        "".join("  " * i + "- \n" for i in range(200)),
    ],
    ids=["flow-seq", "flow-map", "flow-balanced", "block-seq-inline", "block-map", "block-seq"],
)
def test_deep_nesting_is_refused_quickly(parse, composed, src):
    d = diag(parse, src)
    # refused at the level that crosses the limit, not after the whole input
    assert composed.events <= 2 * ys.MAX_DEPTH + 10
    assert d.code == "PC005" and d.name == "nesting-too-deep"
    assert str(ys.MAX_DEPTH) in d.message


@pytest.mark.parametrize("opener", ["[", "{", "[ "])
@pytest.mark.parametrize("levels", [ys.MAX_DEPTH + 1, 999, 1000, 1001, 5000])
def test_deep_nesting_is_located_where_the_limit_is_crossed(parse, opener, levels):
    # libyaml >= 0.2.5 (PyYAML >= 6.0.4) stops at 1000 levels by itself while
    # scanning one line ahead of the events; whatever the backend, PC005
    # names the MAX_DEPTH + 1-th collection: line 2, after a map and a seq.
    src = "rules:\n  - " + opener * levels
    d = diag(parse, src)
    column = 5 + (ys.MAX_DEPTH - 2) * len(opener)
    assert (d.code, d.span.line, d.span.column) == ("PC005", 2, column)
    assert d.message == f"collections nest more than {ys.MAX_DEPTH} levels deep"
    assert d.label == f"level {ys.MAX_DEPTH + 1}"


def test_nesting_at_the_limit_is_accepted(parse):
    depth = ys.MAX_DEPTH
    node = parse("[" * depth + "]" * depth)
    for _ in range(depth - 1):
        node = node.items[0]
    assert node.items == ()
    assert diag(parse, "[" * (depth + 1) + "]" * (depth + 1)).code == "PC005"


# --------------------------------------------------------------------------
# locate / key_span / to_plain


def test_locate_follows_json_paths():
    root = ys.parse_yaml(SAMPLE, "p.yaml")
    assert ys.locate(root, []) == root.span
    assert text_at(SAMPLE, ys.locate(root, ["default_action"])) == "deny"
    assert text_at(SAMPLE, ys.locate(root, ["policies", 0, "match", "tool", 1])) == '"shell"'
    span = ys.locate(root, ["policies", 0, "rules", 0, "when", "command_matches", 0])
    assert text_at(SAMPLE, span) == "'rm -rf *'"
    assert text_at(SAMPLE, ys.locate(root, ["policies", 0, "enabled"])) == "yes"


def test_locate_falls_back_to_deepest_existing_ancestor():
    root = ys.parse_yaml(SAMPLE, "p.yaml")
    tool = root.get("policies").items[0].get("match").get("tool")
    assert ys.locate(root, ["policies", 0, "match", "tool", 7]) == tool.span
    assert ys.locate(root, ["policies", 0, "match", "tool", "x"]) == tool.span
    assert ys.locate(root, ["policies", 0, "name", "deeper"]) == Span("p.yaml", 5, 11, 5, 28)
    assert ys.locate(root, ["nope", 1, 2]) == root.span


def test_locate_with_jsonschema_error_paths():
    jsonschema = pytest.importorskip("jsonschema")
    schema = {
        "type": "object",
        "properties": {
            "policies": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "priority": {"type": "string"},
                        "match": {"properties": {"tool": {"items": {"maxLength": 4}}}},
                    },
                },
            }
        },
    }
    root = ys.parse_yaml(SAMPLE, "p.yaml")
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(ys.to_plain(root)),
                    key=lambda e: list(e.absolute_path))
    found = {text_at(SAMPLE, ys.locate(root, e.absolute_path)) for e in errors}
    assert found == {"10", '"shell"'}


def test_key_span():
    root = ys.parse_yaml(SAMPLE, "p.yaml")
    policy = root.get("policies").items[0]
    assert text_at(SAMPLE, ys.key_span(policy, "enabled")) == "enabled"
    assert ys.key_span(policy, "missing") is None
    assert "name" in policy and "missing" not in policy


def test_to_plain_matches_safe_load_except_yaml11_booleans():
    expected = yaml.safe_load(SAMPLE)
    policy = expected["policies"][0]
    policy["enabled"], policy["rules"][0]["message"] = "yes", "no"  # YAML 1.2 reading, as yaml.v3
    assert ys.to_plain(ys.parse_yaml(SAMPLE, "p.yaml")) == expected
    assert ys.to_plain(None) is None


# --------------------------------------------------------------------------
# robustness


YAMLISH = st.text(alphabet=list("[]{}:-,?&*!|>'\"#%@`~=<\n\t \\abcxy01.") + ["\u00e9", "\ufeff", "\r"],
                  max_size=80)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), YAMLISH))
def test_arbitrary_text_only_raises_diagnostic_errors(text):
    for backend in BACKENDS:
        try:
            node = ys._parse(text, "h.yaml", backend)
        except DiagnosticError as exc:
            d = exc.diagnostic
            assert d.code in {"PC001", "PC002", "PC003", "PC004", "PC005"}
            assert d.span is not None and d.span.line >= 1 and d.span.column >= 1
        else:
            assert node is None or isinstance(node, (YScalar, YSeq, YMap))
            ys.to_plain(node)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=120))
def test_arbitrary_bytes_only_raise_diagnostic_errors(data):
    try:
        ys.load_bytes(data, "b.yaml")
    except DiagnosticError as exc:
        assert exc.diagnostic.code in {"PC001", "PC002", "PC003", "PC005", "PC006"}


def _corpus_files():
    if not CORPORA.is_dir():
        return []
    return sorted(p for p in CORPORA.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def test_corpus_files_load():
    files = _corpus_files()
    if not files:
        pytest.skip(f"no YAML corpus at {CORPORA}")
    for path in files:
        _, text = ys.read_source(str(path))
        trees = [ys._parse(text, str(path), b) for b in BACKENDS]
        assert ys.to_plain(trees[0]) == yaml.safe_load(text), path
        # libyaml and pure-Python marks agree, so spans do not depend on the build
        assert all(t == trees[0] for t in trees), path
        assert ys.load(str(path)) == trees[0]
