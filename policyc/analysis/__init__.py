"""Semantic analysis of policies: pattern languages as automata, sound
implication between conditions, and witness tool calls replayed with the
reference evaluator. Documented in ``docs/analysis.md``.

Public API:

* languages — :class:`Language`, :func:`pattern_language`,
  :func:`language_of` (a field predicate on one side), :func:`includes`,
  :func:`intersect`, :func:`union`, :func:`difference`, :func:`is_empty`,
  :func:`shortest_witness`, :exc:`Unsupported`;
* budgets — :class:`Budget`, :class:`Limits`, :exc:`BudgetExceeded` (a kind
  of ``Unsupported``; :mod:`policyc.analysis.budget`);
* proofs — :func:`condition_implies`, :func:`scope_includes`,
  :func:`condition_unsatisfiable`, :func:`request_view`;
* witnesses — :func:`witness_call`, :func:`replay`, :func:`fires`,
  :func:`decided_in`.
"""

from .automata import (
    ANYTHING, NOTHING, Language, Unsupported, concat, difference, includes, intersect, is_empty,
    shortest_witness, union,
)
from .budget import Budget, Limits
from .errors import BudgetExceeded
from .fields import FieldLanguage, language_of, pattern_language, pattern_subsumed, syntax
from .implication import condition_implies, condition_unsatisfiable, request_view, scope_includes
from .witness import decided_in, fires, replay, witness_call

__all__ = [
    "ANYTHING", "NOTHING", "Budget", "BudgetExceeded", "FieldLanguage", "Language", "Limits", "Unsupported",
    "concat", "condition_implies", "condition_unsatisfiable", "decided_in", "difference", "fires", "includes",
    "intersect", "is_empty", "language_of", "pattern_language", "pattern_subsumed", "replay", "request_view",
    "scope_includes", "shortest_witness", "syntax", "union", "witness_call",
]
