"""What ``policyc compile``, ``eval``, ``diff``, ``test`` and ``coverage`` ask of the toolkit dialect.

The command line (:mod:`policyc.cli`) names no dialect: for files a
registered dialect claims it imports that dialect's ``commands`` module
and calls the members below (the protocol is in
:mod:`policyc.dialects.registry`).

* :func:`load` -- files and directories loaded as ``PolicyEngine.loadPolicies``
  loads them (a :class:`~.loader.LoadResult`: ``ok``, ``diagnostics``,
  ``files``);
* :func:`compile_bundle` -- the bundle bytes (``docs/bundle-format.md`` §8);
* :func:`reference` -- a decider by the reference evaluator, giving the JSON
  the bundle runtime gives (``ToolkitDecision.to_json()``);
* :func:`diff` and :func:`side` -- ``policyc diff`` and how it names one side;
* :data:`EXPECT` and :func:`outcome` -- what a suite case may expect and the
  value of a decision it is compared with (``allow``, ``deny``,
  ``escalate``, or ``error`` where the engine throws);
* :func:`coverage` -- seed 003's checklist from the policy files;
* :func:`summary` -- "N agent policies", for messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from policyc.dialects.openclaw import NAME
from policyc.dialects.openclaw.loader import LoadResult
from policyc.sources import file_bytes

__all__ = ["NAME", "EXPECT", "load", "compile_bundle", "reference", "diff", "side", "outcome", "coverage",
           "summary"]

#: What a suite case may expect: the engine's decisions, and ``error`` (it throws).
EXPECT = ("allow", "deny", "escalate", "error")


def load(paths: list[str]) -> LoadResult:
    """The policies ``paths`` name, loaded as the engine loads them. Never raises."""
    from policyc.dialects.openclaw import load_paths

    return load_paths(paths)


def compile_bundle(result: LoadResult) -> bytes:
    """The bundle of ``result`` (which must be ``ok``), its manifest naming
    each policy file with its bytes. Raises ``OSError``, ``CompileError``."""
    from policyc.dialects.openclaw.codegen import compile_openclaw

    return compile_openclaw(result, file_bytes(result.files))


def reference(result: LoadResult) -> Callable[[Any], dict[str, Any]]:
    """A function from a decoded JSON call to the reference evaluator's
    decision JSON (the bundle runtime's, ``ToolkitDecision.to_json()``). Never raises."""
    from policyc.dialects.openclaw import decide
    from policyc.dialects.openclaw.runtime import ToolkitDecision

    return lambda call: ToolkitDecision.of(decide(result, call)).to_json()


def diff(old: LoadResult, new: LoadResult) -> Any:
    """``policyc diff`` of two loaded sets: a :class:`policyc.diff.Diff` (:mod:`.diff`)."""
    from policyc.dialects.openclaw.diff import diff_results

    return diff_results(old, new)


def side(decision: Any) -> tuple[str, str]:
    """A diff side's action (``error`` where the engine throws) and the
    engine's reason or error, for the text output."""
    return decision.decision, decision.error or decision.message or ""


def outcome(decision: dict[str, Any]) -> str:
    """The value a suite case's ``expect`` is compared with: the decision
    JSON's ``action``, or ``error`` when the engine throws."""
    return "error" if "error" in decision else decision["action"]


def coverage(result: LoadResult, *, checklists: list[str] | None, deployments: list[str]) -> Any:
    """The coverage report (:class:`policyc.coverage.model.Report`) of seed
    003's checklist read from the policy files (:mod:`.coverage`)."""
    from policyc.dialects.openclaw.coverage import build_report

    return build_report(result, checklists=checklists, deployments=deployments)


def summary(result: LoadResult) -> str:
    """``N agent policies``."""
    return f"{len(result.policies)} agent policies"
