"""`cellctl state`: restore points (the newest provably complete savepoint of each job), and the
S3 steps of moving a job between cells."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cellctl import render_state
from cellctl.errors import EXIT_FINDINGS, reports_user_errors
from cellctl.project import find_project
from cells import files
from cells.aws_names import cell_names
from cells.loader import load_fleet
from cells.model import Fleet
from cells.placement import JobKey, MoveStep, load_placement, lock_path, render_lock
from cells.placement.moves import next_step
from cells.problems import FleetError, Problem
from state.moves import MoveBlocked, advance
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
    # Until its savepoint is copied, a moving job's state lives in the cell it leaves.
    state_cells = {
        key: move.from_cell if move.step is MoveStep.SUSPENDED else placed
        for key, placed in placement.jobs.items()
        for move in [placement.moves.get(key)]
        if move is not None
    }
    selected = _select(fleet, {**placement.jobs, **state_cells}, path, cell, tenant, job)
    points = _find(fleet, selected, bucket, workers)
    now = datetime.now(UTC)
    cells = dict(selected)
    if as_json:
        rows = render_state.restore_points_json(points, cells, now)
        render_state.info(json.dumps(rows, indent=2))
    else:
        render_state.restore_points_table(points, cells, now)


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


@app.command("move")
@reports_user_errors
def move(
    tenant: Annotated[str, typer.Option("--tenant", help="The job's tenant.")],
    job: Annotated[str, typer.Option("--job", help="The moving job.")],
    fleet_file: Annotated[Path | None, typer.Option("--fleet", help="Fleet file.")] = None,
) -> None:
    """Run the next step of a job's move: copy its savepoint to the new cell, or confirm it runs
    there. Idempotent: re-run after a failure."""
    project = find_project()
    path = project.fleet_file(fleet_file)
    fleet = load_fleet(path)
    lock_file = lock_path(path)
    placement = load_placement(fleet, path)
    key = (tenant, job)
    recorded = placement.moves.get(key)
    if recorded is None:
        raise FleetError(
            lock_file,
            [
                Problem(
                    f"tenants.{tenant}.moves.{job}",
                    "not-moving",
                    f"job '{tenant}/{job}' has no recorded move; `cellctl shard --drain` or "
                    "`--rebalance` records one when a job changes cells",
                )
            ],
        )
    clients: dict[str, Any] = {}

    def client_for(region: str) -> Any:
        return clients.setdefault(region, s3_client(region))

    try:
        advanced, what = advance(fleet, placement, key, client_for)
    except MoveBlocked as blocked:
        render_state.failure(f"{tenant}/{job}: {blocked}")
        raise typer.Exit(EXIT_FINDINGS) from None
    if advanced != placement:
        files.write_text(lock_file, render_lock(fleet, advanced))  # whole or not at all
    now = advanced.moves[key]
    render_state.info(f"{tenant}/{job} {now.from_cell} -> {now.to_cell}: {what}")
    render_state.info(f"step: {now.step}; next: {next_step(tenant, job, now)}")
    if advanced != placement:
        render_state.info(f"wrote {project.relative(lock_file)}: commit it")
