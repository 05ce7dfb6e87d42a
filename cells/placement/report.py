"""The numbers that matter about a placement: load, overlap against the hypergeometric
expectation, the worst cell to lose, and movement against the previous lock."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from math import comb

from cells.model import CellState, Fleet
from cells.placement.model import Placement

MAX_PAIRS = 200_000


@dataclass(frozen=True)
class CellLoad:
    cell: str
    region: str
    state: str
    capacity: int
    used: int
    tenants: int

    @property
    def utilisation(self) -> float:
        return self.used / self.capacity


def cell_loads(fleet: Fleet, placement: Placement) -> list[CellLoad]:
    units = {(t.id, j.id): j.capacity_units for t in fleet.tenants for j in t.jobs}
    used: dict[str, int] = {}
    for key, cell in placement.jobs.items():
        used[cell] = used.get(cell, 0) + units.get(key, 0)
    members: dict[str, int] = {}
    for shard in placement.shards.values():
        for cell in shard:
            members[cell] = members.get(cell, 0) + 1
    return [
        CellLoad(
            c.id,
            c.region,
            c.state.value,
            fleet.sizes[c.size].capacity_units,
            used.get(c.id, 0),
            members.get(c.id, 0),
        )
        for c in fleet.cells
    ]


def max_over_mean(loads: list[CellLoad]) -> float:
    """max/mean utilisation over the active cells given (1.0 when nothing runs)."""
    active = [load.utilisation for load in loads if load.state == CellState.ACTIVE.value]
    mean = sum(active) / len(active) if active else 0.0
    return max(active) / mean if mean else 1.0


def tenants_max_over_mean(loads: list[CellLoad]) -> float:
    """max/mean tenants per active cell of those given (1.0 when no cell holds a tenant): how
    many more tenants than the average one cell's failure touches."""
    members = [load.tenants for load in loads if load.state == CellState.ACTIVE.value]
    total = sum(members)
    return max(members) * len(members) / total if total else 1.0


def hypergeometric(cells: int, k1: int, k2: int, overlap: int) -> float:
    """P(two random shards of k1 and k2 of `cells` cells share exactly `overlap` cells)."""
    if overlap > min(k1, k2) or k2 - overlap > cells - k1:
        return 0.0
    return comb(k1, overlap) * comb(cells - k1, k2 - overlap) / comb(cells, k2)


@dataclass(frozen=True)
class OverlapDistribution:
    """pairs: the tenant pairs counted, of `total`: every `stride`th pair in the fleet's tenant
    order (all of them, exactly, when stride is 1)."""

    region: str
    pairs: int
    observed: dict[int, float]
    expected: dict[int, float]
    total: int = 0
    stride: int = 1


def overlap_distribution(fleet: Fleet, placement: Placement, region: str) -> OverlapDistribution:
    """Pairwise shard overlaps of the region's tenants (every pair up to MAX_PAIRS, else an
    evenly strided sample) beside the expectation for independent uniformly random shards."""
    cells = sum(1 for c in fleet.cells_in(region) if c.state == CellState.ACTIVE)
    shards = [set(placement.shards[t.id]) for t in fleet.tenants if t.home_region == region]
    pairs = itertools.combinations(range(len(shards)), 2)
    total = comb(len(shards), 2)
    stride = 1
    if total > MAX_PAIRS:
        stride = total // MAX_PAIRS + 1
        pairs = itertools.islice(pairs, 0, None, stride)
    observed: dict[int, float] = {}
    expected: dict[int, float] = {}
    count = 0
    for a, b in pairs:
        count += 1
        o = len(shards[a] & shards[b])
        observed[o] = observed.get(o, 0) + 1
        k1, k2 = len(shards[a]), len(shards[b])
        for x in range(min(k1, k2) + 1):
            expected[x] = expected.get(x, 0) + hypergeometric(max(cells, k1, k2), k1, k2, x)
    if count:
        observed = {o: n / count for o, n in observed.items()}
        expected = {o: p / count for o, p in expected.items() if p > 0}
    return OverlapDistribution(region, count, observed, expected, total, stride)


@dataclass(frozen=True)
class WorstCell:
    cell: str
    tenants: int
    exposed: list[str]


def worst_cell(fleet: Fleet, placement: Placement, region: str) -> WorstCell | None:
    """The cell whose loss touches most tenants, and those losing more than half their shard."""
    candidates = [c.id for c in fleet.cells_in(region)]
    if not candidates:
        return None
    cell = max(candidates, key=lambda c: (len(placement.tenants_in(c)), c))
    # Losing one cell costs a tenant 1/k of its shard: more than half only when k is 1.
    exposed = [t for t in placement.tenants_in(cell) if len(placement.shards[t]) < 2]
    return WorstCell(cell, len(placement.tenants_in(cell)), exposed)


@dataclass(frozen=True)
class Movement:
    tenants_moved: int
    tenants: int
    jobs_moved: int
    jobs: int


def movement(previous: Placement | None, placement: Placement) -> Movement:
    before_shards = previous.shards if previous else {}
    before_jobs = previous.jobs if previous else {}
    tenants_moved = sum(
        1
        for t, shard in placement.shards.items()
        if t in before_shards and set(before_shards[t]) != set(shard)
    )
    jobs_moved = sum(
        1 for key, cell in placement.jobs.items() if key in before_jobs and before_jobs[key] != cell
    )
    return Movement(tenants_moved, len(placement.shards), jobs_moved, len(placement.jobs))
