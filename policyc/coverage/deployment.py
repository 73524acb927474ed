"""Deployment artifacts given with ``--deployment`` and the checks on them.

An artifact's kind is recognised from its name and content:

- ``toolrampart``: a ``*.toml`` file (ToolRampart's ``toolrampart.toml``);
- ``systemd``: a unit file (has a ``[Service]``, ``[Unit]`` or ``[Timer]`` section);
- ``sudoers``: a file named ``*sudoers*`` or holding sudo rules (``ALL=(...)``);
- ``crontab``: a file named ``*cron*`` or whose lines are cron entries;
- ``env``: only ``NAME=value`` lines (an environment file);
- ``script``: anything else (a start script, a compose command), searched for
  ``rampart serve`` and ``rampart audit verify`` command lines.

Each check in ``CHECKS`` gives a :class:`~policyc.coverage.model.Verdict`:
``ok`` None when no given artifact can settle it (the item then needs
evidence, never covered), else True/False with the artifact line as evidence.
Reading an artifact raises ``OSError``; a malformed TOML file raises
:class:`ArtifactError` (``path:line:col: message``).
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import Verdict

_CRON_LINE = re.compile(r"^(@\w+|(\S+\s+){4}\S+)\s+\S")
_ENV_LINE = re.compile(r"^(export\s+)?[A-Za-z_][A-Za-z0-9_]*=")
_SUDO_RULE = re.compile(r"=\s*\(")
_ROOT = {"root", "0"}
_HOME_DIRS = ("/home/", "/root", "~", "$HOME", "/tmp", "/var/tmp", "/Users/")


class ArtifactError(ValueError):
    """A deployment artifact cannot be read; the message starts with ``path:line:col:``."""


@dataclass(frozen=True)
class Line:
    """A logical line of an artifact (continuations joined) and where it starts."""

    path: str
    number: int
    text: str

    def evidence(self, check: str, ok: bool, detail: str) -> dict[str, Any]:
        return {"kind": "deployment", "check": check, "ok": ok, "detail": detail,
                "artifact": self.path, "line": self.number, "text": self.text}


@dataclass
class Unit:
    """A systemd unit: its ``[Service]`` settings (key -> lines, in order)."""

    path: str
    service: dict[str, list[Line]] = field(default_factory=dict)

    def last(self, key: str) -> Line | None:
        values = self.service.get(key)
        return values[-1] if values else None

    @property
    def exec_lines(self) -> list[Line]:
        return [ln for ln in self.service.get("ExecStart", []) if ln.text]

    @property
    def runs_rampart(self) -> bool:
        return any(serve_args(ln.text) is not None for ln in self.exec_lines)


@dataclass
class Artifacts:
    """Every artifact given, read and sorted by kind."""

    kinds: dict[str, str] = field(default_factory=dict)  # path -> kind
    units: list[Unit] = field(default_factory=list)
    command_lines: list[Line] = field(default_factory=list)  # every command-bearing line
    env: list[tuple[Line, str, str]] = field(default_factory=list)
    sudo_rules: list[Line] = field(default_factory=list)
    toolrampart: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def has(self, *kinds: str) -> bool:
        return any(k in kinds for k in self.kinds.values())


# ----------------------------------------------------------------- reading


def _logical_lines(path: str, text: str) -> list[Line]:
    out: list[Line] = []
    buf: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not buf:
            start = number
        stripped = raw.strip()
        if stripped.endswith("\\"):
            buf.append(stripped[:-1].strip())
            continue
        buf.append(stripped)
        joined = " ".join(part for part in buf if part)
        buf = []
        if joined and not joined.startswith(("#", ";")):
            out.append(Line(path, start, joined))
    if buf:
        out.append(Line(path, start, " ".join(buf)))
    return out


def detect_kind(path: str, text: str) -> str:
    """The kind of an artifact (see the module docstring)."""
    name = Path(path).name.lower()
    lines = _logical_lines(path, text)
    if name.endswith(".toml"):
        return "toolrampart"
    if any(ln.text in ("[Service]", "[Unit]", "[Timer]") for ln in lines):
        return "systemd"
    if "sudoers" in name or (lines and any(_SUDO_RULE.search(ln.text) and "ALL" in ln.text for ln in lines)):
        return "sudoers"
    if "cron" in name or (lines and all(_CRON_LINE.match(ln.text) or _ENV_LINE.match(ln.text) for ln in lines)
                          and any(not _ENV_LINE.match(ln.text) for ln in lines)):
        return "crontab"
    if lines and all(_ENV_LINE.match(ln.text) for ln in lines):
        return "env"
    return "script"


def _env_pairs(line: Line, text: str) -> list[tuple[Line, str, str]]:
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    return [(line, *w.removeprefix("export ").split("=", 1)) for w in words if "=" in w]


def _read_unit(path: str, lines: list[Line], arts: Artifacts) -> None:
    unit = Unit(path)
    section = ""
    for ln in lines:
        if ln.text.startswith("[") and ln.text.endswith("]"):
            section = ln.text[1:-1]
            continue
        key, _, value = ln.text.partition("=")
        key, value = key.strip(), value.strip()
        if section != "Service" or not key:
            continue
        if key == "ExecStart" and not value:  # an empty assignment resets the list (drop-ins)
            unit.service[key] = []
            continue
        entry = Line(ln.path, ln.number, value.lstrip("-@:+!") if key.startswith("Exec") else value)
        unit.service.setdefault(key, []).append(entry)
        if key == "Environment":
            arts.env.extend(_env_pairs(entry, value))
        if key.startswith("Exec"):
            arts.command_lines.append(entry)
    arts.units.append(unit)


def _read_toml(path: str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{match.group(1)}:{match.group(2)}" if match else "1:1"
        raise ArtifactError(f"{path}:{where}: invalid TOML: {str(exc).split(' (at')[0]}") from None


def read_artifacts(paths: list[str]) -> Artifacts:
    """Read and classify every artifact. Raises ``OSError`` or :class:`ArtifactError`."""
    arts = Artifacts()
    for path in paths:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        kind = detect_kind(path, text)
        arts.kinds[path] = kind
        lines = _logical_lines(path, text)
        if kind == "toolrampart":
            arts.toolrampart.append((path, _read_toml(path, text)))
        elif kind == "systemd":
            _read_unit(path, lines, arts)
        elif kind == "sudoers":
            arts.sudo_rules.extend(ln for ln in lines if _SUDO_RULE.search(ln.text))
        elif kind == "env":
            for ln in lines:
                arts.env.extend(_env_pairs(ln, ln.text))
        else:
            arts.command_lines.extend(lines)
            for ln in lines:
                if _ENV_LINE.match(ln.text):
                    arts.env.extend(_env_pairs(ln, ln.text))
    return arts


def serve_args(command: str) -> list[str] | None:
    """The arguments after ``rampart serve`` in a command line, or None when
    the line does not run ``rampart serve``."""
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        words = command.split()
    for i, word in enumerate(words[:-1]):
        if Path(word).name == "rampart" and words[i + 1] == "serve":
            return words[i + 2:]
    return None


def _flag(args: list[str], name: str) -> str | None:
    """The value of ``--name`` (``--name V`` or ``--name=V``); ``""`` for a bare flag."""
    for i, arg in enumerate(args):
        if arg == name:
            nxt = args[i + 1] if i + 1 < len(args) else ""
            return "" if nxt.startswith("-") else nxt
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


# ------------------------------------------------------------------- checks


def _absent(check: str, needs: str) -> Verdict:
    return Verdict(None, {"kind": "deployment", "check": check, "ok": None,
                          "detail": f"no artifact given can settle this; needs {needs}"},
                   f"{check}: needs {needs}")


def _result(check: str, line: Line, ok: bool, detail: str) -> Verdict:
    return Verdict(ok, line.evidence(check, ok, detail), "" if ok else f"{check}: {detail} ({line.path}:{line.number})")


def _serve_lines(arts: Artifacts) -> list[tuple[Line, list[str]]]:
    return [(ln, args) for ln in arts.command_lines if (args := serve_args(ln.text)) is not None]


def _user_check(check: str, units: list[Unit], what: str) -> Verdict | None:
    for unit in units:
        user = unit.last("User")
        if user is None:
            exec_line = unit.exec_lines[0] if unit.exec_lines else Line(unit.path, 1, "")
            return _result(check, exec_line, False, f"{what} has no User= (systemd runs it as root)")
        if user.text in _ROOT:
            return _result(check, user, False, f"{what} runs as root")
    if units:
        user = units[0].last("User")
        assert user is not None
        return _result(check, user, True, f"{what} runs as `{user.text}`")
    return None


def rampart_service_user(arts: Artifacts) -> Verdict:
    units = [u for u in arts.units if u.runs_rampart]
    verdict = _user_check("rampart-service-user", units, "the rampart serve unit")
    if verdict is not None and verdict.ok:
        rampart_user = units[0].last("User")
        agents = [u for u in arts.units if not u.runs_rampart and u.last("User")]
        same = [u for u in agents if u.last("User").text == rampart_user.text]  # type: ignore[union-attr]
        if same:
            line = same[0].last("User")
            assert line is not None
            return _result("rampart-service-user", line, False,
                           f"the agent unit runs as the same user `{line.text}` as rampart")
    return verdict or _absent("rampart-service-user", "the systemd unit that runs `rampart serve` (User=)")


def agent_non_root(arts: Artifacts) -> Verdict:
    units = [u for u in arts.units if not u.runs_rampart and u.exec_lines]
    return _user_check("agent-non-root", units, "the agent unit") or _absent(
        "agent-non-root", "the agent's systemd unit (User=)")


def restart_always(arts: Artifacts) -> Verdict:
    for unit in (u for u in arts.units if u.runs_rampart):
        restart = unit.last("Restart")
        if restart is None:
            return _result("restart-always", unit.exec_lines[0], False, "the rampart unit has no Restart=")
        return _result("restart-always", restart, restart.text == "always", f"Restart={restart.text}")
    return _absent("restart-always", "the systemd unit that runs `rampart serve` (Restart=always)")


def service_supervised(arts: Artifacts) -> Verdict:
    for unit in (u for u in arts.units if u.runs_rampart):
        return _result("service-supervised", unit.exec_lines[0], True, "systemd supervises `rampart serve`")
    return _absent("service-supervised", "the service manager unit that runs `rampart serve`")


def siem_export(arts: Artifacts) -> Verdict:
    serves = _serve_lines(arts)
    for line, args in serves:
        if _flag(args, "--syslog") is not None or _flag(args, "--cef") is not None:
            return _result("siem-export", line, True, "rampart serve exports to a SIEM (--syslog/--cef)")
    if serves:
        return _result("siem-export", serves[0][0], False, "rampart serve has neither --syslog nor --cef")
    return _absent("siem-export", "the `rampart serve` command line")


def audit_dir_protected(arts: Artifacts) -> Verdict:
    serves = _serve_lines(arts)
    for line, args in serves:
        directory = _flag(args, "--audit-dir")
        if directory:
            ok = not directory.startswith(_HOME_DIRS)
            detail = (f"--audit-dir {directory}" + ("" if ok else " is in a home or temporary directory "
                                                                  "the agent can reach"))
            return _result("audit-dir-protected", line, ok, detail)
    if serves:
        return _result("audit-dir-protected", serves[0][0], False,
                       "rampart serve has no --audit-dir (audit stays in the agent user's home)")
    return _absent("audit-dir-protected", "the `rampart serve` command line with --audit-dir")


def audit_verify_scheduled(arts: Artifacts) -> Verdict:
    for line in arts.command_lines:
        if re.search(r"\brampart\s+audit\s+verify\b", line.text):
            return _result("audit-verify-scheduled", line, True, "`rampart audit verify` is scheduled")
    if arts.has("crontab") or any(u.path.endswith(".timer") for u in arts.units):
        path = next(p for p, k in arts.kinds.items() if k in ("crontab", "systemd"))
        return _result("audit-verify-scheduled", Line(path, 1, ""), False,
                       "no scheduled `rampart audit verify` in the crontab/timer given")
    return _absent("audit-verify-scheduled", "the crontab or systemd timer running `rampart audit verify`")


def no_project_policy_env(arts: Artifacts) -> Verdict:
    for line, name, value in arts.env:
        if name == "RAMPART_NO_PROJECT_POLICY":
            return _result("no-project-policy-env", line, value == "1", f"RAMPART_NO_PROJECT_POLICY={value}")
    if arts.units or arts.has("env"):
        path = next(p for p, k in arts.kinds.items() if k in ("systemd", "env"))
        return _result("no-project-policy-env", Line(path, 1, ""), False,
                       "RAMPART_NO_PROJECT_POLICY=1 is not set in the environment given")
    return _absent("no-project-policy-env", "the service or CI environment (systemd unit or env file)")


def sudo_restricted(arts: Artifacts) -> Verdict:
    for line in arts.sudo_rules:
        commands = line.text.split(")", 1)[-1].replace("NOPASSWD:", "").replace("PASSWD:", "")
        if any(c.strip() == "ALL" for c in commands.split(",")):
            return _result("sudo-restricted", line, False, "a sudo rule grants ALL commands")
    if arts.sudo_rules:
        return _result("sudo-restricted", arts.sudo_rules[0], True, "sudo rules name specific commands")
    return _absent("sudo-restricted", "the agent's sudoers file")


def _toml_check(check: str, needs: str, test: Callable[[dict[str, Any]], tuple[bool, str]]) -> Callable[
        [Artifacts], Verdict]:
    def verify(arts: Artifacts) -> Verdict:
        for path, config in arts.toolrampart:
            ok, detail = test(config)
            return _result(check, Line(path, 1, ""), ok, detail)
        return _absent(check, needs)

    return verify


def _section(config: dict[str, Any], name: str) -> dict[str, Any]:
    value = config.get(name)
    return value if isinstance(value, dict) else {}


def _auth_required(c: dict[str, Any]) -> tuple[bool, str]:
    return _section(c, "auth").get("required") is True, f"[auth] required = {_section(c, 'auth').get('required')}"


def _no_plaintext(c: dict[str, Any]) -> tuple[bool, str]:
    keys = _section(_section(c, "auth"), "api_keys")
    return not keys, f"{len(keys)} plaintext key(s) in [auth.api_keys]" if keys else "no plaintext API keys"


def _durable(c: dict[str, Any]) -> tuple[bool, str]:
    url = str(_section(c, "storage").get("storage_url", ""))
    return url.startswith(("postgres://", "postgresql://", "postgresql+")), f"[storage] storage_url = {url!r}"


def _redis(c: dict[str, Any]) -> tuple[bool, str]:
    url = _section(c, "storage").get("redis_url")
    return bool(url), f"[storage] redis_url = {url!r}"


def _retention(c: dict[str, Any]) -> tuple[bool, str]:
    days = _section(c, "storage").get("retention_days")
    return isinstance(days, int) and days > 0, (f"[storage] retention_days = {days!r} (declared; ToolRampart "
                                                "0.2.0's runtime never reads it: only a prune job enforces it)")


def _timeout(c: dict[str, Any]) -> tuple[bool, str]:
    t = _section(c, "execution").get("timeout_seconds")
    return isinstance(t, (int, float)) and 0 < t <= 30, f"[execution] timeout_seconds = {t!r} (at most 30)"


def _retries(c: dict[str, Any]) -> tuple[bool, str]:
    n = _section(c, "execution").get("max_retries")
    return isinstance(n, int) and 0 <= n <= 2, f"[execution] max_retries = {n!r} (at most 2)"


def _telemetry(c: dict[str, Any]) -> tuple[bool, str]:
    on = _section(c, "telemetry").get("enabled")
    return on is True, f"[telemetry] enabled = {on!r}"


_TOML = "toolrampart.toml"

CHECKS: dict[str, Callable[[Artifacts], Verdict]] = {
    "rampart-service-user": rampart_service_user,
    "agent-non-root": agent_non_root,
    "restart-always": restart_always,
    "service-supervised": service_supervised,
    "siem-export": siem_export,
    "audit-dir-protected": audit_dir_protected,
    "audit-verify-scheduled": audit_verify_scheduled,
    "no-project-policy-env": no_project_policy_env,
    "sudo-restricted": sudo_restricted,
    "toolrampart-auth-required": _toml_check("toolrampart-auth-required", _TOML, _auth_required),
    "toolrampart-no-plaintext-keys": _toml_check("toolrampart-no-plaintext-keys", _TOML, _no_plaintext),
    "toolrampart-durable-storage": _toml_check("toolrampart-durable-storage", _TOML, _durable),
    "toolrampart-redis-rate-limits": _toml_check("toolrampart-redis-rate-limits", _TOML, _redis),
    "toolrampart-retention": _toml_check("toolrampart-retention", _TOML, _retention),
    "toolrampart-short-timeout": _toml_check("toolrampart-short-timeout", _TOML, _timeout),
    "toolrampart-low-retries": _toml_check("toolrampart-low-retries", _TOML, _retries),
    "toolrampart-telemetry": _toml_check("toolrampart-telemetry", _TOML, _telemetry),
}
