"""Why the analysis makes no claim about something.

:class:`Unsupported` is the general "no claim" signal: every caller that
catches it treats the question as unanswered (not proven, no finding).
:class:`BudgetExceeded` is the special case of a question that would need
more work than the active :class:`policyc.analysis.budget.Budget` allows;
it subclasses :class:`Unsupported`, so a caller that only knows about
``Unsupported`` stays sound, while the passes catch it first to report
PC110 analysis-budget.
"""

from __future__ import annotations


class Unsupported(ValueError):
    """The pattern's language is regular but not one we can build here."""


class BudgetExceeded(Unsupported):
    """The work budget ran out. ``scope`` names the limit that did it:
    ``"item"`` (one pattern or rule pair), ``"file"``, ``"run"`` (step
    limits) or ``"deadline"`` (the run's wall-clock limit)."""

    def __init__(self, scope: str, message: str):
        super().__init__(message)
        self.scope = scope
