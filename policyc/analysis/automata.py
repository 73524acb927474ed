"""Regular languages of field values, as interegular finite-state machines.

A :class:`Language` is a set of strings (a field value as the matcher sees
it). It is built from the glob's regular-expression tree that
:mod:`policyc.patterns.lower` derives for codegen (the same tree the RE2
expression is rendered from, so the language is exactly what the direct
matcher accepts), rendered in the Python regex syntax interegular parses, and
determinised by interegular. Why interegular and not greenery or our own
automata: ``docs/analysis.md``.

Operations: :func:`union`, :func:`intersect`, :func:`difference`,
:func:`is_empty`, :func:`includes` and :func:`shortest_witness`.  A character
class that neither it nor its complement lists in at most
``MAX_EXPLICIT_CHARS`` characters cannot be handed to interegular (it
enumerates class members); building such a language raises
:class:`Unsupported`, and callers make no claim about that pattern.

Work budget (:mod:`policyc.analysis.budget`): interegular's subset
construction cannot be interrupted, and a short glob can need millions of
states (``/x/*a`` followed by 20 ``?`` needs 2^20). So before handing a
tree to interegular, :func:`tree_language` refuses trees of more than
``MAX_POSITIONS`` characters and *measures* the automaton with its own,
charged subset construction over the tree's Glushkov positions (the state
count is the one interegular builds: equal on every glob of the corpora);
it raises :class:`BudgetExceeded` as soon as the predicted construction cost
(:func:`build_cost`) passes what the active budget has left. Products
(:func:`union`, :func:`intersect`, :func:`difference`), :func:`concat`,
:func:`is_empty` and :func:`shortest_witness` run their own charged loops,
so they stop at the budget too. Each entry point is :func:`metered`.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

import interegular
from interegular.fsm import FSM, Alphabet, anything_else

from policyc.patterns import lower as _lower

from . import budget as _budget
from .budget import metered
from .errors import Unsupported

#: Largest class (or complement of a class) rendered for interegular.
MAX_EXPLICIT_CHARS = 512

# Characters a witness prefers, best first: they read well in a terminal and
# in JSON and mean nothing special to a shell, a path or a URL.
_READABLE = "abcdefghijklmnopqrstuvwxyz0123456789-_.ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PRINTABLE = _READABLE + "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in _READABLE)


@dataclass(frozen=True, eq=False)
class Language:
    """A regular language over Unicode strings (immutable)."""

    fsm: FSM

    def accepts(self, text: str) -> bool:
        """Whether ``text`` is in the language."""
        return self.fsm.accepts(text)


def _nothing_fsm() -> FSM:
    return FSM(alphabet=Alphabet({anything_else: 0}), states={0}, initial=0, finals=set(), map={0: {}})


NOTHING = Language(_nothing_fsm())
ANYTHING = Language(interegular.parse_pattern("[^]*").to_fsm())

#: Most characters (Glushkov positions: sets of the tree) of a pattern
#: whose automaton is built; longer patterns are refused (BudgetExceeded)
#: before any work. The corpora's longest glob has 67.
MAX_POSITIONS = 512


def build_cost(states: int, keys: int) -> int:
    """Steps charged for interegular building an automaton of ``states``
    states over ``keys`` transition keys. Fitted on the corpora's globs and
    on exploding ones: about 0.5 ms per automaton, 6 µs per state and key,
    and a quadratic term (its crawl finds each new state by a linear search
    of the states so far) that dominates past a few hundred states."""
    return 5000 + states * keys * (64 + states // 5)


@metered
def regex_language(expression: str) -> Language:
    """The language of a full match of a Python-syntax ``expression`` that
    interegular accepts (a small helper for syntax languages such as
    "clean paths", and for witness fragments). Raises :class:`Unsupported`
    for syntax it refuses and :class:`BudgetExceeded` for an expression of
    more than ``4 * MAX_POSITIONS`` characters or past the budget (charged
    as a linear automaton of that many states)."""
    if len(expression) > 4 * MAX_POSITIONS:
        _budget.refuse(f"a regular expression of {len(expression)} characters is too long to analyse")
    _budget.charge(build_cost(len(expression) + 1, 4))
    return _interegular(expression)


def _interegular(expression: str) -> Language:
    """interegular's automaton of ``expression``, through the on-disk cache
    (:mod:`policyc.diskcache`, keyed by the expression and the versions):
    callers charge the budget before, the same with or without the cache."""
    from policyc import diskcache

    return Language(diskcache.cached("fsm", f"{diskcache.versions(interegular)}\n{expression}",
                                     lambda: canonical(_build_fsm(expression)), _encode_fsm, _decode_fsm))


def _build_fsm(expression: str) -> FSM:
    try:
        return interegular.parse_pattern(expression).to_fsm()
    except (interegular.Unsupported, interegular.InvalidSyntax) as exc:
        raise Unsupported(str(exc)) from None


def _symbol_order(symbol) -> tuple:
    return (1, "") if symbol is anything_else else (0, symbol)


def canonical(fsm: FSM) -> FSM:
    """``fsm`` renumbered the same way in every process: interegular numbers
    transition keys and states in the iteration order of sets of symbols,
    which follows the process's string hashing (``PYTHONHASHSEED``), so the
    same expression gave differently numbered automata from run to run, and
    a cached automaton would not be the one this process builds. Here the
    symbols are sorted (``anything_else`` last), keys numbered by their
    least symbol, and states in breadth-first order from the initial state
    over the keys in order (states it never reaches after them). The
    language is unchanged; searches over the automaton (and what they
    charge) then no longer depend on the process."""
    old_alphabet = fsm.alphabet._symbol_mapping
    symbols = sorted(old_alphabet, key=_symbol_order)
    old_keys = list(dict.fromkeys(old_alphabet[s] for s in symbols))
    new_key = {old: new for new, old in enumerate(old_keys)}
    mapping = {s: new_key[old_alphabet[s]] for s in symbols}
    order = [fsm.initial]
    number = {fsm.initial: 0}
    for state in order:
        row = fsm.map.get(state, {})
        for old in old_keys:
            target = row.get(old)
            if target is not None and target not in number:
                number[target] = len(order)
                order.append(target)
    for state in sorted(fsm.states, key=lambda s: (str(type(s)), s)):
        if state not in number:
            number[state] = len(order)
            order.append(state)
    table = {}
    for state in order:
        row = fsm.map.get(state)
        if row is not None:
            table[number[state]] = {new_key[k]: number[row[k]] for k in old_keys if k in row}
    return FSM(alphabet=Alphabet(mapping), states=range(len(order)), initial=0,
               finals={number[s] for s in fsm.finals}, map=table, __no_validation__=True)


def _encode_fsm(fsm: FSM) -> dict:
    """``fsm`` as JSON data, every order kept (the alphabet's symbols, the
    states, the transitions), so :func:`_decode_fsm` rebuilds an automaton
    that behaves exactly alike, iteration orders included. TypeError for
    anything but integer states and keys and one-character symbols."""
    def number(value) -> int:
        if type(value) is not int:
            raise TypeError("not an integer state or key")
        return value

    alphabet = []
    for symbol, key in fsm.alphabet._symbol_mapping.items():
        if symbol is not anything_else and not (isinstance(symbol, str) and len(symbol) == 1):
            raise TypeError("unexpected symbol")
        alphabet.append([None if symbol is anything_else else symbol, number(key)])
    return {"alphabet": alphabet, "states": [number(s) for s in fsm.states], "initial": number(fsm.initial),
            "finals": [number(s) for s in fsm.finals],
            "map": [[number(state), [[number(k), number(t)] for k, t in row.items()]]
                    for state, row in fsm.map.items()]}


def _decode_fsm(data: dict) -> FSM:
    """The automaton :func:`_encode_fsm` encoded (any error for other data)."""
    mapping = {}
    for symbol, key in data["alphabet"]:
        if symbol is not None and not (isinstance(symbol, str) and len(symbol) == 1):
            raise ValueError("bad symbol")
        mapping[anything_else if symbol is None else symbol] = int(key)
    states = [int(s) for s in data["states"]]
    table = {int(state): {int(k): int(t) for k, t in row} for state, row in data["map"]}
    fsm = FSM(alphabet=Alphabet(mapping), states=states, initial=int(data["initial"]),
              finals={int(s) for s in data["finals"]}, map=table)  # validated: a bad entry raises
    return canonical(fsm)  # as stored, unless the entry was edited


# ------------------------------------------------------------ from trees


def _char(point: int) -> str:
    return "\\x%02x" % point if point < 0x100 else chr(point)


def _class(chars: _lower.CharSet) -> str:
    def body(cs: _lower.CharSet) -> str:
        return "".join(_char(lo) if lo == hi else f"{_char(lo)}-{_char(hi)}" for lo, hi in cs.iv)

    if chars.size() <= MAX_EXPLICIT_CHARS:
        return f"[{body(chars)}]"
    inverse = chars.complement()
    if inverse.size() <= MAX_EXPLICIT_CHARS:
        return f"[^{body(inverse)}]"
    raise Unsupported("a character class too large to enumerate")


def _render(node: tuple) -> str:
    kind = node[0]
    if kind == "set":
        return _class(node[1])
    if kind == "eps":
        return "(?:)"
    if kind == "cat":
        return "".join(_render(p) for p in node[1])
    if kind == "alt":
        return "(?:" + "|".join(_render(p) for p in node[1]) + ")"
    if kind == "star":
        return f"(?:{_render(node[1])})*"
    raise AssertionError(kind)


@metered
def tree_language(node: _lower.Node) -> Language:
    """The language of a :mod:`policyc.patterns.lower` expression tree
    (``None`` is the empty language). Raises :class:`BudgetExceeded` when
    the tree has more than ``MAX_POSITIONS`` positions or its automaton
    would cost more than the active budget has left (:func:`measure`),
    :class:`Unsupported` for classes too large to enumerate."""
    if node is None:
        return NOTHING
    expression = _render(node)
    known = _TOO_COSTLY.get(expression)
    if known is not None and known >= _budget.remaining():
        _budget.refuse("its automaton was already found too large for the steps left")
    allowance = _budget.remaining()
    states, keys, steps = measure(node, allowance)
    _budget.charge(steps)  # the measuring itself
    if states is None:
        needed = allowance if keys else 1 << 62  # no keys: too many positions, whatever the budget
        if len(_TOO_COSTLY) >= 4096:
            _TOO_COSTLY.clear()
        _TOO_COSTLY[expression] = max(_TOO_COSTLY.get(expression, 0), needed)
        _budget.refuse(f"building its automaton would take more than the {allowance:,} steps left" if keys
                       else f"it has more than {MAX_POSITIONS} characters to analyse")
    _budget.charge(build_cost(states, keys))
    return _interegular(expression)


#: Expression -> steps that were not enough to measure and build it: a tree
#: refused once is refused again at once while the budget left is no larger.
_TOO_COSTLY: dict[str, int] = {}


def _glushkov(node: tuple) -> tuple[list, list[int], int]:
    """The position automaton of ``node``: the character set of each
    position (index 0 is the start and has none), the follow set of each
    position (a bitmask of positions) and the mask of final positions."""
    sets: list = [None]
    pairs: list[tuple[int, int]] = []  # (positions, positions that may follow any of them)

    def walk(n: tuple) -> tuple[bool, int, int]:  # (nullable, first, last)
        kind = n[0]
        if kind == "set":
            sets.append(n[1])
            bit = 1 << (len(sets) - 1)
            return False, bit, bit
        if kind == "eps":
            return True, 0, 0
        if kind == "star":
            _, first, last = walk(n[1])
            pairs.append((last, first))
            return True, first, last
        nullable, first, last = kind == "cat", 0, 0
        for part in n[1]:
            p_null, p_first, p_last = walk(part)
            if kind == "alt":
                nullable, first, last = nullable or p_null, first | p_first, last | p_last
                continue
            pairs.append((last, p_first))
            first = first | p_first if nullable else first
            last = p_last | last if p_null else p_last
            nullable = nullable and p_null
        return nullable, first, last

    nullable, first, last = walk(node)
    follow = [0] * len(sets)
    follow[0] = first
    for sources, targets in pairs:
        while sources and targets:
            low = sources & -sources
            follow[low.bit_length() - 1] |= targets
            sources ^= low
    return sets, follow, last | (1 if nullable else 0)


def _atoms(sets: list) -> list[int]:
    """For each class of characters the tree's sets do not tell apart, the
    mask of positions that accept it (classes no position accepts left out)."""
    by_set: dict = {}
    for index, chars in enumerate(sets):
        if chars is not None:
            by_set[chars] = by_set.get(chars, 0) | (1 << index)
    bounds = {0, 0x110000}
    for chars in by_set:
        for lo, hi in chars.iv:
            bounds.update((lo, hi + 1))
    masks = {}
    for lo in sorted(bounds)[:-1]:
        mask = 0
        for chars, positions in by_set.items():
            if lo in chars:
                mask |= positions
        if mask:
            masks[mask] = None
    return list(masks)


def measure(node: tuple, allowance: int) -> tuple[Optional[int], int, int]:
    """``(states, keys, steps)``: how many states and transition keys the
    automaton interegular builds for ``node`` has (a subset construction over
    the tree's Glushkov positions; the counts agree on every glob of the
    corpora) and the steps this measuring took (positions examined plus keys,
    per state). ``states`` is None when the tree has more than
    ``MAX_POSITIONS`` positions, or when the steps plus :func:`build_cost` of
    the states found so far pass ``allowance`` (the measuring then stops:
    the count only grows). Charges nothing itself."""
    sets, follow, _ = _glushkov(node)
    steps = len(sets)
    if len(sets) - 1 > MAX_POSITIONS:
        return None, 0, steps  # keys 0: refused for its size alone
    masks = _atoms(sets)
    keys = len(masks) + 1  # and the characters no position accepts
    steps += len(masks)
    seen = {1}
    todo = [1]
    while todo:
        state = todo.pop()
        reach = 0
        while state:
            low = state & -state
            reach |= follow[low.bit_length() - 1]
            state ^= low
            steps += 1
        for mask in masks:
            target = reach & mask
            if target and target not in seen:
                seen.add(target)
                todo.append(target)
        steps += keys
        if steps + build_cost(len(seen), keys) > allowance:
            return None, keys, steps
    return len(seen), keys, steps


@lru_cache(maxsize=8192)
def glob_language(source: str, flavor: str) -> Language:
    """Exactly the inputs :func:`policyc.patterns.lower.lower_glob` accepts
    for ``(source, flavor)`` (``command``, ``path`` or ``domain``): raw inputs
    for command and path (``\\`` behaves as ``/``), normalized domains for
    domain. Raises :class:`Unsupported` when the lowering falls back to the
    direct matcher or a class is too large."""
    language, raw = _lower._FLAVORS[flavor]
    try:
        return tree_language(_lower._raw_tree(language(source), raw))
    except _lower.FallbackRequired as exc:
        raise Unsupported(str(exc)) from None


@lru_cache(maxsize=8192)
def affix_language(text: str, *, before: bool = False, after: bool = False) -> Language:
    """The strings that are ``text`` with any string before it (``before``)
    and after it (``after``): ``text`` alone, its suffix language, its
    prefix language, or the strings containing it. The OpenClaw toolkit's
    action patterns and agent ids are these (see
    :func:`policyc.analysis.fields.pattern_language`). Raises
    :class:`BudgetExceeded` past the budget."""
    anything = _lower.star(_lower.sym(_lower.CharSet([(0, 0x10FFFF)])))
    parts = [_lower.sym(_lower.CharSet([(ord(c), ord(c))])) for c in text]
    return tree_language(_lower.cat(*([anything] if before else []), *parts, *([anything] if after else [])))


#: Steps charged once per process for the table of characters that lower-case
#: to each character (:mod:`policyc.patterns.lower` scans every code point,
#: 0.2 to 0.5 s), built for the first needle analysed. Less than that time's
#: worth, so that an item may afford it whatever the item limit.
FOLD_TABLE_STEPS = 1_000_000


@lru_cache(maxsize=1024)
def substring_language(needle: str) -> Language:
    """``command_contains`` on the raw command: the commands containing
    ``needle`` case-insensitively (Go's simple lower-casing), as
    :func:`policyc.patterns.lower.lower_substring` defines it. Raises
    :class:`BudgetExceeded` past the budget."""
    low = _lower._go_lower(needle)
    if _lower._upper_sources.cache_info().currsize == 0:
        _budget.charge(FOLD_TABLE_STEPS)  # the first needle builds the case-folding table
    anything = _lower.star(_lower.sym(_lower.CharSet([(0, 0x10FFFF)])))
    parts = [_lower.sym(_lower._fold_set(c)) for c in low]
    return tree_language(_lower.cat(anything, *parts, anything))


# ------------------------------------------------------------ operations


#: State bounds. interegular-style products cost about the product of the
#: operands' states; past these bounds an operation raises
#: :class:`Unsupported` at once and callers make no claim. Below them the
#: loops are charged to the work budget.
MAX_UNION_STATES = 400  # sum of the operands' states
MAX_PRODUCT_STATES = 100_000  # product of the two operands' states


def _bound(*languages: Language, limit: int, combine) -> None:
    size = combine(len(lang.fsm.states) for lang in languages)
    if size > limit:
        raise Unsupported(f"automaton too large to analyse ({size} > {limit} states)")


def _crawl(alphabet: Alphabet, initial, step, final, cost: int) -> FSM:
    """The deterministic automaton reachable from ``initial``: ``step(state)``
    gives the next state for each key of ``alphabet.by_transition``, in
    order (None: no transition), ``final(state)`` whether it accepts. States
    must be hashable; they are numbered in breadth-first order. Charges
    ``cost`` steps per state."""
    keys = list(alphabet.by_transition)
    states = [initial]
    index = {initial: 0}
    finals = set()
    table: dict[int, dict] = {}
    number = 0
    while number < len(states):
        _budget.charge(cost)
        state = states[number]
        if final(state):
            finals.add(number)
        row = {}
        for key, target in zip(keys, step(state)):
            if target is None:
                continue
            found = index.get(target)
            if found is None:
                found = index[target] = len(states)
                states.append(target)
            row[key] = found
        table[number] = row
        number += 1
    return FSM(alphabet=alphabet, states=range(len(states)), initial=0, finals=finals, map=table,
               __no_validation__=True)


def _product(fsms: list[FSM], accepts) -> FSM:
    """The automaton running ``fsms`` side by side (a component that has no
    transition drops out; a state with every component out is dead);
    ``accepts(flags)`` decides finality from the components' finality.
    Charged one step per component and key, per state."""
    alphabet, new_to_old = Alphabet.union(*(f.alphabet for f in fsms))
    keys = list(alphabet.by_transition)
    olds = [[old.get(key) for key in keys] for old in new_to_old]
    maps = [f.map for f in fsms]
    finals = [f.finals for f in fsms]
    width = len(fsms)
    dead = [None] * len(keys)

    def step(state: tuple) -> list:
        columns = []
        for sub, table, old in zip(state, maps, olds):
            row = table.get(sub) if sub is not None else None
            columns.append([row.get(o) for o in old] if row else dead)
        return [None if targets.count(None) == width else targets for targets in zip(*columns)]

    def final(state: tuple) -> bool:
        return accepts([sub is not None and sub in done for sub, done in zip(state, finals)])

    return _crawl(alphabet, tuple(f.initial for f in fsms), step, final, (width + 1) * len(keys) + 1)


@metered
def union(*languages: Language) -> Language:
    """Strings in any of ``languages`` (none: the empty language). Raises
    :class:`Unsupported` past ``MAX_UNION_STATES``, :class:`BudgetExceeded`
    past the budget."""
    if not languages:
        return NOTHING
    if len(languages) == 1:
        return languages[0]
    _bound(*languages, limit=MAX_UNION_STATES, combine=sum)
    return Language(_product([lang.fsm for lang in languages], any))


@metered
def concat(*languages: Language) -> Language:
    """Concatenations of one string of each of ``languages``, in order (a
    subset construction over their states, charged per member and key).
    Raises :class:`BudgetExceeded` past the budget."""
    fsms = [lang.fsm for lang in languages]
    if not fsms:
        return Language(interegular.parse_pattern("").to_fsm())
    alphabet, new_to_old = Alphabet.union(*(f.alphabet for f in fsms))
    last = len(fsms) - 1

    def entered(number: int, sub) -> set:
        """``(number, sub)`` and, while that is final, the next automata's starts."""
        out = {(number, sub)}
        while number < last and sub in fsms[number].finals:
            number += 1
            sub = fsms[number].initial
            out.add((number, sub))
        return out

    def follow(state: frozenset, key) -> Optional[frozenset]:
        out: set = set()
        for number, sub in state:
            target = fsms[number].map.get(sub, {}).get(new_to_old[number].get(key))
            if target is not None:
                out |= entered(number, target)
        return frozenset(out) if out else None

    def final(state: frozenset) -> bool:
        return any(number == last and sub in fsms[last].finals for number, sub in state)

    keys = list(alphabet.by_transition)

    def step(state: frozenset) -> list:
        _budget.charge(len(state) * len(keys))  # one lookup per member and key
        return [follow(state, key) for key in keys]

    return Language(_crawl(alphabet, frozenset(entered(0, fsms[0].initial)), step, final, len(keys) + 1))


@metered
def intersect(a: Language, b: Language) -> Language:
    """Strings in both ``a`` and ``b``. Raises :class:`Unsupported` past
    ``MAX_PRODUCT_STATES``, :class:`BudgetExceeded` past the budget."""
    _bound(a, b, limit=MAX_PRODUCT_STATES, combine=math.prod)
    return Language(_product([a.fsm, b.fsm], all))


@metered
def difference(a: Language, b: Language) -> Language:
    """Strings in ``a`` but not in ``b``. Raises :class:`Unsupported` past
    ``MAX_PRODUCT_STATES``, :class:`BudgetExceeded` past the budget."""
    _bound(a, b, limit=MAX_PRODUCT_STATES, combine=math.prod)
    return Language(_product([a.fsm, b.fsm], lambda flags: flags[0] and not flags[1]))


@metered
def is_empty(a: Language) -> bool:
    """Whether ``a`` has no string at all (a charged reachability search)."""
    fsm = a.fsm
    seen = {fsm.initial}
    todo = [fsm.initial]
    while todo:
        state = todo.pop()
        if state in fsm.finals:
            return False
        row = fsm.map.get(state, {})
        _budget.charge(len(row) + 1)
        for target in row.values():
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return True


def includes(a: Language, b: Language) -> bool:
    """Whether ``a`` includes ``b``: every string of ``b`` is in ``a``."""
    return is_empty(difference(b, a))


def _symbol_choice(symbols: list, explicit: frozenset[str]) -> Optional[str]:
    """The most readable character standing for one transition."""
    if anything_else in symbols:
        for char in _PRINTABLE:
            if char not in explicit:
                return char
        return next(chr(p) for p in range(0x100, 0x10FFFF) if chr(p) not in explicit)
    chars = [s for s in symbols if isinstance(s, str)]
    for char in _PRINTABLE:
        if char in chars:
            return char
    return min(chars) if chars else None


@metered
def shortest_witness(a: Language) -> Optional[str]:
    """A shortest string of ``a``, or ``None`` when ``a`` is empty. Among the
    shortest, characters are chosen readable first (lower-case letters,
    digits, ``-_.``, upper-case letters, other printable ASCII) and the
    search is breadth-first, so the result is deterministic. Charged per
    state visited; raises :class:`BudgetExceeded` past the budget."""
    fsm = a.fsm
    explicit = frozenset(s for s in fsm.alphabet if s is not anything_else)
    choice = {key: _symbol_choice(symbols, explicit) for key, symbols in fsm.alphabet.by_transition.items()}
    rank = {char: index for index, char in enumerate(_PRINTABLE)}
    seen = {fsm.initial}
    queue = deque([(fsm.initial, "")])
    while queue:
        state, text = queue.popleft()
        if state in fsm.finals:
            return text
        moves = []
        row = fsm.map.get(state, {})
        _budget.charge(len(row) + len(text) // 8 + 1)
        for key, target in row.items():
            char = choice.get(key)
            if char is not None and target not in seen:
                moves.append((rank.get(char, len(rank) + ord(char)), char, target))
        for _, char, target in sorted(moves):
            if target not in seen:
                seen.add(target)
                queue.append((target, text + char))
    return None
