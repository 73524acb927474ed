"""policyc.gosort.slice_order against Go's own sort.Slice.

Go is the oracle: tests/gosort/main.go sorts JSON lines of keys with
``sort.Slice`` and prints the resulting permutations. It is built once per
session with the first Go toolchain found (PATH ``go``, ``.venv/bin/go``,
``~/.cache/policyc-oracles/rampart/gov/bin/go``); without one the
differential tests skip. The plain tests (permutation, sortedness, stability
of short inputs, permutations pinned from Go) run everywhere.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyc import gosort
from policyc.gosort import slice_order

from .conftest import NO_GO, go_toolchain

ORACLE_SOURCE = Path(__file__).resolve().parent / "gosort"

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


# ---------------------------------------------------------------- inputs


def _adversarial(n: int) -> list[int]:
    """Keys that drive pdqsort into unbalanced partitions until it falls
    back to heapsort (for n >= 50): McIlroy's "antiqsort" adversary, run on
    slice_order itself. Keys start undecided ("gas", above everything) and
    get the next small value when two undecided keys meet; which of the two
    is decided follows the last undecided key seen. The answers are
    consistent with the final keys, so sorting those keys repeats the path.
    Still-undecided keys end tied at ``n``."""
    gas = n
    values = [gas] * n
    state = {"next": 0, "candidate": None}

    def decide(x: int) -> None:
        values[x] = state["next"]
        state["next"] += 1

    class Key:
        __slots__ = ("i",)

        def __init__(self, i: int) -> None:
            self.i = i

        def __lt__(self, other: Key) -> bool:
            x, y = self.i, other.i
            if values[x] == gas and values[y] == gas:
                decide(y if y == state["candidate"] else x)
            if values[x] == gas:
                state["candidate"] = x
            elif values[y] == gas:
                state["candidate"] = y
            return values[x] < values[y]

    slice_order([Key(i) for i in range(n)])  # type: ignore[list-item]
    return values


# Inputs reaching heapsort with many ties inside the heapsorted range (found
# by mutating _adversarial keys while the heapsort path survived).
HEAP_TIES_30 = [14, 14, 14, 14, 6, 14, 14, 2, 14, 2, 5, 14, 5, 6, 0, 14, 14, 14, 14, 14,
                3, 14, 14, 14, 14, 14, 6, 3, 14, 14]
HEAP_TIES_50 = [18, 18, 18, 25, 18, 18, 25, 25, 11, 18, 25, 5, 1, 25, 18, 8, 25, 18, 8, 18,
                11, 11, 18, 1, 1, 25, 5, 18, 18, 8, 10, 18, 18, 25, 18, 5, 5, 18, 18, 25,
                25, 25, 25, 25, 25, 18, 18, 18, 18, 18]


def _nearly_sorted(n: int) -> list[int]:
    keys = [i // 3 for i in range(n)]
    keys[10], keys[40] = keys[40], keys[10]
    keys[70], keys[75] = keys[75], keys[70]
    return keys


# name -> (keys, the permutation Go 1.27.3's sort.Slice produced for them)
PINNED: dict[str, tuple[list[int], list[int]]] = {
    "alternating-13": (
        [i % 2 for i in range(13)],
        [8, 12, 2, 0, 4, 10, 6, 3, 7, 9, 5, 11, 1],
    ),
    "three-tiers-14": (
        [1, 1, 1000, 100, 1000, 1000, 1, 1, 100, 1, 1000, 100, 1000, 1],
        [9, 0, 13, 7, 6, 1, 3, 11, 8, 12, 10, 5, 4, 2],
    ),
    "mod3-20": (
        [(i * 7) % 3 for i in range(20)],
        [9, 18, 15, 3, 12, 0, 6, 10, 7, 4, 13, 16, 1, 19, 8, 5, 11, 14, 2, 17],
    ),
    "three-tiers-50": (
        [(1, 100, 1000)[(i * i + i // 3) % 3] for i in range(50)],
        [16, 45, 44, 43, 36, 35, 34, 7, 8, 9, 27, 26, 0, 25, 18, 17, 12, 2, 48, 19,
         20, 21, 47, 46, 1, 37, 11, 10, 28, 29, 30, 3, 39, 38, 33, 5, 4, 6, 15, 32,
         40, 41, 42, 31, 13, 24, 23, 22, 14, 49],
    ),
    "sawtooth-64": (
        [i % 5 for i in range(64)],
        [20, 5, 10, 25, 30, 0, 45, 60, 35, 55, 40, 50, 15, 46, 41, 26, 16, 51, 36, 56,
         61, 21, 11, 31, 6, 1, 32, 17, 47, 27, 62, 12, 22, 52, 2, 7, 42, 37, 57, 33,
         58, 38, 18, 43, 23, 63, 3, 28, 48, 53, 13, 8, 9, 49, 54, 4, 44, 14, 39, 59,
         19, 34, 24, 29],
    ),
    "organ-pipe-61": (
        [min(i, 60 - i) // 2 for i in range(61)],
        [60, 1, 0, 59, 2, 3, 57, 58, 4, 5, 55, 56, 7, 6, 53, 54, 52, 9, 8, 51,
         10, 11, 50, 49, 12, 13, 48, 47, 46, 14, 15, 45, 16, 17, 44, 43, 41, 18, 19, 42,
         21, 39, 40, 20, 22, 38, 37, 23, 36, 35, 25, 24, 34, 26, 27, 33, 29, 28, 32, 31,
         30],
    ),
    "reversed-57": (
        [(56 - i) // 4 for i in range(57)],
        [56, 55, 54, 53, 52, 51, 50, 49, 45, 48, 47, 46, 43, 41, 44, 42, 38, 40, 39, 37,
         36, 35, 34, 33, 29, 32, 31, 30, 27, 28, 26, 25, 24, 23, 22, 21, 17, 20, 19, 18,
         14, 15, 16, 13, 9, 12, 11, 10, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ),
    "heapsort-ties-30": (
        HEAP_TIES_30,
        [14, 7, 9, 20, 27, 10, 12, 26, 4, 13, 16, 0, 3, 1, 19, 5, 8, 6, 2, 21,
         15, 22, 23, 24, 25, 18, 17, 28, 29, 11],
    ),
    "heapsort-ties-50": (
        HEAP_TIES_50,
        [12, 24, 23, 11, 26, 36, 35, 15, 29, 18, 30, 20, 8, 21, 32, 49, 17, 48, 19, 31,
         47, 22, 2, 28, 4, 46, 0, 34, 45, 14, 27, 38, 9, 1, 37, 5, 7, 42, 39, 40,
         41, 10, 43, 44, 3, 25, 13, 33, 16, 6],
    ),
    "nearly-sorted-80": (
        _nearly_sorted(80),
        [*range(10), 40, *range(11, 40), 10, *range(41, 70), 71, 75, 72, 73, 74, 70,
         76, 77, 78, 79],
    ),
    "one-in-seven-200": (
        [100 if i % 7 else 1 for i in range(200)],
        [42, 7, 14, 21, 28, 35, 196, 189, 182, 175, 168, 161, 154, 147, 140, 133, 126, 119,
         112, 105, 0, 98, 91, 84, 77, 70, 63, 56, 49, 100, 114, 30, 31, 32, 33, 34, 36, 37,
         38, 39, 40, 41, 27, 43, 44, 45, 46, 47, 48, 26, 50, 51, 52, 53, 54, 55, 25, 57,
         58, 59, 60, 61, 62, 24, 64, 65, 66, 67, 68, 69, 23, 71, 72, 73, 74, 75, 76, 22,
         78, 79, 80, 81, 82, 83, 20, 85, 86, 87, 88, 89, 90, 19, 92, 93, 94, 95, 96, 97,
         18, 99, 17, 101, 102, 103, 104, 16, 106, 107, 108, 109, 110, 111, 15, 113, 29,
         115, 116, 117, 118, 13, 120, 121, 122, 123, 124, 125, 12, 127, 128, 129, 130,
         131, 132, 11, 134, 135, 136, 137, 138, 139, 10, 141, 142, 143, 144, 145, 146, 9,
         148, 149, 150, 151, 152, 153, 8, 155, 156, 157, 158, 159, 160, 6, 162, 163, 164,
         165, 166, 167, 5, 169, 170, 171, 172, 173, 174, 4, 176, 177, 178, 179, 180, 181,
         3, 183, 184, 185, 186, 187, 188, 2, 190, 191, 192, 193, 194, 195, 1, 197, 198,
         199],
    ),
}


def _shaped(shape: str, n: int, width: int, rng: random.Random) -> list[int]:
    """Structured key sequences of length ``n``; ``width`` (>= 1) scales
    the number of distinct keys."""
    if shape == "equal":
        return [100] * n
    if shape == "sorted":
        return [i // width for i in range(n)]
    if shape == "reversed":
        return [(n - i) // width for i in range(n)]
    if shape == "sawtooth":
        return [i % width for i in range(n)]
    if shape == "organ-pipe":
        return [min(i, n - 1 - i) // width for i in range(n)]
    if shape == "nearly-sorted":
        keys = [i // width for i in range(n)]
        for _ in range(rng.randint(1, 4)):
            if n >= 2:
                i, j = rng.randrange(n), rng.randrange(n)
                keys[i], keys[j] = keys[j], keys[i]
        return keys
    if shape == "tiers":
        return [rng.choice((1, 100, 1000)) for _ in range(n)]
    if shape == "binary":
        return [rng.choice((0, 1)) for _ in range(n)]
    if shape == "few":
        return [rng.randrange(width + 1) for _ in range(n)]
    if shape == "wide":
        return [rng.randint(INT64_MIN, INT64_MAX) for _ in range(n)]
    raise ValueError(shape)


SHAPES = ("equal", "sorted", "reversed", "sawtooth", "organ-pipe", "nearly-sorted",
          "tiers", "binary", "few", "wide")


def _corpus(seed: int = 20260) -> Iterator[list[int]]:
    """Thousands of deterministic key sequences: every shape at every
    length 0..300, more random ones around the insertion-sort cut-off (12,
    13) and the ninther cut-off (50), adversarial ones, the pinned ones."""
    rng = random.Random(seed)
    for n in range(301):
        for shape in SHAPES:
            yield _shaped(shape, n, rng.randint(1, 12), rng)
    for n in (*range(8, 20), *range(45, 56), 100, 128, 200, 256, 300):
        for _ in range(20):
            yield _shaped(rng.choice(SHAPES), n, rng.randint(1, 6), rng)
    for n in (*range(13, 80), 100, 127, 128, 129, 200, 255, 256, 300):
        yield _adversarial(n)
    for keys, _ in PINNED.values():
        yield keys


def key_lists() -> st.SearchStrategy[list[int]]:
    """Hypothesis key sequences of length 0..300, mostly with ties."""
    pools = st.sampled_from([(100,), (1, 100, 1000), (0, 1), (1, 2, 3, 4, 5)])
    tied = pools.flatmap(lambda pool: st.lists(st.sampled_from(pool), max_size=300))
    wide = st.lists(st.integers(INT64_MIN, INT64_MAX), max_size=300)
    narrow = st.lists(st.integers(-3, 3), min_size=10, max_size=120)
    shaped = st.builds(
        lambda shape, n, width, seed: _shaped(shape, n, width, random.Random(seed)),
        st.sampled_from(SHAPES), st.integers(0, 300), st.integers(1, 12), st.integers(0, 2**32),
    )
    return st.one_of(tied, wide, narrow, shaped)


# ---------------------------------------------------------------- plain tests


def _stable(keys: list[int]) -> list[int]:
    return sorted(range(len(keys)), key=keys.__getitem__)


@given(key_lists())
@settings(max_examples=300, deadline=None)
def test_is_a_permutation_sorted_by_key(keys):
    order = slice_order(keys)
    assert sorted(order) == list(range(len(keys)))
    ordered = [keys[i] for i in order]
    assert ordered == sorted(keys)


@given(st.lists(st.integers(0, 3), max_size=12))
def test_short_inputs_are_insertion_sorted_hence_stable(keys):
    assert slice_order(keys) == _stable(keys)


def test_edge_lengths_and_input_untouched():
    assert slice_order([]) == []
    assert slice_order([7]) == [0]
    keys = (3, 1, 2) * 10
    assert slice_order(keys) == slice_order(list(keys))
    assert keys == (3, 1, 2) * 10
    assert slice_order([100] * 200) == list(range(200))  # sorted at once: untouched


@pytest.mark.parametrize("name", PINNED)
def test_pinned_permutations_from_go(name):
    keys, expected = PINNED[name]
    assert sorted(expected) == list(range(len(keys)))
    assert slice_order(keys) == expected
    assert expected != _stable(keys)  # each pins genuinely unstable behaviour


def test_corpus_reaches_every_part_of_the_algorithm(monkeypatch):
    """The differential corpus is only as good as the paths it takes: every
    building block must run, heapsort included, and some with ties."""
    seen: Counter[str] = Counter()
    for name in ("_insertion_sort", "_heap_sort", "_break_patterns", "_partition",
                 "_partition_equal", "_partial_insertion_sort", "_reverse"):
        original = getattr(gosort._Sorter, name)

        def counted(self, *args, _original=original, _name=name):
            if _name == "_heap_sort":
                a, b = args
                if len(set(self.key[a:b])) < b - a:
                    seen["heapsort with ties"] += 1
            if _name == "_partial_insertion_sort":
                a, b = args
                if b - a >= 50:
                    seen["partial insertion sort shifting"] += 1
            seen[_name] += 1
            return _original(self, *args)

        monkeypatch.setattr(gosort._Sorter, name, counted)
    for keys in _corpus():
        slice_order(keys)
    missing = [part for part in ("_insertion_sort", "_heap_sort", "_break_patterns", "_partition",
                                 "_partition_equal", "_partial_insertion_sort", "_reverse",
                                 "heapsort with ties", "partial insertion sort shifting")
               if not seen[part]]
    assert not missing, seen


# ---------------------------------------------------------------- Go oracle


@pytest.fixture(scope="session")
def gosort_binary(tmp_path_factory) -> Path:
    go = go_toolchain()
    if go is None:
        pytest.skip(f"{NO_GO}: cannot build the sort.Slice oracle")
    tmp = tmp_path_factory.mktemp("gosort")
    env = dict(os.environ)
    env.setdefault("GOCACHE", str(tmp / "gocache"))
    env.update(GOPATH=str(tmp / "gopath"), GOTOOLCHAIN="local", GOFLAGS="-mod=mod",
               GOPROXY="off", GOSUMDB="off", CGO_ENABLED="0")
    binary = tmp / "gosort"
    done = subprocess.run([go, "build", "-o", str(binary), "."], cwd=ORACLE_SOURCE, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"building tests/gosort with {go} failed:\n{done.stderr}"
    return binary


def _go_orders(binary: Path, cases: list[list[int]]) -> list[list[int]]:
    """Go's permutations for ``cases``, all in one run of the oracle."""
    done = subprocess.run([str(binary)], input="".join(json.dumps(keys) + "\n" for keys in cases),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == len(cases)
    return [json.loads(line) for line in lines]


def test_matches_go_on_the_corpus(gosort_binary):
    cases = list(_corpus())
    assert len(cases) > 3000
    expected = _go_orders(gosort_binary, cases)
    mismatches = [keys for keys, order in zip(cases, expected) if slice_order(keys) != order]
    assert not mismatches, f"{len(mismatches)} of {len(cases)} differ; shortest: {min(mismatches, key=len)}"


def test_pinned_permutations_are_still_gos(gosort_binary):
    names = list(PINNED)
    expected = _go_orders(gosort_binary, [PINNED[name][0] for name in names])
    assert {name: order for name, order in zip(names, expected)} == {
        name: PINNED[name][1] for name in names}


@pytest.fixture(scope="session")
def go_oracle(gosort_binary) -> Iterator[subprocess.Popen[str]]:
    """One long-lived oracle process answering a line per line."""
    process = subprocess.Popen([str(gosort_binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True, bufsize=1)
    yield process
    assert process.stdin is not None
    process.stdin.close()
    process.wait(timeout=60)


@given(keys=key_lists())
@settings(max_examples=500, deadline=None)
def test_matches_go_on_generated_keys(go_oracle, keys):
    assert go_oracle.stdin is not None and go_oracle.stdout is not None
    go_oracle.stdin.write(json.dumps(keys) + "\n")
    go_oracle.stdin.flush()
    line = go_oracle.stdout.readline()
    assert line, "the Go oracle ended early"
    assert slice_order(keys) == json.loads(line)
