"""PC301 subsumed-pattern and PC303 pattern-never-matches-field (spec §4):
pattern lists judged by their languages. Each pattern is judged as one
budget item per check (PC110 when the budget stops it); a pattern too long
to analyse (:func:`policyc.analysis.fields.admissible`) is never a partner
of another's comparison, except as an exact repeat."""

from __future__ import annotations

from collections.abc import Iterator

from policyc import canonicalize
from policyc.analysis import Unsupported, intersect, is_empty, pattern_language, pattern_subsumed, syntax
from policyc.analysis.errors import BudgetExceeded
from policyc.analysis.fields import admissible, admit, sample_in
from policyc.checks import Check, check
from policyc.diagnostics.model import Diagnostic, Severity
from policyc.ir import Field, FieldPredicate, Pattern, PatternLanguage

from .context import Context, pattern_name

#: The checks this module reports (assembled by :mod:`policyc.checks`).
CHECKS = [
    Check("PC301", "subsumed-pattern", Severity.INFO,
          "A pattern that another pattern of the same list already covers."),
    Check("PC303", "pattern-never-matches-field", Severity.WARNING, "A pattern no value of its field can match."),
]

#: Field -> (syntax language name, what a value of the field is).
_SYNTAX = {Field.PATH: ("clean-path", "a cleaned path (no `//`, `/./`, `/../` or trailing `/`)"),
           Field.DOMAIN: ("domain", "a host name (no `/`, lower-cased)"),
           Field.URL: ("url", "an absolute URL (`scheme:...`)")}


def _lists(ctx: Context) -> Iterator[tuple[str, Field | None, list[Pattern]]]:
    """Every pattern list of the set, with its policy's file and the field it
    reads (None: tools)."""
    for policy in ctx.policy_set.policies:
        if policy.scope.tools:
            yield policy.source, None, list(policy.scope.tools)
        for rule in policy.rules:
            cond = rule.condition
            preds: list[FieldPredicate] = [*cond.predicates, *cond.any_param]
            for pred in preds:
                if pred.field is Field.RESPONSE:
                    continue
                globs = [p for p in pred.patterns if p.language is not PatternLanguage.SUBSTRING]
                needles = [p for p in pred.patterns if p.language is PatternLanguage.SUBSTRING]
                for group in (globs, needles, list(pred.exclusions)):
                    if group:
                        yield policy.source, pred.field, group


def _subsumes(wider: Pattern, narrower: Pattern, field: Field | None) -> bool:
    """Removing ``narrower`` from a list holding ``wider`` changes nothing."""
    if narrower.language is PatternLanguage.SUBSTRING:
        return wider.source.lower() in narrower.source.lower() and wider.source in narrower.source
    folded = field in (Field.PATH, Field.PARAM)
    if not pattern_subsumed(narrower, [wider], folded=folded):
        return False
    if field is Field.COMMAND and canonicalize.is_composite(narrower.source) \
            and not canonicalize.is_composite(wider.source):
        return False  # a granting rule matches compound commands only with compound globs
    return field is not Field.PATH or pattern_subsumed(narrower, [wider])


def _subsumer(field: Field | None, patterns: list[Pattern], k: int) -> Pattern | None:
    """The pattern of the list that makes ``patterns[k]`` redundant (for
    identical patterns: the earlier one), or None. A pattern too long to
    analyse can only be a repeat."""
    pattern = patterns[k]
    if not admissible(pattern):
        twin = next((other for other in patterns[:k] if other.source == pattern.source), None)
        if twin is None:
            admit(pattern)  # refused: PC110
        return twin
    for m, other in enumerate(patterns):
        if m == k or (m > k and other.source == pattern.source):
            continue
        if other.source != pattern.source and not admissible(other):
            continue  # its language is never built; it proves nothing
        try:
            if _subsumes(other, pattern, field) and (m < k or not _subsumes(pattern, other, field)):
                return other
        except BudgetExceeded:
            raise
        except Unsupported:
            continue
    return None


def _redundant(field: Field | None, patterns: list[Pattern], k: int) -> list[Diagnostic]:
    pattern, other = patterns[k], _subsumer(field, patterns, k)
    if other is None:
        return []
    same = other.source == pattern.source
    return [check("PC301").at(
        pattern.span, f"pattern `{pattern.source}` is {'a repeat of' if same else 'subsumed by'} "
        f"`{other.source}` in the same list; it changes nothing", label="redundant",
        help="delete it (or, if it was meant to be different, fix the wider pattern)")]


def check_pattern_hygiene(ctx: Context) -> list[Diagnostic]:
    """PC301 for a pattern whose every match another single pattern of the
    same list also matches (identical patterns: the later one); PC303 for a
    path, domain or url pattern that no value of its field can match."""
    out: list[Diagnostic] = []
    for file, field, patterns in _lists(ctx):
        for k, pattern in enumerate(patterns):
            if ctx.skipped(file, pattern.span, pattern_name(pattern), ("PC301",)):
                break
            out.extend(ctx.attempt(file, pattern.span, pattern_name(pattern), ("PC301",),
                                   _redundant, field, patterns, k, default=[]))
        if field in _SYNTAX:
            for pattern in patterns:
                if ctx.skipped(file, pattern.span, pattern_name(pattern), ("PC303",)):
                    break
                out.extend(ctx.attempt(file, pattern.span, pattern_name(pattern), ("PC303",),
                                       _never_matches, field, pattern, default=[]))
    return out


def _never_matches(field: Field, pattern: Pattern) -> list[Diagnostic]:
    name, what = _SYNTAX[field]
    admit(pattern)
    if sample_in(pattern, syntax(name)) or sample_in(pattern, syntax(name), folded=field is Field.PATH):
        return []
    try:
        readings = [pattern_language(pattern)]
        if field is Field.PATH:
            readings.append(pattern_language(pattern, folded=True))
        if all(is_empty(intersect(lang, syntax(name))) for lang in readings):
            return [check("PC303").at(
                pattern.span, f"pattern `{pattern.source}` can never match: every value of this field is "
                f"{what}", label="matches nothing", help=_HELP[field])]
    except BudgetExceeded:
        raise
    except Unsupported:
        pass
    return []


_HELP = {Field.PATH: "write the path as the engine cleans it, e.g. `/etc/ssh/**` instead of `/etc/ssh/`",
         Field.DOMAIN: "put only the host in domain_matches (`*.example.com`); match paths with url_matches",
         Field.URL: "start url patterns with a scheme or a star (`https://example.com/*`, `*example.com/*`)"}
