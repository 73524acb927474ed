"""Sound implication between conditions and scopes (spec §1, §3–§5).

``condition_implies(a, a_granting, b, b_granting)`` answers True only when
*every* call that satisfies condition ``a`` (read on its side) also satisfies
``b`` (read on its side). False means "not proven", never "refuted". The
rules, per field (``M`` = a predicate's globs, ``N`` = its
``command_contains`` needles, ``E`` = its exclusions; inclusions are between
exact pattern languages):

* url, domain, session: the exact languages ``M - E`` are included.
* tool parameters: every parameter predicate of ``a`` is included in a
  predicate of ``b`` on the same parameter (case-folded).
* env assignments: ``M_a`` included in ``M_b``.
* paths (a spelling of the path matches; spec §4): ``M_a`` included in
  ``M_b`` read as written and lower-cased; exclusions of ``b``, if any, are
  included in those of ``a``, and a granting ``b`` with exclusions needs a
  granting ``a``.
* commands (spec §5): a restrictive ``b`` without exclusions holds when some
  spelling is in ``M_b`` or the raw command contains a needle: needs
  ``M_a`` included in ``M_b`` and ``a``'s needle languages in ``M_b ∪ N_b``
  (a granting ``a`` must have no needles: it matches components, which are
  spellings). A restrictive ``b`` with exclusions needs a restrictive ``a``
  with the same ``M`` and ``N`` and ``E_b`` included in ``E_a``. A granting
  ``b`` needs a granting ``a`` with ``M_a`` in ``M_b``, every needle of ``a``
  containing one of ``b``, composite globs of ``a`` in those of ``b``, and
  ``E_b`` in ``E_a``. A restrictive ``a`` never proves a granting ``b``.
* agent_depth: ``a``'s range inside ``b``'s; call_count: ``b``'s equal to
  ``a``'s or absent.
* actions (the OpenClaw toolkit): every action pattern of ``a`` covered by
  one of ``b`` (exact, :func:`~policyc.analysis.fields.pattern_subsumed`).
* compares (:class:`~policyc.ir.Compare`, the toolkit's ``FIELD OP
  NUMBER``), per context field of ``b`` (:func:`compares_imply`): ``a``
  compares the same field; ``a``'s interval for ``parseFloat`` of the value
  inside each of ``b``'s ordering comparisons; each ``== t`` of ``b`` also
  in ``a``; each ``!= t`` of ``b`` in ``a``, or ``a`` has ``== s`` with
  ``s != t`` (``==`` and ``!=`` read the value with loose equality, not
  ``parseFloat``, so the two readings never prove each other).

A condition with no request-side field fires always (empty ``when`` or
``default: true``); one whose request-side fields are all exclusions fires
never (the engine needs one positive field). Response predicates are not
read on the request side (spec §3).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Iterable, Optional

from policyc.ir import Compare, Condition, Field, FieldPredicate, PatternLanguage, Scope

from .automata import ANYTHING, Unsupported, includes, is_empty
from .errors import BudgetExceeded
from .fields import (
    admit, composite_globs, language_of, path_subsumed, pattern_language, patterns_language, patterns_subsumed,
    raw_accepts,
    samples,
)


@dataclass(frozen=True)
class RequestView:
    """A condition as the request side reads it: ``always`` (fires for every
    call in scope), ``never`` (can never fire), else the constraints."""

    always: bool
    never: bool
    predicates: tuple[FieldPredicate, ...]
    condition: Condition


def request_view(cond: Condition) -> RequestView:
    """See the module docstring (mirrors ``evaluate.condition_holds``; a
    condition with compares is never ``always``)."""
    if cond.catch_all or not (cond.predicates or cond.any_param or cond.depth or cond.call_count
                              or cond.compares):
        return RequestView(True, False, (), cond)
    preds = tuple(p for p in cond.predicates if p.field is not Field.RESPONSE)
    positive = any(p.patterns for p in preds) or bool(cond.any_param) or cond.depth is not None \
        or cond.call_count is not None or bool(cond.compares)
    constraining = tuple(p for p in preds if p.patterns or p.field is Field.SESSION)
    return RequestView(False, not positive, constraining, cond)


def has_response_side(cond: Condition) -> bool:
    """Whether the rule is (also) a response-side rule (spec §3)."""
    return cond.response_side


# ------------------------------------------------------------- predicates


def _split(pred: FieldPredicate):
    globs = [p for p in pred.patterns if p.language is not PatternLanguage.SUBSTRING]
    needles = [p for p in pred.patterns if p.language is PatternLanguage.SUBSTRING]
    return globs, needles


def _command_implies(a: FieldPredicate, ga: bool, b: FieldPredicate, gb: bool) -> bool:
    a_globs, a_needles = _split(a)
    b_globs, b_needles = _split(b)
    if not gb:
        if not b.exclusions:
            if ga and a_needles:
                return False
            return patterns_subsumed(a_globs, b_globs) and patterns_subsumed(a_needles, b_globs + b_needles)
        if ga:
            return False
        same_needles = {n.source.lower() for n in a_needles} == {n.source.lower() for n in b_needles}
        return (same_needles and patterns_subsumed(a_globs, b_globs) and patterns_subsumed(b_globs, a_globs)
                and patterns_subsumed(b.exclusions, list(a.exclusions)))
    if not ga:
        return False
    needles_ok = all(any(nb.source and nb.source in na.source for nb in b_needles) for na in a_needles)
    return (needles_ok and patterns_subsumed(a_globs, b_globs)
            and patterns_subsumed(composite_globs(a), composite_globs(b))
            and patterns_subsumed(b.exclusions, list(a.exclusions)))


def _path_implies(a: FieldPredicate, ga: bool, b: FieldPredicate, gb: bool) -> bool:
    if not path_subsumed(a.patterns, list(b.patterns)):
        return False
    if not b.exclusions:
        return True
    if gb and not ga:
        return False
    return path_subsumed(b.exclusions, list(a.exclusions))


def _exact_implies(a: Optional[FieldPredicate], b: FieldPredicate) -> bool:
    mine = language_of(a, False).language if a is not None else None
    theirs = language_of(b, False).language
    if theirs is None:
        return True
    return includes(theirs, mine if mine is not None else ANYTHING)


def predicate_implies(a: FieldPredicate, ga: bool, b: FieldPredicate, gb: bool) -> bool:
    """``a`` (on side ``ga``) holding proves ``b`` (on side ``gb``) holds, for
    predicates over the same field. See the module docstring."""
    if a == b and ga == gb:
        return True
    if a.field is Field.COMMAND:
        return _command_implies(a, ga, b, gb)
    if a.field is Field.PATH:
        return _path_implies(a, ga, b, gb)
    if a.field is Field.ENV_ASSIGNMENT:
        return patterns_subsumed(a.patterns, list(b.patterns))
    if a.field is Field.PARAM:
        return a.param == b.param and patterns_subsumed(
            [p for p in a.patterns], list(b.patterns), folded=True)
    if a.field is Field.ACTION and not (a.exclusions or b.exclusions):
        return patterns_subsumed(a.patterns, list(b.patterns))
    return _exact_implies(a, b)


def _params_imply(a: tuple[FieldPredicate, ...], b: tuple[FieldPredicate, ...]) -> bool:
    if not b:
        return True
    if not a:
        return False
    return all(any(predicate_implies(pa, False, pb, False) for pb in b) for pa in a)


def _depth_implies(a: Condition, b: Condition) -> bool:
    if b.depth is None:
        return True
    low_a = a.depth.low if a.depth and a.depth.low is not None else None
    high_a = a.depth.high if a.depth and a.depth.high is not None else None
    if b.depth.low is not None and (low_a is None or low_a < b.depth.low):
        return False
    return b.depth.high is None or (high_a is not None and high_a <= b.depth.high)


def _count_implies(a: Condition, b: Condition) -> bool:
    if b.call_count is None:
        return True
    ca, cb = a.call_count, b.call_count
    return ca is not None and ca.tool == cb.tool and ca.gte >= cb.gte and ca.window_seconds <= cb.window_seconds


# --------------------------------------------------------------- compares

_INFINITY = Decimal("Infinity")


@dataclass(frozen=True)
class FieldCompares:
    """What a conjunction of :class:`~policyc.ir.Compare` asks of one context
    field's value ``v`` (present: every compare of a missing field fails).
    When ``ordered`` (some ``>``, ``<``, ``>=``, ``<=``), ``parseFloat(v)``
    lies between ``low`` and ``high`` (over the doubles with their
    infinities; ``*_open``: the bound itself excluded); ``v`` is loosely
    equal (``==``) to every number of ``equal`` and to none of ``unequal``."""

    ordered: bool = False
    low: Decimal = -_INFINITY
    low_open: bool = False
    high: Decimal = _INFINITY
    high_open: bool = False
    equal: frozenset[Decimal] = field(default_factory=frozenset)
    unequal: frozenset[Decimal] = field(default_factory=frozenset)

    def with_compare(self, compare: Compare) -> FieldCompares:
        """These requirements and ``compare``'s (on the same field)."""
        op, t = compare.op, compare.value
        if op == "==":
            return replace(self, equal=self.equal | {t})
        if op == "!=":
            return replace(self, unequal=self.unequal | {t})
        tighter = replace(self, ordered=True)
        if op in (">", ">=") and (t > self.low or (t == self.low and op == ">")):
            tighter = replace(tighter, low=t, low_open=op == ">")
        if op in ("<", "<=") and (t < self.high or (t == self.high and op == "<")):
            tighter = replace(tighter, high=t, high_open=op == "<")
        return tighter

    def in_range(self, x: Decimal) -> bool:
        """Whether ``x`` lies between the bounds."""
        above = x > self.low or (x == self.low and not self.low_open)
        below = x < self.high or (x == self.high and not self.high_open)
        return above and below

    def range_within(self, other: FieldCompares) -> bool:
        """Whether every number between these bounds is between ``other``'s."""
        low_ok = other.low < self.low or (other.low == self.low and (self.low_open or not other.low_open))
        high_ok = self.high < other.high or (self.high == other.high and (self.high_open or not other.high_open))
        return low_ok and high_ok

    def implies(self, other: FieldCompares) -> bool:
        """Every value meeting these requirements meets ``other``'s (sound)."""
        if other.ordered and not (self.ordered and self.range_within(other)):
            return False
        if not other.equal <= self.equal:
            return False
        return all(t in self.unequal or any(s != t for s in self.equal) for t in other.unequal)

    def number(self) -> Optional[float]:
        """A finite JavaScript number meeting every requirement (``parseFloat``
        and loose equality read a number as itself), preferring 0, a closed
        bound, the integers next to the bounds and the middle (each moved
        past the ``!=`` values), or None when none of those does."""
        if len(self.equal) > 1:
            return None
        tried: list[Decimal] = list(self.equal)
        if not tried:
            base = [Decimal(0)] + [bound for bound, is_open in ((self.low, self.low_open),
                                                                (self.high, self.high_open))
                                   if bound.is_finite() and not is_open]
            if self.low.is_finite():
                base.append(self.low.to_integral_value(rounding="ROUND_FLOOR") + 1)
            if self.high.is_finite():
                base.append(self.high.to_integral_value(rounding="ROUND_CEILING") - 1)
            if self.low.is_finite() and self.high.is_finite():
                base.append((self.low + self.high) / 2)
            steps = [0] + [k * sign for k in range(1, len(self.unequal) + 2) for sign in (1, -1)]
            tried = [b + k for b in base for k in steps]
        for candidate in tried:
            number = float(candidate)
            exact = Decimal(number) if abs(number) != float("inf") else None
            if exact is not None and (not self.ordered or self.in_range(exact)) and exact not in self.unequal \
                    and all(exact == e for e in self.equal):
                return int(number) if number.is_integer() and abs(number) < 2 ** 53 else number
        return None


def compare_fields(compares: Iterable[Compare]) -> dict[str, FieldCompares]:
    """The :class:`FieldCompares` of each context field ``compares`` read,
    in the order they first read it."""
    out: dict[str, FieldCompares] = {}
    for compare in compares:
        out[compare.field] = out.get(compare.field, FieldCompares()).with_compare(compare)
    return out


def compares_imply(a: Iterable[Compare], b: Iterable[Compare]) -> bool:
    """Every call meeting all of ``a`` meets all of ``b`` (sound, see the
    module docstring)."""
    mine = compare_fields(a)
    return all(f in mine and mine[f].implies(theirs) for f, theirs in compare_fields(b).items())


def _find(preds: tuple[FieldPredicate, ...], field: Field) -> Optional[FieldPredicate]:
    return next((p for p in preds if p.field is field), None)


def condition_implies(a: Condition, ga: bool, b: Condition, gb: bool) -> bool:
    """Every call satisfying ``a`` (granting side if ``ga``) satisfies ``b``
    (granting side if ``gb``), on the request side. Sound, not complete; an
    unanalysable pattern makes it False. Raises
    :class:`~policyc.analysis.errors.BudgetExceeded` past the work budget."""
    va, vb = request_view(a), request_view(b)
    if vb.always:
        return True
    if va.always or vb.never or va.never:
        return False
    try:
        for pb in vb.predicates:
            pa = _find(va.predicates, pb.field)
            if pb.field is Field.SESSION:
                if not _exact_implies(pa, pb):
                    return False
            elif pa is None or not pa.patterns or not predicate_implies(pa, ga, pb, gb):
                return False
        return _params_imply(a.any_param, b.any_param) and _depth_implies(a, b) and _count_implies(a, b) \
            and compares_imply(a.compares, b.compares)
    except BudgetExceeded:
        raise
    except Unsupported:
        return False


# ------------------------------------------------------------------ scope


def scope_includes(outer: Scope, inner: Scope) -> bool:
    """Every call in ``inner``'s scope is in ``outer``'s (tools, agent and
    session globs; enabled-ness is the caller's business). Raises
    :class:`~policyc.analysis.errors.BudgetExceeded` past the work budget."""
    try:
        if outer.tools and not (inner.tools and patterns_subsumed(inner.tools, list(outer.tools))):
            return False
        for mine, theirs in ((inner.agent, outer.agent), (inner.session, outer.session)):
            if theirs is None:
                continue
            if mine is None or not patterns_subsumed([mine], [theirs]):
                return False
        return True
    except BudgetExceeded:
        raise
    except Unsupported:
        return False


# --------------------------------------------------------- unsatisfiable


def _predicate_empty(pred: FieldPredicate, granting: bool) -> bool:
    """Proven: no call satisfies ``pred`` (see :func:`condition_unsatisfiable`)."""
    if not pred.patterns:
        return pred.field is Field.SESSION and is_empty(language_of(pred, granting).language)
    for pattern in (*pred.patterns, *pred.exclusions):
        admit(pattern)  # sampling a very long pattern is not cheap either
    if any(raw_accepts(pred, v) for p in pred.patterns for v in samples(p)):
        return False  # a sample value satisfies it (on the raw value; enough to refute emptiness)
    if pred.field in (Field.URL, Field.DOMAIN, Field.SESSION, Field.PARAM, Field.ENV_ASSIGNMENT):
        return is_empty(language_of(pred, granting).language)
    if not granting and pred.exclusions and includes(patterns_language(pred.exclusions), ANYTHING):
        return True  # every spelling of every value is excluded (`path_not_matches: ["**"]`)
    if pred.field is Field.PATH:
        if not granting or not pred.exclusions:
            return all(is_empty(pattern_language(p)) for p in pred.patterns)
        return path_subsumed(pred.patterns, list(pred.exclusions))
    if not granting or not pred.exclusions:
        return all(is_empty(pattern_language(p)) for p in pred.patterns)
    return patterns_subsumed(pred.patterns, list(pred.exclusions))


def condition_unsatisfiable(cond: Condition, granting: bool) -> Optional[str]:
    """Why no call can satisfy ``cond`` on the request side, or None when
    that is not proven. Reasons: every request-side field is an exclusion
    (the engine needs a positive field), an agent_depth range with
    ``gte > lte``, or one field predicate whose patterns are all covered by
    its exclusions on the side read (for restrictive command and path rules
    exclusions only apply when every spelling is excluded, so there only an
    empty pattern language or exclusions that match every value count). Response-side rules are not judged.
    Raises :class:`~policyc.analysis.errors.BudgetExceeded` past the work
    budget (and for patterns :func:`~policyc.analysis.fields.admit` refuses)."""
    if cond.response_side:
        return None
    view = request_view(cond)
    if view.always:
        return None
    if view.never:
        return "it has only exclusions (`*_not_matches`) and no positive field, so it never fires"
    if cond.depth and cond.depth.low is not None and cond.depth.high is not None \
            and cond.depth.low > cond.depth.high:
        return f"agent_depth needs >= {cond.depth.low} and <= {cond.depth.high} at once"
    try:
        for pred in view.predicates:
            if _predicate_empty(pred, granting):
                name = pred.field.value if pred.field is not Field.PARAM else f"tool_param_matches.{pred.param}"
                return f"no {name} value satisfies its patterns minus its exclusions"
        if cond.any_param and all(_predicate_empty(p, granting) for p in cond.any_param):
            return "no tool parameter value satisfies its patterns"
    except BudgetExceeded:
        raise
    except Unsupported:
        return None
    return None
