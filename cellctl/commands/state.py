"""`cellctl state`: restore points (the newest provably complete savepoint of each job)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cellctl import render_state
from cellctl.errors import reports_user_errors
from cellctl.project import find_project
from cells.aws_names import cell_names
from cells.loader import load_fleet
from cells.model import Fleet
from cells.placement import JobKey, load_placement
from cells.problems import FleetError, Problem
from state.restore_points import JobRestorePoint, find_restore_points
from state.s3 import s3_client

app = typer.Typer(no_args_is_help=True, help="Job state: restore points and job moves.")


class BucketChoice(StrEnum):
    primary = "primary"
    replica = "replica"


@app.command("restore-points")
@reports_user_errors
def restore_points(
    cell: Annotated[str | None, typer.Option("--cell", help="Only jobs in this cell.")] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant.")] = None,
    job: Annotated[str | None, typer.Option("--job", help="Only jobs with this id.")] = None,
    bucket: Annotated[
        BucketChoice,
        typer.Option("--bucket", help="The cell's bucket, or its replica in the DR region."),
    ] = BucketChoice.primary,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Parallel reads.")] = 16,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="Fleet file.")] = None,
) -> None:
    """Per job: the newest complete savepoint, its age, and the newer incomplete ones skipped."""
    project = find_project()
    path = project.fleet_file(fleet_file)
    fleet = load_fleet(path)
    placement = load_placement(fleet, path)
    selected = _select(fleet, placement.jobs, path, cell, tenant, job)
    points = _find(fleet, selected, bucket, workers)
    now = datetime.now(UTC)
    if as_json:
        render_state.info(json.dumps(render_state.restore_points_json(points, now), indent=2))
    else:
        render_state.restore_points_table(points, {k: c for k, c in selected}, now)


def _select(
    fleet: Fleet,
    jobs: Mapping[JobKey, str],
    fleet_file: Path,
    cell: str | None,
    tenant: str | None,
    job: str | None,
) -> list[tuple[tuple[str, str], str]]:
    for value, option, known in (
        (cell, "--cell", {c.id for c in fleet.cells}),
        (tenant, "--tenant", {t.id for t in fleet.tenants}),
        (job, "--job", {j.id for t in fleet.tenants for j in t.jobs}),
    ):
        if value is not None and value not in known:
            raise FleetError(
                fleet_file,
                [Problem(option, "unknown-id", f"{option} {value}: not in the fleet file")],
            )
    return [
        ((t, j), c)
        for (t, j), c in sorted(jobs.items())
        if (cell is None or c == cell) and (tenant is None or t == tenant)
        and (job is None or j == job)
    ]  # fmt: skip


def _find(
    fleet: Fleet,
    selected: Sequence[tuple[tuple[str, str], str]],
    bucket: BucketChoice,
    workers: int,
) -> list[JobRestorePoint]:
    """Reads each region's buckets through that region's client; results in selection order."""
    by_region: dict[str, list[tuple[int, tuple[str, str, str]]]] = {}
    for index, ((tenant, job), cell_id) in enumerate(selected):
        cell = fleet.cell(cell_id)
        assert cell is not None
        names = cell_names(fleet.name, cell_id)
        if bucket is BucketChoice.primary:
            region, name = cell.region, names.checkpoint_bucket
        else:
            region, name = fleet.region(cell.region).dr_partner, names.replica_bucket
        by_region.setdefault(region, []).append((index, (name, tenant, job)))
    found: dict[int, JobRestorePoint] = {}
    for region, targets in sorted(by_region.items()):
        points = find_restore_points(s3_client(region), [t for _, t in targets], workers=workers)
        found.update(zip([i for i, _ in targets], points, strict=True))
    return [found[i] for i in range(len(selected))]
