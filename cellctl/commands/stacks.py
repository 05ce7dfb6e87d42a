"""`cellctl stacks`: one Pulumi stack file per cell."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cellctl import render
from cellctl.errors import EXIT_FINDINGS, reports_user_errors
from cellctl.project import find_project
from cells.loader import load_fleet
from cells.placement import lock_path
from cells.problems import FleetError, Problem
from cells.stamping import sync_stacks

app = typer.Typer(no_args_is_help=True, help="Stack files: stacks/Pulumi.<cell>.yaml.")


@app.command("sync")
@reports_user_errors
def sync(
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if any file is out of date.")
    ] = False,
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="Fleet file.")] = None,
) -> None:
    """Write a stack file per cell; files of departed cells are reported, never deleted."""
    project = find_project()
    path = project.fleet_file(fleet_file)
    fleet = load_fleet(path)
    named = project.relative(path)
    if Path(named).is_absolute():
        raise FleetError(
            path,
            [
                Problem(
                    "",
                    "fleet-outside-project",
                    f"is outside the project {project.root}; stack files are committed and name "
                    "their fleet file relative to the project. For what-if planning on a copy, "
                    "run `cellctl plan --fleet COPY` (it writes no stack file)",
                )
            ],
        )
    report = sync_stacks(
        fleet, named, project.stacks_dir, write=not check, inputs=(path, lock_path(path))
    )
    verb = "would write" if check else "wrote"
    for name in report.created:
        render.info(f"{verb} stacks/{name} (new cell)")
    for name in report.updated:
        render.info(f"{verb} stacks/{name} (changed)")
    for name in report.orphaned:
        stack = name.removeprefix("Pulumi.").removesuffix(".yaml")
        render.warning(
            f"stacks/{name} has no cell in {named}; kept, because its resources still exist. "
            f"If cell '{stack}' is retired: `cellctl shard --drain {stack}` while the lock "
            f"still places tenants there, `pulumi up` the stacks that receive them, then "
            f"`pulumi destroy --stack {stack}` and `pulumi stack rm {stack}` (which deletes "
            "this file). If the cell was removed by mistake, declare it again."
        )
    render.info(
        f"stacks: {len(report.created)} new, {len(report.updated)} changed, "
        f"{len(report.unchanged)} unchanged, {len(report.orphaned)} orphaned"
    )
    if check and (report.created or report.updated):
        render.failure("stack files are out of date with the fleet; run `cellctl stacks sync`")
        raise typer.Exit(EXIT_FINDINGS)
    if report.orphaned:
        if check:
            render.failure("orphaned stack files: retire each as the warning above says")
        raise typer.Exit(EXIT_FINDINGS)
