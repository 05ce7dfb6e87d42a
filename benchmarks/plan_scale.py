"""`cellctl plan` at fleet scale, and one stack against the honest SDK floor.

- per cell at 8 and at 256 cells, whole commands on generated fleets with the same tenants per
  cell (target: 256 within 1.1 x 8: nothing a stack does may grow with the fleet)
- a 64-cell fleet on 1 and on 2 processes, whole commands (target: 2 at least 1.7 x faster)
- per stack of 5, 20 and 80 tenants: our program against the SDK floor, measured in this process
  with the same garbage-collector settings on both sides. The floor is the stock mock runtime
  (the SDK's MockMonitor, a mock that echoes inputs, run by the same driver as our stacks)
  registering the same typed pulumi-aws and pulumi-kubernetes resources with the same inputs,
  flat, without our components, resource options, Outputs between resources, recorder or fleet
  reading (target: at most 1.3 x, not growing with the stack)
- one stack of the same shape in the 8- and in the 256-cell fleet, in this process: the command's
  start-up aside, what a stack does must not grow with the fleet
Every figure is the min and median of several runs, and runs compared alternate: the machine
may be shared (the load average is printed with each section).
Run: `.venv/bin/python benchmarks/plan_scale.py [--quick]` (--quick: 64 cells, not 256).
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from commands import CELLCTL, Run, generated_project, repeated, run
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks, settings
from pulumi.runtime.mocks import MockMonitor

from offline.planner import configure_mock_engine, freeze_program_imports, plan_stack, run_program

TENANTS_PER_CELL = 4


def planned_project(folder: Path, cells: int) -> Path:
    """`cells` cells in up to 8 regions, at least 2 per region so that every cell holds
    TENANTS_PER_CELL tenants whatever the fleet's size (k = 2)."""
    regions = min(8, cells // 2)
    cells_per_region = cells // regions
    tenants = TENANTS_PER_CELL * cells_per_region // 2
    project = generated_project(folder, regions, cells_per_region, tenants, 2, 1000)
    run([CELLCTL, "shard"], project)
    run([CELLCTL, "stacks", "sync"], project)
    return project


def per_cell(label: str, project: Path, cells: int, times: int) -> tuple[float, float]:
    """(min, median) wall seconds per cell of the whole command."""
    runs = repeated([CELLCTL, "plan", "-j", "2"], project, times)
    seconds = [r.seconds / cells for r in runs]
    cpu = min(r.cpu_seconds for r in runs) / cells
    print(
        f"  {label}: per cell min {min(seconds):.3f} s median {statistics.median(seconds):.3f} s"
        f" (cpu {cpu:.3f} s; {times} runs, peak {max(r.peak_mb for r in runs):.0f} MB)"
    )
    return min(seconds), statistics.median(seconds)


class _EchoMocks(Mocks):
    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict]:
        return f"{args.name}-id", args.inputs

    def call(self, args: MockCallArgs) -> dict:  # type: ignore[override]
        return {}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _resource_class(type_token: str) -> Any:
    """The SDK class behind a type token: aws:s3/bucket:Bucket -> pulumi_aws.s3.Bucket."""
    if type_token == "pulumi:providers:aws":
        return importlib.import_module("pulumi_aws").Provider
    if type_token == "pulumi:providers:kubernetes":
        return importlib.import_module("pulumi_kubernetes").Provider
    package, module, name = type_token.split(":")
    if package == "aws":
        return getattr(importlib.import_module(f"pulumi_aws.{module.split('/')[0]}"), name)
    group, version = module.split("/")
    if "." in group and group not in ("networking.k8s.io", "scheduling.k8s.io", "helm.sh"):
        return None  # a custom resource (FlinkDeployment): apiextensions.CustomResource
    group = group.split(".")[0]
    return getattr(importlib.import_module(f"pulumi_kubernetes.{group}.{version}"), name)


def floor_program(resources: list[dict[str, Any]]) -> None:
    """The same typed resources with the same inputs, registered flat by the stock runtime."""
    import pulumi_kubernetes as k8s

    for resource in resources:
        if not resource["custom"]:
            continue
        inputs = resource["inputs"]
        cls = _resource_class(resource["type"])
        if cls is None:
            k8s.apiextensions.CustomResource(
                resource["name"],
                api_version=inputs["apiVersion"],
                kind=inputs["kind"],
                metadata=inputs.get("metadata"),
                spec=inputs.get("spec"),
            )
            continue
        accepted = set(inspect.signature(cls._internal_init).parameters)
        kwargs = {_snake(k): v for k, v in inputs.items() if _snake(k) in accepted}
        cls(resource["name"], **kwargs)


def floor_seconds(resources: list[dict[str, Any]]) -> float:
    """The stock MockMonitor, driven exactly as our stacks are. Not `set_mocks`: the root stack
    it registers leaves an RPC in flight that steers the SDK's end-of-program wait onto its
    cheap path, which a program run as the language host runs it does not get."""
    settings.reset_options(project="bench", stack="floor", preview=True)
    configure_mock_engine(MockMonitor(_EchoMocks()), "floor")
    start = time.process_time()
    run_program(lambda: floor_program(resources))
    return time.process_time() - start


def stack_against_floor(folder: Path, tenants: int, times: int) -> float:
    """Median ratio of our stack to its floor; runs alternate, so load shifts hit both sides."""
    project = generated_project(folder / f"stack-{tenants}", 1, 3, tenants, 3, 10_000)
    run([CELLCTL, "shard"], project)
    run([CELLCTL, "stacks", "sync"], project)
    stack = "r0-c0000"
    freeze_program_imports(project / "__main__.py")
    resources = plan_stack(project, stack).to_json()["resources"]  # warms both sides
    floor_seconds(resources)
    ours, floor = [], []
    for _ in range(times):
        start = time.process_time()
        plan_stack(project, stack)
        ours.append(time.process_time() - start)
        floor.append(floor_seconds(resources))
    ratios = [o / f for o, f in zip(ours, floor, strict=True)]
    print(
        f"  {tenants:>3} tenants, {len(resources):>5} resources: ours min {min(ours):6.2f} cpu s,"
        f" floor min {min(floor):6.2f} cpu s; ratio min {min(ratios):.2f}"
        f" median {statistics.median(ratios):.2f} ({times} runs)"
    )
    return statistics.median(ratios)


def stack_in_fleet(project: Path, times: int) -> tuple[str, int, float]:
    """One stack of TENANTS_PER_CELL tenants and as many jobs, planned in this process (its
    imports and fleet already read): its name, resources and CPU seconds. What a stack does,
    without the command around it."""
    lock = yaml.safe_load((project / "cells" / "fleet.lock.yaml").read_text(encoding="utf-8"))
    held = Counter(cell for entry in lock["tenants"].values() for cell in entry["cells"])
    runs = Counter(cell for entry in lock["tenants"].values() for cell in entry["jobs"].values())
    stack = min(c for c, n in held.items() if n == runs[c] == TENANTS_PER_CELL)
    resources = len(plan_stack(project, stack).resources)
    seconds = []
    for _ in range(times):
        start = time.process_time()
        plan_stack(project, stack)
        seconds.append(time.process_time() - start)
    return stack, resources, min(seconds)


def alternated(commands: list[list[str]], project: Path, times: int) -> list[list[Run]]:
    """Each command `times` times, in turns: a load that comes and goes hits every one."""
    runs: list[list[Run]] = [[] for _ in commands]
    for _ in range(times):
        for done, command in zip(runs, commands, strict=True):
            done.append(run(command, project))
    return runs


_SPLIT = (
    "import resource, sys, time\n"
    "from cellctl.entry import run\n"
    "sys.argv = ['cellctl', *sys.argv[1:]]\n"
    "t = time.perf_counter()\n"
    "try:\n    run()\nexcept SystemExit:\n    pass\n"
    "me, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage("
    "resource.RUSAGE_CHILDREN)\n"
    "print(time.perf_counter() - t, me.ru_utime + me.ru_stime, "
    "workers.ru_utime + workers.ru_stime, file=sys.__stderr__)\n"
)


def cpu_split(project: Path, jobs: int) -> tuple[float, float, float]:
    """(wall, this process's CPU, its workers' CPU) of `cellctl plan -j jobs`. On a shared
    machine the wall clock says more about the others than about us; the busier process's CPU
    is the wall time this command needs on two free cores."""
    done = subprocess.run(
        [sys.executable, "-c", _SPLIT, "plan", "-j", str(jobs)],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    wall, main, workers = (float(x) for x in done.stderr.strip().splitlines()[-1].split())
    return wall, main, workers


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    quick = "--quick" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"per stack against the SDK floor (same process, same GC settings); {load()}:")
        ratios = {tenants: stack_against_floor(folder, tenants, 5) for tenants in (5, 20, 80)}
        print(
            f"  median ratio at 80 tenants / at 5: {ratios[80] / ratios[5]:.2f}"
            " (target: at most 1.30 each, not growing)"
        )
        small_project = planned_project(folder / "p8", 8)
        cells = 64 if quick else 256
        large_project = planned_project(folder / f"p{cells}", cells)
        print(f"one stack of {TENANTS_PER_CELL} tenants, in process; {load()}:")
        per_stack: dict[str, float] = {}
        for label, each in (("8 cells", small_project), (f"{cells} cells", large_project)):
            stack, resources, cpu = stack_in_fleet(each, 5)
            print(f"  {stack} of {label}: {resources} resources, min {cpu:.3f} cpu s")
            per_stack[label] = cpu
        growth = per_stack[f"{cells} cells"] / per_stack["8 cells"]
        print(f"  in {cells} cells / in 8 cells: {growth:.2f}")
        print(f"cellctl plan -j 2, {TENANTS_PER_CELL} tenants per cell; {load()}:")
        small = per_cell("8 cells", small_project, 8, 3)
        if not quick:
            large = per_cell("256 cells", large_project, 256, 2)
            print(
                f"  per cell at 256 / per cell at 8: {large[0] / small[0]:.2f} (min),"
                f" {large[1] / small[1]:.2f} (median) (target <= 1.10)"
            )
        project = large_project if quick else planned_project(folder / "p64", 64)
        times = 2 if quick else 4
        print(f"cellctl plan on 64 cells, -j 1 and -j 2 in turns; {load()}:")
        one, two = alternated(
            [[CELLCTL, "plan", "-j", "1"], [CELLCTL, "plan", "-j", "2"]], project, times
        )
        for label, runs in (("1 process ", one), ("2 processes", two)):
            seconds = [r.seconds for r in runs]
            print(
                f"  {label}: min {min(seconds):6.2f} s median {statistics.median(seconds):6.2f} s"
                f" (cpu {min(r.cpu_seconds for r in runs):6.2f} s; {times} runs)"
            )
        best = min(r.seconds for r in one) / min(r.seconds for r in two)
        median = statistics.median(r.seconds for r in one) / statistics.median(
            r.seconds for r in two
        )
        print(
            f"  speed-up on 2 processes: {best:.2f} x (min), {median:.2f} x (median)"
            " (target >= 1.70)"
        )
        splits = [cpu_split(project, 2) for _ in range(times)]
        one_cpu = statistics.median(r.cpu_seconds for r in one)
        busiest = statistics.median(max(main, workers) for _, main, workers in splits)
        print(
            "  CPU per process at -j 2 (median): this process"
            f" {statistics.median(m for _, m, _ in splits):.2f} s, its worker"
            f" {statistics.median(w for _, _, w in splits):.2f} s; -j 1 {one_cpu:.2f} s:"
            f" {one_cpu / busiest:.2f} x on two free cores (an estimate: the busier process's"
            " CPU as its wall time)"
        )
        print(f"  {load()}")


if __name__ == "__main__":
    main()
