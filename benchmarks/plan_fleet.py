"""Offline plan throughput: the example fleet and a generated 64-cell fleet, against SDK floors.

Prints resources planned, seconds and resources/second; the ratio of our per-resource time to the
bare Pulumi mock runtime's, measured in the same run with the same number of stacks and resources
per stack: once with trivial resources (the issue's floor), once with typed pulumi-aws resources
(the floor any program using pulumi-aws pays); and the 64-cell fleet's speed-up on 2 processes.
Run: `.venv/bin/python benchmarks/plan_fleet.py`.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pulumi
import pulumi_aws as aws
import yaml
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks, settings
from pulumi.runtime.mocks import set_mocks
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cells.loader import load_fleet  # noqa: E402
from cells.placement import lock_path, place, render_lock  # noqa: E402
from cells.stamping import sync_stacks  # noqa: E402
from cells.synthetic import synthetic_fleet  # noqa: E402
from offline import plan_stacks  # noqa: E402


class _EchoMocks(Mocks):
    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict]:
        return f"{args.name}-id", args.inputs

    def call(self, args: MockCallArgs) -> dict:  # type: ignore[override]
        return {}


def _trivial(count: int) -> None:
    for i in range(count):
        pulumi.CustomResource("bench:index:Thing", f"thing-{i}", {"value": i})


def _typed(count: int) -> None:
    provider = aws.Provider("bench", region="us-east-1")
    for i in range(count):
        aws.s3.Bucket(
            f"bucket-{i}",
            bucket=f"bench-{i}",
            tags={"fleet": "bench", "cell": "c"},
            opts=pulumi.ResourceOptions(provider=provider),
        )


def floor_seconds(shape: list[int], program: Callable[[int], None]) -> float:
    """The stock mock runtime registering `shape[i]` resources in stack i, fresh per stack."""
    start = time.perf_counter()
    for index, count in enumerate(shape):
        settings.reset_options(project="bench", stack=f"s{index}", preview=True)
        set_mocks(_EchoMocks(), project="bench", stack=f"s{index}", preview=True)
        settings.ROOT.set(None)  # run_in_stack makes the root stack, as the language host does
        _sync_await(run_in_stack(lambda c=count: program(c)))
    return time.perf_counter() - start


def plan(project: Path, cells: list[str], jobs: int) -> tuple[list[int], float]:
    start = time.perf_counter()
    shape = [len(p["resources"]) for p in plan_stacks(project, cells, jobs)]
    return shape, time.perf_counter() - start


def synthetic_project(folder: Path, regions: int, cells_per_region: int) -> list[str]:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, folder / name)
    (folder / "cells").mkdir()
    fleet_file = folder / "cells" / "fleet.yaml"
    fleet_file.write_text(yaml.safe_dump(synthetic_fleet(regions, cells_per_region, 40)))
    fleet = load_fleet(fleet_file)
    sync_stacks(fleet, "cells/fleet.yaml", folder / "stacks", write=True)
    lock_path(fleet_file).write_text(render_lock(fleet, place(fleet).placement))
    return [c.id for c in fleet.cells]


def report(label: str, shape: list[int], seconds: float) -> None:
    resources = sum(shape)
    trivial = floor_seconds(shape, _trivial)
    typed = floor_seconds(shape, _typed)
    print(
        f"{label:<24} {resources:>6} resources {seconds:6.2f} s {resources / seconds:5.0f} res/s"
        f" | ratio to trivial floor {seconds / trivial:4.2f} (target <= 1.30),"
        f" to typed pulumi-aws floor {seconds / typed:4.2f}"
    )


def main() -> None:
    example = load_fleet(ROOT / "cells" / "fleet.yaml")
    plan(ROOT, [example.cells[0].id], 1)  # warm imports for both sides
    floor_seconds([10], _typed)

    shape, seconds = plan(ROOT, [c.id for c in example.cells], 1)
    report(f"example ({len(shape)} cells)", shape, seconds)

    with tempfile.TemporaryDirectory() as tmp:
        cells = synthetic_project(Path(tmp), regions=4, cells_per_region=16)
        shape, one = plan(Path(tmp), cells, 1)
        report(f"generated ({len(cells)} cells)", shape, one)
        _, two = plan(Path(tmp), cells, 2)
        print(
            f"generated ({len(cells)} cells) on 2 processes: {two:.2f} s;"
            f" speed-up {one / two:.2f}x over 1 process (target >= 1.70)"
        )


if __name__ == "__main__":
    main()
