"""Rampart's own engine as an oracle (``../shared/oracles/rampart``).

``oracle_binary()`` runs ``build.sh`` once per process (it reuses an
up-to-date binary from ``~/.cache/policyc-oracles/rampart``) and caches the
result; ``require_oracle()`` skips the calling test with the reason when
``../shared`` or the oracle is unavailable (no Go, no apt, a failed build).

``engine_decide(policy_paths, calls, project=None)`` sends every call of one
policy set through ONE ``rampart-oracle decide -json`` process (JSON lines on
stdin) and returns one action string per call, aligned with ``calls``:
``"error"`` for a call the harness could not read, ``"refused"`` for every
call when the engine refuses to load the set (``EngineRefused`` from
``engine_load``). Nothing here re-implements matching.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("POLICYC_SHARED", REPO.parent / "shared"))
ORACLE_DIR = SHARED / "oracles" / "rampart"
BUILD_SH = ORACLE_DIR / "build.sh"
BUILD_TIMEOUT_S = float(os.environ.get("POLICYC_ORACLE_BUILD_TIMEOUT", "900"))

_lock = threading.Lock()
_state: dict[str, Any] = {}


class OracleUnavailable(RuntimeError):
    """The oracle cannot be built or run here (the reason is the message)."""


class EngineRefused(RuntimeError):
    """The engine refused to load a policy set (its stderr is the message)."""


def oracle_binary() -> str:
    """The path of ``rampart-oracle``; raises ``OracleUnavailable``.

    ``$RAMPART_ORACLE`` names a prebuilt binary and skips ``build.sh``.
    The outcome (path or failure) is cached for the process. Found, it
    becomes ``$POLICYC_ENGINE_EXECUTABLE`` (unless set) for this process and
    its children: the engine's ``/proc/self/exe`` is this binary.
    """
    with _lock:
        if "binary" in _state:
            return _state["binary"]
        if "error" in _state:
            raise OracleUnavailable(_state["error"])
        try:
            _state["binary"] = _locate()
            os.environ.setdefault("POLICYC_ENGINE_EXECUTABLE", os.path.realpath(_state["binary"]))
            return _state["binary"]
        except OracleUnavailable as exc:
            _state["error"] = str(exc)
            raise


def _locate() -> str:
    prebuilt = os.environ.get("RAMPART_ORACLE")
    if prebuilt:
        if os.access(prebuilt, os.X_OK):
            return prebuilt
        raise OracleUnavailable(f"$RAMPART_ORACLE={prebuilt} is not executable")
    if not BUILD_SH.is_file():
        raise OracleUnavailable(f"{BUILD_SH} is absent (../shared not beside the project)")
    try:
        proc = subprocess.run(["bash", str(BUILD_SH)], capture_output=True, text=True,
                              timeout=BUILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise OracleUnavailable(f"build.sh took over {BUILD_TIMEOUT_S:.0f}s") from None
    except OSError as exc:
        raise OracleUnavailable(f"cannot run build.sh: {exc}") from None
    lines = [ln.strip() for ln in proc.stdout.splitlines() if ln.strip()]
    if proc.returncode != 0 or not lines:
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-3:])
        raise OracleUnavailable(f"build.sh failed (exit {proc.returncode}): {tail[-400:]}")
    binary = lines[-1]
    if not os.access(binary, os.X_OK):
        raise OracleUnavailable(f"build.sh printed {binary!r}, which is not an executable")
    return binary


def oracle_available() -> bool:
    try:
        oracle_binary()
        return True
    except OracleUnavailable:
        return False


def require_oracle() -> str:
    """The oracle's path, or ``pytest.skip`` with the reason."""
    import pytest

    try:
        return oracle_binary()
    except OracleUnavailable as exc:
        pytest.skip(f"rampart oracle unavailable: {exc}")


# ------------------------------------------------------------------ deciding


@dataclass
class OracleRun:
    """A running ``decide`` process fed from a thread; ``result()`` joins it."""

    proc: subprocess.Popen
    n: int
    _out: list
    _thread: threading.Thread

    def result(self) -> list[dict[str, Any]]:
        self._thread.join()
        stdout, stderr = self._out
        if self.proc.returncode == 2 and not stdout.strip():
            raise EngineRefused(stderr.strip() or "engine refused the policy set")
        if self.proc.returncode not in (0, None):
            raise OracleUnavailable(f"rampart-oracle exited {self.proc.returncode}: {stderr.strip()[-400:]}")
        out = []
        for line in stdout.splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except ValueError:
                row = {"action": line}  # the harness prints a bare "error"
            if not isinstance(row, dict):
                row = {"action": "error"}
            out.append(row)
        if len(out) != self.n:
            raise OracleUnavailable(f"rampart-oracle answered {len(out)} lines for {self.n} calls")
        return out


def _line(call: Any) -> str:
    """One JSON line per call; a call that cannot be serialised (or would
    contain a raw newline) becomes a line the harness answers with "error"."""
    try:
        text = json.dumps(call, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return "{not json}"
    return text if "\n" not in text else "{not json}"


def start_decide(policy_paths: Sequence[str], calls: Iterable[Any], project: str | None = None,
                 *, binary: str | None = None) -> OracleRun:
    """Start one oracle process for a policy set; the calls are written from a
    thread so the caller can decide with policyc meanwhile."""
    binary = binary or oracle_binary()
    lines = [_line(c) for c in calls]
    argv = [binary, "decide", "-json"]
    if project:
        argv += ["-project", str(project)]
    argv += [str(p) for p in policy_paths]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, encoding="utf-8", errors="replace")
    out: list = [None, None]
    payload = "".join(ln + "\n" for ln in lines)

    def pump() -> None:
        out[0], out[1] = proc.communicate(payload)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return OracleRun(proc, len(lines), out, thread)


def engine_decide_full(policy_paths: Sequence[str], calls: Sequence[Any],
                       project: str | None = None) -> list[dict[str, Any]]:
    """``{"action","message","matched"}`` per call (one process for all)."""
    return start_decide(policy_paths, calls, project).result()


def engine_decide(policy_paths: Sequence[str], calls: Sequence[Any], project: str | None = None) -> list[str]:
    """The engine's action per call (allow, deny, ask, watch, webhook;
    "error" for a line the harness rejected). Raises ``EngineRefused`` when
    the engine does not load the set."""
    return [str(r.get("action", "error")) for r in engine_decide_full(policy_paths, calls, project)]


def engine_loads(policy_paths: Sequence[str], project: str | None = None) -> tuple[bool, str]:
    """Whether the engine loads the set (and its error when it does not)."""
    try:
        engine_decide(policy_paths, [{"tool": "exec", "params": {"command": "true"}}], project)
        return True, ""
    except EngineRefused as exc:
        return False, str(exc)


def engine_fields(calls: Sequence[Any]) -> list[dict[str, Any]]:
    """What the engine extracts per call (command, path, url, domain, workdir)."""
    lines = [_line(c) for c in calls]
    proc = subprocess.run([oracle_binary(), "fields"], input="".join(ln + "\n" for ln in lines),
                          capture_output=True, text=True, encoding="utf-8", errors="replace")
    out = []
    for line in proc.stdout.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append({"error": line})
    return out
