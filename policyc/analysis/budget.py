"""Work budgets: the analysis of hostile input ends in bounded time.

Every automaton construction, product and search of :mod:`policyc.analysis`
charges *steps* to the budget that is active while it runs. A step is an
abstract unit of work (one subset or product state times one transition
key, one bitset operation of a size probe, a few character comparisons of a
direct matcher, one policy of a replayed decision), calibrated so that about
10 million steps take one second of CPU time.

A :class:`Budget` belongs to one analysis run and has three step limits and
a deadline (:class:`Limits`): per *item* (one pattern, one rule or one rule
pair: what a pass judges as a unit), per *file* (every item whose subject
is in that policy file) and per *run*, plus ``seconds`` of wall-clock time
(``time.monotonic``) from the budget's creation. A pass runs each item
inside :meth:`Budget.item`; the item is the *active* budget (a context
variable), so analysis functions charge it through the module-level
:func:`charge` without a budget argument. The first charge past a limit
raises :class:`~policyc.analysis.errors.BudgetExceeded` naming the scope;
the item stays exhausted (every later charge raises again), so a caller
that swallowed the exception as :class:`~policyc.analysis.errors.Unsupported`
still winds down and the pass still sees :attr:`Item.exceeded`.

Outside any item (analysis functions called directly, not from a pass) the
entry points decorated with :func:`metered` run under a fresh item of
:data:`DEFAULT_LIMITS` per outermost call, so a single operation is still
bounded.
"""

from __future__ import annotations

import contextvars
import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NoReturn, Optional, TypeVar

from .errors import BudgetExceeded

#: Steps between two reads of the clock while charging.
CLOCK_EVERY = 20_000


@dataclass(frozen=True)
class Limits:
    """Budget limits: ``item_steps``, ``file_steps`` and ``run_steps`` in
    steps (positive integers), ``seconds`` of wall-clock time per run
    (positive), and ``source_bytes``: the most bytes of policy source one
    ``check`` run reads (:func:`policyc.loader.load_policy_set`; PC111
    when more are named). Configured by the ``[budget]`` table
    (docs/configuration.md)."""

    item_steps: int = 2_000_000
    file_steps: int = 10_000_000
    run_steps: int = 30_000_000
    seconds: float = 30.0
    source_bytes: int = 2 << 20


DEFAULT_LIMITS = Limits()


class Item:
    """One budgeted unit of work (see :meth:`Budget.item`). ``spent``: steps
    charged so far; ``exceeded``: the scope that ran out (``"item"``,
    ``"file"``, ``"run"`` or ``"deadline"``), or None; ``why``: what was
    refused, when :func:`refuse` said (else empty)."""

    __slots__ = ("file", "spent", "exceeded", "why", "_allowance", "_binding", "_deadline", "_clock", "_tick")

    def __init__(self, file: str, allowance: int, binding: str, deadline: float, clock: Callable[[], float]):
        self.file = file
        self.spent = 0
        self.exceeded: Optional[str] = None
        self.why = ""
        self._allowance = allowance
        self._binding = binding
        self._deadline = deadline
        self._clock = clock
        self._tick = CLOCK_EVERY

    def charge(self, steps: int) -> None:
        """Spend ``steps`` (>= 0). Raises :class:`BudgetExceeded` when that
        passes the allowance or the deadline, and on every call once the
        item is exhausted."""
        self.spent += steps
        if self.exceeded is not None or self.spent > self._allowance:
            self.fail(self.exceeded or self._binding)
        self._tick -= steps
        if self._tick <= 0:
            self._tick = CLOCK_EVERY
            if self._clock() >= self._deadline:
                self.fail("deadline")

    def remaining(self) -> int:
        """Steps left before the allowance is passed (0 once exhausted)."""
        return 0 if self.exceeded is not None else max(0, self._allowance - self.spent)

    def fail(self, scope: str = "item", why: str = "") -> NoReturn:
        """Mark the item exhausted (the first scope sticks) and raise
        :class:`BudgetExceeded`; ``why`` adds detail to the message."""
        if self.exceeded is None:
            self.exceeded, self.why = scope, why
        raise BudgetExceeded(self.exceeded, f"analysis budget exhausted ({self.exceeded}){': ' + why if why else ''}")


@dataclass
class Budget:
    """The budget of one analysis run (see the module docstring).
    ``run_spent`` and ``file_spent`` (path -> steps) count the steps of
    finished items; ``stopped`` is ``"run"`` or ``"deadline"`` once the whole
    run is out of budget."""

    limits: Limits = DEFAULT_LIMITS
    clock: Callable[[], float] = time.monotonic
    run_spent: int = 0
    file_spent: dict[str, int] = field(default_factory=dict)
    stopped: Optional[str] = None

    def __post_init__(self) -> None:
        self.deadline = self.clock() + self.limits.seconds

    def exhausted(self, file: str) -> Optional[str]:
        """The scope that already stops every item of ``file`` (``"run"``,
        ``"deadline"`` or ``"file"``), or None when one may start."""
        if self.stopped is None and self.clock() >= self.deadline:
            self.stopped = "deadline"
        if self.stopped is not None:
            return self.stopped
        if self.run_spent >= self.limits.run_steps:
            self.stopped = "run"
            return "run"
        return "file" if self.file_spent.get(file, 0) >= self.limits.file_steps else None

    @contextmanager
    def item(self, file: str) -> Iterator[Item]:
        """Run one item of ``file`` with this budget active; yields the
        :class:`Item` (inspect ``exceeded`` afterwards). Its allowance is the
        least of the item limit and what is left of the file's and the run's
        steps. Exceptions propagate; the steps are booked either way."""
        limits = self.limits
        left = {"item": limits.item_steps,
                "file": limits.file_steps - self.file_spent.get(file, 0),
                "run": limits.run_steps - self.run_spent}
        binding = min(left, key=lambda scope: left[scope])  # ties: the narrowest scope
        item = Item(file, max(0, left[binding]), binding, self.deadline, self.clock)
        token = _ACTIVE.set(item)
        try:
            yield item
        finally:
            _ACTIVE.reset(token)
            self.run_spent += item.spent
            self.file_spent[file] = self.file_spent.get(file, 0) + item.spent
            if item.exceeded in ("run", "deadline"):
                self.stopped = item.exceeded


_ACTIVE: contextvars.ContextVar[Optional[Item]] = contextvars.ContextVar("policyc_budget_item", default=None)


def active() -> Optional[Item]:
    """The item being charged, or None outside any."""
    return _ACTIVE.get()


def charge(steps: int) -> None:
    """Charge ``steps`` to the active item (nothing outside any). Raises
    :class:`BudgetExceeded` as :meth:`Item.charge`."""
    item = _ACTIVE.get()
    if item is not None:
        item.charge(steps)


def remaining() -> int:
    """Steps the active item may still spend (the default item limit
    outside any)."""
    item = _ACTIVE.get()
    return DEFAULT_LIMITS.item_steps if item is None else item.remaining()


def refuse(why: str) -> NoReturn:
    """Give up on the current question for lack of budget (an input too
    large to analyse): marks the active item exhausted and raises
    :class:`BudgetExceeded` (scope ``"item"``)."""
    item = _ACTIVE.get()
    if item is None:
        raise BudgetExceeded("item", f"analysis budget exhausted (item): {why}")
    item.fail("item", why)


_F = TypeVar("_F", bound=Callable)


def metered(fn: _F) -> _F:
    """Decorate an analysis entry point: called outside any item, it runs
    under a fresh item of :data:`DEFAULT_LIMITS` (so it is bounded on its
    own); inside one, it charges that item."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if _ACTIVE.get() is not None:
            return fn(*args, **kwargs)
        with Budget().item("") as _:
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
