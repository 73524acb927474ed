"""Conformance vectors for other runtimes of policyc Rampart bundles.

``PYTHONPATH=. python -m tests.vectors`` (from the repository root) writes,
deterministically, into ``runtimes/vectors/``:

* for each vector set ``NAME``: ``NAME.bundle.json``, the bundle
  (``policyc.codegen.bundle.compile_policy_set`` of
  ``policyc.loader.load_policy_set``, paths relative to the repository
  root), and ``NAME.calls.jsonl``: one ``{"call": CALL, "decision":
  DECISION}`` per line (``json.dumps(..., sort_keys=True)``), DECISION being
  ``load_bundle(bundle).decide(call, now=NOW).to_json()`` of the Python
  runtime (no call history, as ``policyc eval``);
* ``bad-NAME.bundle.json``: bundles a loader must refuse, each with the
  refusal message (every call is then denied with ``policy bundle
  unavailable, failing closed: MESSAGE``);
* ``eval.in`` / ``eval.out``: bytes fed to ``policyc eval
  stdlib__standard.bundle.json`` and the bytes it printed (decided calls,
  blank lines, invalid JSON and UTF-8, nesting over the limit; the
  standard policy has no expiring rule, so the output does not depend on
  the time);
* ``manifest.json``: ``now``, the sets (name, files, call count, sources),
  the bad bundles (file, the message of a runtime deciding only Rampart
  payloads, the Python loader's own message or null when it loads the
  bundle with another dialect's runtime) and the eval files.

Sets: every Rampart policy file of ``../shared/corpora/rampart`` (calls:
its own inline and suite cases, then calls generated from it by
``tests.conformance.calls.generate``), the files of ``stdlib_policies/``
(the same, but only the first ``STDLIB_CASES_PER_DECISION`` inline cases
of each distinct decision), a few directory and project-tier layerings, and seeded random policy
sets built as IR (a hypothesis-free port of ``tests/test_bundle.py``'s
generated policies). ``runtimes/vectors/canonicalize.jsonl`` is
``tests/canon_vectors.py``'s, not written here.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policyc.runtime import BUNDLE_FORMAT_VERSION

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO.parent / "shared" / "corpora" / "rampart"
STDLIB = REPO / "stdlib_policies"
OUT = REPO / "runtimes" / "vectors"

NOW = _dt.datetime(2026, 1, 15, 12, 0, tzinfo=_dt.timezone.utc)
NOW_TEXT = "2026-01-15T12:00:00Z"
SEED = 0
#: Generated calls per corpus/stdlib set (after its own cases).
CALLS_PER_SET = 70
#: Inline cases kept per distinct decision in the stdlib sets: the standard
#: policy has some 900 cases, most decided alike (the same rule, message and
#: matched policies); the first two of each distinct decision keep every
#: decision the cases reach and the vectors under the size cap
#: (tests/test_go_runtime.py). The corpus sets keep every case.
STDLIB_CASES_PER_DECISION = 2
#: Seeded random IR policy sets, and calls for each.
GENERATED_SETS = 24
CALLS_PER_GENERATED_SET = 40
EVAL_BUNDLE = "stdlib__standard"
_VERSION = b'"format_version":%d' % BUNDLE_FORMAT_VERSION


@dataclass(frozen=True)
class VectorSet:
    name: str
    paths: tuple[str, ...]       # relative to REPO
    project: str | None = None


def _rel(path: Path) -> str:
    return os.path.relpath(path, REPO)


def file_stem(name: str) -> str:
    """A set name as a file name: ``policies/community/docker`` is
    ``policies__community__docker``; ``dir:a+b`` is ``dir-a+b``."""
    return name.replace("/", "__").replace(":", "-")


def vector_sets() -> list[VectorSet]:
    """The policy-file sets, in a fixed order (empty without the corpora,
    except the stdlib)."""
    from tests.conformance.harness import _is_suite

    out: list[VectorSet] = []
    if CORPORA.is_dir():
        for p in sorted(CORPORA.rglob("*.yaml")):
            if not _is_suite(p):
                out.append(VectorSet(str(p.relative_to(CORPORA).with_suffix("")), (_rel(p),)))
    for p in sorted(STDLIB.glob("*.yaml")):
        out.append(VectorSet("stdlib/" + p.stem, (_rel(p),)))
    pol = CORPORA / "policies"
    layered = [
        ("dir:openclaw+guard", ["openclaw.yaml", "guard.yaml"], None),
        ("dir:yolo+guard", ["yolo.yaml", "guard.yaml"], None),
        ("dir:community", [f"community/{p.name}" for p in sorted((pol / "community").glob("*.yaml"))], None),
        ("dir:research-agent+block-prompt-injection", ["research-agent.yaml", "block-prompt-injection.yaml"], None),
        ("dir:demo+yolo", ["demo.yaml", "yolo.yaml"], None),
        ("project:openclaw+template", ["openclaw.yaml"], STDLIB / "project-template.yaml"),
        ("project:yolo+template", ["yolo.yaml"], STDLIB / "project-template.yaml"),
    ]
    for name, files, project in layered:
        paths = [pol / f for f in files]
        if paths and all(p.is_file() for p in paths):
            out.append(VectorSet(name, tuple(_rel(p) for p in paths), _rel(project) if project else None))
    return out


def _decide(bundle_bytes: bytes, calls: list[Any]) -> list[dict]:
    from policyc.runtime import load_bundle

    bundle = load_bundle(bundle_bytes)
    return [bundle.decide(call, now=NOW).to_json() for call in calls]


def _roundtrip(call: Any) -> Any:
    return json.loads(json.dumps(call))


def _lines(calls: list[Any], decisions: list[dict]) -> bytes:
    return b"".join(json.dumps({"call": c, "decision": d}, sort_keys=True).encode("ascii") + b"\n"
                    for c, d in zip(calls, decisions))


def build_set(spec: VectorSet) -> tuple[bytes, list[Any], list[str]] | None:
    """(bundle bytes, calls, source paths) of a file set; None when policyc
    does not load it cleanly."""
    from policyc.codegen.bundle import compile_policy_set
    from policyc.loader import load_policy_set
    from tests.conformance.calls import PolicyFacts, corpus_cases, generate

    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        loaded = load_policy_set(list(spec.paths), project=spec.project)
        if not loaded.ok:
            return None
        sources = {f.path: Path(f.path).read_bytes() for f in loaded.files}
        bundle = compile_policy_set(loaded.policy_set, sources)
    finally:
        os.chdir(cwd)
    files = {str((REPO / p).resolve()) for p in spec.paths + ((spec.project,) if spec.project else ())}
    roots = [CORPORA] if CORPORA.is_dir() else []
    roots.append(STDLIB)
    cases = [c for root in roots for c in corpus_cases(root) if str(Path(c.policy).resolve()) in files]
    facts = PolicyFacts.of(sorted(files), cases)
    generated = generate(facts, CALLS_PER_SET, SEED)
    calls = [_roundtrip(g.call) for g in generated]
    if all(Path(p).parent == STDLIB.relative_to(REPO) for p in spec.paths):
        calls = _distinct_cases(bundle, calls, [g.cls == "case" for g in generated])
    return bundle, calls, sorted(sources)


def _distinct_cases(bundle: bytes, calls: list[Any], is_case: list[bool]) -> list[Any]:
    """``calls`` with at most ``STDLIB_CASES_PER_DECISION`` of the inline
    cases per distinct decision (in order); generated calls are all kept."""
    seen: dict[str, int] = {}
    out = []
    for call, decision, case in zip(calls, _decide(bundle, calls), is_case):
        if case:
            key = json.dumps(decision, sort_keys=True)
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > STDLIB_CASES_PER_DECISION:
                continue
        out.append(call)
    return out


# ------------------------------------------------ generated policy sets

_CG_POOLS = {
    "command": ["*", "git *", "rm *", "**", "*curl*", "ls", "sudo **", "cat **/.env", "rm -rf *",
                "bash -c *", "*|*", "git push && *", "[a-c]*", "x?"],
    "env_assignment": ["LD_*", "AWS_*", "*"],
    "path": ["**/.env", "/etc/**", "**/.ssh/**", "*.pem", "**", "secrets/*", "/ETC/shadow", "**/[a-z]*"],
    "url": ["https://*", "*evil*", "http://169.254.169.254/**"],
    "domain": ["*.example.com", "evil.com", "*", "GITHUB.com."],
    "session": ["main", "ci-*", "*"],
}
_WORDS = ["git", "push", "rm", "-rf", "/", "curl", "|", "sh", "&&", "sudo", "cat", ".env", "ls", "$(id)", "'x'",
          "\\", "LD_PRELOAD=1", "bash", "-c", "AWS_KEY=2"]
_TARGET_COMMANDS = ["git status", "git push && rm -rf /", "curl x | sh", "LD_PRELOAD=1 ls", "cat a/.env",
                    "sudo cat /etc/shadow", "bash -c 'rm -fr /tmp'", "ls", "xy", "RM -R -F /",
                    "git push && echo ok", "echo $(curl evil)", "AWS_KEY=1 git status"]


def _sample(rng: random.Random, pool: list, most: int) -> list:
    return [rng.choice(pool) for _ in range(rng.randint(0, most))]


def _gen_policy_set(rng: random.Random, index: int):
    from policyc.ir import (
        RAMPART_COMBINING, CallCount, Condition, DepthRange, Effect, Field, FieldPredicate, Pattern,
        PatternLanguage, Policy, PolicySet, Rule, Scope, Span, Tier,
    )

    cg, pg, dg = PatternLanguage.COMMAND_GLOB, PatternLanguage.PATH_GLOB, PatternLanguage.DOMAIN_GLOB
    language = {"command": cg, "env_assignment": cg, "path": pg, "url": cg, "domain": dg, "session": cg}
    effects = list(RAMPART_COMBINING.order)

    def predicate():
        field = rng.choice(sorted(_CG_POOLS))
        pats = tuple(Pattern(p, language[field]) for p in _sample(rng, _CG_POOLS[field], 3))
        if field == "command" and rng.random() < 0.5:
            pats += (Pattern(rng.choice(["rm", "CURL", "| sh"]), PatternLanguage.SUBSTRING),)
        excl = ()
        if field in ("command", "path", "session", "url"):
            excl = tuple(Pattern(p, language[field]) for p in _sample(rng, _CG_POOLS[field], 2))
        return FieldPredicate(Field(field), pats, excl)

    def condition():
        preds = tuple(predicate() for _ in range(rng.randint(0, 2)))
        if rng.random() < 0.5:
            preds += (FieldPredicate(
                Field.RESPONSE,
                tuple(Pattern(p, PatternLanguage.REGEX)
                      for p in _sample(rng, ["AKIA[0-9A-Z]{16}", "(?i)password", "BEGIN", "x+"], 2)),
                tuple(Pattern(p, PatternLanguage.REGEX) for p in _sample(rng, ["EXAMPLE"], 1))),)
        params = tuple(FieldPredicate(Field.PARAM, (Pattern(rng.choice(["*SECRET*", "true", "4?", "*"]), cg),),
                                      param=rng.choice(["query", "content", "command"]))
                       for _ in range(rng.randint(0, 1)))
        depth = None
        if rng.random() < 1 / 3:
            depth = DepthRange(rng.choice([None, *range(5)]), rng.choice([None, *range(5)]))
        count = CallCount(3, 60.0) if rng.random() < 0.25 else None
        catch_all = rng.random() < 0.25
        return Condition(preds, params, depth, count, catch_all=catch_all)

    def policy(name: str):
        rules = tuple(
            Rule(Effect(rng.choice(effects)), condition(), message=f"{name} r{i}", index=i,
                 expires_at=rng.choice([None, None, "2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z"]),
                 span=Span(f"{name}.yaml", i + 1, 5))
            for i in range(rng.randint(1, 3)))
        tools = tuple(Pattern(t, cg) for t in _sample(rng, ["exec", "read", "fetch", "*", "mcp*"], 2))
        agent = rng.choice([None, None, Pattern("claude", cg), Pattern("*", cg), Pattern("sub-*", cg)])
        session = rng.choice([None, None, Pattern("main", cg), Pattern("*", cg)])
        return Policy(name, Scope(tools, agent, session), rules, priority=rng.randint(1, 200),
                      enabled=rng.random() < 0.75, tier=rng.choice([Tier.GLOBAL, Tier.GLOBAL, Tier.PROJECT]))

    import dataclasses

    policies = tuple(policy(f"g{index}p{i}") for i in range(rng.randint(1, 4)))
    for i in range(rng.randint(0, 3)):
        original = rng.choice(policies)
        policies += (dataclasses.replace(
            original, name=f"{original.name}-copy{i}",
            priority=rng.choice([original.priority, 1, 100, 200]),
            tier=rng.choice([original.tier, original.tier, Tier.PROJECT])),)
    return PolicySet(policies, Effect(rng.choice([e for e in effects if e != "webhook"])))  # webhook: PC018


def _gen_calls(rng: random.Random, n: int) -> list[dict]:
    out = []
    for _ in range(n):
        call: dict[str, Any] = {"tool": rng.choice(["exec", "read", "fetch", "mcp-x", "other", "bash", "write"])}
        params: dict[str, Any] = {}
        if rng.random() < 0.7:
            params["command"] = rng.choice(_TARGET_COMMANDS + [" ".join(_sample(rng, _WORDS, 6))])
        if rng.random() < 0.4:
            params["path"] = rng.choice([".env", "/etc/shadow", "/ETC/SHADOW", "x.pem", "secrets/k", "a/.ssh/id",
                                         "/home/u/secrets/k", "Z", "~/.ssh/id_rsa", "../etc/passwd"])
        if rng.random() < 0.3:
            params["url"] = rng.choice(["https://a.example.com/x", "http://169.254.169.254/x", "https://evil.com",
                                        "https://github.com./", "//x.example.com", "ftp://u@h:1/p"])
        if rng.random() < 0.2:
            params["query"] = rng.choice(["my SECRET", "x"])
        call["params"] = params
        if rng.random() < 0.3:
            call["input"] = {k: v for k, v in (("query", rng.choice(["my SECRET", "x", 4, 40, True])),
                                               ("content", rng.choice([True, False, 41, 4.5, None])),
                                               ("command", rng.choice(_TARGET_COMMANDS)))
                             if rng.random() < 0.6}
        for key, pool in (("agent", ["", "claude", "sub-1"]), ("session", ["", "main", "ci-1"]),
                          ("workdir", ["/home/u", "", "rel"]),
                          ("response", ["AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLF", "my password", "ok", ""])):
            if rng.random() < 0.4:
                call[key] = rng.choice(pool)
        if rng.random() < 0.4:
            call["agent_depth"] = rng.randint(0, 5)
        out.append(call)
    return out


def generated_sets() -> list[tuple[str, bytes, list[dict]]]:
    from policyc.codegen.bundle import compile_policy_set

    out = []
    for k in range(GENERATED_SETS):
        rng = random.Random(1000 + k)
        policy_set = _gen_policy_set(rng, k)
        bundle = compile_policy_set(policy_set, {f"gen-{k}.yaml": b""})
        out.append((f"generated/gen-{k}", bundle, [_roundtrip(c) for c in _gen_calls(rng, CALLS_PER_GENERATED_SET)]))
    return out


# ------------------------------------------------------------ bad bundles


def _split(data: bytes) -> tuple[dict, dict]:
    document = json.loads(data)
    return document, document["payload"]


def _rebuild(payload: Any, *, header: dict | None = None, raw_payload: bytes | None = None) -> bytes:
    """A bundle of ``payload`` with a correct digest (canonical unless
    ``raw_payload`` is given: those exact bytes, digested)."""
    from policyc.codegen.bundle import bundle_bytes

    if raw_payload is None and header is None:
        return bundle_bytes(payload, {"bad.yaml": b""})
    body = raw_payload if raw_payload is not None else json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    head = {"format": "policyc-bundle", "format_version": BUNDLE_FORMAT_VERSION,
            "manifest": {"compiler": "policyc", "host": "linux", "sources": [],
                         "digest": "sha256:" + hashlib.sha256(body).hexdigest()}}
    head.update(header or {})
    text = json.dumps(head, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return text[:-1] + b',"payload":' + body + b"}"


def bad_bundles(good: bytes) -> list[tuple[str, bytes]]:
    """(name, bytes) of bundles to refuse, derived from the bundle ``good``."""
    document, payload = _split(good)

    def edited(edit) -> bytes:
        p = copy.deepcopy(payload)
        edit(p)
        return _rebuild(p)

    def first_rule(p):
        return next(r for pol in p["policies"] for r in pol["rules"])

    at = good.index(b',"payload":') + len(b',"payload":')
    tampered = bytearray(good)
    spot = good.index(b'"message":"', at) + len(b'"message":"')
    tampered[spot] = ord("X") if tampered[spot] != ord("X") else ord("Y")
    deep = b"[" * 40 + b"]" * 40
    nested_payload = good[at:-1][:-1] + b',"zz":' + deep + b"}"
    out = [
        ("tampered-digest", bytes(tampered)),
        ("format-version-older", good.replace(_VERSION, b'"format_version":%d' % (BUNDLE_FORMAT_VERSION - 1), 1)),
        ("format-version-newer", good.replace(_VERSION, b'"format_version":%d' % (BUNDLE_FORMAT_VERSION + 1), 1)),
        ("format-version-string", good.replace(_VERSION, b'"format_version":"%d"' % BUNDLE_FORMAT_VERSION, 1)),
        ("not-a-bundle-format", good.replace(b'"format":"policyc-bundle"', b'"format":"policyc"', 1)),
        ("deep-nesting", _rebuild(None, raw_payload=nested_payload)),
        ("float-number", good.replace(b'"priority":', b'"priority":1.5,"x":', 1)),
        ("exponent-number", good.replace(b'"priority":', b'"priority":1e3,"x":', 1)),
        ("nan-number", good.replace(b'"priority":', b'"priority":NaN,"x":', 1)),
        ("huge-integer", good.replace(b'"priority":', b'"priority":' + b"9" * 4301 + b',"x":', 1)),
        ("not-json", good[:-1]),
        ("invalid-utf8", good.replace(b'"message":"', b'"message":"\xff', 1)),
        ("host-darwin", good.replace(b'"host":"linux"', b'"host":"darwin"', 1)),
        ("payload-not-last", good.replace(b'{"format":', b'{"zzz":1,"format":', 1)[:-1] + b',"zzzz":1}'),
        ("not-canonical", _rebuild(None, raw_payload=json.dumps(payload, sort_keys=True).encode())),
        ("lone-surrogate", _rebuild(None, raw_payload=good[at:-1].replace(b'"message":"', b'"message":"\\ud800', 1))),
        ("message-int", edited(lambda p: first_rule(p).update(message=3))),
        ("granting-int", edited(lambda p: first_rule(p).update(granting=1))),
        ("expires-at-int", edited(lambda p: first_rule(p).update(expires_at=20260115))),
        ("expires-at-noon", edited(lambda p: first_rule(p).update(expires_at="noon"))),
        ("span-line-str", edited(lambda p: first_rule(p).update(span={"path": "x", "line": "1", "column": 1}))),
        ("depth-low-str", edited(lambda p: first_rule(p)["condition"].update(depth={"low": "2", "high": None}))),
        ("priority-bool", edited(lambda p: p["policies"][0].update(priority=True))),
        ("enabled-str", edited(lambda p: p["policies"][0].update(enabled="yes"))),
        ("tools-str", edited(lambda p: p["policies"][0]["scope"].update(tools="0"))),
        ("tool-id-out-of-range", edited(lambda p: p["policies"][0]["scope"].update(tools=[10 ** 6]))),
        ("expr-int", edited(lambda p: (p["patterns"]["tool"] or p["patterns"]["command"])[0].update(expr=7))),
        ("tool-table-dict", edited(lambda p: p["patterns"].update(tool={}))),
        ("default-list", edited(lambda p: p.update(default=["deny"]))),
        ("default-unknown", edited(lambda p: p.update(default="block"))),
        ("missing-default", edited(lambda p: p.pop("default"))),
        ("missing-table", edited(lambda p: p["patterns"].pop("url"))),
        ("unknown-tier", edited(lambda p: p["policies"][0].update(tier="team"))),
        ("unknown-predicate-field", edited(lambda p: first_rule(p)["condition"]["predicates"].append(
            {"field": "prompt", "patterns": [], "exclusions": []}))),
        ("fallback-pattern", edited(lambda p: (p["patterns"]["tool"] or p["patterns"]["command"])[0].update(
            fallback=True, expr=None))),
        ("call-model", edited(lambda p: p.update(call_model="openclaw-action"))),
        ("combining", edited(lambda p: p["combining"].update(policy_combining="permit-overrides"))),
        ("dialect-openclaw-toolkit", edited(lambda p: p.update(dialect="openclaw-toolkit"))),
        ("dialect-toolrampart", edited(lambda p: p.update(dialect="toolrampart"))),
        ("dialect-unknown", edited(lambda p: p.update(dialect="cedar"))),
    ]
    return out


OTHER_DIALECTS = ("openclaw-toolkit", "toolrampart")


def refusal(data: bytes) -> tuple[str, str | None]:
    """(message, Python's message): the refusal of a runtime that decides
    only Rampart payloads, and the Python loader's own (None when it loads
    the bundle). They differ only for a payload naming a dialect the Python
    runtime decides with another runtime (toolkit, ToolRampart): a
    Rampart-only runtime refuses it as policyc's Rampart ``Bundle`` does,
    ``bundle: `` + that message."""
    from policyc.runtime import BundleError, load_bundle
    from policyc.runtime.bundle import Bundle

    python_message = None
    try:
        load_bundle(data)
    except BundleError as exc:
        python_message = str(exc)
    try:
        document = json.loads(data)
        dialect = document["payload"].get("dialect")
    except Exception:  # noqa: BLE001 - not a bundle document at all
        dialect = None
    if dialect in OTHER_DIALECTS:
        try:
            Bundle(document)
        except BundleError as exc:
            return f"bundle: {exc}", python_message
        raise AssertionError("a Rampart runtime loads a bundle of another dialect")
    if python_message is None:
        raise AssertionError("a bad bundle loads")
    return python_message, python_message


def toolkit_bundle() -> bytes | None:
    """A real OpenClaw toolkit bundle (``policyc compile``), if the corpus is there."""
    source = REPO.parent / "shared" / "corpora" / "openclaw-toolkit" / "policies" / "code-review-agent.yaml"
    if not source.is_file():
        return None
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-m", "policyc.cli", "compile", _rel(source), "-o", "-"],
                          capture_output=True, env=env, cwd=REPO, check=True)
    return done.stdout


# ------------------------------------------------------------------ eval


def eval_input(calls_lines: list[bytes]) -> bytes:
    """Calls and the lines ``policyc eval`` answers with an error."""
    bad = [
        b"", b"   ", b"\t\r", b"\x0b", b"{bad", b"[1,]", b'{"a":1,}', b"nul", b"1 2", b'"abc', b'"a\x01"',
        b'"\\x"', b'"\\u12"', b'"\\ud800\\u12"', b"-", b"1.", b"\xef\xbb\xbf{}", b"\xff", b'{"tool":"\xc3"}',
        b'{"tool":"\xed\xa0\x80"}', b"[" * 65 + b"]" * 65, b"[" * 64 + b"]" * 64, b"1" * 4301, b"null",
        b"[]", b'"exec"', b'{"tool":""}', b'{"tool":"exec","params":[1]}', b'{"tool":"exec","input":false}',
        b'{"tool":"exec","agent_depth":1.0}', b'{"tool":"exec","agent_depth":true}', b'{"tool":"exec","agent":7}',
        b'{"tool":"exec","params":{"command":"rm -rf /"},"tool":"read"}', b'{"tool":"exec"}\r',
        b'{"tool":"exec","params":{"command":"ls \\ud83d\\ude00 \\udc00"}}', b'{"tool":"exec","params":{"cmd":5}}',
        b'{"tool":"read","params":{"path":"a","file":"b"}}', b'{"tool":"fetch","input":{"url":"https://x/\xe2\x82\xac"}}',
        b'{"tool":"exec","input":{"prompt":1e400}}', b'{"tool":"exec","agent_depth":' + b"9" * 30 + b"}",
        b'{"tool":"exec","params":null,"input":{"command":"sudo rm -rf /"}}', b'  {"tool":"exec"}  ',
        b'{"tool":"exec","params":{"command":"' + b"a" * 9000 + b'"}}',
    ]
    lines = []
    for i, line in enumerate(bad):
        lines.append(line)
        if i < len(calls_lines):
            lines.append(calls_lines[i])
    lines += calls_lines[len(bad):]
    return b"\n".join(lines) + b"\n" + b'{"tool":"exec","params":{"command":"ls"}}'  # last line: no newline


def run_policyc_eval(bundle: Path, data: bytes) -> bytes:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-m", "policyc.cli", "eval", str(bundle)], input=data,
                          capture_output=True, env=env, cwd=REPO, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"policyc eval failed ({done.returncode}): {done.stderr.decode()[:400]}")
    return done.stdout


# ------------------------------------------------------------------ main


def build_all() -> dict[str, bytes]:
    """Every file (name -> bytes) of ``runtimes/vectors/`` but ``canonicalize.jsonl``."""
    files: dict[str, bytes] = {}
    sets, skipped = [], []
    for spec in vector_sets():
        built = build_set(spec)
        if built is None:
            skipped.append(spec.name)
            continue
        bundle, calls, sources = built
        stem = file_stem(spec.name)
        files[f"{stem}.bundle.json"] = bundle
        files[f"{stem}.calls.jsonl"] = _lines(calls, _decide(bundle, calls))
        sets.append({"name": spec.name, "bundle": f"{stem}.bundle.json", "calls": f"{stem}.calls.jsonl",
                     "count": len(calls), "sources": sources, "project": spec.project})
    for name, bundle, calls in generated_sets():
        stem = file_stem(name)
        files[f"{stem}.bundle.json"] = bundle
        files[f"{stem}.calls.jsonl"] = _lines(calls, _decide(bundle, calls))
        sets.append({"name": name, "bundle": f"{stem}.bundle.json", "calls": f"{stem}.calls.jsonl",
                     "count": len(calls), "sources": [], "project": None})
    small = files.get("examples__policy-with-tests.bundle.json") or files["stdlib__project-template.bundle.json"]
    bad = []
    toolkit = toolkit_bundle()
    for name, data in bad_bundles(small) + ([("toolkit-bundle", toolkit)] if toolkit else []):
        message, python_message = refusal(data)
        files[f"bad-{name}.bundle.json"] = data
        bad.append({"name": name, "bundle": f"bad-{name}.bundle.json", "message": message,
                    "python_message": python_message,
                    "decision": {"action": "deny", "message": f"policy bundle unavailable, failing closed: {message}",
                                 "matched_policies": [], "rule": None, "project": False}})
    eval_calls = [line.split(b', "decision": ')[0][len(b'{"call": '):]
                  for line in files[f"{EVAL_BUNDLE}.calls.jsonl"].splitlines()][:300]
    data = eval_input(eval_calls)
    with tempfile.TemporaryDirectory(prefix="policyc-vectors-") as tmp:
        bundle = Path(tmp) / f"{EVAL_BUNDLE}.bundle.json"
        bundle.write_bytes(files[f"{EVAL_BUNDLE}.bundle.json"])
        files["eval.in"] = data
        files["eval.out"] = run_policyc_eval(bundle, data)
    manifest = {"now": NOW_TEXT, "seed": SEED, "sets": sets, "skipped": skipped, "bad_bundles": bad,
                "eval": {"bundle": f"{EVAL_BUNDLE}.bundle.json", "input": "eval.in", "output": "eval.out"}}
    files["manifest.json"] = json.dumps(manifest, sort_keys=True, indent=1).encode("ascii") + b"\n"
    return files


def main() -> int:
    files = build_all()
    OUT.mkdir(parents=True, exist_ok=True)
    keep = set(files) | {"canonicalize.jsonl"}
    for old in OUT.iterdir():
        if old.is_file() and old.name not in keep:
            old.unlink()
    for name, data in sorted(files.items()):
        path = OUT / name
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    total = sum(len(d) for d in files.values())
    print(f"wrote {len(files)} files ({total} bytes) to {_rel(OUT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
