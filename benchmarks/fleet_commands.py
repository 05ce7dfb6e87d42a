"""Whole fleet commands as a user runs them, on generated fleets: seconds and peak memory.

- `cellctl shard` + `cellctl stacks sync` on 10,000 tenants / 100 cells and 100,000 tenants /
  1,000 cells (targets: < 5 s, and < 60 s and 2 GB); per tenant, and the ratio to the smallest size
- `cellctl validate` of a 10,000-tenant fleet file (target < 2 s)
- `cellctl --help` and `cellctl validate` of the example fleet (targets < 0.25 s and < 0.4 s)
- the memory of a loaded fleet in bytes per tenant, and tenants per cell (max/mean) after placement
Every figure is the min and median of several runs: the machine may be shared.
Run: `.venv/bin/python benchmarks/fleet_commands.py [--quick]` (--quick: the smaller sizes only).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

from commands import CELLCTL, ROOT, generated_project, repeated, run, summary

SIZES = ((10_000, 100), (100_000, 1_000))
SHARD_SIZE = 3


def shard_and_sync(
    folder: Path, tenants: int, cells: int, times: int
) -> tuple[float, float, float]:
    """Seconds (min over runs) and peak MB of `shard` then `stacks sync` on a fresh project."""
    seconds, peak = [], 0.0
    for attempt in range(times):
        project = generated_project(
            folder / f"{tenants}-{attempt}", 1, cells, tenants, SHARD_SIZE, 4 * tenants // cells
        )
        shard = run([CELLCTL, "shard"], project)
        sync = run([CELLCTL, "stacks", "sync"], project)
        # Not in the target's sum: shard again with the lock present, as after every fleet edit.
        again = run([CELLCTL, "shard"], project)
        seconds.append(shard.seconds + sync.seconds)
        peak = max(peak, shard.peak_mb, sync.peak_mb)
        print(
            f"  run {attempt + 1}: shard {shard.seconds:6.2f} s (cpu {shard.cpu_seconds:6.2f} s,"
            f" {shard.peak_mb:6.0f} MB)  stacks sync {sync.seconds:6.2f} s"
            f" (cpu {sync.cpu_seconds:6.2f} s, {sync.peak_mb:6.0f} MB)"
            f"  shard again {again.seconds:6.2f} s (cpu {again.cpu_seconds:6.2f} s,"
            f" {again.peak_mb:6.0f} MB)"
        )
    return min(seconds), peak, statistics.median(seconds)


def tenants_per_cell(project: Path) -> float:
    """max/mean tenants per cell in the lock `cellctl shard` wrote: how many tenants one cell's
    failure touches, against the average."""
    import yaml

    lock = yaml.load(
        (project / "cells" / "fleet.lock.yaml").read_text(),
        Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader),
    )
    counts = Counter(cell for entry in lock["tenants"].values() for cell in entry["cells"])
    return max(counts.values()) / statistics.mean(counts.values())


def bytes_per_tenant(tenants: int, cells: int) -> tuple[float, float]:
    """Bytes per tenant that loading a fleet file allocates at its peak, and that the loaded
    (validated) fleet keeps, counted by tracemalloc in a fresh process (resident-set figures
    would include what the process inherited: Linux keeps ru_maxrss across exec)."""
    probe = (
        "import sys, tracemalloc\n"
        "from cells.loader import load_fleet\n"
        "tracemalloc.start()\n"
        "fleet = load_fleet(sys.argv[1])\n"
        "kept, peak = tracemalloc.get_traced_memory()\n"
        "print(peak / len(fleet.tenants), kept / len(fleet.tenants))\n"
    )
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        project = generated_project(Path(tmp), 1, cells, tenants, SHARD_SIZE)
        done = subprocess.run(
            [sys.executable, "-c", probe, str(project / "cells" / "fleet.yaml")],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
    peak, kept = (float(figure) for figure in done.stdout.split())
    return peak, kept


def main() -> None:
    quick = "--quick" in sys.argv
    times = 3
    print("cellctl --help:              ", summary(repeated([CELLCTL, "--help"], ROOT, 7)))
    print("cellctl validate (example):  ", summary(repeated([CELLCTL, "validate"], ROOT, 7)))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        big = generated_project(folder / "validate", 1, 100, 10_000, SHARD_SIZE)
        print(
            "cellctl validate (10k tenants):", summary(repeated([CELLCTL, "validate"], big, times))
        )
        print("shard + stacks sync (one region, k = 3):")
        baseline = None
        for tenants, cells in SIZES[:1] if quick else SIZES:
            best, peak, median = shard_and_sync(
                folder, tenants, cells, 1 if tenants > 10_000 else times
            )
            per_tenant = best / tenants * 1e6
            baseline = baseline or per_tenant
            balance = tenants_per_cell(folder / f"{tenants}-0")
            print(
                f"  {tenants:>7} tenants {cells:>5} cells: min {best:6.2f} s median {median:6.2f} s"
                f"  peak {peak:6.0f} MB  {per_tenant:5.1f} us/tenant"
                f" ({per_tenant / baseline:4.2f} x the smallest)"
                f"  tenants per cell max/mean {balance:.3f}"
            )
    for tenants in (10_000,) if quick else (10_000, 100_000):
        peak, kept = bytes_per_tenant(tenants, tenants // 100)
        print(
            f"loaded fleet, {tenants} tenants: {kept:.0f} bytes per tenant kept,"
            f" {peak:.0f} at the peak of reading the file"
        )


if __name__ == "__main__":
    main()
