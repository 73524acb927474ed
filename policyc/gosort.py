"""The order Go's ``sort.Slice`` leaves elements in, reproduced in Python.

Why: Rampart's policy engine (``engine.go``, ``collectMatching``) orders the
policies in scope for a call with::

    sort.Slice(result, func(i, j int) bool {
        return result[i].EffectivePriority() < result[j].EffectivePriority()
    })

``sort.Slice`` is not stable. Policies of equal priority come out in a
permutation that is deterministic but scrambled, and that permutation
decides which policy's deny message the engine reports. To predict the
engine's decision, policyc has to reproduce the permutation exactly, not
only the sorted order of the keys.

What is emulated: the pattern-defeating quicksort (pdqsort) that Go's
``sort`` package runs for ``sort.Slice`` (its ``lessSwap`` variant, which
sees the slice only through ``Less(i, j)`` and ``Swap(i, j)`` on positions of
the *current*, partially permuted slice). Its parts:

* ranges of at most 12 elements: plain insertion sort by adjacent swaps
  (stable, so short inputs keep input order among ties);
* pivot choice: the middle of three samples at a quarter, half and three
  quarters of the range (each sample itself a median of its neighbours,
  Tukey's ninther, when the range has at least 50 elements), counting the
  swaps the median networks make: none hints the range is increasing, all
  twelve that it is decreasing;
* a decreasing hint reverses the range; an increasing hint on a balanced,
  already-partitioned history tries a bounded partial insertion sort;
* when the pivot is not greater than the element just before the range
  (every element of the range is then at least that element), the range is
  split into "equal to pivot" and "greater" and only the greater part is
  sorted further;
* otherwise a Hoare-style partition around the pivot; after an unbalanced
  split (the smaller side under an eighth of the range), the next round
  first swaps three elements near the middle with positions from a
  xorshift generator seeded with the range's length, and spends one unit
  of the recursion budget;
* when the budget (the bit length of the slice's length) runs out, heapsort.

Every comparison and swap happens in the same sequence as in Go, so the
result is Go's permutation for every input, ties or not. The comparison is
on integer keys only (``key[i] < key[j]``), which is all the engine needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["slice_order"]

_MAX_INSERTION = 12  # ranges this short are insertion-sorted
_SHORTEST_NINTHER = 50  # ranges this long sample pivots by medians of three
_MAX_SWAPS = 4 * 3  # swaps of the pivot networks when a range is decreasing
_PARTIAL_STEPS = 5  # out-of-order pairs the partial insertion sort repairs
_SHORTEST_SHIFTING = 50  # shorter ranges give up at the first such pair

_UNKNOWN, _INCREASING, _DECREASING = 0, 1, 2

_MASK64 = (1 << 64) - 1


def slice_order(keys: Sequence[int]) -> list[int]:
    """The original indices of ``keys`` in the order ``sort.Slice`` leaves
    them with the less function ``key[i] < key[j]``.

    ``keys`` has shape ``(n,)``: element ``i`` of the slice Go sorts has key
    ``keys[i]`` (integers, compared with ``<`` only). The result has shape
    ``(n,)`` and is a permutation of ``range(n)``: position ``p`` holds the
    input index of the element Go leaves at position ``p``. The keys read
    through it are non-decreasing; among equal keys the order is Go's
    (input order when ``n <= 12``, otherwise generally not).
    """
    n = len(keys)
    sorter = _Sorter(list(keys))
    sorter.pdqsort(0, n, n.bit_length())
    return sorter.index


class _Sorter:
    """A slice of (input index, key) pairs, held as two parallel lists and
    permuted by the same comparisons and swaps Go's pdqsort makes."""

    __slots__ = ("key", "index")

    def __init__(self, key: list[int]) -> None:
        self.key = key
        self.index = list(range(len(key)))

    def _swap(self, i: int, j: int) -> None:
        key, index = self.key, self.index
        key[i], key[j] = key[j], key[i]
        index[i], index[j] = index[j], index[i]

    # -- the main loop --------------------------------------------------

    def pdqsort(self, a: int, b: int, limit: int) -> None:
        """Sort positions ``[a, b)``; ``limit`` is the remaining budget of
        bad (unbalanced) partitions before falling back to heapsort."""
        key = self.key
        was_balanced = True
        was_partitioned = True
        while True:
            length = b - a
            if length <= _MAX_INSERTION:
                self._insertion_sort(a, b)
                return
            if limit == 0:
                self._heap_sort(a, b)
                return
            if not was_balanced:
                self._break_patterns(a, b)
                limit -= 1

            pivot, hint = self._choose_pivot(a, b)
            if hint == _DECREASING:
                self._reverse(a, b)
                # The pivot element moved to the mirrored position.
                pivot = (b - 1) - (pivot - a)
                hint = _INCREASING

            if was_balanced and was_partitioned and hint == _INCREASING:
                if self._partial_insertion_sort(a, b):
                    return

            # Every element of [a, b) is >= key[a-1] (it was the pivot of
            # an enclosing partition); if the pivot equals it, split off
            # the run equal to the pivot and keep sorting the rest only.
            if a > 0 and not key[a - 1] < key[pivot]:
                a = self._partition_equal(a, b, pivot)
                continue

            mid, already = self._partition(a, b, pivot)
            was_partitioned = already
            left_len, right_len = mid - a, b - mid
            threshold = length // 8
            if left_len < right_len:
                was_balanced = left_len >= threshold
                self.pdqsort(a, mid, limit)
                a = mid + 1
            else:
                was_balanced = right_len >= threshold
                self.pdqsort(mid + 1, b, limit)
                b = mid

    # -- building blocks ------------------------------------------------

    def _insertion_sort(self, a: int, b: int) -> None:
        key, index = self.key, self.index
        for i in range(a + 1, b):
            j = i
            while j > a and key[j] < key[j - 1]:
                key[j], key[j - 1] = key[j - 1], key[j]
                index[j], index[j - 1] = index[j - 1], index[j]
                j -= 1

    def _sift_down(self, lo: int, hi: int, first: int) -> None:
        """Restore the max-heap below ``root=lo`` of the heap stored at
        ``first + [0, hi)``."""
        key = self.key
        root = lo
        while True:
            child = 2 * root + 1
            if child >= hi:
                return
            if child + 1 < hi and key[first + child] < key[first + child + 1]:
                child += 1
            if not key[first + root] < key[first + child]:
                return
            self._swap(first + root, first + child)
            root = child

    def _heap_sort(self, a: int, b: int) -> None:
        first, hi = a, b - a
        for i in range((hi - 1) // 2, -1, -1):
            self._sift_down(i, hi, first)
        for i in range(hi - 1, -1, -1):
            self._swap(first, first + i)
            self._sift_down(0, i, first)

    def _partition(self, a: int, b: int, pivot: int) -> tuple[int, bool]:
        """Hoare partition of ``[a, b)`` around the element at ``pivot``
        (moved to ``a`` first, to its final place last). Returns its final
        position and whether no element had to be exchanged."""
        key = self.key
        self._swap(a, pivot)
        p = key[a]  # the pivot stays at position a until the final swap
        i, j = a + 1, b - 1
        while i <= j and key[i] < p:
            i += 1
        while i <= j and not key[j] < p:
            j -= 1
        if i > j:
            self._swap(j, a)
            return j, True
        self._swap(i, j)
        _, j = self._cross(i + 1, j - 1, lambda x: x < p)
        self._swap(j, a)
        return j, False

    def _partition_equal(self, a: int, b: int, pivot: int) -> int:
        """Partition ``[a, b)`` into elements not greater than the pivot
        (moved to ``a``) and greater ones; returns where the greater part
        starts."""
        self._swap(a, pivot)
        p = self.key[a]
        return self._cross(a + 1, b - 1, lambda x: not p < x)[0]

    def _cross(self, i: int, j: int, low: Callable[[Any], bool]) -> tuple[int, int]:
        """Go's partition loop: ``i`` moves up over keys ``low`` accepts,
        ``j`` down over keys it refuses, each misplaced pair is exchanged,
        until they cross; returns ``(i, j)`` then."""
        key = self.key
        while True:
            while i <= j and low(key[i]):
                i += 1
            while i <= j and not low(key[j]):
                j -= 1
            if i > j:
                return i, j
            self._swap(i, j)
            i += 1
            j -= 1

    def _partial_insertion_sort(self, a: int, b: int) -> bool:
        """Try to finish a nearly sorted ``[a, b)`` by repairing a few
        out-of-order neighbours; True when the range ended up sorted."""
        key = self.key
        i = a + 1
        for _ in range(_PARTIAL_STEPS):
            while i < b and not key[i] < key[i - 1]:
                i += 1
            if i == b:
                return True
            if b - a < _SHORTEST_SHIFTING:
                return False
            self._swap(i, i - 1)
            # Shift the smaller element left. Go bounds this loop by
            # position 1 rather than a; kept as is. (It never moves past a:
            # elements before a range are never greater than those in it.)
            if i - a >= 2:
                j = i - 1
                while j >= 1:
                    if not key[j] < key[j - 1]:
                        break
                    self._swap(j, j - 1)
                    j -= 1
            # Shift the greater element right.
            if b - i >= 2:
                j = i + 1
                while j < b:
                    if not key[j] < key[j - 1]:
                        break
                    self._swap(j, j - 1)
                    j += 1
        return False

    def _break_patterns(self, a: int, b: int) -> None:
        """Swap three elements around the middle of ``[a, b)`` with
        pseudo-random positions (xorshift64 seeded with the length)."""
        length = b - a
        if length < 8:
            return
        state = length
        mask = (1 << length.bit_length()) - 1  # Go's nextPowerOfTwo(length)-1
        first = a + (length // 4) * 2 - 1  # the middle three: first .. first+2
        for idx in range(first, first + 3):
            state ^= (state << 13) & _MASK64
            state ^= state >> 7
            state ^= (state << 17) & _MASK64
            other = state & mask
            if other >= length:
                other -= length
            self._swap(idx, a + other)

    def _choose_pivot(self, a: int, b: int) -> tuple[int, int]:
        """A pivot position for ``[a, b)`` and the order hint gathered from
        the swaps the sampling networks made."""
        length = b - a
        step = length // 4
        i, j, k = a + step, a + step * 2, a + step * 3
        swaps = [0]
        if length >= 8:
            if length >= _SHORTEST_NINTHER:
                i = self._median(i - 1, i, i + 1, swaps)
                j = self._median(j - 1, j, j + 1, swaps)
                k = self._median(k - 1, k, k + 1, swaps)
            j = self._median(i, j, k, swaps)
        if swaps[0] == 0:
            return j, _INCREASING
        if swaps[0] == _MAX_SWAPS:
            return j, _DECREASING
        return j, _UNKNOWN

    def _median(self, x: int, y: int, z: int, swaps: list[int]) -> int:
        """The position holding the median of positions x, y, z, found by a
        three-comparison network that counts its (virtual) exchanges."""
        key = self.key
        # order (x, y), then (y, z), then (x, y) again; each exchange counts.
        if key[y] < key[x]:
            swaps[0] += 1
            x, y = y, x
        if key[z] < key[y]:
            swaps[0] += 1
            y, z = z, y
        if key[y] < key[x]:
            swaps[0] += 1
            x, y = y, x
        return y

    def _reverse(self, a: int, b: int) -> None:
        i, j = a, b - 1
        while i < j:
            self._swap(i, j)
            i += 1
            j -= 1
