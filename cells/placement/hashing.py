"""The pure math of rendezvous (highest-random-weight) hashing, stable across processes.

Ids become 64-bit integers through BLAKE2b (never Python's salted hash()); a tenant's weight for a
cell is splitmix64's finalizer over the tenant id xor the mixed cell id. `weights` computes the
same numbers as `weight` for whole matrices at once.
"""

from __future__ import annotations

import hashlib
from functools import cache

import numpy as np

MASK64 = (1 << 64) - 1
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB


@cache
def stable_id(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def mix64(z: int) -> int:
    z &= MASK64
    z = ((z ^ (z >> 30)) * _M1) & MASK64
    z = ((z ^ (z >> 27)) * _M2) & MASK64
    return z ^ (z >> 31)


def weight(tenant: str, cell: str) -> int:
    """The rendezvous weight of `cell` for `tenant`: higher ranks first."""
    return mix64(stable_id(tenant) ^ mix64(stable_id(cell)))


def ranked(tenant: str, cells: list[str]) -> list[str]:
    """Cells in the tenant's order of preference (ties, never seen in practice, by id)."""
    return sorted(cells, key=lambda cell: (-weight(tenant, cell), cell))


def _mix64_array(z: np.ndarray) -> np.ndarray:
    """mix64 over an array, in place (callers pass arrays they own)."""
    z ^= z >> np.uint64(30)
    z *= np.uint64(_M1)
    z ^= z >> np.uint64(27)
    z *= np.uint64(_M2)
    z ^= z >> np.uint64(31)
    return z


def weights(tenants: list[str], cells: list[str]) -> np.ndarray:
    """weights[i, j] == weight(tenants[i], cells[j]), as uint64."""
    return _weights(tenants, _mixed_cells(cells))


def _mixed_cells(cells: list[str]) -> np.ndarray:
    return _mix64_array(np.array([stable_id(c) for c in cells], dtype=np.uint64))


def _weights(tenants: list[str], mixed_cells: np.ndarray) -> np.ndarray:
    tenant_ids = np.array([stable_id(t) for t in tenants], dtype=np.uint64)
    return _mix64_array(tenant_ids[:, None] ^ mixed_cells[None, :])


def top_ranked(tenants: list[str], cells: list[str], count: int) -> list[list[int]]:
    """For each tenant, the positions in `cells` of its `count` most preferred, best first."""
    from cells.placement.rendezvous_kernel import top_positions

    count = min(count, len(cells))
    tenant_ids = np.array([stable_id(t) for t in tenants], dtype=np.uint64)
    return top_positions(tenant_ids, _mixed_cells(cells), count).tolist()
