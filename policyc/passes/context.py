"""State shared by the analysis passes of one run, and the work budget they
share (:mod:`policyc.analysis.budget`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional, TypeVar

from policyc.analysis.budget import Budget
from policyc.analysis.errors import BudgetExceeded
from policyc.checks import Check, check
from policyc.diagnostics.model import Diagnostic, Severity
from policyc.ir import Pattern, Policy, PolicySet, ProjectFile, Rule, Span

#: The checks this module reports (assembled by :mod:`policyc.checks`).
CHECKS = [
    Check("PC110", "analysis-budget", Severity.INFO,
          "A pattern or rule pair not analysed: it needs more work than the budget allows."),
]

#: Steps charged for every item a pass runs, whatever it does (so the mere
#: number of rule pairs counts against the budget).
ITEM_STEPS = 40

_T = TypeVar("_T")


def rule_name(policy: Policy, rule: Rule) -> str:
    """How messages name a rule: its dialect's name for it
    (:attr:`~policyc.ir.Rule.name`), else 1-based, with its policy."""
    return rule.name or f"rule {rule.index + 1} of `{policy.name}`"


def pattern_name(pattern: Pattern, width: int = 48) -> str:
    """How budget messages name a pattern: its source, cut after ``width``
    characters."""
    source = pattern.source if len(pattern.source) <= width else pattern.source[:width - 1] + "…"
    return f"pattern `{source}`"


@dataclass(frozen=True)
class Miss:
    """An item the budget stopped: ``scope`` as
    :attr:`policyc.analysis.budget.Item.exceeded`, the policy ``file`` it
    was charged to, where to report it, what it was (``subject``), which
    checks make no claim (``codes``) and why (``why``, may be empty)."""

    scope: str
    file: str
    span: Optional[Span]
    subject: str
    codes: tuple[str, ...]
    why: str = ""


@dataclass
class Context:
    """What the passes analyse, as IR: the merged ``policy_set``, the global
    tier alone (``global_set``, ``None`` without one) and the
    ``project_files``; and what passes learnt: ``dead`` holds ``(source file, policy
    name, rule index)`` of rules already reported as never deciding a call
    (disabled policy, expired, empty condition, duplicate, unreachable);
    ``budget`` is the run's work budget and ``misses`` the items it stopped."""

    policy_set: PolicySet
    global_set: PolicySet | None = None
    project_files: tuple[ProjectFile, ...] = ()
    dead: set[tuple[str, str, int]] = field(default_factory=set)
    budget: Budget = field(default_factory=Budget)
    misses: list[Miss] = field(default_factory=list)
    _stops: set[tuple] = field(default_factory=set, repr=False)

    def is_dead(self, policy: Policy, rule: Rule) -> bool:
        return not policy.enabled or (policy.source, policy.name, rule.index) in self.dead

    def kill(self, policy: Policy, rule: Rule) -> None:
        self.dead.add((policy.source, policy.name, rule.index))

    def skipped(self, file: str, span: Optional[Span], subject: str, codes: tuple[str, ...]) -> bool:
        """Whether no more item of ``file`` may run (its file budget, the
        run's budget or the deadline is spent); if so, records a
        :class:`Miss` for ``subject`` (once per file, scope and codes). Loops
        call it to stop early instead of trying each item."""
        scope = self.budget.exhausted(file)
        if scope is None:
            return False
        self._record(Miss(scope, file, span, subject, codes))
        return True

    def _record(self, miss: Miss) -> None:
        if miss.scope != "item":
            key = (miss.file, miss.scope, miss.codes)
            if key in self._stops:
                return
            self._stops.add(key)
        self.misses.append(miss)

    def attempt(self, file: str, span: Optional[Span], subject: str, codes: tuple[str, ...],
                fn: Callable[..., _T], *args: Any, default: Any = None) -> _T:
        """``fn(*args)`` run as one budget item charged to ``file``. When the
        budget stops it (or is already spent), a :class:`Miss` is recorded
        and ``default`` returned; a result ``fn`` produced although the item
        ran out (it swallowed the exception as ``Unsupported``) is kept, as
        every claim the analysis makes is proven."""
        scope = self.budget.exhausted(file)
        result, why = default, ""
        if scope is None:
            with self.budget.item(file) as item:
                try:
                    item.charge(ITEM_STEPS)
                    result = fn(*args)
                except BudgetExceeded:
                    result = default
            scope, why = item.exceeded, item.why
        if scope is not None:
            self._record(Miss(scope, file, span, subject, codes, why))
        return result


def _codes(codes: list[str]) -> str:
    """``PC101 makes`` / ``PC102, PC103 and PC104 make``."""
    ordered = sorted(set(codes))
    if len(ordered) == 1:
        return f"{ordered[0]} makes"
    return ", ".join(ordered[:-1]) + " and " + ordered[-1] + " make"


def budget_diagnostics(ctx: Context) -> list[Diagnostic]:
    """PC110 for what the budget stopped: one diagnostic per place of items
    that ran past their own limit (their subjects and checks merged), and
    one per file and scope for items stopped by a spent file or run budget
    or the deadline (at the first such item). Order: first occurrence."""
    limits = ctx.budget.limits
    groups: dict[tuple, list[Miss]] = {}
    for miss in ctx.misses:
        key = ("item", miss.span) if miss.scope == "item" else (miss.scope, miss.file)
        groups.setdefault(key, []).append(miss)
    out = []
    for (scope, _), misses in groups.items():
        first = misses[0]
        codes = _codes([c for m in misses for c in m.codes])
        if scope == "item":
            subjects = ", ".join(dict.fromkeys(m.subject for m in misses))
            why = next((m.why for m in misses if m.why),
                       f"it needs more than the per-check budget of {limits.item_steps:,} steps")
            out.append(check("PC110").at(
                first.span, f"not analysed: budget: {subjects}: {why}; {codes} no claim about it",
                label="not analysed", budget_scope=scope,
                help="simplify the patterns involved (shorter, fewer `*`, `?` and classes), or raise `item-steps` in "
                     "the `[budget]` configuration (docs/configuration.md)"))
            continue
        what = {"file": f"the per-file budget of {limits.file_steps:,} steps ran out",
                "run": f"the per-run budget of {limits.run_steps:,} steps ran out",
                "deadline": f"the run's time limit of {limits.seconds:g} s passed"}[scope]
        key = {"file": "`file-steps`", "run": "`run-steps`", "deadline": "`seconds`"}[scope]
        out.append(check("PC110").at(
            first.span, f"not analysed: budget: {what}; from {first.subject} on, the rest of this file's "
            f"analysis was skipped, so {codes} no claim about it", label="analysis stopped here",
            budget_scope=scope,
            help=f"split the work (fewer policies per file, fewer files per run), or raise {key} in the "
                 "`[budget]` configuration (docs/configuration.md)"))
    return out
