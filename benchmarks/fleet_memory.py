"""The memory of a loaded fleet, and placing it: seconds and peak memory per phase.

For 10,000 tenants / 100 cells, 100,000 / 1,000 and 1,000,000 / 10,000 (one region, as
benchmarks/placement.py: the hardest case for the placer), each size in a fresh process:
- generate: the fleet-file data (cells/synthetic.py), its strings made distinct objects per
  tenant as a YAML parser gives them (a shared literal would hide what interning saves);
- validate: `Fleet.model_validate`, under the paused collector as `load_fleet` runs it;
- place: `cells.placement.place`.
Each phase prints its seconds, the resident memory after it and the peak so far; the validated
fleet's bytes per tenant is the resident memory validation added, divided by the tenants, with
the ratio to the smallest size (flat means linear), and up to 100,000 tenants, what the fleet keeps
once its input is gone, counted exactly. Target: 1,000,000 tenants placed under 3 GB.
Run: `.venv/bin/python benchmarks/fleet_memory.py [--quick]` (--quick: without 1,000,000).
The machine may be shared: seconds are noisy, memory much less so.
"""

from __future__ import annotations

import gc
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = ((10_000, 100), (100_000, 1_000), (1_000_000, 10_000))
SHARD_SIZE = 3
EXACT_UP_TO = 100_000
PAGE = os.sysconf("SC_PAGE_SIZE")


def resident() -> int:
    """Bytes resident now (not the peak): what the objects alive at this point hold."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def one(tenants: int, cells: int) -> None:
    """Runs in its own process; prints one line per phase and a last line of figures."""
    from cells.collector import paused
    from cells.model import Fleet
    from cells.placement import place
    from cells.synthetic import as_parsed, synthetic_fleet

    def phase(name: str, started: float) -> None:
        print(
            f"    {name:<9} {time.perf_counter() - started:7.2f} s"
            f"  resident {resident() / 2**20:7.0f} MB  peak {peak() / 2**20:7.0f} MB",
            flush=True,
        )

    start = time.perf_counter()
    capacity = max(100, 4 * tenants // cells)  # two 1-unit jobs per tenant, ample headroom
    data = as_parsed(synthetic_fleet(1, cells, tenants, SHARD_SIZE, capacity))
    gc.collect()
    phase("generate", start)
    before = resident()
    start = time.perf_counter()
    with paused():
        fleet = Fleet.model_validate(data)
    held = resident() - before
    phase("validate", start)
    del data
    gc.collect()
    start = time.perf_counter()
    placement = place(fleet).placement
    phase("place", start)
    assert len(placement.shards) == tenants
    top = peak()
    del fleet, placement
    print(f"{held / tenants:.1f} {top} {kept(tenants, cells) if tenants <= EXACT_UP_TO else 0:.1f}")


def kept(tenants: int, cells: int) -> float:
    """Bytes per tenant the validated fleet keeps once its input is gone, counted exactly
    (tracemalloc; too slow past EXACT_UP_TO): resident growth misses the strings a fleet takes
    over from its input, such as each tenant's id."""
    from cells.model import Fleet
    from cells.synthetic import as_parsed, synthetic_fleet

    gc.collect()
    tracemalloc.start()
    data = as_parsed(synthetic_fleet(1, cells, tenants, SHARD_SIZE))
    fleet = Fleet.model_validate(data)
    del data
    gc.collect()
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(fleet.tenants) == tenants
    return held / tenants


def main() -> None:
    if sys.argv[1:2] == ["--one"]:
        one(int(sys.argv[2]), int(sys.argv[3]))
        return
    sizes = SIZES[:2] if "--quick" in sys.argv else SIZES
    print(f"load: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
    smallest = None
    for tenants, cells in sizes:
        print(f"  {tenants:>9,} tenants {cells:>6,} cells (k = {SHARD_SIZE}):", flush=True)
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(tenants), str(cells)],
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        *phases, last = done.stdout.rstrip("\n").splitlines()
        print("\n".join(phases))
        per_tenant, top, exact = (
            float(last.split()[0]),
            int(last.split()[1]),
            float(last.split()[2]),
        )
        smallest = smallest or per_tenant
        print(
            f"    validated fleet {per_tenant:6.0f} bytes per tenant"
            f" ({per_tenant / smallest:4.2f} x the smallest)"
            + (f", {exact:.0f} kept without its input (exact)" if exact else "")
            + f"; peak {top / 2**30:5.2f} GB{' (target < 3 GB)' if tenants >= 1_000_000 else ''}"
        )
    print(f"load: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
