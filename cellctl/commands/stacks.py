"""`cellctl stacks`: one Pulumi stack file per cell."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cellctl import render
from cellctl.errors import EXIT_FINDINGS, reports_user_errors
from cellctl.project import find_project

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
    from cells.loader import load_fleet
    from cells.stamping import sync_stacks

    project = find_project()
    path = project.fleet_file(fleet_file)
    fleet = load_fleet(path)
    report = sync_stacks(fleet, project.relative(path), project.stacks_dir, write=not check)
    verb = "would write" if check else "wrote"
    for name in report.created:
        render.info(f"{verb} stacks/{name} (new cell)")
    for name in report.updated:
        render.info(f"{verb} stacks/{name} (changed)")
    for name in report.orphaned:
        render.warning(
            f"stacks/{name} has no cell in {project.relative(path)}; kept. Its resources still "
            "exist: `pulumi destroy` that stack deliberately, then delete the file."
        )
    render.info(
        f"stacks: {len(report.created)} new, {len(report.updated)} changed, "
        f"{len(report.unchanged)} unchanged, {len(report.orphaned)} orphaned"
    )
    if check and not report.in_sync:
        render.failure("stack files are out of date with the fleet; run `cellctl stacks sync`")
        raise typer.Exit(EXIT_FINDINGS)
    if report.orphaned:
        raise typer.Exit(EXIT_FINDINGS)
