"""Shared by the whole-command benchmarks: generated projects, and commands timed as a user runs
them (a subprocess each: its wall seconds and its peak resident memory)."""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cells.synthetic import synthetic_fleet  # noqa: E402

CELLCTL = str(Path(sys.executable).with_name("cellctl"))


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    cpu_seconds: float  # user + system: what the command itself used, whatever else runs


def generated_project(
    folder: Path,
    regions: int,
    cells_per_region: int,
    tenants_per_region: int,
    shard_size: int = 2,
    capacity_units: int = 100,
) -> Path:
    """A project folder (program, generated fleet file) in the shape `cellctl` expects."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, folder / name)
    (folder / "cells").mkdir(exist_ok=True)
    data = synthetic_fleet(
        regions, cells_per_region, tenants_per_region, shard_size, capacity_units
    )
    text = yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False)
    (folder / "cells" / "fleet.yaml").write_text(text, encoding="utf-8")
    return folder


def run(args: list[str], cwd: Path, *, check: bool = True) -> Run:
    """One command as a user runs it; peak memory is the child's maximum resident set."""
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far, so each run gets its own child
    # that reports only its own command.
    probe = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter();"
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode;"
        "t = time.perf_counter() - t;"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN);"
        "print(t, u.ru_maxrss, u.ru_utime + u.ru_stime, code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    seconds, peak_kb, cpu, code = done.stdout.split()
    if check and code != "0":
        raise SystemExit(f"{' '.join(args)} in {cwd} exited {code}:\n{done.stderr}")
    return Run(float(seconds), int(peak_kb) / 1024, float(cpu))


def repeated(args: list[str], cwd: Path, times: int) -> list[Run]:
    return [run(args, cwd) for _ in range(times)]


def summary(runs: list[Run]) -> str:
    """min/median seconds of several runs: the machine is shared, so single runs are noise."""
    seconds = [r.seconds for r in runs]
    cpu = [r.cpu_seconds for r in runs]
    peak = max(r.peak_mb for r in runs)
    return (
        f"min {min(seconds):7.3f} s  median {statistics.median(seconds):7.3f} s"
        f"  (cpu min {min(cpu):7.3f} s)  ({len(runs)} runs)  peak {peak:7.1f} MB"
    )


def own_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def elapsed(start: float) -> float:
    return time.perf_counter() - start
