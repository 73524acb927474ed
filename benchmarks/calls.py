"""The benchmarks' call sets: the corpora's calls and a generated set of
distinct, realistic agent calls.

``corpus_calls()``: every inline/suite case of ``../shared/corpora/rampart``
(empty when ``../shared`` is absent). ``realistic_calls(n, seed)``: ``n``
distinct Rampart tool calls, deterministic for a seed, shaped like an agent's
traffic: 60% ``exec`` (three in four everyday development commands, one in
four a known attack command from the conformance seeds; each made new by an
operand, 15% wrapped by sudo/env/timeout/nohup/``sh -c``, 40% chained with
``&&``, a pipe, ``;`` or a redirection), 25% ``read``/``write``/``edit`` of a path, 15%
``fetch`` of a URL. Every command, path and URL string is one the runtime has
not seen within the set, so a memo cannot answer for another call.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Appended, not prepended: an installed policyc (the wheel, with its
# mypyc-compiled modules) is what a benchmark measures when there is one.
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))

from tests.conformance.calls import COMMANDS, PATHS, URLS  # noqa: E402

CORPORA = REPO.parent / "shared" / "corpora" / "rampart"

DEV = ["git status", "git diff --stat", "git log --oneline -n 20", "git add -A", "git commit -m 'wip'",
       "git checkout -b feature", "npm test", "npm run build", "npm ci", "pnpm install --frozen-lockfile",
       "yarn lint", "pytest -q tests", "python -m pytest -x", "make", "make test", "go test ./...",
       "go build ./cmd/app", "cargo test", "cargo clippy", "ls -la", "cat README.md", "grep -rn TODO src",
       "rg -n 'def main' .", "find . -name '*.py'", "sed -n 1,40p src/app.py", "head -n 50 log.txt",
       "wc -l src/*.go", "tree -L 2", "docker compose up -d", "kubectl get pods -n dev", "terraform plan",
       "ruff check .", "mypy src", "eslint src --fix", "prettier --check .", "tsc --noEmit", "echo done"]
WORDS = ["src", "lib", "app", "tests", "core", "util", "api", "model", "view", "cli", "io", "db"]
EXTS = [".py", ".go", ".ts", ".rs", ".md", ".json", ".yaml", ".txt", ".sh", ".toml"]
WRAPPERS = ["sudo ", "env CI=1 ", "timeout 30 ", "nohup ", "bash -c '{}'", "sh -c \"{}\""]
CHAINS = [" && echo ok", " | head -n 5", "; true", " 2>&1", " > out.txt", " | grep -v '^#'"]


def corpus_calls() -> list[dict]:
    """Every case's call in the Rampart corpora, in file order."""
    from policyc.testing import run_file

    calls: list[dict] = []
    for path in sorted(CORPORA.rglob("*.yaml")):
        calls.extend(c.case.call for c in run_file(str(path)).cases)
    return calls


def _file(rng: random.Random, k: int) -> str:
    return f"{rng.choice(WORDS)}/{rng.choice(WORDS)}_{k}{rng.choice(EXTS)}"


def _command(rng: random.Random, k: int) -> str:
    base = rng.choice(DEV) if rng.random() < 0.75 else rng.choice(COMMANDS)
    command = f"{base} {_file(rng, k)}"
    if rng.random() < 0.15:
        wrapper = rng.choice(WRAPPERS)
        command = wrapper.format(command.replace("'", "").replace('"', "")) if "{}" in wrapper \
            else wrapper + command
    return command + (rng.choice(CHAINS) if rng.random() < 0.4 else "")


def _path(rng: random.Random, k: int) -> str:
    r = rng.random()
    if r < 0.5:
        return f"/home/user/project/{_file(rng, k)}"
    if r < 0.7:
        return _file(rng, k)
    return f"{rng.choice(PATHS)}.{k}" if rng.random() < 0.5 else f"{rng.choice(PATHS).rsplit('/', 1)[0]}/f{k}"


def _url(rng: random.Random, k: int) -> str:
    url = rng.choice(URLS)
    return f"{url}{'' if url.endswith('/') else '/'}p/{k}?q={rng.randrange(10**6)}"


def realistic_calls(n: int = 10_000, seed: int = 14) -> list[dict]:
    """``n`` distinct calls (see the module docstring); raises ValueError for
    ``n`` < 0."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rng = random.Random(seed)
    calls: list[dict] = []
    seen: set[str] = set()
    k = 0
    while len(calls) < n:
        k += 1
        r = rng.random()
        if r < 0.60:
            value, call = _command(rng, k), None
            call = {"tool": "exec", "params": {"command": value}}
        elif r < 0.85:
            value = _path(rng, k)
            call = {"tool": rng.choice(["read", "write", "edit"]), "params": {"path": value}}
        else:
            value = _url(rng, k)
            call = {"tool": "fetch", "params": {"url": value}}
        if value in seen:
            continue
        seen.add(value)
        call["workdir"] = "/home/user/project"
        calls.append(call)
    return calls
