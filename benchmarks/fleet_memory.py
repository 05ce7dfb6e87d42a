"""The memory of a loaded fleet, and placing it: seconds and peak memory per phase.

For 10,000 tenants / 100 cells, 100,000 / 1,000 and 1,000,000 / 10,000 (one region, as
benchmarks/placement.py: the hardest case for the placer), each size in a fresh process:
- generate: the fleet-file data (cells/synthetic.py), its strings made distinct objects per
  tenant as a YAML parser gives them (a shared literal would hide what interning saves);
- validate: `Fleet.model_validate`, under the paused collector as `load_fleet` runs it;
- place: `cells.placement.place`.
Each phase prints its seconds, the resident memory after it and the peak so far; the validated
fleet's bytes per tenant is the resident memory validation added, divided by the tenants, with
the ratio to the smallest size (flat means linear). Target: 1,000,000 tenants placed under 3 GB.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = ((10_000, 100), (100_000, 1_000), (1_000_000, 10_000))
SHARD_SIZE = 3
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
    print(f"{held / tenants:.1f} {peak()}")


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
        per_tenant, top = float(last.split()[0]), int(last.split()[1])
        smallest = smallest or per_tenant
        print(
            f"    validated fleet {per_tenant:6.0f} bytes per tenant"
            f" ({per_tenant / smallest:4.2f} x the smallest);"
            f" peak {top / 2**30:5.2f} GB{' (target < 3 GB)' if tenants >= 1_000_000 else ''}"
        )
    print(f"load: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
