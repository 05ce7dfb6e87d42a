"""Placement speed and quality at scale, against a seeded-shuffle baseline in the same run.

For 10,000 tenants over 100 cells and 100,000 tenants over 1,000 cells (one region, the hardest
case for rendezvous hashing), k = 3 and 4: seconds to place on one core, tenants per second,
max/mean capacity use, and the fraction of tenants whose shard changes when one cell is added,
divided by the ideal k/(N+1); the same churn for Route 53 Infima's stateless approach (a shuffle
seeded by the tenant id). Targets: 100k/1k placed in <= 5 s; moved/ideal <= 1.25; max/mean <= 1.15.
Run: `.venv/bin/python benchmarks/placement.py`.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cells.model import Fleet
from cells.placement import place
from cells.placement.hashing import stable_id
from cells.placement.report import cell_loads, max_over_mean
from cells.synthetic import synthetic_fleet


def fleet(cells: int, tenants: int, k: int) -> Fleet:
    capacity = max(100, 4 * tenants // cells)  # two 1-unit jobs per tenant, ample headroom
    return Fleet.model_validate(synthetic_fleet(1, cells, tenants, k, capacity))


def seeded_shuffle(tenants: list[str], cells: list[str], k: int) -> dict[str, frozenset[str]]:
    """Infima's stateless sharder: shuffle every cell with a tenant-seeded RNG, take k."""
    shards = {}
    for tenant in tenants:
        order = list(cells)
        random.Random(stable_id(tenant)).shuffle(order)
        shards[tenant] = frozenset(order[:k])
    return shards


def churn(before: dict[str, frozenset[str]], after: dict[str, frozenset[str]]) -> float:
    return sum(before[t] != after[t] for t in before) / len(before)


def run(cells: int, tenants: int, k: int) -> None:
    small, grown = fleet(cells, tenants, k), fleet(cells + 1, tenants, k)
    start = time.perf_counter()
    placement = place(small).placement
    seconds = time.perf_counter() - start
    balance = max_over_mean(cell_loads(small, placement))
    after = place(grown).placement
    ours = churn(
        {t: frozenset(s) for t, s in placement.shards.items()},
        {t: frozenset(s) for t, s in after.shards.items()},
    )
    ideal = k / (cells + 1)
    ids = [t.id for t in small.tenants]
    baseline = churn(
        seeded_shuffle(ids, [c.id for c in small.cells], k),
        seeded_shuffle(ids, [c.id for c in grown.cells], k),
    )
    print(
        f"{tenants:>7} tenants {cells:>5} cells k={k}: {seconds:6.2f} s"
        f" {tenants / seconds:9.0f} tenants/s  max/mean {balance:.3f}"
        f"  moved on +1 cell {ours:.4f} = {ours / ideal:.2f} x ideal {ideal:.4f}"
        f"  | seeded shuffle moved {baseline:.4f} = {baseline / ideal:.1f} x ideal"
        f" ({baseline / ours:.0f} x ours)"
    )


def main() -> None:
    for cells, tenants in ((100, 10_000), (1_000, 100_000)):
        for k in (3, 4):
            run(cells, tenants, k)


if __name__ == "__main__":
    main()
