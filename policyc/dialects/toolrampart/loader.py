"""Load tool modules and ``toolrampart.toml`` files into one :class:`LoadResult`.

:func:`load_paths` takes files and directories. A directory is walked
(sorted, hidden directories, ``__pycache__`` and virtual environments
skipped) for ``*.py`` tool modules and for ``toolrampart.toml`` /
``toolrampart.*.toml`` configs; a file named explicitly is a config when it
ends in ``.toml`` and a tool module otherwise. Nothing is imported or run;
every problem is a diagnostic.

A *service* is the tools of one directory (what ``toolrampart serve
PACKAGE`` would import together) with the config found in that directory
or the nearest ancestor that has one (``toolrampart.toml`` preferred, the
name ``load_config`` reads by default).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from policyc.diagnostics.model import Diagnostic
from policyc.dialects.toolrampart.codes import CONFIG_SCHEMA, IMPORT_FAILS, UNREADABLE_CONFIG, UNREADABLE_MODULE
from policyc.dialects.toolrampart.config import CONFIG_NAME, read_config
from policyc.dialects.toolrampart.model import ServiceConfig, Tool
from policyc.dialects.toolrampart.registration import ModuleTools, register_module
from policyc.dialects.toolrampart.source import read_module

__all__ = ["LoadResult", "Service", "load_paths", "is_config_name", "LOAD_FAILURES"]

LOAD_FAILURES = frozenset(c.code for c in (UNREADABLE_MODULE, IMPORT_FAILS, UNREADABLE_CONFIG, CONFIG_SCHEMA))
"""The load diagnostics that stop ToolRampart: a module whose import raises
(PC601, PC602) or a config ``load_config`` refuses (PC603, PC604). An
unknown config key (PC605) is ignored by pydantic: the service still starts."""

_SKIP_DIRS = frozenset({"__pycache__", "node_modules", "venv", "site-packages"})


def is_config_name(name: str) -> bool:
    """``toolrampart.toml`` or ``toolrampart.<anything>.toml``."""
    return name == CONFIG_NAME or (name.startswith("toolrampart.") and name.endswith(".toml"))


@dataclass
class Service:
    """The tools of one directory and the config that applies to them."""

    directory: str
    modules: list[ModuleTools] = field(default_factory=list)
    config: ServiceConfig | None = None

    @property
    def tools(self) -> list[Tool]:
        return [t for m in self.modules for t in m.tools]


@dataclass
class LoadResult:
    """Every module (:class:`~.registration.ModuleTools`) and config read,
    and the load diagnostics (PC601-PC605)."""

    modules: list[ModuleTools] = field(default_factory=list)
    configs: list[ServiceConfig] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def tools(self) -> list[Tool]:
        return [t for m in self.modules for t in m.tools]

    @property
    def load_error(self) -> str | None:
        """The first load failure (:data:`LOAD_FAILURES`) as ``PATH:LINE:
        MESSAGE``, or ``None`` when ToolRampart would import every module and
        load every config."""
        failure = next((d for d in self.diagnostics if d.code in LOAD_FAILURES), None)
        if failure is None:
            return None
        where = f"{failure.span.path}:{failure.span.line}: " if failure.span is not None else ""
        return where + failure.message

    @property
    def files(self) -> list[str]:
        """The modules and configs read, in load order (a bundle manifest's sources)."""
        return [m.module.path for m in self.modules] + [c.path for c in self.configs]

    @property
    def ok(self) -> bool:
        """Whether ToolRampart would import every module and load every config."""
        return self.load_error is None

    def find(self, name: object) -> list[Tool]:
        """The tools registered under ``name`` (several only across registries)."""
        return [t for t in self.tools if t.name == name and type(t.name) is type(name)]

    def module_of(self, tool: Tool) -> ModuleTools | None:
        return next((m for m in self.modules if tool in m.tools), None)

    def config_for(self, path: str) -> ServiceConfig | None:
        """The config of the service the file at ``path`` belongs to."""
        directory = os.path.dirname(os.path.abspath(path))
        by_dir: dict[str, list[ServiceConfig]] = {}
        for config in self.configs:
            by_dir.setdefault(os.path.dirname(os.path.abspath(config.path)), []).append(config)
        while True:
            found = by_dir.get(directory)
            if found:
                preferred = [c for c in found if os.path.basename(c.path) == CONFIG_NAME]
                return (preferred or found)[0]
            parent = os.path.dirname(directory)
            if parent == directory:
                return None
            directory = parent

    def services(self) -> list[Service]:
        """The services, by directory, in load order."""
        out: dict[str, Service] = {}
        for module in self.modules:
            directory = os.path.dirname(os.path.abspath(module.module.path))
            service = out.setdefault(directory, Service(directory, config=self.config_for(module.module.path)))
            service.modules.append(module)
        return list(out.values())


def _walk(directory: str) -> list[str]:
    found: list[str] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        for name in sorted(files):
            if name.endswith(".py") or is_config_name(name):
                found.append(os.path.join(root, name))
    return found


def load_paths(paths: list[str]) -> LoadResult:
    """Load every tool module and config under ``paths`` (never raises)."""
    result = LoadResult()
    files: list[str] = []
    for path in paths:
        files.extend(_walk(path) if os.path.isdir(path) else [path])
    seen: set[str] = set()
    for path in files:
        key = os.path.abspath(path)
        if key in seen:
            continue
        seen.add(key)
        if path.endswith(".toml"):
            config, diagnostics = read_config(path)
            result.diagnostics.extend(diagnostics)
            if config is not None:
                result.configs.append(config)
        else:
            module = read_module(path)
            result.diagnostics.extend(module.diagnostics)
            tools = register_module(module)
            result.diagnostics.extend(tools.failures)
            result.modules.append(tools)
    return result
