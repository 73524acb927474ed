"""The ToolRampart dialect: Python tool modules and ``toolrampart.toml``, read statically.

ToolRampart (0.2.0, MIT) guards Python tool functions with decorators
(``@tool``, ``@scope``, ``@require_approval``, ``@rate_limit``,
``@side_effects``, ``@timeout``, ``@max_retries``, ``@isolated_process``,
``@redact``, ``@policy``) and a service config (see
``../shared/spec/other-dialects.md`` §B). This package re-implements the
semantics of its ``core.py``, ``policies.py``, ``config.py``, ``auth.py``
and ``app.py``, never their code, and never imports or runs a tool module:

=============  =============================================================
module         what it does
=============  =============================================================
model          frozen dataclasses: Value, Decorator, Function, Tool,
               ServiceConfig, Call
source         a tool module read with ``ast`` (decorators, signature, spans)
registration   what importing the module registers (``@tool`` semantics)
ratelimit      ``parse_rate_limit`` and rate-limit buckets
fields         annotations and pydantic's lax validation of arguments
tomlpos        key positions in TOML text
config         ``toolrampart.toml``: ``tomllib``, ``schema.json``, ``jsonschema``
loader         files and directories to a :class:`~.loader.LoadResult`
evaluate       the reference evaluator (``ToolRampart.execute``'s gates)
rest           the REST layer: the call a request makes (``auth.py``, ``app.py``)
codes          the PC6xx checks; checks, config_checks: their analyses
codegen        the bundle writer (``docs/bundle-format.md`` §9)
runtime        ``ToolRampartBundle`` (``BUNDLE``): a bundle decided
diff           ``policyc diff`` of two sets of tools
commands       what compile, eval, diff, test and coverage ask of the dialect
coverage       seed 004's checklist from the sources (``coverage.yaml``)
=============  =============================================================

Public API (imports are lazy, so that ``policyc.checks`` can import
:mod:`.codes` while it is itself being imported):

* ``NAME`` -- ``"toolrampart"``;
* :func:`claims` -- ``False``: ToolRampart files are not YAML (for the
  registry's YAML dispatch); :func:`owns` tells its files by name;
* :func:`load_paths` -- tool modules (``.py``) and configs
  (``toolrampart.toml``), directories walked (:class:`~.loader.LoadResult`);
* :func:`check_paths` -- load diagnostics (PC601-PC605) and every check;
* :func:`decide` -- decide one call (:class:`~.evaluate.Outcome`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from policyc.diagnostics.model import Diagnostic
    from policyc.dialects.toolrampart.evaluate import Outcome
    from policyc.dialects.toolrampart.loader import LoadResult

__all__ = ["NAME", "claims", "owns", "discovers", "load_paths", "check_paths", "decide"]

NAME = "toolrampart"


def claims(keys: Any) -> bool:
    """``False`` for every YAML document: the registry's YAML dispatch never
    hands ToolRampart a file (its files are Python modules and TOML)."""
    return False


def owns(path: str) -> bool:
    """Whether the file at ``path`` is one this dialect reads by its name: a
    ``.py`` tool module or a ``toolrampart.toml`` / ``toolrampart.*.toml``."""
    import os

    # `loader.is_config_name`, without importing the loader (and jsonschema)
    # for every file a command is given.
    name = os.path.basename(path)
    return name.endswith(".py") or name == "toolrampart.toml" or (
        name.startswith("toolrampart.") and name.endswith(".toml"))


def discovers(path: str) -> bool:
    """Whether a file met in a directory is this dialect's: a config by its
    name (:func:`owns`), or a ``.py`` module whose first 64 KiB mention
    ``toolrampart`` (a directory of other Python code is left alone)."""
    import os

    if not owns(path):
        return False
    if not os.path.basename(path).endswith(".py"):
        return True
    try:
        with open(path, "rb") as handle:
            return b"toolrampart" in handle.read(1 << 16)
    except OSError:
        return False


def load_paths(paths: list[str]) -> LoadResult:
    """Load tool modules and ``toolrampart.toml`` configs from files and
    directories (see :mod:`.loader`). Never raises: problems are diagnostics."""
    from policyc.dialects.toolrampart.loader import load_paths as load

    return load(list(paths))


def check_paths(paths: list[str]) -> list[Diagnostic]:
    """Every diagnostic for ``paths``: load problems (PC601-PC605) and every
    check (PC606-PC626), sorted by file, line and column."""
    from policyc.diagnostics.model import Diagnostic
    from policyc.dialects.toolrampart.checks import run_checks

    result = load_paths(paths)
    found = list(result.diagnostics) + run_checks(result)
    found.sort(key=Diagnostic.sort_key)
    return found


def decide(result: LoadResult, call: Any) -> Outcome:
    """Decide ``call`` (``{"tool", "arguments", "actor", "scopes",
    "approved"}``, optionally ``"metadata"`` and ``"history"``, or a
    :class:`~.model.Call`) as ToolRampart's ``ToolRampart.execute`` would
    with the tools ``result`` holds. Never raises; see :mod:`.evaluate`."""
    from policyc.dialects.toolrampart.evaluate import decide as run

    return run(result, call)
