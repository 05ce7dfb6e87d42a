"""Placement speed and quality at scale: the tenant bound against hashing alone, same run.

One region (the hardest case for rendezvous hashing), k = 3 and 4, for 10,000 tenants over 100
cells and 100,000 over 1,000 (and 1,000,000 over 10,000 with --million, k = 3 only). For each
size, placed afresh by hashing alone (`tenant_balance=None`: the algorithm before issue 14) and
with the bound on tenants per cell (the default):
- seconds to place on one core (min of `repeat` runs after an untimed one that fills the id
  digest cache both share), tenants per second, and for the bounded placement the CPU seconds,
  the peak resident memory of the process while this size was built and placed, and seconds
  per tenant as a ratio to the smallest size of the same run (1.0 = linear; the CPU ratio is
  the steadier one when the machine is shared);
- tenants per cell, max/mean (how many tenants one cell's failure touches, against the average);
- capacity use, max/mean;
- the fraction of tenants whose shard changes when one cell is added, and when one is removed,
  each placed afresh, divided by the ideal (k/(N+1) and k/N of the tenants); the same churn for
  a cell added under Route 53 Infima's stateless sharder (a shuffle seeded by the tenant id);
- `--rebalance` after adding a cell to a lock placed by hashing alone (what an existing fleet
  runs): seconds, tenants whose shard changed, tenants per cell max/mean after.
Targets: 100k/1k placed in <= 5 s; 1M/10k in <= 12 x the 100k time (per tenant <= 1.2 x)
and under 3 GB; moved/ideal <= 1.25; tenants per cell max/mean <= 1.10; capacity max/mean
<= 1.15. The machine may be shared: seconds are noisy, the rest is exact.
Run: `.venv/bin/python benchmarks/placement.py [--million] [--scaling]` (--scaling: only the
bounded placement's seconds and memory at each size, k = 3; run against another commit's code
by copying this script into its benchmarks/).
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cells.collector import paused
from cells.model import Fleet
from cells.placement import Placement, place
from cells.placement.hashing import stable_id
from cells.placement.report import cell_loads, max_over_mean, tenants_max_over_mean
from cells.placement.sharding import TENANT_BALANCE
from cells.synthetic import synthetic_fleet

ALGORITHMS = (("hashing alone", None), ("bounded", TENANT_BALANCE))
# The seeded shuffle sorts every cell per tenant: its churn is measured on this many tenants.
BASELINE_SAMPLE = 20_000


def fleet(cells: int, tenants: int, k: int) -> Fleet:
    capacity = max(100, 4 * tenants // cells)  # two 1-unit jobs per tenant, ample headroom
    with paused():
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


def sets(placement: Placement) -> dict[str, frozenset[str]]:
    return {t: frozenset(s) for t, s in placement.shards.items()}


# Per k, seconds per tenant (wall, CPU) of each size placed so far, smallest first.
PER_TENANT: dict[int, list[tuple[int, float, float]]] = {}


def timed(action: Callable[[], Placement], repeat: int = 1) -> tuple[Placement, float]:
    placement, seconds, _ = timed_cpu(action, repeat)
    return placement, seconds


def timed_cpu(action: Callable[[], Placement], repeat: int = 1) -> tuple[Placement, float, float]:
    """The result, and the least wall and CPU seconds of `repeat` runs."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        placement = action()
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    return placement, best, best_cpu


def reset_peak() -> None:
    """Start the resident-memory high-water mark again (Linux; elsewhere it only grows)."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def peak_gb() -> float:
    try:
        with open("/proc/self/status") as status:
            match = re.search(r"VmHWM:\s+(\d+) kB", status.read())
        if match:
            return int(match.group(1)) / 1e6
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def print_scaling(tenants: int, k: int, seconds: float, cpu: float) -> None:
    """The bounded placement's seconds, the peak so far, and per-tenant ratios to the smaller
    sizes of this run with the same k."""
    sizes = PER_TENANT.setdefault(k, [])
    sizes.append((tenants, seconds / tenants, cpu / tenants))
    ratios = "".join(
        f"; per tenant vs {size:,}: wall {sizes[-1][1] / wall:.2f}, CPU {sizes[-1][2] / cpu_s:.2f}"
        for size, wall, cpu_s in sizes[:-1]
    )
    print(
        f"  bounded: {seconds:.2f} s wall, {cpu:.2f} s CPU, peak {peak_gb():.2f} GB "
        f"resident (fleet and placement){ratios}"
    )


def scaling(cells: int, tenants: int, k: int) -> None:
    """--scaling: only the bounded placement's time and memory (a fleet built, placed once
    untimed, then timed): the whole-run figures without the churn fleets."""
    print(f"\n{tenants:,} tenants over {cells:,} cells, k = {k}")
    reset_peak()
    built = fleet(cells, tenants, k)
    place(built)
    _, seconds, cpu = timed_cpu(lambda: place(built).placement)
    print_scaling(tenants, k, seconds, cpu)


def run(cells: int, tenants: int, k: int, repeat: int) -> None:
    """One fleet in memory at a time (1,000,000 tenants is several GB each)."""
    print(f"\n{tenants:,} tenants over {cells:,} cells, k = {k}")
    reset_peak()
    small = fleet(cells, tenants, k)
    place(small)
    figures: dict[str, list[str]] = {}
    shards: dict[str, dict[str, frozenset[str]]] = {}
    for name, bound in ALGORITHMS:
        placement, seconds, cpu = timed_cpu(
            lambda b=bound, f=small: place(f, tenant_balance=b).placement, repeat
        )
        loads = cell_loads(small, placement)
        shards[name] = sets(placement)
        figures[name] = [
            f"  {name:<13} {seconds:6.2f} s {tenants / seconds:8.0f} tenants/s"
            f"  tenants/cell max/mean {tenants_max_over_mean(loads):.3f}"
            f"  capacity max/mean {max_over_mean(loads):.3f}"
        ]
        if bound == TENANT_BALANCE:
            print_scaling(tenants, k, seconds, cpu)
    lock = place(small, tenant_balance=None).placement
    sample = [t.id for t in small.tenants][:: max(1, tenants // BASELINE_SAMPLE)]
    baseline = seeded_shuffle(sample, [c.id for c in small.cells], k)
    del small, placement
    for change, count, ideal in (
        ("+1 cell", cells + 1, k / (cells + 1)),
        ("-1 cell", cells - 1, k / cells),
    ):
        other = fleet(count, tenants, k)
        for name, bound in ALGORITHMS:
            moved = churn(shards[name], sets(place(other, tenant_balance=bound).placement))
            figures[name].append(f"{change} {moved / ideal:.2f}")
        if count > cells:
            shuffled = churn(baseline, seeded_shuffle(sample, [c.id for c in other.cells], k))
            result, seconds = timed(lambda f=other: place(f, lock, rebalance=True).placement)
            changed = sum(set(lock.shards[t]) != set(result.shards[t]) for t in lock.shards)
            members = sum(len(set(lock.shards[t]) - set(result.shards[t])) for t in lock.shards)
            rebalanced = (
                f"  --rebalance of a hashing-alone lock onto +1 cell: {seconds:.2f} s, tenants/cell"
                f" max/mean {tenants_max_over_mean(cell_loads(other, lock)):.3f} -> "
                f"{tenants_max_over_mean(cell_loads(other, result)):.3f}, {changed:,} tenants "
                f"({changed / tenants:.2%}) changed {members:,} members, capacity max/mean "
                f"{max_over_mean(cell_loads(other, result)):.3f}"
            )
            del result
        del other
    for name, _ in ALGORITHMS:
        first, *churns = figures[name]
        print(f"{first}  moved/ideal: {', '.join(churns)}")
    print(
        f"  seeded shuffle ({len(sample):,} tenants): moved/ideal on +1 cell "
        f"{shuffled / (k / (cells + 1)):.1f}"
    )
    print(rebalanced)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--million", action="store_true", help="also 1,000,000 / 10,000, k = 3")
    parser.add_argument(
        "--scaling", action="store_true", help="only seconds and memory of k = 3, no churn"
    )
    args = parser.parse_args()
    if args.scaling:
        sizes = ((100, 10_000), (1_000, 100_000)) + (((10_000, 1_000_000),) * args.million)
        for cells, tenants in sizes:
            scaling(cells, tenants, 3)
        return
    for cells, tenants in ((100, 10_000), (1_000, 100_000)):
        for k in (3, 4):
            run(cells, tenants, k, repeat=3)
    if args.million:
        run(10_000, 1_000_000, 3, repeat=1)


if __name__ == "__main__":
    main()
