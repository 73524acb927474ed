"""Project configuration of ``policyc check``: per-check severity, per-path
ignores, the default ``--fail-on`` and the analysis work budget.

Read from ``policyc.toml`` (top-level keys) or the ``[tool.policyc]`` table of
``pyproject.toml``, found by walking up from the current directory; in one
directory ``policyc.toml`` wins, and a ``pyproject.toml`` without
``[tool.policyc]`` is passed over. Keys (see docs/configuration.md)::

    fail-on = "warning"                           # error | warning | info
    [severity]                                    # per check code
    PC023 = "off"                                 # error | warning | info | off
    [ignore]                                      # path glob -> check codes
    "policies/legacy/*.yaml" = ["PC007"]
    [budget]                                      # analysis work limits
    item-steps = 2_000_000                        # per pattern, rule or rule pair
    file-steps = 10_000_000                       # per policy file
    run-steps = 30_000_000                        # per run
    seconds = 30                                  # wall clock per run
    source-bytes = 2_097_152                      # policy source per run

Path globs are relative to the configuration file's directory and use the
path-glob dialect of ``path_matches`` (``*`` stays within one directory,
``**`` crosses directories). Any problem is a :class:`ConfigError` whose
message names the file and the key.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policyc.analysis.budget import DEFAULT_LIMITS, Limits
from policyc.checks import REGISTRY
from policyc.diagnostics.model import Diagnostic, Severity
from policyc.diagnostics.paths import relative_path
from policyc.patterns import match_path_glob

CONFIG_NAMES = ("policyc.toml", "pyproject.toml")
KEYS = ("fail-on", "severity", "ignore", "budget")
#: ``[budget]`` key -> :class:`~policyc.analysis.budget.Limits` field.
BUDGET_KEYS = {"item-steps": "item_steps", "file-steps": "file_steps", "run-steps": "run_steps",
               "seconds": "seconds", "source-bytes": "source_bytes"}
_LEVELS = {s.value: s for s in Severity}


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file
    (and line and column for TOML syntax errors) and the offending key."""


@dataclass(frozen=True)
class Config:
    """A project configuration. ``severity`` maps a check code to its new
    severity (``None``: the check is off); ``ignore`` pairs a path glob with
    the codes it silences; ``root`` is the directory globs are relative to;
    ``path`` is the file read (``None`` for the empty configuration);
    ``budget`` bounds the analysis work (:mod:`policyc.analysis.budget`)."""

    severity: dict[str, Severity | None] = field(default_factory=dict)
    ignore: tuple[tuple[str, frozenset[str]], ...] = ()
    fail_on: Severity | None = None
    budget: Limits = DEFAULT_LIMITS
    root: Path = field(default_factory=Path.cwd)
    path: Path | None = None

    def adjust(self, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
        """``diagnostics`` with configured severities applied and the ones
        turned off or ignored for their path removed (order kept)."""
        out = []
        for diag in diagnostics:
            severity = self.severity.get(diag.code, diag.severity)
            if severity is None or self._ignored(diag):
                continue
            out.append(diag if severity is diag.severity else dataclasses.replace(diag, severity=severity))
        return out

    def _ignored(self, diag: Diagnostic) -> bool:
        if not self.ignore or diag.span is None:
            return False
        relative = os.path.relpath(os.path.abspath(diag.span.path), self.root).replace(os.sep, "/")
        if relative.startswith("../"):
            return False
        return any(diag.code in codes and match_path_glob(glob, relative) for glob, codes in self.ignore)


def find_config(start: Path | None = None) -> Path | None:
    """The configuration file that applies in ``start`` (default: the current
    directory): the nearest directory upwards with ``policyc.toml`` or a
    ``pyproject.toml`` holding ``[tool.policyc]``; ``None`` if there is none.

    Raises :class:`ConfigError` for a ``pyproject.toml`` that is not TOML.
    """
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / "policyc.toml"
        if candidate.is_file():
            return candidate
        candidate = directory / "pyproject.toml"
        if candidate.is_file() and _mentions_policyc(candidate) and "policyc" in _parse(candidate).get("tool", {}):
            return candidate
    return None


def load_config(path: Path) -> Config:
    """Read and validate the configuration file at ``path`` (``policyc.toml``
    or a ``pyproject.toml``; any other name is read like ``policyc.toml``).

    Raises :class:`ConfigError` for unreadable files, TOML syntax errors,
    unknown keys, unknown check codes and bad values; ``OSError`` is mapped
    to :class:`ConfigError` too.
    """
    data = _parse(path)
    prefix = ""
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("policyc", {})
        prefix = "tool.policyc."
    where = _Where(path, prefix)
    if not isinstance(data, dict):
        raise where.error("", "must be a table")
    for key in data:
        if key not in KEYS:
            raise where.error(key, f"unknown key; expected one of {', '.join(KEYS)}")
    return Config(
        severity=_severities(data.get("severity", {}), where),
        ignore=_ignores(data.get("ignore", {}), where),
        fail_on=_fail_on(data.get("fail-on"), where),
        budget=_budget(data.get("budget", {}), where),
        root=path.resolve().parent,
        path=path,
    )


def resolve_config(explicit: str | None, *, disabled: bool = False) -> Config:
    """The configuration for a run: the file named by ``--config``, none with
    ``--no-config``, else the one :func:`find_config` finds (or the empty
    configuration). Raises :class:`ConfigError`."""
    if disabled:
        return Config()
    path = Path(explicit) if explicit else find_config()
    return load_config(path) if path else Config()


@dataclass(frozen=True)
class _Where:
    path: Path
    prefix: str

    def error(self, key: str, problem: str) -> ConfigError:
        name = f"{self.prefix}{key}".rstrip(".") or "(top level)"
        return ConfigError(f"{_shown(self.path)}: `{name}`: {problem}")


def _shown(path: Path) -> str:
    """``path`` as the user knows it: relative to the current directory when under it."""
    return relative_path(str(path)) or str(path)


def _mentions_policyc(path: Path) -> bool:
    """Cheap pre-check, so an unrelated broken ``pyproject.toml`` up the tree
    does not stop ``policyc check``."""
    try:
        return b"policyc" in path.read_bytes()
    except OSError:
        return False


def _parse(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"{_shown(path)}: cannot read configuration: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{_shown(path)}: not UTF-8: {exc.reason}") from exc
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"^(.*) \(at line (\d+), column (\d+)\)$", str(exc))
        if found:
            raise ConfigError(f"{_shown(path)}:{found[2]}:{found[3]}: invalid TOML: {found[1]}") from exc
        raise ConfigError(f"{_shown(path)}: invalid TOML: {exc}") from exc


def _table(value: Any, key: str, where: _Where) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise where.error(key, f"must be a table, not {type(value).__name__}")
    return value


def _code(code: str, key: str, where: _Where) -> str:
    if code not in REGISTRY:
        raise where.error(key, f"`{code}` is not a policyc check code (see docs/checks/README.md)")
    return code


def _severities(value: Any, where: _Where) -> dict[str, Severity | None]:
    out: dict[str, Severity | None] = {}
    for code, level in _table(value, "severity", where).items():
        key = f"severity.{code}"
        _code(code, key, where)
        if level == "off":
            out[code] = None
        elif isinstance(level, str) and level in _LEVELS:
            out[code] = _LEVELS[level]
        else:
            raise where.error(key, f"{level!r} is not a severity; expected error, warning, info or off")
    return out


def _ignores(value: Any, where: _Where) -> tuple[tuple[str, frozenset[str]], ...]:
    out = []
    for glob, codes in _table(value, "ignore", where).items():
        key = f'ignore."{glob}"'
        if glob.startswith(("/", "\\")) or ".." in glob.replace("\\", "/").split("/"):
            raise where.error(key, "must be relative to the configuration file's directory, without `..`")
        if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
            raise where.error(key, "must be a non-empty list of check codes, like [\"PC007\"]")
        out.append((glob.replace("\\", "/"), frozenset(_code(c, key, where) for c in codes)))
    return tuple(out)


def _fail_on(value: Any, where: _Where) -> Severity | None:
    if value is None:
        return None
    if isinstance(value, str) and value in _LEVELS:
        return _LEVELS[value]
    raise where.error("fail-on", f"{value!r} is not a severity; expected error, warning or info")


def _budget(value: Any, where: _Where) -> Limits:
    out = {}
    for key, number in _table(value, "budget", where).items():
        name = f"budget.{key}"
        if key not in BUDGET_KEYS:
            raise where.error(name, f"unknown key; expected one of {', '.join(BUDGET_KEYS)}")
        if key == "seconds":
            ok = isinstance(number, (int, float)) and not isinstance(number, bool) and 0 < number < float("inf")
            expected = "a positive number of seconds"
        else:
            ok = isinstance(number, int) and not isinstance(number, bool) and number > 0
            expected = "a positive integer (bytes)" if key == "source-bytes" else "a positive integer (steps)"
        if not ok:
            raise where.error(name, f"{number!r} is not {expected}")
        out[BUDGET_KEYS[key]] = number
    return dataclasses.replace(DEFAULT_LIMITS, **out)
