"""`cellctl validate`: check a fleet file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cellctl import render
from cellctl.errors import reports_user_errors
from cellctl.project import find_project


@reports_user_errors
def validate(
    fleet_file: Annotated[
        Path | None, typer.Argument(help="Fleet file (default: cells/fleet.yaml)")
    ] = None,
) -> None:
    """Check a fleet file; every problem is listed with its line, YAML path and fix."""
    from cells.loader import load_fleet

    path = fleet_file if fleet_file is not None else find_project().fleet_file(None)
    fleet = load_fleet(path)
    render.info(
        f"ok: {path}: fleet '{fleet.name}', {len(fleet.regions)} regions, "
        f"{len(fleet.cells)} cells, {len(fleet.tenants)} tenants"
    )
