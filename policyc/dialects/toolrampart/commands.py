"""What ``policyc compile``, ``eval``, ``diff``, ``test`` and ``coverage`` ask of the ToolRampart dialect.

The members :mod:`policyc.dialects.registry` documents for a ``commands``
module:

* :func:`load` -- tool modules and configs (a :class:`~.loader.LoadResult`;
  ``files`` are the modules and configs read);
* :func:`compile_bundle` -- the bundle bytes (``docs/bundle-format.md`` §9);
* :func:`reference` -- a decider by the reference evaluator giving the JSON
  the bundle runtime gives (``ToolRampartDecision.to_json()``). Like one
  runtime process, it keeps the rate-limit counters across the calls it
  decides, as the bundle runtime does;
* :func:`diff` and :func:`side` -- ``policyc diff`` and how it names one side;
* :data:`EXPECT` and :func:`outcome` -- a suite case expects a ToolRampart
  status (``success``, ``denied``, ``requires_approval``, ``rate_limited``,
  ``validation_error``...) and is compared with the decision's ``status``;
* :func:`coverage` -- seed 004's checklist from the sources and configs;
* :func:`summary` -- "N tools", for messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from policyc.dialects.toolrampart import NAME
from policyc.dialects.toolrampart.evaluate import STATUSES
from policyc.dialects.toolrampart.loader import LoadResult
from policyc.sources import file_bytes

__all__ = ["NAME", "EXPECT", "load", "compile_bundle", "reference", "diff", "side", "outcome", "coverage",
           "summary"]

#: What a suite case may expect: ToolRampart's statuses (``unknown``: policyc cannot decide it statically).
EXPECT = STATUSES


def load(paths: list[str]) -> LoadResult:
    """The tool modules and configs ``paths`` name (directories walked). Never raises."""
    from policyc.dialects.toolrampart import load_paths

    return load_paths(paths)


def compile_bundle(result: LoadResult) -> bytes:
    """The bundle of ``result`` (which must be ``ok``), its manifest naming
    each module and config with its bytes. Raises ``OSError``, ``CompileError``."""
    from policyc.dialects.toolrampart.codegen import compile_toolrampart

    return compile_toolrampart(result, file_bytes(result.files))


def reference(result: LoadResult) -> Callable[[Any], dict[str, Any]]:
    """A function from a decoded JSON call to the reference evaluator's
    decision JSON, one :class:`~.evaluate.Session` for all the calls it
    decides. Never raises."""
    from policyc.dialects.toolrampart.evaluate import Session
    from policyc.dialects.toolrampart.runtime import ToolRampartDecision

    session = Session(result)
    return lambda call: ToolRampartDecision.of(session.decide(call)).to_json()


def diff(old: LoadResult, new: LoadResult) -> Any:
    """``policyc diff`` of two loaded sets: a :class:`policyc.diff.Diff` (:mod:`.diff`)."""
    from policyc.dialects.toolrampart.diff import diff_results

    return diff_results(old, new)


def side(decision: Any) -> tuple[str, str]:
    """A diff side (:class:`.diff.Decision`): its status and the runtime's
    message, else policyc's reason."""
    return decision.action, decision.outcome.message or decision.outcome.reason


def outcome(decision: dict[str, Any]) -> str:
    """The value a suite case's ``expect`` is compared with: the decision's ``status``."""
    return decision["status"]


def coverage(result: LoadResult, *, checklists: list[str] | None, deployments: list[str]) -> Any:
    """The coverage report (:class:`policyc.coverage.model.Report`) of seed
    004's checklist read from the sources and configs (:mod:`.coverage`)."""
    from policyc.dialects.toolrampart.coverage import build_report

    return build_report(result, checklists=checklists, deployments=deployments)


def summary(result: LoadResult) -> str:
    """``N tools``."""
    return f"{len(result.tools)} tools"
