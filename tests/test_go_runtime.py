"""The Go runtime (``runtimes/go``) and the conformance vectors it is held to
(``runtimes/vectors``, written by ``tests/vectors.py``).

1. Regenerating the vectors gives the checked-in files (the manifest, one
   set in full, the bad bundles and the eval files).
2. The Python runtime decides every vector as recorded, and refuses every
   bad bundle with its message.
3. With a Go toolchain: ``go test ./...`` in ``runtimes/go`` (its tests
   compare every decision byte for byte), and the built ``policyc-eval``
   prints exactly what ``policyc eval`` prints for the same input.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import vectors

from .conftest import NO_GO, go_toolchain

REPO = Path(__file__).resolve().parent.parent
VECTORS = REPO / "runtimes" / "vectors"
GO_MODULE = REPO / "runtimes" / "go"


def _manifest() -> dict:
    path = VECTORS / "manifest.json"
    if not path.is_file():
        pytest.skip("runtimes/vectors is missing: run `PYTHONPATH=. python -m tests.vectors`")
    return json.loads(path.read_text(encoding="utf-8"))


def _vector_lines(name: str) -> list[tuple[object, str]]:
    out = []
    for line in (VECTORS / name).read_bytes().splitlines():
        text = line.decode("ascii")
        head, sep, tail = text.rpartition(', "decision": ')
        assert sep and tail.endswith("}")
        out.append((json.loads(text)["call"], tail[:-1]))
    return out


# ------------------------------------------------------- 1. regeneration


@pytest.fixture(scope="module")
def regenerated() -> dict[str, bytes]:
    _manifest()
    if not vectors.CORPORA.is_dir():
        pytest.skip("../shared/corpora/rampart is absent: the corpus sets cannot be rebuilt")
    return vectors.build_all()


def test_regenerated_manifest_and_files_equal_the_checked_in_ones(regenerated):
    checked_in = {p.name for p in VECTORS.iterdir() if p.is_file()} - {"canonicalize.jsonl"}
    assert set(regenerated) == checked_in
    assert regenerated["manifest.json"] == (VECTORS / "manifest.json").read_bytes()
    for name in ("stdlib__standard.bundle.json", "stdlib__standard.calls.jsonl",
                 "policies__community__docker.calls.jsonl", "generated__gen-0.calls.jsonl",
                 "eval.in", "eval.out"):
        assert regenerated[name] == (VECTORS / name).read_bytes(), name
    for name in regenerated:
        if name.startswith("bad-"):
            assert regenerated[name] == (VECTORS / name).read_bytes(), name


def test_vectors_stay_small():
    _manifest()
    total = sum(p.stat().st_size for p in VECTORS.iterdir() if p.is_file())
    assert total <= 8 * 1024 * 1024, total


# ------------------------------------------------------ 2. Python decides


def test_python_runtime_decides_every_vector_as_recorded():
    from policyc.runtime import load_bundle

    manifest = _manifest()
    now = _dt.datetime.fromisoformat(manifest["now"].replace("Z", "+00:00"))
    total = 0
    for entry in manifest["sets"]:
        bundle = load_bundle(VECTORS / entry["bundle"])
        rows = _vector_lines(entry["calls"])
        assert len(rows) == entry["count"]
        for call, want in rows:
            assert json.dumps(bundle.decide(call, now=now).to_json(), sort_keys=True) == want, (entry["name"], call)
        total += len(rows)
    assert total > 3000


def test_python_runtime_refuses_every_bad_bundle_with_its_message():
    from policyc.runtime import BundleError, fail_closed, load_bundle

    manifest = _manifest()
    assert len(manifest["bad_bundles"]) >= 30
    for entry in manifest["bad_bundles"]:
        data = (VECTORS / entry["bundle"]).read_bytes()
        assert vectors.refusal(data) == (entry["message"], entry["python_message"]), entry["name"]
        if entry["python_message"] is not None:
            with pytest.raises(BundleError) as info:
                load_bundle(data)
            assert str(info.value) == entry["python_message"]
            decision = fail_closed(data)({"tool": "exec", "params": {"command": "ls"}})
            assert decision.to_json() == entry["decision"] | {
                "message": f"policy bundle unavailable, failing closed: {entry['python_message']}"}


def test_eval_output_is_what_policyc_eval_prints():
    manifest = _manifest()
    data = (VECTORS / manifest["eval"]["input"]).read_bytes()
    out = vectors.run_policyc_eval(VECTORS / manifest["eval"]["bundle"], data)
    assert out == (VECTORS / manifest["eval"]["output"]).read_bytes()


# ---------------------------------------------------------------- 3. Go


def _go() -> str:
    go = go_toolchain()
    if go is None:
        pytest.skip(NO_GO)
    return go


def _go_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("GOCACHE", str(tmp / "gocache"))
    env.update(GOPATH=str(tmp / "gopath"), GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local",
               GOSUMDB="off", CGO_ENABLED="0")
    return env


@pytest.fixture(scope="module")
def go_env(tmp_path_factory) -> tuple[str, dict[str, str], Path]:
    go = _go()
    _manifest()
    tmp = tmp_path_factory.mktemp("go")
    return go, _go_env(tmp), tmp


def test_go_test_passes(go_env):
    go, env, _ = go_env
    done = subprocess.run([go, "test", "-count=1", "./..."], cwd=GO_MODULE, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]


def test_go_policyc_eval_prints_what_policyc_eval_prints(go_env):
    go, env, tmp = go_env
    binary = tmp / "policyc-eval"
    build = subprocess.run([go, "build", "-o", str(binary), "./cmd/policyc-eval"], cwd=GO_MODULE, env=env,
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-4000:]
    manifest = _manifest()
    bundle = VECTORS / manifest["eval"]["bundle"]
    calls = [json.dumps(call).encode() for call, _ in _vector_lines("stdlib__standard.calls.jsonl")]
    data = (VECTORS / manifest["eval"]["input"]).read_bytes() + b"\n" + b"\n".join(calls) + b"\n" + \
        b"x" * (1 << 20) + b"\n" + b" " * (1 << 20) + b"\n" + b"{" * (1 << 20 + 1) + b"\n\n"
    want = vectors.run_policyc_eval(bundle, data)
    got = subprocess.run([str(binary), str(bundle)], input=data, capture_output=True, timeout=300)
    assert got.returncode == 0, got.stderr[-2000:]
    assert got.stdout == want
    # a bundle that does not load: exit 2 before reading a line, as policyc eval
    bad = VECTORS / "bad-tampered-digest.bundle.json"
    refused = subprocess.run([str(binary), str(bad)], input=b"{}\n", capture_output=True, timeout=60)
    python = subprocess.run([sys.executable, "-m", "policyc.cli", "eval", str(bad)], input=b"{}\n",
                            capture_output=True, timeout=120, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert refused.returncode == python.returncode == 2
    assert refused.stdout == python.stdout == b""
    assert refused.stderr.decode().strip() == python.stderr.decode().strip()
