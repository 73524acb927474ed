"""The analysis API: pattern languages agree with the direct matchers,
inclusion/intersection/witnesses are exact, implication is sound (checked
against the reference evaluator), witnesses replay."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyc.analysis import (
    condition_implies, condition_unsatisfiable, difference, includes, intersect, is_empty, language_of,
    pattern_language, shortest_witness, witness_call,
)
from policyc.analysis.fields import samples, syntax
from policyc.callfields import ToolCall
from policyc.evaluate import condition_holds
from policyc.ir import Condition, DepthRange, Field, FieldPredicate, Pattern, PatternLanguage, Scope
from policyc.patterns import match_command_glob, match_domain_glob, match_path_glob

CMD, PATH, DOMAIN, SUB = (PatternLanguage.COMMAND_GLOB, PatternLanguage.PATH_GLOB,
                          PatternLanguage.DOMAIN_GLOB, PatternLanguage.SUBSTRING)
MATCHERS = {CMD: match_command_glob, PATH: match_path_glob, DOMAIN: match_domain_glob}

GLOBS = st.lists(st.sampled_from(["a", "b", "/", ".", " ", "*", "**", "?", "[ab]", "[^a]", "-"]),
                 min_size=1, max_size=6).map("".join)
VALUES = st.lists(st.sampled_from(["a", "b", "c", "/", ".", " ", "-"]), max_size=7).map("".join)


def cond(field: Field, *patterns: str, language=CMD, exclusions=()) -> Condition:
    pred = FieldPredicate(field, tuple(Pattern(p, language) for p in patterns),
                          tuple(Pattern(p, language) for p in exclusions))
    return Condition(predicates=(pred,))


@settings(max_examples=150, deadline=None)
@given(GLOBS, VALUES, st.sampled_from([CMD, PATH]))
def test_pattern_language_is_the_direct_matcher(source, value, language):
    lang = pattern_language(Pattern(source, language))
    assert lang.accepts(value) == MATCHERS[language](source, value)


def test_inclusion_and_shortest_witness():
    wide, narrow = pattern_language(Pattern("git *", CMD)), pattern_language(Pattern("git push *", CMD))
    assert includes(wide, narrow) and not includes(narrow, wide)
    assert shortest_witness(difference(wide, narrow)) == "git "
    assert shortest_witness(pattern_language(Pattern("**/.env", PATH))) == ".env"
    assert is_empty(intersect(pattern_language(Pattern("/etc/ssh/", PATH)), syntax("clean-path")))
    assert shortest_witness(intersect(pattern_language(Pattern("*.example.com", DOMAIN)), syntax("host"))) \
        == "a.example.com"


def test_needles_are_case_insensitive_substrings():
    lang = pattern_language(Pattern("Kill", SUB))
    assert lang.accepts("sudo KILL -9 1") and not lang.accepts("kil")


def test_language_of_says_when_it_is_exact():
    pred = FieldPredicate(Field.DOMAIN, (Pattern("*.example.com", DOMAIN),), ())
    assert language_of(pred, False).exact
    assert not language_of(FieldPredicate(Field.COMMAND, (Pattern("rm *", CMD),)), False).exact


@settings(max_examples=60, deadline=None)
@given(GLOBS, GLOBS, VALUES, st.booleans(), st.booleans())
def test_command_implication_is_sound(a, b, value, ga, gb):
    """When implication is claimed, no command satisfies ``a`` but not ``b``
    (checked with the evaluator's own condition_holds on sample commands)."""
    ca, cb = cond(Field.COMMAND, a), cond(Field.COMMAND, b)
    if not condition_implies(ca, ga, cb, gb):
        return
    candidates = [value, *samples(Pattern(a, CMD)), f"{value} && {value}", f"x; {value}"]
    for command in candidates:
        call = ToolCall("exec", {"command": command})
        if condition_holds(ca, call, granting=ga):
            assert condition_holds(cb, call, granting=gb), (a, b, command)


def test_implication_respects_sides_and_exclusions():
    deny = cond(Field.COMMAND, "git *", exclusions=["git status"])
    assert not condition_implies(cond(Field.COMMAND, "git status"), True, deny, False)
    assert condition_implies(cond(Field.COMMAND, "git push *"), False, cond(Field.COMMAND, "git *"), False)
    assert condition_implies(cond(Field.COMMAND, "git push *"), True, cond(Field.COMMAND, "git *"), False)
    assert not condition_implies(cond(Field.COMMAND, "git push *"), False, cond(Field.COMMAND, "git *"), True)
    assert condition_implies(cond(Field.PATH, "/home/*/.ssh/id_rsa", language=PATH), False,
                             cond(Field.PATH, "**/.ssh/**", language=PATH), False)


def test_unsatisfiable_conditions():
    assert condition_unsatisfiable(Condition(depth=DepthRange(5, 2)), False)
    only_exclusion = Condition(predicates=(FieldPredicate(Field.COMMAND, (), (Pattern("git *", CMD),)),))
    assert "only exclusions" in condition_unsatisfiable(only_exclusion, False)
    allow_all_excluded = cond(Field.PATH, "/tmp/**", language=PATH, exclusions=["/tmp/**"])
    assert condition_unsatisfiable(allow_all_excluded, True)
    # restrictive: a relative path's second spelling may escape the exclusion
    assert condition_unsatisfiable(allow_all_excluded, False) is None


def test_witness_call_satisfies_every_requirement():
    allow = cond(Field.COMMAND, "git *")
    deny = cond(Field.COMMAND, "git push --force*")
    scope = Scope(tools=(Pattern("exec", CMD),))
    call = witness_call([(allow, True), (deny, False)], [scope])
    parsed = ToolCall.from_mapping(call)
    assert call["tool"] == "exec" and call["params"]["command"].startswith("git push --force")
    assert condition_holds(allow, parsed, granting=True) and condition_holds(deny, parsed)
    assert witness_call([(cond(Field.COMMAND, "rm *"), False), (cond(Field.COMMAND, "dd *"), False)], []) is None


def test_operations_past_the_state_budget_are_unsupported_not_slow():
    """A union of many patterns would take minutes in interegular; past the
    budget it raises Unsupported (callers then make no claim)."""
    from policyc.analysis import automata

    languages = [automata.glob_language(f"*cmd{i}*x{i}*", "command") for i in range(60)]
    with pytest.raises(automata.Unsupported):
        automata.union(*languages)
    big = automata.glob_language("*" + "a*" * 100, "command")
    with pytest.raises(automata.Unsupported):
        automata.difference(big, automata.glob_language("*" + "b*" * 100, "command"))


@settings(max_examples=80, deadline=None)
@given(GLOBS, GLOBS, st.sampled_from([CMD, PATH]))
def test_own_products_build_interegulars_automata(a, b, language):
    """union/intersect/difference/concat run policyc's own charged loops; they
    build the automata interegular builds (same states, same language), so
    the state bounds and every later result are unchanged."""
    from policyc.analysis import automata

    la, lb = pattern_language(Pattern(a, language)), pattern_language(Pattern(b, language))
    for mine, theirs in ((automata.union(la, lb), la.fsm | lb.fsm), (intersect(la, lb), la.fsm & lb.fsm),
                         (difference(la, lb), la.fsm - lb.fsm), (automata.concat(la, lb), la.fsm + lb.fsm)):
        assert len(mine.fsm.states) == len(theirs.states) and mine.fsm.equivalent(theirs)
    assert is_empty(intersect(la, lb)) == (la.fsm & lb.fsm).empty()


@settings(max_examples=80, deadline=None)
@given(GLOBS, st.sampled_from(["command", "path", "domain"]))
def test_measure_predicts_the_automaton_interegular_builds(source, flavor):
    from policyc.analysis import automata
    from policyc.patterns import lower

    try:
        node = lower._raw_tree(lower._FLAVORS[flavor][0](source), flavor != "domain")
    except lower.FallbackRequired:
        return
    if node is None:
        return
    states, keys, steps = automata.measure(node, 10 ** 12)
    assert states == len(automata.glob_language(source, flavor).fsm.states) and steps > 0
    assert automata.measure(node, steps - 1)[0] is None  # it stops at its allowance
