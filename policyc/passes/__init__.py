"""Analysis passes over a loaded policy set, in one ordered list.

Each :class:`Pass` has a name and a function from the shared
:class:`~policyc.passes.context.Context` to diagnostics; :func:`run_passes`
runs :data:`PASSES` in order and times each one (like OPA's compiler
stages), so ``policyc check --timings`` can print where the time goes. Later
passes read what earlier ones found (``Context.dead``: rules already
reported as never firing), so one mistake is reported once.

All passes share one work budget (:class:`policyc.analysis.budget.Budget`,
limits from :func:`run_passes`' ``limits``, which ``policyc check`` takes
from the configuration's ``[budget]``); the
last stage, ``analysis-budget``, reports PC110 for what the budget stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from policyc.analysis.budget import DEFAULT_LIMITS, Budget, Limits
from policyc.diagnostics.model import Diagnostic
from policyc.diagnostics.progress import progress
from policyc.loader import LoadedSet

from . import deny_conflicts, empty_conditions, pattern_hygiene, policy_state, reachability, tool_scope
from .context import Context, budget_diagnostics
from .project_tier import check_project_tier


@dataclass(frozen=True)
class Pass:
    """A named analysis stage."""

    name: str
    run: Callable[[Context], list[Diagnostic]]


@dataclass(frozen=True)
class Timing:
    """How long one pass took (``seconds``, wall clock) and what it found."""

    name: str
    seconds: float
    findings: int


PASSES: list[Pass] = [
    Pass("policy-state", policy_state.check_policy_state),
    Pass("tool-scope", tool_scope.check_tool_scope),
    Pass("pattern-hygiene", pattern_hygiene.check_pattern_hygiene),
    Pass("empty-conditions", empty_conditions.check_empty_conditions),
    Pass("reachability", reachability.check_reachability),
    Pass("deny-conflicts", deny_conflicts.check_deny_conflicts),
    Pass("project-tier", check_project_tier),
    Pass("analysis-budget", budget_diagnostics),
]


def context_of(loaded: LoadedSet, budget: Budget | None = None) -> Context:
    """The passes' :class:`~.context.Context` of a loaded set: its IR (the
    merged set, the global tier alone, the project files); the passes never
    see the loader's result."""
    return Context(loaded.policy_set, loaded.global_set, loaded.project_files, budget=budget or Budget())


def run_passes(loaded: LoadedSet, *, timings: list[Timing] | None = None,
               fmt: str | None = None, limits: Limits | None = None) -> list[Diagnostic]:
    """Every pass of :data:`PASSES` over ``loaded`` (files with load errors
    contribute no policies, as in the engine); appends one :class:`Timing`
    per pass to ``timings`` when given. With ``fmt`` (the output format), a
    progress bar runs on a terminal's stderr for text output
    (:func:`policyc.diagnostics.progress.progress`). ``limits`` bound the
    work (default :data:`~policyc.analysis.budget.DEFAULT_LIMITS`); the
    budget's deadline starts now. Returns the diagnostics in pass order."""
    ctx = context_of(loaded, Budget(limits or DEFAULT_LIMITS))
    out: list[Diagnostic] = []
    for stage in PASSES if fmt is None else progress(PASSES, "analysing policies", fmt=fmt):
        start = time.perf_counter()
        found = stage.run(ctx)
        if timings is not None:
            timings.append(Timing(stage.name, time.perf_counter() - start, len(found)))
        out.extend(found)
    return out
