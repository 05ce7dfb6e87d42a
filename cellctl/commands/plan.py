"""`cellctl plan`: every resource of every selected cell, without the Pulumi CLI or a cloud."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from cellctl.errors import reports_user_errors
from cellctl.project import find_project
from offline.workers import PlanWorkers


@reports_user_errors
def plan(
    cells: Annotated[
        list[str] | None, typer.Option("--cell", help="Plan only this cell (repeatable).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the plan as JSON.")] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=0, help="Processes; 0 = one per core.")
    ] = 0,
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="Fleet file.")] = None,
    policy_config: Annotated[
        Path | None,
        typer.Option(
            "--policy-config", help="Policy settings: the JSON `--policy-pack-config` takes."
        ),
    ] = None,
) -> None:
    """Run each cell's Pulumi program under the SDK's mock runtime, record every resource, and
    check the durability and security policy packs against it."""
    project = find_project()
    # More workers than stacks would only import the SDKs (a what-if fleet with more cells than
    # the project has stack files is planned on fewer processes).
    stacks = len(set(cells)) if cells else sum(1 for _ in project.stacks_dir.glob("Pulumi.*.yaml"))
    processes = min(jobs or os.cpu_count() or 1, max(1, stacks))
    # The workers start first, and spend the second this process needs to load the fleet model
    # and read the fleet importing the Pulumi SDKs: hence the import below, not at the top.
    with PlanWorkers(processes - 1) as workers:
        from cellctl.fleet_plan import plan_fleet

        plan_fleet(project, cells or [], out, fleet_file, policy_config, workers)
