"""The one loop of placement that visits every (tenant, cell) pair, compiled.

Rendezvous hashing ranks a tenant's cells by a hash of the pair, which has no order a lookup
could use: a tenant's top cells are found only by weighing every cell of its region, T x C
weights for a fresh placement, which grows with the square of the fleet when cells grow with
tenants. numpy's weight matrix and argpartition spent ~5 ns a pair on it (78 of 119 profiled
seconds placing 1,000,000 tenants on 10,000 cells). Here each block of cells is weighed in
vector registers for its highest weight alone, and only the blocks whose highest can be in
the tenant's top list are weighed again, one by one: ~0.25 ns a pair at 10,000 cells, ~1.3 ns
at 1,000 (where those blocks are a fifth of the row).
Compiled on first use and cached beside this file (numba), so a process pays it once.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Typed constants: numba would turn uint64 mixed with a plain int into float64.
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
# Cells per block: the top weights are looked for only in the blocks with the highest maxima.
_BLOCK = 32


@njit(cache=True, nogil=True, boundscheck=False)
def top_positions(tenant_ids: np.ndarray, mixed_cells: np.ndarray, count: int) -> np.ndarray:
    """out[i] = the positions of the `count` (<= len(mixed_cells)) highest weights
    mix64(tenant_ids[i] ^ mixed_cells[j]), highest first; equal weights by position."""
    cells = mixed_cells.shape[0]
    full = cells // _BLOCK
    blocks = -(-cells // _BLOCK)
    out = np.empty((tenant_ids.shape[0], count), dtype=np.int64)
    highest = np.empty(blocks, dtype=np.uint64)
    best = np.empty(count, dtype=np.uint64)
    where = np.empty(count, dtype=np.int64)
    for i in range(tenant_ids.shape[0]):
        tenant = tenant_ids[i]
        # Each block's highest weight only. A loop of constant trip count that stores nothing
        # runs in vector registers; storing the weights, or a loop to a computed end, ran 4 to
        # 5 x slower, so the few blocks searched below are weighed a second time instead.
        for b in range(full):
            top = np.uint64(0)
            base = b * _BLOCK
            for offset in range(_BLOCK):
                z = tenant ^ mixed_cells[base + offset]
                z = (z ^ (z >> _S30)) * _M1
                z = (z ^ (z >> _S27)) * _M2
                top = max(top, z ^ (z >> _S31))
            highest[b] = top
        if full < blocks:
            top = np.uint64(0)
            for j in range(full * _BLOCK, cells):
                top = max(top, _weight(tenant, mixed_cells[j]))
            highest[full] = top
        # `count` weights reach the count-th highest block maximum, so every weight of the top
        # list does, and only blocks whose maximum reaches it can hold one.
        floor = _kth_highest(highest, best) if blocks > count else np.uint64(0)
        filled = 0
        for b in range(blocks):
            if highest[b] >= floor:
                stop = min(b * _BLOCK + _BLOCK, cells)
                filled = _enter(tenant, mixed_cells, b * _BLOCK, stop, best, where, filled)
        out[i, :] = where
    return out


@njit
def _weight(tenant: np.uint64, mixed_cell: np.uint64) -> np.uint64:
    """hashing.weight, from the tenant's stable id and the cell's mixed one."""
    z = tenant ^ mixed_cell
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(boundscheck=False)
def _kth_highest(values: np.ndarray, scratch: np.ndarray) -> np.uint64:
    """The len(scratch)-th highest of `values` (len(values) >= len(scratch))."""
    k = scratch.shape[0]
    for j in range(k):
        scratch[j] = 0
    for j in range(values.shape[0]):
        v = values[j]
        if v <= scratch[k - 1]:
            continue
        slot = k - 1
        while slot > 0 and scratch[slot - 1] < v:
            scratch[slot] = scratch[slot - 1]
            slot -= 1
        scratch[slot] = v
    return scratch[k - 1]


@njit(boundscheck=False)
def _enter(
    tenant: np.uint64,
    mixed_cells: np.ndarray,
    start: int,
    stop: int,
    best: np.ndarray,
    where: np.ndarray,
    filled: int,
) -> int:
    """Weigh the cells start..stop and insert them into the list `best` (weights, highest
    first, equal ones by position) and `where` (their positions), of which `filled` entries
    are set; returns how many are set after."""
    count = best.shape[0]
    for j in range(start, stop):
        w = _weight(tenant, mixed_cells[j])
        if filled == count and w <= best[count - 1]:
            continue
        slot = filled if filled < count else count - 1
        while slot > 0 and best[slot - 1] < w:
            best[slot] = best[slot - 1]
            where[slot] = where[slot - 1]
            slot -= 1
        best[slot] = w
        where[slot] = j
        filled = min(filled + 1, count)
    return filled
