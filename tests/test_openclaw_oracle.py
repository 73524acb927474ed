"""The OpenClaw toolkit's real engine as an oracle, for the openclaw tests.

``oracle_command()`` runs ``../shared/oracles/openclaw-toolkit/setup.sh``
once per test session (it installs js-yaml into the oracle's cache
directory and prints the command as its last line) and caches what it
printed; ``needs_oracle`` is the module-scoped fixture the differential
tests use: it skips, with the reason, when ``../shared`` is absent, ``node``
is not installed or the setup fails. ``run_oracle(policy_dir, calls)`` feeds
every call of one policy directory to one ``node`` process, as JSON lines.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import SHARED

ORACLE_DIR = SHARED / "oracles" / "openclaw-toolkit"

_SETUP: dict[str, Any] = {}


def oracle_command() -> list[str] | str:
    """The oracle's command as a list, or a string saying why there is none."""
    if "result" in _SETUP:
        return _SETUP["result"]
    _SETUP["result"] = _setup()
    return _SETUP["result"]


def _setup() -> list[str] | str:
    if not (ORACLE_DIR / "setup.sh").is_file():
        return f"{ORACLE_DIR}/setup.sh is absent (../shared is not beside the project)"
    if shutil.which("node") is None:
        return "node is not installed (the OpenClaw oracle runs the toolkit's JavaScript engine)"
    try:
        done = subprocess.run(["bash", str(ORACLE_DIR / "setup.sh")], capture_output=True,
                              text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"the OpenClaw oracle's setup.sh did not run: {exc}"
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines or not lines[-1].startswith("node "):
        return f"the OpenClaw oracle's setup.sh failed ({done.returncode}): {done.stderr.strip()[-300:]}"
    return lines[-1].split()


@pytest.fixture(scope="module")
def needs_oracle() -> list[str]:
    """The oracle command; skips the module's tests when it is unavailable."""
    command = oracle_command()
    if isinstance(command, str):
        pytest.skip(command)
    return command


def run_oracle(command: list[str], policy_dir: Path | str, calls: list[Any]) -> dict[str, Any]:
    """Decide ``calls`` with the real engine on ``policy_dir``:
    ``{"load_error": str}`` or ``{"outcomes": [one dict per call]}``."""
    stdin = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in calls)
    done = subprocess.run([*command, str(policy_dir)], input=stdin, capture_output=True,
                          text=True, timeout=120)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if done.returncode == 3 and lines and "load_error" in lines[0]:
        return {"load_error": lines[0]["load_error"]}
    assert done.returncode == 0, done.stderr
    assert len(lines) == len(calls), (len(lines), len(calls), done.stderr)
    return {"outcomes": lines}


def test_oracle_decides_a_shipped_policy(needs_oracle: list[str]) -> None:
    """Sanity: the oracle runs and agrees with the integration test's Test 4."""
    from .conftest import CORPORA

    got = run_oracle(needs_oracle, CORPORA / "openclaw-toolkit" / "policies",
                     [{"agent": "customer-service-agent", "action": "delete:customer_data"}])
    assert got == {"outcomes": [{"decision": "deny",
                                 "reason": "Action explicitly denied by policy rule: delete:*"}]}
