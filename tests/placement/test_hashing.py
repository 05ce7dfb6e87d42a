"""The leaf math of rendezvous hashing: table-driven edge cases and scalar == vectorised."""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cells.placement.hashing import mix64, ranked, stable_id, top_ranked, weight, weights

ids = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (1, 0x5692161D100B05E5),
        # splitmix64's published first outputs for seed 0: mix64(n * golden gamma)
        (0x9E3779B97F4A7C15, 0xE220A8397B1DCDAF),
        ((2 * 0x9E3779B97F4A7C15) % (1 << 64), 0x6E789E6AA1B965F4),
        ((3 * 0x9E3779B97F4A7C15) % (1 << 64), 0x06C45D188009454F),
        (1 << 64, 0),  # inputs wrap to 64 bits
    ],
)
def test_mix64_table(value: int, expected: int) -> None:
    assert mix64(value) == expected


def test_stable_id_is_blake2b_64_and_not_python_hash() -> None:
    expected = int.from_bytes(hashlib.blake2b(b"use1-a", digest_size=8).digest(), "big")
    assert stable_id("use1-a") == expected
    assert stable_id("") == int.from_bytes(hashlib.blake2b(b"", digest_size=8).digest(), "big")


@given(
    tenants=st.lists(ids, min_size=1, max_size=20, unique=True),
    cells=st.lists(ids, min_size=1, max_size=30, unique=True),
)
def test_vectorised_weights_equal_scalar(tenants: list[str], cells: list[str]) -> None:
    matrix = weights(tenants, cells)
    for i, tenant in enumerate(tenants):
        for j, cell in enumerate(cells):
            assert int(matrix[i, j]) == weight(tenant, cell)


# No deadline: the first call in a process loads (or compiles) the search.
@settings(deadline=None)
@given(
    tenants=st.lists(ids, min_size=1, max_size=20, unique=True),
    cells=st.lists(ids, min_size=1, max_size=30, unique=True),
    count=st.integers(1, 35),
)
def test_top_ranked_is_the_prefix_of_the_full_ranking(
    tenants: list[str], cells: list[str], count: int
) -> None:
    top = top_ranked(tenants, cells, count)
    for tenant, best in zip(tenants, top, strict=True):
        assert [cells[i] for i in best] == ranked(tenant, cells)[: min(count, len(cells))]


@st.composite
def many_cells(draw: st.DrawFn) -> list[str]:
    """Up to ten blocks of the compiled search and a partial last one; from a small pool, ids
    repeat, and repeated ids weigh alike."""
    size = draw(st.integers(1, 330))
    pool = draw(st.sampled_from([size // 2 + 1, 10 * size]))
    rng = random.Random(draw(st.integers(0, 2**32)))
    return [f"c{rng.randrange(pool)}" for _ in range(size)]


@settings(deadline=None)
@given(
    tenants=st.lists(ids, min_size=1, max_size=8, unique=True),
    cells=many_cells(),
    count=st.integers(1, 12),
)
def test_top_ranked_over_many_cells_takes_the_highest_weights_first_by_position(
    tenants: list[str], cells: list[str], count: int
) -> None:
    top = top_ranked(tenants, cells, count)
    for tenant, best in zip(tenants, top, strict=True):
        order = sorted(range(len(cells)), key=lambda j: (-weight(tenant, cells[j]), j))
        assert best == order[: min(count, len(cells))]
